// Job and run event bodies: codec/*.cpp only (nlohmann inside); codec/events is the way in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/events.hpp"

namespace vigil::codec {

/// The body of a job or run event; nothing for the scheduler's own events (encoded elsewhere).
std::optional<std::string> encode_job_event(const model::event& e);

/// Reads a job or run event body of a schema version (older ones upgraded: a v2 fire_decided
/// gains its origin and cursor); nothing if the type is not one or the body is unreadable.
std::optional<model::event> decode_job_event(std::string_view type, int schema_version,
                                             const nlohmann::json& body);

}  // namespace vigil::codec
