// The jobs and runs inside a checkpoint: codec/*.cpp only (nlohmann inside).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "codec/json_writer.hpp"
#include "model/state.hpp"

namespace vigil::codec {

/// Jobs, runs and counters of a state, for checkpoints: the members (keys and values, comma
/// separated) to write inside the state's object.
void write_jobs_part(json_writer& w, const model::state& s);
/// The inverse: `s` (its scheduler part already read) with the jobs, runs and counters of
/// `in`; nothing if anything is unreadable. Derived indexes are the caller's to rebuild.
std::optional<model::state> decode_jobs_part(const nlohmann::json& in, model::state s);

}  // namespace vigil::codec
