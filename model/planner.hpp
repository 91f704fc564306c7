// The scheduler's decisions that are not commands: what a cycle fires, what a runner report
// causes, what a restart owes. Each function decides AND applies, one event at a time, to the
// state it is given (the scheduler's optimistic state), so that every decision sees the ones
// before it; it returns the events to make durable, in order. Pure: time comes in as `now`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/events.hpp"
#include "model/rejection.hpp"
#include "model/state.hpp"

namespace vigil::model {

struct cycle_limits {
  size_t max_events = 10000;        ///< per cycle; the rest waits for the next one
  size_t backlog_chunk = 10000;     ///< nominal times of one job looked at per cycle
  uint32_t max_catchup_runs = 100;  ///< catch-up `all` runs at most this many per backlog
};

/// Applies e to s and advances log_seq, as a durable append would, then refreshes the schedule
/// look-ahead of the jobs it touched. The one way the scheduler's state moves.
void apply_in_place(state& s, const event& e);

/// An event read from the log, made ready for apply. A v2 decision whose body cannot tell
/// whether it moved its job's cursor (fire_decided::legacy_cursor) gets the cursor v2's rule
/// gave: `last` when the decision was for the next nominal time the job's schedule owed in
/// `s`, none otherwise (nor when this machine cannot compile the schedule). The one schedule
/// evaluation replay makes, and only for v1/v2 logs; apply itself never evaluates one. Every
/// other event is left as it is.
void settle_upgraded(const state& s, event& e);

/// Folds one event read from the log into `s`, as recovery and a follower do (and every test
/// or tool that replays a log must): settle_upgraded, apply, then `log_seq` = `seq`. The
/// look-ahead is left to refresh_schedules.
void fold_stored(state& s, event e, uint64_t seq);

/// One cycle at `now`: every due nominal time of every schedulable job is decided (fired,
/// skipped, buffered or missed, by the job's catch-up and overlap policies) and every due retry
/// dispatched. Nothing while the scheduler is paused.
std::vector<event> plan_cycle(state& s, wall_time now, const cycle_limits& limits = {});

/// A manual run of `job` at `now` under `overlap` (the job's own policy when empty). The
/// decision may be a skip: that is an answer, not an error. Nothing for an unknown job.
std::optional<fire_decided> manual_decision(const state& s, const std::string& job,
                                            std::optional<overlap_policy> overlap, wall_time now);

/// The most nominal times one backfill request may cover.
inline constexpr size_t max_backfill_times = 1000;
/// The most separate backfilled ranges a job keeps (a request that joins them is still taken).
inline constexpr size_t max_backfill_ranges = 1000;

/// The job's nominal times in [from, to], oldest first, at most `cap` of them.
std::vector<wall_time> nominal_times_in(const job_state& j, wall_time from, wall_time to,
                                        size_t cap);

/// A backfill of [from, to] (`to` not after `now`, at most `max_times` nominal times): the
/// decisions for the job's nominal times in it that nothing has decided or owes (see
/// docs/api.md), oldest first, under the job's overlap policy as if each came after the one
/// before it. Empty when everything in the range is decided already: a repeat decides nothing.
std::variant<std::vector<fire_decided>, rejection> plan_backfill(
    const state& s, const std::string& job, wall_time from, wall_time to, wall_time now,
    size_t max_times = max_backfill_times);

/// The runner reports a start / an end. Unknown or finished runs yield nothing.
std::vector<event> on_run_started(state& s, const std::string& run_id, int pid, wall_time at,
                                  std::optional<containment> contained = std::nullopt);
/// An end is logged; then a retry is scheduled (per the job's retry policy) or, when the job is
/// free, its oldest buffered run is dispatched.
std::vector<event> on_run_finished(state& s, run_finished report);

/// Runs a previous process left starting or running, in id order.
std::vector<std::string> orphan_runs(const state& s);

/// Runs a previous process left starting or running: their end is unknown, so each is
/// finished as abandoned (and retried or followed per policy). Called once after recovery.
std::vector<event> abandon_orphans(state& s, wall_time now);
/// The same for `runs` only, those of them still starting or running: the orphans the runner
/// found gone. The ones whose processes still live stay active (they count for overlap,
/// nothing retries them) until the runner reports them gone.
std::vector<event> abandon_orphans(state& s, wall_time now, const std::vector<std::string>& runs);

/// The next instant at which plan_cycle has something to do (a due fire or retry).
std::optional<wall_time> next_wake(const state& s);

/// Jobs whose due time passed by more than their misfire grace (and at least `min_grace`, the
/// scheduler's own slack) with nothing decided, counted up to `cap`. 0 while paused.
size_t count_overdue(const state& s, wall_time now, duration min_grace, size_t cap = 1000);

/// The retry delay before `attempt` (2, 3, ...): initial * multiplier^(attempt-2), capped, then
/// +- jitter deterministically from the run id, so a replay or a restart gets the same.
duration retry_backoff(const retry_policy& p, const std::string& run_id, uint32_t attempt);

}  // namespace vigil::model
