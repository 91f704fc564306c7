// Events: what happened (past tense). The state is the fold of these.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/job.hpp"
#include "model/run.hpp"
#include "model/time.hpp"

namespace vigil::model {

// Schema history: v1 had {reason, at}; v2 adds `by` (who asked). v1 reads as by = "unknown".
struct scheduler_paused {
  std::string reason;
  wall_time at;
  std::string by = {};
  friend bool operator==(const scheduler_paused& a, const scheduler_paused& b) {
    return a.reason == b.reason && a.at == b.at && a.by == b.by;
  }
};

struct scheduler_resumed {
  std::string reason;
  wall_time at;
  std::string by = {};
  friend bool operator==(const scheduler_resumed& a, const scheduler_resumed& b) {
    return a.reason == b.reason && a.at == b.at && a.by == b.by;
  }
};

/// A job was created (POST) or replaced (PUT). The spec is shared, never changed.
struct job_defined {
  std::shared_ptr<const job_spec> spec;
  bool created = true;
  wall_time at;
  std::string by;
  friend bool operator==(const job_defined& a, const job_defined& b) {
    return *a.spec == *b.spec && a.created == b.created && a.at == b.at && a.by == b.by;
  }
};

/// Its retained runs go with it; `cancels` are the runs still going, which are stopped.
struct job_removed {
  std::string job;
  wall_time at;
  std::string by;
  std::vector<std::string> cancels;
  friend bool operator==(const job_removed& a, const job_removed& b) {
    return a.job == b.job && a.at == b.at && a.by == b.by && a.cancels == b.cancels;
  }
};

struct job_paused {
  std::string job;
  std::string reason;
  wall_time at;
  std::string by;
  friend bool operator==(const job_paused& a, const job_paused& b) {
    return a.job == b.job && a.reason == b.reason && a.at == b.at && a.by == b.by;
  }
};

struct job_resumed {
  std::string job;
  std::string reason;
  wall_time at;
  std::string by;
  friend bool operator==(const job_resumed& a, const job_resumed& b) {
    return a.job == b.job && a.reason == b.reason && a.at == b.at && a.by == b.by;
  }
};

/// The decision for one nominal time of a job, or for a range of them (count > 1: a run of
/// misses or skips decided together). Logged before any run it causes starts. It carries all
/// that apply needs: the planner evaluated the schedule when it decided, apply never does.
struct fire_decided {
  std::string job;
  wall_time nominal;
  wall_time last;  ///< == nominal unless count > 1
  uint64_t count = 1;
  decision_kind kind = decision_kind::fired;
  decision_origin origin = decision_origin::schedule;  ///< v3; v2 bodies: from their reason
  decision_reason reason = decision_reason::schedule;
  /// v3: the job's cursor after this decision (every nominal time through it is decided):
  /// `last` for the schedule's own decisions, nothing for a manual one (it owes nothing).
  std::optional<wall_time> cursor;
  /// Only for a v2 body that cannot tell whether it moved the cursor (a skip at its own
  /// nominal time: a manual run, or the schedule's own decided in that very millisecond):
  /// model::settle_upgraded sets `cursor` as v2 did, by asking the schedule, before apply
  /// (which never asks one, and moves nothing for an unsettled event). Never written; v3
  /// bodies always tell.
  bool legacy_cursor = false;
  std::string run_id;                ///< fired or buffered: the run it creates
  std::vector<std::string> cancels;  ///< cancel_other: the runs it stops
  wall_time at;                      ///< when it was decided
  /// Backfill: the range the request covered (every nominal time in it is decided, by this
  /// request or before it), so that the job records one range per request, not a point per
  /// time. Written only for origin backfill; without it, [nominal, last].
  std::optional<std::pair<wall_time, wall_time>> covers;
  friend bool operator==(const fire_decided& a, const fire_decided& b) {
    return a.job == b.job && a.nominal == b.nominal && a.last == b.last && a.count == b.count &&
           a.kind == b.kind && a.origin == b.origin && a.reason == b.reason &&
           a.cursor == b.cursor && a.legacy_cursor == b.legacy_cursor && a.run_id == b.run_id &&
           a.cancels == b.cancels && a.at == b.at && a.covers == b.covers;
  }
};

/// A buffered run (its turn came) or a retry (its backoff passed) is ordered to start.
struct run_dispatched {
  std::string run_id;
  uint32_t attempt = 1;
  std::string reason;  ///< "buffer" or "retry"
  wall_time at;
  friend bool operator==(const run_dispatched& a, const run_dispatched& b) {
    return a.run_id == b.run_id && a.attempt == b.attempt && a.reason == b.reason && a.at == b.at;
  }
};

/// The process of a run started. `containment` (absent in older bodies, same schema version)
/// says where its processes live, so that a restart can find them.
struct run_started {
  std::string run_id;
  int pid = 0;
  wall_time at;
  std::optional<containment> contained = {};
  friend bool operator==(const run_started& a, const run_started& b) {
    return a.run_id == b.run_id && a.pid == b.pid && a.at == b.at && a.contained == b.contained;
  }
};

struct run_finished {
  std::string run_id;
  run_outcome outcome = run_outcome::succeeded;
  std::optional<int> exit_code;
  std::optional<int> signal;
  duration elapsed{0};
  std::shared_ptr<const std::string> output;
  bool truncated = false;
  uint64_t output_bytes = 0;
  std::string error;
  wall_time at;  ///< when it finished (or was found abandoned)
  friend bool operator==(const run_finished& a, const run_finished& b) {
    const std::string empty;
    return a.run_id == b.run_id && a.outcome == b.outcome && a.exit_code == b.exit_code &&
           a.signal == b.signal && a.elapsed == b.elapsed &&
           (a.output ? *a.output : empty) == (b.output ? *b.output : empty) &&
           a.truncated == b.truncated && a.output_bytes == b.output_bytes && a.error == b.error &&
           a.at == b.at;
  }
};

/// A failed attempt will be tried again at `due` (exponential backoff with jitter).
struct retry_scheduled {
  std::string run_id;
  uint32_t attempt = 2;  ///< the attempt that will run
  wall_time due;
  wall_time at;
  friend bool operator==(const retry_scheduled& a, const retry_scheduled& b) {
    return a.run_id == b.run_id && a.attempt == b.attempt && a.due == b.due && a.at == b.at;
  }
};

/// Retention: finished runs (with their output) and old decisions of a job are dropped from the
/// state. Replaying the log drops the same ones, so replay stays consistent.
struct runs_compacted {
  std::string job;
  std::vector<std::string> run_ids;
  uint64_t decisions_dropped = 0;  ///< the oldest this many decision records of the job
  wall_time at;
  friend bool operator==(const runs_compacted& a, const runs_compacted& b) {
    return a.job == b.job && a.run_ids == b.run_ids && a.decisions_dropped == b.decisions_dropped &&
           a.at == b.at;
  }
};

using event = std::variant<scheduler_paused, scheduler_resumed, job_defined, job_removed,
                           job_paused, job_resumed, fire_decided, run_dispatched, run_started,
                           run_finished, retry_scheduled, runs_compacted>;

/// The stable type name stored with each event ("scheduler_paused", ...).
std::string_view event_type(const event& e);

/// The job an event is about: a definition's id, a job or decision event's job, a run event's
/// run's job (from its id); empty for the scheduler's own events. The `job` field of every
/// body the codec writes, and what a stream's `?job=` filter matches.
std::string_view job_of(const event& e);

/// The current schema version of every event type; older versions are upgraded on read.
/// Job and run events first appeared at version 2. v3: fire_decided carries its origin and the
/// cursor it moves the job to, and its reason is one of decision_reason (v2 bodies are upgraded
/// by codec/job_events.cpp); every other type's body is the same at v2 and v3.
inline constexpr int event_schema_version = 3;

}  // namespace vigil::model
