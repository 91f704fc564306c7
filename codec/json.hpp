// The one JSON codec for model types, shared by store/ and http/. nlohmann stays inside json.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "model/commands.hpp"
#include "model/events.hpp"
#include "model/health.hpp"
#include "model/rejection.hpp"
#include "model/snapshot.hpp"
#include "model/state.hpp"

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

/// The durable state, for checkpoints.
std::string encode_state(const model::state& s);
/// Nothing when the body is not a checkpoint this code can use; `why`, when given, may say why.
std::optional<model::state> decode_state(std::string_view body, std::string* why = nullptr);

}  // namespace vigil::codec
