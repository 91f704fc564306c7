// Cycle decisions, runner reports and restarts, each decided and applied one event at a time.
#include "model/planner.hpp"

#include <algorithm>
#include <cmath>

#include "model/decider.hpp"
#include "model/hash.hpp"
#include "model/jobs.hpp"

namespace vigil::model {
namespace {

using std::chrono::milliseconds;

wall_time to_ms(wall_time t) { return wall_time{std::chrono::floor<milliseconds>(t)}; }

struct emitter {
  state& s;
  std::vector<event> out;
  void operator()(event e) {
    apply_in_place(s, e);
    out.push_back(std::move(e));
  }
};

bool inside(const std::optional<wall_time>& from, const std::optional<wall_time>& until,
            wall_time t) {
  return from && until && *from <= t && t <= *until;
}

/// Runs that occupy the job for its overlap policy (a run being cancelled no longer does).
std::vector<std::string> occupying(const state& s, const job_state& j) {
  std::vector<std::string> ids;
  for (const auto& id : j.active) {
    auto r = s.runs.find(id);
    if (r != s.runs.end() && !r->second.cancelling && is_active(r->second.status))
      ids.push_back(id);
  }
  return ids;
}

/// The decision for one nominal time that is to run, under an overlap policy, with `busy`
/// occupying the job and `buffered` runs waiting. The schedule's own decisions (origin schedule
/// or catchup) are for the next nominal time owed, so they move the job's cursor to it; a
/// manual or backfill one is for none and moves nothing.
fire_decided decide_fire(const job_state& j, const std::string& job, wall_time nominal,
                         decision_origin origin, overlap_policy overlap, wall_time now,
                         const std::vector<std::string>& busy, size_t buffered) {
  fire_decided d;
  d.job = job;
  d.nominal = d.last = nominal;
  d.origin = origin;
  d.reason = reason_of(origin);
  if (origin == decision_origin::schedule || origin == decision_origin::catchup) d.cursor = nominal;
  d.at = now;
  const std::string run_id = make_run_id(job, nominal, origin == decision_origin::manual);
  if (busy.empty() || overlap == overlap_policy::allow) {
    d.kind = decision_kind::fired;
    d.run_id = run_id;
    return d;
  }
  switch (overlap) {
    case overlap_policy::skip:
      d.kind = decision_kind::skipped;
      d.reason = decision_reason::overlap;
      break;
    case overlap_policy::buffer_one:
    case overlap_policy::buffer_all: {
      const size_t limit = overlap == overlap_policy::buffer_one ? 1 : j.spec->buffer_limit;
      if (buffered < limit) {
        d.kind = decision_kind::buffered;
        d.run_id = run_id;
      } else {
        d.kind = decision_kind::skipped;
        d.reason = decision_reason::buffer_full;
      }
      break;
    }
    case overlap_policy::cancel_other:
      d.kind = decision_kind::fired;
      d.run_id = run_id;
      d.cancels = busy;
      break;
    case overlap_policy::allow:
      break;
  }
  return d;
}

fire_decided decide_fire(const state& s, const job_state& j, const std::string& job,
                         wall_time nominal, decision_origin origin, overlap_policy overlap,
                         wall_time now) {
  return decide_fire(j, job, nominal, origin, overlap, now, occupying(s, j), j.buffer.size());
}

/// Consecutive nominal times of the schedule decided the same way become one event; the
/// cursor moves through the last of them.
struct range {
  bool is_open = false;
  fire_decided open;
  void add(emitter& emit, const std::string& job, wall_time n, decision_kind kind,
           decision_reason reason, wall_time now) {
    if (is_open && open.kind == kind && open.reason == reason) {
      open.last = n;
      open.cursor = n;
      ++open.count;
      return;
    }
    flush(emit);
    open = fire_decided{};
    open.job = job;
    open.nominal = open.last = n;
    open.cursor = n;
    open.kind = kind;
    open.origin = decision_origin::schedule;
    open.reason = reason;
    open.at = now;
    is_open = true;
  }
  void flush(emitter& emit) {
    if (is_open) emit(open);
    is_open = false;
  }
};

/// Decides the backlog of one job: nominal times whose due time is not after `now`.
void plan_job(emitter& emit, const std::string& id, wall_time now, const cycle_limits& lim) {
  state& s = emit.s;
  auto it = s.jobs.find(id);
  if (it == s.jobs.end() || !schedulable(it->second)) return;
  const job_spec spec = *it->second->spec;  // the spec pointer stays valid; copy for clarity
  const auto& c = *it->second->compiled;
  std::vector<wall_time> backlog;
  bool more = false;
  for (auto n = next_nominal(c, spec, it->second->cursor); n && *n + c.jitter_offset <= now;
       n = next_nominal(c, spec, *n)) {
    if (backlog.size() == lim.backlog_chunk) {
      more = true;
      break;
    }
    backlog.push_back(*n);
  }
  if (backlog.empty()) return;
  auto late = [&](wall_time n) { return now - (n + c.jitter_offset) > spec.misfire_grace; };
  const size_t first_on_time = static_cast<size_t>(
      std::find_if(backlog.begin(), backlog.end(), [&](wall_time n) { return !late(n); }) -
      backlog.begin());
  // Which late ones still run: none, the latest (when nothing newer is owed), or all within
  // the window (at most max_catchup_runs of the newest).
  size_t catchup_from = first_on_time;  // late ones at [catchup_from, first_on_time) run
  if (spec.catchup == catchup_policy::latest && !more && first_on_time == backlog.size() &&
      first_on_time > 0) {
    catchup_from = first_on_time - 1;
  } else if (spec.catchup == catchup_policy::all && !more) {
    size_t i = first_on_time;
    while (i > 0 && first_on_time - (i - 1) <= lim.max_catchup_runs &&
           now - (backlog[i - 1] + c.jitter_offset) <= spec.catchup_window)
      --i;
    catchup_from = i;
  }
  range missed;
  for (size_t i = 0; i < backlog.size(); ++i) {
    const wall_time n = backlog[i];
    if (i < catchup_from) {
      const job_state& j = s.jobs.at(id);
      const bool held =
          inside(j.held_from, j.held_until, n) || inside(s.held_from, s.held_until, n);
      missed.add(emit, id, n, decision_kind::missed,
                 held ? decision_reason::paused : decision_reason::misfire, now);
      continue;
    }
    missed.flush(emit);
    const job_state& j = s.jobs.at(id);
    emit(decide_fire(s, j, id, n,
                     i < first_on_time ? decision_origin::catchup : decision_origin::schedule,
                     spec.overlap, now));
  }
  missed.flush(emit);
}

void dispatch_due_retries(emitter& emit, wall_time now, size_t max_events) {
  state& s = emit.s;
  while (!s.retries.empty() && s.retries.begin()->first <= now && emit.out.size() < max_events) {
    const std::string run_id = s.retries.begin()->second;
    const auto& r = s.runs.at(run_id);
    emit(run_dispatched{run_id, r.attempt + 1, "retry", now});
  }
}

}  // namespace

void apply_in_place(state& s, const event& e) {
  s = apply(std::move(s), e);
  ++s.log_seq;
  refresh_schedules(s);
}

void settle_upgraded(const state& s, event& e) {
  auto* d = std::get_if<fire_decided>(&e);
  if (d == nullptr || !d->legacy_cursor) return;
  d->legacy_cursor = false;
  auto it = s.jobs.find(d->job);
  if (it == s.jobs.end()) return;
  const job_state& j = *it->second;
  const auto c = j.compiled ? j.compiled : compile_job(*j.spec);
  if (c && next_nominal(*c, *j.spec, j.cursor) == std::optional<wall_time>{d->nominal})
    d->cursor = d->last;
}

void fold_stored(state& s, event e, uint64_t seq) {
  settle_upgraded(s, e);
  s = model::apply(std::move(s), e);  // qualified: std::apply would be found for a variant
  s.log_seq = seq;
}

std::vector<event> plan_cycle(state& s, wall_time now, const cycle_limits& limits) {
  now = to_ms(now);
  refresh_schedules(s);  // a state folded by apply alone (a recovery) has its jobs to put back
  emitter emit{s, {}};
  // A pause holds new decisions; runs already decided (retries) go on.
  while (!s.paused && !s.timetable.empty() && s.timetable.begin()->first <= now &&
         emit.out.size() < limits.max_events) {
    const std::string id = s.timetable.begin()->second;
    const size_t before = emit.out.size();
    plan_job(emit, id, now, limits);
    if (emit.out.size() == before) break;  // defensive: a due job that decides nothing
  }
  dispatch_due_retries(emit, now, limits.max_events);
  return std::move(emit.out);
}

std::optional<fire_decided> manual_decision(const state& s, const std::string& job,
                                            std::optional<overlap_policy> overlap, wall_time now) {
  now = to_ms(now);
  auto it = s.jobs.find(job);
  if (it == s.jobs.end()) return std::nullopt;
  const job_state& j = it->second;
  return decide_fire(s, j, job, now, decision_origin::manual, overlap.value_or(j.spec->overlap),
                     now);
}

namespace {

/// Whether a backfill leaves `t` alone: a backfill decided it already, a run for it exists,
/// or the schedule has it — decided after the job was created (unless as missed, and that
/// decision is still retained to say so) or still owed (after the cursor).
bool decided_or_owed(const state& s, const job_state& j, const std::string& job, wall_time t) {
  const auto r = range_at_or_after(j.backfilled, t);
  if (r != j.backfilled.end() && r->first <= t) return true;
  if (s.runs.count(make_run_id(job, t, false))) return true;
  if (t <= j.created_at) return false;  // before the job existed: nothing decided it
  if (t > j.cursor) return true;        // the schedule's to decide
  for (const auto& d : j.decisions)
    if (d.nominal <= t && t <= d.last && d.kind == decision_kind::missed) return false;
  return true;
}

}  // namespace

std::vector<wall_time> nominal_times_in(const job_state& j, wall_time from, wall_time to,
                                        size_t cap) {
  std::vector<wall_time> out;
  if (!j.compiled || to < from) return out;
  for (auto t = next_nominal(*j.compiled, *j.spec, from - milliseconds{1});
       t && *t <= to && out.size() < cap; t = next_nominal(*j.compiled, *j.spec, *t))
    out.push_back(*t);
  return out;
}

std::variant<std::vector<fire_decided>, rejection> plan_backfill(const state& s,
                                                                 const std::string& job,
                                                                 wall_time from, wall_time to,
                                                                 wall_time now, size_t max_times) {
  now = to_ms(now);
  auto it = s.jobs.find(job);
  if (it == s.jobs.end()) return rejection{errc::not_found, "no job '" + job + "'", ""};
  const job_state& j = it->second;
  if (!j.compiled)
    return rejection{errc::conflict, "the job's schedule or time zone cannot be evaluated here",
                     ""};
  if (to < from) return rejection{errc::invalid_argument, "from must not be after to", "/from"};
  if (to > now)
    return rejection{errc::invalid_argument,
                     "to must not be in the future (it is " + format_rfc3339(now) +
                         "): the schedule decides what is to come",
                     "/to"};
  if (j.spec->overlap == overlap_policy::cancel_other)
    return rejection{errc::conflict,
                     "the job's overlap policy is cancel_other: each backfilled time would "
                     "cancel the run before it (and the schedule's own); backfill a job that "
                     "skips, buffers or allows overlap",
                     ""};
  if (j.backfilled.size() >= max_backfill_ranges) {
    const auto r = range_at_or_after(j.backfilled, from);
    if (r == j.backfilled.end() || r->first > to)
      return rejection{errc::conflict,
                       "the job has " + std::to_string(max_backfill_ranges) +
                           " separate backfilled ranges; backfill a range that joins them",
                       "/from"};
  }
  const auto times = nominal_times_in(j, from, to, max_times + 1);
  if (times.size() > max_times)
    return rejection{errc::invalid_argument,
                     "the range holds more than " + std::to_string(max_times) +
                         " nominal times; backfill it in parts",
                     "/to"};
  // One after another at `now`, each seeing the runs the ones before it started or buffered.
  std::vector<std::string> busy = occupying(s, j);
  size_t buffered = j.buffer.size();
  std::vector<fire_decided> out;
  for (const wall_time t : times) {
    if (decided_or_owed(s, j, job, t)) continue;
    auto d =
        decide_fire(j, job, t, decision_origin::backfill, j.spec->overlap, now, busy, buffered);
    d.covers = std::pair{from, to};
    if (d.kind == decision_kind::buffered) ++buffered;
    if (d.kind == decision_kind::fired) {
      if (!d.cancels.empty()) busy.clear();
      busy.push_back(d.run_id);
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<event> on_run_started(state& s, const std::string& run_id, int pid, wall_time at,
                                  std::optional<containment> contained) {
  auto r = s.runs.find(run_id);
  if (r == s.runs.end() || r->second.status != run_status::starting) return {};
  emitter emit{s, {}};
  emit(run_started{run_id, pid, to_ms(at), std::move(contained)});
  return std::move(emit.out);
}

duration retry_backoff(const retry_policy& p, const std::string& run_id, uint32_t attempt) {
  using secs = std::chrono::duration<double>;
  double base = secs(p.initial_backoff).count() *
                std::pow(p.multiplier, static_cast<double>(attempt >= 2 ? attempt - 2 : 0));
  base = std::min(base, secs(p.max_backoff).count());
  uint64_t h = fnv1a(run_id);
  h ^= attempt;
  h *= fnv1a_prime;
  const double u = static_cast<double>(h % 2000001) / 1000000.0 - 1.0;  // [-1, 1]
  const double delay = std::max(0.0, base * (1.0 + p.jitter * u));
  return std::chrono::duration_cast<duration>(
      std::chrono::duration_cast<milliseconds>(secs(delay)));
}

std::vector<event> on_run_finished(state& s, run_finished report) {
  auto r = s.runs.find(report.run_id);
  if (r == s.runs.end() || is_final(r->second.status)) return {};
  report.at = to_ms(report.at);
  const run_record run = r->second;
  emitter emit{s, {}};
  emit(report);
  auto j = s.jobs.find(run.job);
  if (j == s.jobs.end()) return std::move(emit.out);
  const auto& spec = *j->second->spec;
  const bool retryable = report.outcome != run_outcome::succeeded &&
                         report.outcome != run_outcome::cancelled && !run.cancelling &&
                         run.status != run_status::buffered;
  if (retryable && run.attempt < spec.retry.max_attempts) {
    const uint32_t next = run.attempt + 1;
    emit(retry_scheduled{run.id, next, report.at + retry_backoff(spec.retry, run.id, next),
                         report.at});
    return std::move(emit.out);
  }
  const job_state& job = s.jobs.at(run.job);
  if (occupying(s, job).empty() && !job.buffer.empty())
    emit(run_dispatched{job.buffer.front(), 1, "buffer", report.at});
  return std::move(emit.out);
}

std::vector<std::string> orphan_runs(const state& s) {
  std::vector<std::string> orphans;
  for (const auto& [id, r] : s.runs)
    if (r.status == run_status::starting || r.status == run_status::running) orphans.push_back(id);
  std::sort(orphans.begin(), orphans.end());  // deterministic order
  return orphans;
}

std::vector<event> abandon_orphans(state& s, wall_time now) {
  return abandon_orphans(s, now, orphan_runs(s));
}

std::vector<event> abandon_orphans(state& s, wall_time now, const std::vector<std::string>& runs) {
  std::vector<event> out;
  for (const auto& id : runs) {
    auto it = s.runs.find(id);
    if (it == s.runs.end() ||
        (it->second.status != run_status::starting && it->second.status != run_status::running))
      continue;
    const auto& r = it->second;
    run_finished f;
    f.run_id = id;
    f.outcome = run_outcome::abandoned;
    f.error = std::string("the daemon stopped while the run was ") + to_string(r.status) +
              "; whether it finished is unknown";
    f.at = now;
    for (auto& e : on_run_finished(s, std::move(f))) out.push_back(std::move(e));
  }
  return out;
}

std::optional<wall_time> next_wake(const state& s) {
  std::optional<wall_time> t;
  if (!s.paused && !s.timetable.empty()) t = s.timetable.begin()->first;
  if (!s.retries.empty() && (!t || s.retries.begin()->first < *t)) t = s.retries.begin()->first;
  return t;
}

size_t count_overdue(const state& s, wall_time now, duration min_grace, size_t cap) {
  if (s.paused) return 0;
  size_t n = 0;
  for (const auto& [due, id] : s.timetable) {
    if (due + min_grace >= now || n >= cap) break;
    const job_state& j = s.jobs.at(id);
    if (now - due > j.spec->misfire_grace) ++n;
  }
  return n;
}

}  // namespace vigil::model
