// Job definitions inside larger documents (the event log): for codec/*.cpp only, as it exposes
// nlohmann/json, which stays inside the codec.
#pragma once

#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "codec/json_writer.hpp"
#include "model/job.hpp"
#include "model/rejection.hpp"

namespace vigil::codec {

/// Decodes a job definition held in `v` (an event or a checkpoint); pointers in rejections start
/// with `pointer_prefix` (e.g. "/spec"). "id" is required. The schedule and zone are not
/// evaluated: what was accepted once stays readable even if this machine's tz database lacks
/// the zone (the job is then kept but never fires; see model::compile_job).
std::variant<model::job_spec, model::rejection> decode_job_spec_value(
    const nlohmann::json& v, std::string_view pointer_prefix);

/// Writes the canonical object of encode_job_spec as one value.
void write_job_spec(json_writer& w, const model::job_spec& spec);

}  // namespace vigil::codec
