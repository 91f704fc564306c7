// How job and run events change the state, from the events' fields alone (no schedule is
// evaluated: replay depends on the log, not on this machine's cron code or tz database); the
// derived indexes are kept in step here, the schedule look-ahead by refresh_schedules.
#include "model/jobs.hpp"
#include "model/hash.hpp"
#include "model/job_status.hpp"
#include "model/overloaded.hpp"

#include <algorithm>

namespace vigil::model {
namespace {

/// The live count of runs in a status; nothing for final statuses (those are counters).
uint64_t* status_counter(state& s, run_status st) {
  switch (st) {
    case run_status::starting:
      return &s.runs_starting;
    case run_status::running:
      return &s.runs_running;
    case run_status::buffered:
      return &s.runs_buffered;
    case run_status::retry_wait:
      return &s.runs_retry_wait;
    default:
      return nullptr;
  }
}

/// Moves a run to a new status, keeping the per-status counts and the retry index right.
void set_status(state& s, run_record& r, run_status to) {
  if (r.status == run_status::retry_wait && r.retry_at) s.retries.erase({*r.retry_at, r.id});
  if (auto* from = status_counter(s, r.status)) --*from;
  r.status = to;
  if (auto* c = status_counter(s, to)) ++*c;
}

void count_outcome(job_counters& c, run_outcome o) {
  switch (o) {
    case run_outcome::succeeded:
      ++c.succeeded;
      break;
    case run_outcome::failed:
      ++c.failed;
      break;
    case run_outcome::timed_out:
      ++c.timed_out;
      break;
    case run_outcome::cancelled:
      ++c.cancelled;
      break;
    case run_outcome::failed_to_start:
      ++c.failed_to_start;
      break;
    case run_outcome::abandoned:
      ++c.abandoned;
      break;
  }
}

void count_decision(job_counters& c, decision_kind k, uint64_t n) {
  switch (k) {
    case decision_kind::fired:
      c.fired += n;
      break;
    case decision_kind::skipped:
      c.skipped += n;
      break;
    case decision_kind::buffered:
      c.buffered += n;
      break;
    case decision_kind::missed:
      c.missed += n;
      break;
  }
}

void erase_value(std::vector<std::string>& v, const std::string& x) {
  v.erase(std::remove(v.begin(), v.end(), x), v.end());
}

/// The job, writable (cloned first if another copy of the state shares it), stamped with the
/// seq of the event being applied.
job_state& touch(state& s, job_cell& cell) {
  job_state& j = cell.mut();
  j.touched_seq = s.log_seq + 1;
  return j;
}

void set_job_flags(state& s, const job_state& j, int sign) {
  if (j.paused) s.jobs_paused += sign;
  if (!j.spec->enabled) s.jobs_disabled += sign;
}

/// Takes the job out of the timetable until refresh_schedules puts it back where its schedule
/// says: apply changes what the schedule is asked (the cursor, the spec, paused), never asks.
void unschedule(state& s, const std::string& id, job_state& j) {
  if (j.due) s.timetable.erase({*j.due, id});
  j.due.reset();
  s.unscheduled.insert(id);
}

void define(state& s, const job_defined& ev) {
  auto it = s.jobs.find(ev.spec->id);
  if (it == s.jobs.end()) {
    job_state j;
    j.spec = ev.spec;
    j.created_at = j.updated_at = ev.at;
    j.cursor = ev.at;
    j.touched_seq = s.log_seq + 1;
    it = s.jobs.emplace(ev.spec->id, job_cell{std::move(j)}).first;
  } else {
    job_state& j = touch(s, it->second);
    set_job_flags(s, j, -1);
    j.spec = ev.spec;
    ++j.revision;
    j.updated_at = ev.at;
    // A new schedule starts from now: nothing before the change is owed.
    j.cursor = std::max(j.cursor, ev.at);
    j.compiled.reset();  // compiled again by refresh_schedules, for the new spec
  }
  set_job_flags(s, *it->second, +1);
  unschedule(s, it->first, it->second.mut());
}

void remove(state& s, const job_removed& ev) {
  auto it = s.jobs.find(ev.job);
  if (it == s.jobs.end()) return;
  const job_state& j = *it->second;
  if (j.due) s.timetable.erase({*j.due, ev.job});
  set_job_flags(s, j, -1);
  for (const auto& id : j.runs) {
    auto r = s.runs.find(id);
    if (r == s.runs.end()) continue;
    set_status(s, r->second, run_status::cancelled);  // drops it from the live counts
    s.runs.erase(r);
  }
  s.jobs.erase(it);
}

/// Adds [first, last] to sorted, disjoint ranges, merging those it overlaps.
void add_range(std::vector<std::pair<wall_time, wall_time>>& ranges, wall_time first,
               wall_time last) {
  auto it = range_at_or_after(ranges, first);
  auto end = it;
  while (end != ranges.end() && end->first <= last) {
    first = std::min(first, end->first);
    last = std::max(last, end->second);
    ++end;
  }
  it = ranges.erase(it, end);
  ranges.insert(it, {first, last});
}

void decided(state& s, const fire_decided& ev) {
  auto it = s.jobs.find(ev.job);
  if (it == s.jobs.end()) return;
  job_state& j = touch(s, it->second);
  // The event says where the cursor goes (the planner evaluated the schedule): replay depends
  // on the log alone, not on this machine's cron code or tz database.
  if (ev.cursor) j.cursor = std::max(j.cursor, *ev.cursor);
  decision_record d;
  d.seq = s.log_seq + 1;
  d.at = ev.at;
  d.nominal = ev.nominal;
  d.last = ev.last;
  d.count = ev.count;
  d.kind = ev.kind;
  d.reason = to_string(ev.reason);
  d.run_id = ev.run_id;
  j.decisions.push_back(std::move(d));
  if (ev.origin == decision_origin::backfill) {
    const auto [first, last] = ev.covers.value_or(std::pair{ev.nominal, ev.last});
    add_range(j.backfilled, first, std::max(last, ev.last));
  }
  count_decision(j.counters, ev.kind, ev.count);
  count_decision(s.totals, ev.kind, ev.count);
  for (const auto& id : ev.cancels) {
    auto r = s.runs.find(id);
    // Only the job's own runs (a crafted log may name another job's: they go on).
    if (r == s.runs.end() || is_final(r->second.status) || r->second.job != ev.job) continue;
    r->second.cancelling = true;
    if (r->second.status == run_status::retry_wait) {
      // Nothing is running: the cancel is complete here.
      set_status(s, r->second, run_status::cancelled);
      r->second.finished_at = ev.at;
      r->second.retry_at.reset();
      count_outcome(j.counters, run_outcome::cancelled);
      count_outcome(s.totals, run_outcome::cancelled);
      record_attempt(j.status, run_outcome::cancelled, ev.at, std::nullopt);
    }
    erase_value(j.active, id);
  }
  if ((ev.kind == decision_kind::fired || ev.kind == decision_kind::buffered) &&
      s.runs.count(ev.run_id) == 0) {
    run_record r;
    r.id = ev.run_id;
    r.job = ev.job;
    r.nominal = ev.nominal;
    r.reason = to_string(ev.reason);
    r.decided_at = ev.at;
    r.status = ev.kind == decision_kind::fired ? run_status::starting : run_status::buffered;
    ++*status_counter(s, r.status);
    if (ev.kind == decision_kind::fired)
      j.active.push_back(ev.run_id);
    else
      j.buffer.push_back(ev.run_id);
    j.runs.push_back(ev.run_id);
    s.runs.insert_or_assign(ev.run_id, std::move(r));
  }
  unschedule(s, it->first, j);
}

void dispatched(state& s, const run_dispatched& ev) {
  auto r = s.runs.find(ev.run_id);
  if (r == s.runs.end()) return;
  auto j = s.jobs.find(r->second.job);
  if (j == s.jobs.end()) return;
  if (r->second.status == run_status::buffered) {
    job_state& job = touch(s, j->second);
    erase_value(job.buffer, ev.run_id);
    job.active.push_back(ev.run_id);
  }
  set_status(s, r->second, run_status::starting);
  r->second.attempt = ev.attempt;
  r->second.retry_at.reset();
  r->second.started_at.reset();
  r->second.pid = 0;
  r->second.contained.reset();
}

void started(state& s, const run_started& ev) {
  auto r = s.runs.find(ev.run_id);
  if (r == s.runs.end() || r->second.status != run_status::starting) return;
  set_status(s, r->second, run_status::running);
  r->second.pid = ev.pid;
  r->second.contained = ev.contained;
  r->second.started_at = ev.at;
}

void finished(state& s, const run_finished& ev) {
  auto r = s.runs.find(ev.run_id);
  if (r == s.runs.end() || is_final(r->second.status)) return;
  auto j = s.jobs.find(r->second.job);
  run_record& run = r->second;
  if (run.status == run_status::buffered && j != s.jobs.end())
    erase_value(touch(s, j->second).buffer, ev.run_id);
  set_status(s, run, status_of(ev.outcome));
  run.finished_at = ev.at;
  run.exit_code = ev.exit_code;
  run.signal = ev.signal;
  run.elapsed = ev.elapsed;
  run.output = ev.output;
  run.truncated = ev.truncated;
  run.output_bytes = ev.output_bytes;
  run.error = ev.error;
  count_outcome(s.totals, ev.outcome);
  if (j != s.jobs.end()) {
    job_state& job = touch(s, j->second);
    erase_value(job.active, ev.run_id);
    count_outcome(job.counters, ev.outcome);
    record_attempt(job.status, ev.outcome, ev.at, ev.elapsed);
  }
}

void retry(state& s, const retry_scheduled& ev) {
  auto r = s.runs.find(ev.run_id);
  if (r == s.runs.end()) return;
  auto j = s.jobs.find(r->second.job);
  if (j == s.jobs.end()) return;
  run_record& run = r->second;
  if (latest_attempt_ended(run)) {
    // The attempt that failed is kept as it ended; the run's fields go on to the next one.
    run.earlier.push_back(latest_attempt(run));
  }
  set_status(s, r->second, run_status::retry_wait);
  r->second.retry_at = ev.due;
  s.retries.insert({ev.due, ev.run_id});
  job_state& job = touch(s, j->second);
  if (std::find(job.active.begin(), job.active.end(), ev.run_id) == job.active.end())
    job.active.push_back(ev.run_id);
  ++job.counters.retries;
  ++s.totals.retries;
}

void compacted(state& s, const runs_compacted& ev) {
  auto j = s.jobs.find(ev.job);
  if (j == s.jobs.end()) return;
  job_state& job = touch(s, j->second);
  for (const auto& id : ev.run_ids) {
    auto r = s.runs.find(id);
    // Only the job's own finished runs go (a crafted log may name others: they stay).
    if (r == s.runs.end() || !is_final(r->second.status) || r->second.job != ev.job) continue;
    s.runs.erase(r);
    erase_value(job.runs, id);
    erase_value(job.active, id);  // a finished run is in neither, unless a crafted log put it
    erase_value(job.buffer, id);
  }
  auto& d = job.decisions;
  d.erase(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(
                                     std::min<uint64_t>(ev.decisions_dropped, d.size())));
}

}  // namespace

std::shared_ptr<const compiled_job> compile_job(const job_spec& spec) {
  auto parsed = parse_schedule(spec.schedule);
  if (!std::holds_alternative<schedule>(parsed)) return nullptr;
  auto tz = load_zone(spec.time_zone);
  if (!tz) return nullptr;
  auto c = std::make_shared<compiled_job>();
  c->sched = std::get<schedule>(std::move(parsed));
  c->tz = *tz;
  c->jitter_offset = jitter_offset(spec.id, spec.jitter);
  return c;
}

duration jitter_offset(std::string_view job_id, duration jitter) {
  if (jitter.count() <= 0) return duration{0};
  const uint64_t h = fnv1a(job_id);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(jitter).count();
  if (ms <= 0) return duration{0};
  return std::chrono::milliseconds(static_cast<int64_t>(h % static_cast<uint64_t>(ms)));
}

std::optional<wall_time> next_nominal(const compiled_job& c, const job_spec& spec,
                                      wall_time after) {
  // Nominal times are kept at the millisecond precision of the log, strictly increasing.
  wall_time from = after;
  for (int guard = 0; guard < 4; ++guard) {
    auto n = next_fire(c.sched, c.tz, from, spec.dst);
    if (!n) return std::nullopt;
    auto ms = std::chrono::floor<std::chrono::milliseconds>(*n);
    if (ms > after) return wall_time{ms};
    from = *n;
  }
  return std::nullopt;
}

std::vector<wall_time> next_nominals(const job_state& j, wall_time after, size_t count) {
  std::vector<wall_time> out;
  if (!j.compiled) return out;
  auto from = std::max(after, j.cursor);
  while (out.size() < count) {
    const auto n = next_nominal(*j.compiled, *j.spec, from);
    if (!n) break;
    out.push_back(*n);
    from = *n;
  }
  return out;
}

std::vector<definition_warning> definition_warnings(const job_spec& spec, wall_time now) {
  std::vector<definition_warning> out;
  const auto c = compile_job(spec);
  if (c && !next_nominal(*c, spec, now))
    out.push_back({"/schedule", "'" + spec.schedule + "' has no time after " + format_rfc3339(now) +
                                    ": the schedule never fires it (a manual run still does)"});
  return out;
}

bool schedulable(const job_state& j) {
  return j.spec->enabled && !j.paused && j.compiled != nullptr;
}

void reschedule(state& s, const std::string& id, job_state& j) {
  if (j.due) s.timetable.erase({*j.due, id});
  j.due.reset();
  if (!schedulable(j)) return;
  auto n = next_nominal(*j.compiled, *j.spec, j.cursor);
  if (!n) return;
  j.due = *n + j.compiled->jitter_offset;
  s.timetable.insert({*j.due, id});
}

void share_settled(const state& durable, state& pending, const event& e) {
  const std::string* job = std::visit(
      overloaded{[](const job_defined& ev) -> const std::string* { return &ev.spec->id; },
                 [](const job_removed&) -> const std::string* { return nullptr; },
                 [](const job_paused& ev) -> const std::string* { return &ev.job; },
                 [](const job_resumed& ev) -> const std::string* { return &ev.job; },
                 [](const fire_decided& ev) -> const std::string* { return &ev.job; },
                 [](const runs_compacted& ev) -> const std::string* { return &ev.job; },
                 [&](const auto& ev) -> const std::string* {
                   if constexpr (std::is_same_v<std::decay_t<decltype(ev)>, scheduler_paused> ||
                                 std::is_same_v<std::decay_t<decltype(ev)>, scheduler_resumed>) {
                     return nullptr;
                   } else {
                     auto r = durable.runs.find(ev.run_id);
                     return r == durable.runs.end() ? nullptr : &r->second.job;
                   }
                 }},
      e);
  if (job == nullptr) return;
  auto d = durable.jobs.find(*job);
  auto p = pending.jobs.find(*job);
  if (d == durable.jobs.end() || p == pending.jobs.end() || p->second.shares_with(d->second))
    return;
  // Same last event applied to both: the same fold of the same events, so equal.
  if (p->second->touched_seq == d->second->touched_seq && d->second->touched_seq != 0)
    p->second.share(d->second);
}

namespace {

/// Compiles the job's schedule and what is sampled from it at its definition.
void compile(job_state& j) {
  j.compiled = compile_job(*j.spec);
  j.period = j.compiled ? schedule_period(*j.compiled, *j.spec, j.updated_at) : std::nullopt;
  j.timed_after_definition = j.compiled && next_nominal(*j.compiled, *j.spec, j.updated_at);
}

}  // namespace

void refresh_schedules(state& s) {
  for (const auto& id : s.unscheduled) {
    auto it = s.jobs.find(id);
    if (it == s.jobs.end()) continue;  // removed since
    job_state& j = it->second.mut();
    if (!j.compiled) compile(j);
    reschedule(s, id, j);
  }
  s.unscheduled.clear();
}

void rebuild_derived(state& s) {
  s.timetable.clear();
  s.retries.clear();
  s.unscheduled.clear();
  s.jobs_paused = s.jobs_disabled = 0;
  s.runs_starting = s.runs_running = s.runs_buffered = s.runs_retry_wait = 0;
  for (auto& [id, cell] : s.jobs) {
    job_state& j = cell.mut();
    compile(j);
    j.due.reset();
    set_job_flags(s, j, +1);
    reschedule(s, id, j);
  }
  for (const auto& [id, r] : s.runs) {
    if (auto* c = status_counter(s, r.status)) ++*c;
    if (r.status == run_status::retry_wait && r.retry_at) s.retries.insert({*r.retry_at, id});
  }
}

void apply_job_event(state& s, const event& e) {
  std::visit(overloaded{[&](const job_defined& ev) { define(s, ev); },
                        [&](const job_removed& ev) { remove(s, ev); },
                        [&](const job_paused& ev) {
                          auto it = s.jobs.find(ev.job);
                          if (it == s.jobs.end() || it->second->paused) return;
                          job_state& j = touch(s, it->second);
                          j.paused = true;
                          j.pause_reason = ev.reason;
                          j.paused_by = ev.by;
                          j.paused_since = ev.at;
                          ++s.jobs_paused;
                          unschedule(s, it->first, j);
                        },
                        [&](const job_resumed& ev) {
                          auto it = s.jobs.find(ev.job);
                          if (it == s.jobs.end() || !it->second->paused) return;
                          job_state& j = touch(s, it->second);
                          j.paused = false;
                          j.held_from = j.paused_since;
                          j.held_until = ev.at;
                          j.paused_since.reset();
                          j.pause_reason.clear();
                          j.paused_by.clear();
                          --s.jobs_paused;
                          unschedule(s, it->first, j);
                        },
                        [&](const fire_decided& ev) { decided(s, ev); },
                        [&](const run_dispatched& ev) { dispatched(s, ev); },
                        [&](const run_started& ev) { started(s, ev); },
                        [&](const run_finished& ev) { finished(s, ev); },
                        [&](const retry_scheduled& ev) { retry(s, ev); },
                        [&](const runs_compacted& ev) { compacted(s, ev); }, [](const auto&) {}},
             e);
}

}  // namespace vigil::model
