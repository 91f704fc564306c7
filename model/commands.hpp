// Commands: what an operator asks the scheduler to do (imperative names).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "model/job.hpp"

namespace vigil::model {

/// The longest accepted pause/resume reason, in bytes.
inline constexpr size_t max_reason_bytes = 1024;

/// `by` says who asked: the HTTP peer today, a token's name once requests are authenticated.
/// It is set by the server, never taken from the request body.
struct pause_scheduler {
  std::string reason;
  std::string by = {};
};

struct resume_scheduler {
  std::string reason;
  std::string by = {};
};

/// POST /v1/jobs (create_only: an existing id is a conflict) or PUT /v1/jobs/{id} (upsert).
struct define_job {
  std::shared_ptr<const job_spec> spec;
  bool create_only = true;
  std::string by = {};
  bool dry_run = false;  ///< ?dry_run=true: decided and answered, nothing written
};

struct remove_job {
  std::string job;
  std::string by = {};
};

struct pause_job {
  std::string job;
  std::string reason;
  std::string by = {};
};

struct resume_job {
  std::string job;
  std::string reason;
  std::string by = {};
};

/// POST /v1/jobs/{id}/run: a manual run, under the job's overlap policy unless overridden.
struct run_job {
  std::string job;
  std::optional<overlap_policy> overlap;
  std::string by = {};
};

/// POST /v1/jobs/{id}/backfill: decide the job's past nominal times in [from, to] that nothing
/// has decided (see plan_backfill).
struct backfill_job {
  std::string job;
  wall_time from{};
  wall_time to{};
  std::string by = {};
};

using command = std::variant<pause_scheduler, resume_scheduler, define_job, remove_job, pause_job,
                             resume_job, run_job, backfill_job>;

}  // namespace vigil::model
