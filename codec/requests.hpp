// The small request bodies of the scheduler and run routes (job definitions: codec/job_json).
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "model/commands.hpp"
#include "model/job.hpp"
#include "model/rejection.hpp"
#include "model/time.hpp"

namespace vigil::codec {

/// Body of POST /v1/scheduler/pause|resume: empty, or {"reason": "..."}; unknown fields refused.
std::variant<model::command, model::rejection> decode_scheduler_command(std::string_view body,
                                                                        bool pause);

/// Body of POST /v1/jobs/{id}/run: empty, or {"overlap": "<policy>"} to override the job's
/// overlap policy for this run; unknown fields refused.
std::variant<std::optional<model::overlap_policy>, model::rejection> decode_run_request(
    std::string_view body);
/// The body of POST /v1/jobs/{id}/backfill: {"from": time, "to": time}, both required.
std::variant<std::pair<model::wall_time, model::wall_time>, model::rejection>
decode_backfill_request(std::string_view body);

}  // namespace vigil::codec
