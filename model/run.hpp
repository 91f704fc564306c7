// Runs and decisions: what happened to each (job, nominal time), and to each run it caused.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/time.hpp"

namespace vigil::model {

/// What was decided for a nominal time (or a range of them). Each is decided exactly once.
enum class decision_kind { fired, skipped, buffered, missed };

/// Who a decision is for: a nominal time of the schedule (on time, or late and caught up), or
/// an operator's manual run, which is for no nominal time of the schedule.
/// backfill: a past nominal time an operator asked for (POST /v1/jobs/{id}/backfill).
enum class decision_origin { schedule, catchup, manual, backfill };

/// Why a decision is what it is: a run's origin when it runs or waits, else why not (overlap,
/// buffer_full: skipped; paused, misfire: missed). Rendered as the decision's reason string.
enum class decision_reason {
  schedule,
  catchup,
  manual,
  backfill,
  overlap,
  buffer_full,
  paused,
  misfire
};

/// Where a run is. starting: ordered to the runner, not yet reported started.
enum class run_status {
  buffered,         ///< waiting for a running one of the same job to finish
  starting,         ///< ordered to the runner
  running,          ///< the process is running
  retry_wait,       ///< failed; another attempt is scheduled
  succeeded,        ///< exit code 0
  failed,           ///< non-zero exit or killed by a signal it was not sent by vigil
  timed_out,        ///< killed by vigil after its timeout
  cancelled,        ///< killed by vigil (cancel_other, shutdown) or dropped before starting
  failed_to_start,  ///< the process could not be started (missing binary, bad directory)
  abandoned,        ///< the daemon stopped while it was starting or running; its end is unknown
};

/// How a process ended, as the runner reports it.
enum class run_outcome { succeeded, failed, timed_out, cancelled, failed_to_start, abandoned };

const char* to_string(decision_kind k);
const char* to_string(decision_origin o);
const char* to_string(decision_reason r);
const char* to_string(run_status s);
const char* to_string(run_outcome o);
std::optional<decision_kind> parse_decision_kind(std::string_view text);
std::optional<decision_origin> parse_decision_origin(std::string_view text);
std::optional<decision_reason> parse_decision_reason(std::string_view text);
/// The reason of a decision that runs (or waits to run) for `o`.
decision_reason reason_of(decision_origin o);
std::optional<run_outcome> parse_run_outcome(std::string_view text);
run_status status_of(run_outcome o);
/// Finished for good: no further attempt will follow.
bool is_final(run_status s);
/// Occupies the job for its overlap policy.
bool is_active(run_status s);

struct decision_record {
  uint64_t seq = 0;     ///< the log position of the decision event
  wall_time at{};       ///< when it was decided
  wall_time nominal{};  ///< the (first) nominal time decided
  wall_time last{};     ///< the last nominal time of a range (== nominal for one)
  uint64_t count = 1;   ///< nominal times covered
  decision_kind kind = decision_kind::fired;
  std::string reason;  ///< to_string(decision_reason): schedule, manual, catchup, ...
  std::string run_id;  ///< fired or buffered
  friend bool operator==(const decision_record& a, const decision_record& b) {
    return a.seq == b.seq && a.at == b.at && a.nominal == b.nominal && a.last == b.last &&
           a.count == b.count && a.kind == b.kind && a.reason == b.reason && a.run_id == b.run_id;
  }
};

/// What holds a run's processes, recorded when it starts so that a restarted daemon can find
/// them again: a cgroup v2 directory when the daemon could make one, else the process group.
struct containment {
  std::string cgroup;       ///< absolute path of the run's cgroup; empty: the process group
  int pgid = 0;             ///< the process group (the leader's pid)
  uint64_t start_time = 0;  ///< the leader's start, clock ticks since boot: against pid reuse
  friend bool operator==(const containment& a, const containment& b) {
    return a.cgroup == b.cgroup && a.pgid == b.pgid && a.start_time == b.start_time;
  }
  friend bool operator!=(const containment& a, const containment& b) { return !(a == b); }
};

/// An attempt of a run that another attempt followed: the run's own fields hold the latest.
struct attempt_record {
  uint32_t attempt = 1;
  run_status ended = run_status::failed;  ///< how it ended (a final status)
  std::optional<wall_time> started_at;
  std::optional<wall_time> finished_at;
  std::optional<int> exit_code;
  std::optional<int> signal;
  duration elapsed{0};
  std::string error;
  friend bool operator==(const attempt_record& a, const attempt_record& b) {
    return a.attempt == b.attempt && a.ended == b.ended && a.started_at == b.started_at &&
           a.finished_at == b.finished_at && a.exit_code == b.exit_code && a.signal == b.signal &&
           a.elapsed == b.elapsed && a.error == b.error;
  }
};

struct run_record {
  std::string id;
  std::string job;
  wall_time nominal{};
  std::string reason;  ///< why it fired: schedule, manual, catchup
  run_status status = run_status::starting;
  uint32_t attempt = 1;
  wall_time decided_at{};
  std::optional<wall_time> started_at;
  std::optional<wall_time> finished_at;
  std::optional<wall_time> retry_at;
  int pid = 0;
  std::optional<containment> contained;  ///< from run_started; none in logs from before it
  std::optional<int> exit_code;
  std::optional<int> signal;
  duration elapsed{0};
  std::shared_ptr<const std::string> output;  ///< the tail; shared, never changed
  bool truncated = false;
  uint64_t output_bytes = 0;
  std::string error;
  bool cancelling = false;  ///< a cancel was ordered (cancel_other, removal); no longer occupies
  /// The attempts before the latest, oldest first: empty unless it was retried (so a run
  /// without retries costs nothing more).
  std::vector<attempt_record> earlier;
  friend bool operator==(const run_record& a, const run_record& b) {
    const std::string empty;
    return a.id == b.id && a.job == b.job && a.nominal == b.nominal && a.reason == b.reason &&
           a.status == b.status && a.attempt == b.attempt && a.decided_at == b.decided_at &&
           a.started_at == b.started_at && a.finished_at == b.finished_at &&
           a.retry_at == b.retry_at && a.pid == b.pid && a.contained == b.contained &&
           a.exit_code == b.exit_code && a.signal == b.signal && a.elapsed == b.elapsed &&
           (a.output ? *a.output : empty) == (b.output ? *b.output : empty) &&
           a.truncated == b.truncated && a.output_bytes == b.output_bytes && a.error == b.error &&
           a.cancelling == b.cancelling && a.earlier == b.earlier;
  }
};

/// Whether the run's own fields describe an attempt that has ended and is not yet in `earlier`.
bool latest_attempt_ended(const run_record& r);
/// The attempt the run's own fields describe, as `earlier` keeps it once it has ended.
attempt_record latest_attempt(const run_record& r);

/// A run id says which job and nominal time it is for: "<job>@<UTC basic time>", with
/// "manual-" before the time for manual runs. Same job + nominal time, same id, always.
std::string make_run_id(std::string_view job, wall_time nominal, bool manual);
/// The job a run id belongs to: the part before '@' (make_run_id's form).
inline std::string_view job_of_run(std::string_view run_id) {
  return run_id.substr(0, run_id.find('@'));
}

}  // namespace vigil::model
