// Event bodies as stored in the log (their type and schema version are stored beside them):
// every event type's body, and the upgrades of older schema versions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/events.hpp"

namespace vigil::codec {

/// An event body as stored in the log (its type and schema version are stored beside it).
std::string encode_event(const model::event& e);

/// Decodes a stored event, upgrading older schema versions; nothing if it cannot be read.
/// Bodies as the codec writes them take a fast path; anything else goes to the reference.
std::optional<model::event> decode_event(std::string_view type, int schema_version,
                                         std::string_view body);

/// The same with nlohmann's general parser only: the definition decode_event must agree with.
std::optional<model::event> decode_event_reference(std::string_view type, int schema_version,
                                                   std::string_view body);

}  // namespace vigil::codec
