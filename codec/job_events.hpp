// Job and run events, and the jobs part of checkpoints: codec/*.cpp only (nlohmann inside).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "codec/json_writer.hpp"
#include "model/events.hpp"
#include "model/state.hpp"

namespace vigil::codec {

/// The body of a job or run event; false for the scheduler's own events (encoded elsewhere).
bool encode_job_event(const model::event& e, std::string& out);

/// Reads a job or run event body of a schema version (older ones upgraded: a v2 fire_decided
/// gains its origin and cursor); nothing if the type is not one or the body is unreadable.
std::optional<model::event> decode_job_event(std::string_view type, int schema_version,
                                             const nlohmann::json& body);

/// Jobs, runs and counters of a state, for checkpoints: the members (keys and values, comma
/// separated) to write inside the state's object.
void write_jobs_part(json_writer& w, const model::state& s);
/// The inverse; false if anything is unreadable. Derived indexes are rebuilt.
bool decode_jobs_part(const nlohmann::json& in, model::state& s);

}  // namespace vigil::codec
