// A job's status: how its attempts have been ending (folded by apply from run events), which
// jobs GET /v1/jobs?status= selects, and the per-job figures /metrics exports (bounded).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/run.hpp"
#include "model/state.hpp"
#include "model/time.hpp"

namespace vigil::model {

/// A failure kind: failed, timed_out, failed_to_start, abandoned (the daemon stopped under it;
/// nobody can vouch that it completed). Neither succeeded nor cancelled is one.
bool is_failure(run_outcome o);

/// Folds one finished attempt into the status (apply calls it for each run_finished, and for a
/// retry that is cancelled while it waits). A success resets consecutive_failures; a failure
/// kind adds one; a cancel (vigil stopped it on purpose) changes neither: it says nothing about
/// the job. `elapsed` is nothing when no process ran (a waiting retry cancelled).
void record_attempt(job_status& st, run_outcome o, wall_time at, std::optional<duration> elapsed);

/// Failing: its last attempt that was not cancelled ended in a failure kind (so a failure with
/// a retry pending counts) — consecutive_failures > 0.
bool failing(const job_state& j);
/// Running: one of its runs is starting or running (a retry waiting its backoff is not).
bool running(const state& s, const job_state& j);

/// Completed: its schedule had a time after the job's definition, has none after its cursor
/// (a one-shot `@at` that was decided), and nothing of it runs or waits. A schedule that never
/// had a time (`0 0 30 2 *`, an `@at` already past when defined) is not, manual runs or not.
bool completed(const job_state& j);

/// GET /v1/jobs?status=...
enum class job_filter { all, failing, running, paused, completed };
/// failing|running|paused|completed
std::optional<job_filter> parse_job_filter(std::string_view text);
bool matches(const state& s, const job_state& j, job_filter f);

/// The longest gap between consecutive nominal times among the first `samples` after `from`:
/// the fixed period of `@every`, the longest of a cron expression's (a weekday job's weekend).
/// Nothing for a one-shot `@at`, or when fewer than two nominal times follow `from`. Computed
/// when a definition is compiled (from its definition time), never by apply.
std::optional<duration> schedule_period(const compiled_job& c, const job_spec& spec, wall_time from,
                                        int samples = 8);

/// A status rebuilt from the runs a state retains, for a checkpoint written before job_status
/// existed: the same as the fold unless runs were compacted before it (their attempts are
/// lost), a retried run's earlier failures mattered (their times are not kept), or a run waiting
/// for a retry failed otherwise than "failed" (its record keeps no outcome).
job_status status_from_runs(const state& s, const job_state& j);

/// One job's per-job metrics.
struct job_metric {
  std::string job;
  job_status status;
  wall_time defined_at{};  ///< its last definition (created or replaced)
  std::optional<wall_time> next_due;
  std::optional<duration> period;
};

/// Every job's metrics, or none at all when there are more jobs than `limit` (0: never any):
/// the number of series stays bounded however many jobs exist.
struct job_metrics {
  uint64_t jobs = 0;             ///< jobs defined
  uint64_t limit = 0;            ///< the configured cap
  bool enabled = false;          ///< limit > 0 and jobs <= limit: `rows` has every job
  std::vector<job_metric> rows;  ///< by job id
};

job_metrics collect_job_metrics(const state& s, uint64_t limit);

}  // namespace vigil::model
