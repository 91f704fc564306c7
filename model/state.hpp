// The scheduler's state: the durable part is the fold of events; cycle statistics and the
// lifecycle phase belong to this process only and start afresh with each epoch.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/job.hpp"
#include "model/run.hpp"
#include "model/schedule.hpp"
#include "model/time.hpp"

namespace vigil::model {

/// A job's schedule in executable form: parsed once per definition, shared by state copies.
struct compiled_job {
  schedule sched;
  zone tz;
  duration jitter_offset{0};  ///< the same for the same id and jitter, after any restart
};

/// Counters of one job, or of all jobs. Durable: folded from the log, never reset.
struct job_counters {
  uint64_t fired = 0;  ///< nominal times decided, by kind
  uint64_t skipped = 0;
  uint64_t buffered = 0;
  uint64_t missed = 0;
  uint64_t succeeded = 0;  ///< attempts finished, by outcome
  uint64_t failed = 0;
  uint64_t timed_out = 0;
  uint64_t cancelled = 0;
  uint64_t failed_to_start = 0;
  uint64_t abandoned = 0;
  uint64_t retries = 0;  ///< retries scheduled
  friend bool operator==(const job_counters& a, const job_counters& b) {
    return a.fired == b.fired && a.skipped == b.skipped && a.buffered == b.buffered &&
           a.missed == b.missed && a.succeeded == b.succeeded && a.failed == b.failed &&
           a.timed_out == b.timed_out && a.cancelled == b.cancelled &&
           a.failed_to_start == b.failed_to_start && a.abandoned == b.abandoned &&
           a.retries == b.retries;
  }
};

/// How a job's attempts have been ending lately. Durable: folded by apply from the run events
/// (model/job_status.cpp has the rules: what counts as a failure, what a cancel changes).
struct job_status {
  std::optional<run_outcome> last_outcome;  ///< of the last attempt that finished
  std::optional<wall_time> last_finished;   ///< when it finished
  std::optional<wall_time> last_success;
  std::optional<wall_time> last_failure;
  uint64_t consecutive_failures = 0;      ///< failed attempts since the last success
  std::optional<duration> last_duration;  ///< how long the last attempt that ran took
  friend bool operator==(const job_status& a, const job_status& b) {
    return a.last_outcome == b.last_outcome && a.last_finished == b.last_finished &&
           a.last_success == b.last_success && a.last_failure == b.last_failure &&
           a.consecutive_failures == b.consecutive_failures && a.last_duration == b.last_duration;
  }
};

struct job_state {
  std::shared_ptr<const job_spec> spec;
  uint64_t revision = 1;
  wall_time created_at{};
  wall_time updated_at{};
  bool paused = false;
  std::string pause_reason;
  std::string paused_by;
  std::optional<wall_time> paused_since;
  /// The last pause, once resumed: nominal times inside it that are not run were "paused".
  std::optional<wall_time> held_from;
  std::optional<wall_time> held_until;
  /// Every nominal time up to here is decided.
  wall_time cursor{};
  std::vector<std::string> active;  ///< runs occupying the job (starting, running, retry_wait)
  // Vectors, not deques: an empty libstdc++ deque allocates ~700 bytes, and there are three
  // per job in each copy of the state. Front removals happen only in bounded retention passes.
  std::vector<std::string> buffer;         ///< buffered runs, oldest first
  std::vector<std::string> runs;           ///< retained runs, oldest first
  std::vector<decision_record> decisions;  ///< retained decisions, oldest first
  /// Nominal time ranges backfill decisions covered, sorted and disjoint: never decided again.
  std::vector<std::pair<wall_time, wall_time>> backfilled;
  job_counters counters;
  job_status status;

  // Derived from the above (by refresh_schedules, on this machine's tz database); not part of
  // equality.
  std::shared_ptr<const compiled_job> compiled;
  std::optional<wall_time> due;  ///< next nominal + jitter: this job's key in state::timetable
  uint64_t touched_seq = 0;      ///< seq of the last event applied to this job (0: unknown)
  /// The schedule's longest gap between nominal times, sampled when it is compiled (see
  /// schedule_period); nothing for a one-shot or an uncompilable schedule.
  std::optional<duration> period;
  /// The schedule had a nominal time after the definition (`updated_at`): sampled when compiled.
  bool timed_after_definition = false;

  friend bool operator==(const job_state& a, const job_state& b) {
    return *a.spec == *b.spec && a.revision == b.revision && a.created_at == b.created_at &&
           a.updated_at == b.updated_at && a.paused == b.paused &&
           a.pause_reason == b.pause_reason && a.paused_by == b.paused_by &&
           a.paused_since == b.paused_since && a.held_from == b.held_from &&
           a.held_until == b.held_until && a.cursor == b.cursor && a.active == b.active &&
           a.buffer == b.buffer && a.runs == b.runs && a.decisions == b.decisions &&
           a.backfilled == b.backfilled && a.counters == b.counters && a.status == b.status;
  }
};

/// A job's state, shared between copies of the state until one of them changes it (copy on
/// write). The scheduler keeps two copies (durable and optimistic): with 100k jobs, sharing the
/// jobs neither copy is changing halves the memory. Reads go through * and ->; writes through
/// mut(), which clones first if anyone else holds the same job.
class job_cell {
 public:
  job_cell() : p_(std::make_shared<job_state>()) {}
  explicit job_cell(job_state j) : p_(std::make_shared<job_state>(std::move(j))) {}
  const job_state& operator*() const { return *p_; }
  const job_state* operator->() const { return p_.get(); }
  operator const job_state&() const { return *p_; }
  job_state& mut() {
    if (p_.use_count() > 1) {
      p_ = std::make_shared<job_state>(*p_);
    } else {
      // The last other owner may have been on another thread (a checkpoint being encoded, a
      // job read being rendered): its reads happen before its release of the count, and this
      // fence orders them before the writes that follow (use_count() is a relaxed load).
      std::atomic_thread_fence(std::memory_order_acquire);
    }
    return *p_;
  }
  /// Makes this cell hold the very same job as `other` (their contents must be equal).
  void share(const job_cell& other) { p_ = other.p_; }
  bool shares_with(const job_cell& other) const { return p_ == other.p_; }
  friend bool operator==(const job_cell& a, const job_cell& b) {
    return a.p_ == b.p_ || *a.p_ == *b.p_;
  }

 private:
  std::shared_ptr<job_state> p_;
};

/// Durable state: exactly what folding the event log yields.
struct state {
  bool paused = false;
  std::optional<wall_time> paused_since;
  std::string pause_reason;
  std::string paused_by;               ///< who paused (empty unless paused)
  std::optional<wall_time> held_from;  ///< the scheduler's last pause, once resumed
  std::optional<wall_time> held_until;
  uint64_t log_seq = 0;  ///< sequence number of the last event applied

  std::map<std::string, job_cell> jobs;
  std::unordered_map<std::string, run_record> runs;
  job_counters totals;
  uint64_t jobs_paused = 0;
  uint64_t jobs_disabled = 0;
  uint64_t runs_starting = 0;  ///< by status, maintained on apply: the snapshot reads them in O(1)
  uint64_t runs_running = 0;
  uint64_t runs_buffered = 0;
  uint64_t runs_retry_wait = 0;

  // Derived indexes, rebuilt by apply; not part of equality.
  std::set<std::pair<wall_time, std::string>> timetable;  ///< (due, job) of schedulable jobs
  std::set<std::pair<wall_time, std::string>> retries;    ///< (due, run) of runs in retry_wait
  /// Jobs apply took out of the timetable (it never evaluates a schedule): refresh_schedules
  /// puts them back. Empty after every apply_in_place and every recovery.
  std::set<std::string> unscheduled;

  friend bool operator==(const state& a, const state& b) {
    return a.paused == b.paused && a.paused_since == b.paused_since &&
           a.pause_reason == b.pause_reason && a.paused_by == b.paused_by &&
           a.held_from == b.held_from && a.held_until == b.held_until && a.log_seq == b.log_seq &&
           a.jobs == b.jobs && a.runs == b.runs && a.totals == b.totals &&
           a.jobs_paused == b.jobs_paused && a.jobs_disabled == b.jobs_disabled &&
           a.runs_starting == b.runs_starting && a.runs_running == b.runs_running &&
           a.runs_buffered == b.runs_buffered && a.runs_retry_wait == b.runs_retry_wait;
  }
};

/// Where this process is in its life; `paused` is not a phase but durable state.
enum class phase { starting, running, draining, stopped };

/// What the snapshot reports: the phase, with paused folded in while running.
enum class scheduler_status { starting, running, paused, draining, stopped };

scheduler_status status_of(phase p, const state& s);
const char* to_string(scheduler_status s);

/// Scheduling-cycle statistics of this process. `total` is counted on its own so that
/// total == succeeded + failed is a checkable invariant, not an identity.
struct cycle_stats {
  uint64_t total = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  uint32_t consecutive_failures = 0;
  std::optional<wall_time> last_started;
  std::optional<wall_time> last_finished;
  std::optional<wall_time> last_success;
  std::string last_error;
};

/// Whether the event log takes writes. Runtime, like cycle_stats: learned from appends and
/// probes, never logged.
struct journal_status {
  bool ok = true;
  std::string error;
  std::optional<wall_time> failing_since;  ///< set exactly when !ok
};

/// Records one finished cycle; an empty error means success.
void record_cycle(cycle_stats& stats, wall_time started, wall_time finished,
                  const std::string& error);

}  // namespace vigil::model
