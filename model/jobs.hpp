// Jobs in the state: compiling a definition, its next nominal time, and how job and run events
// change the state (the decider's apply delegates here; it evaluates no schedule).
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/events.hpp"
#include "model/state.hpp"

namespace vigil::model {

/// The executable form of a spec; nothing when its schedule or zone cannot be loaded (a log
/// written with a zone this machine's tz database lacks): such a job is kept, never fired.
std::shared_ptr<const compiled_job> compile_job(const job_spec& spec);

/// A deterministic offset in [0, jitter) from the job id (FNV-1a): the same after a restart.
duration jitter_offset(std::string_view job_id, duration jitter);

/// The first nominal time strictly after `after`, at millisecond precision.
std::optional<wall_time> next_nominal(const compiled_job& c, const job_spec& spec, wall_time after);

/// The job's next `count` nominal times after its cursor (or `after`, when later), oldest
/// first; none when this machine cannot compile its schedule (GET /v1/jobs/{id}/next).
std::vector<wall_time> next_nominals(const job_state& j, wall_time after, size_t count);

/// The first of sorted, disjoint [first, last] ranges that ends at or after `t`: the one that
/// holds `t`, if any does, or where it would go (a job's backfilled ranges).
template <class Ranges>
auto range_at_or_after(Ranges& ranges, wall_time t) {
  return std::lower_bound(ranges.begin(), ranges.end(), t,
                          [](const auto& r, wall_time x) { return r.second < x; });
}

/// Something a definition's author should know although the definition is valid.
struct definition_warning {
  std::string field;
  std::string message;
};

/// A schedule with no time after `now` (`@at` in the past, `0 0 30 2 *`): accepted, since a
/// manual run still works, but never fired by the schedule.
std::vector<definition_warning> definition_warnings(const job_spec& spec, wall_time now);

/// Whether the job's schedule is evaluated: enabled, not paused, and compilable.
bool schedulable(const job_state& j);

/// Applies one job or run event. Total: events about unknown jobs or runs change nothing.
/// Evaluates no schedule: a job whose look-ahead changed (its spec, cursor or pause) leaves the
/// timetable and waits in state::unscheduled for refresh_schedules.
void apply_job_event(state& s, const event& e);

/// Recomputes a job's due time and its timetable entry (its schedule compiled already).
void reschedule(state& s, const std::string& id, job_state& j);

/// The schedule look-ahead of every job apply left unscheduled: compiles its spec if needed and
/// puts it back in the timetable at its next nominal time (+ jitter). The planner's business,
/// on this machine's tz database; the durable state does not depend on it.
void refresh_schedules(state& s);

/// After `durable` applied `e` (already applied to `pending` earlier): if `pending` has applied
/// nothing newer to the job `e` touched, both hold equal job states, and `pending` takes
/// durable's, so that the two copies share it again (copy on write) instead of each keeping one.
void share_settled(const state& durable, state& pending, const event& e);

/// Rebuilds everything derived (compiled schedules, timetable, retry index, live counts) from
/// the durable fields: for a state read from a checkpoint.
void rebuild_derived(state& s);

}  // namespace vigil::model
