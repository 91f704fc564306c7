// The scheduler's behavior: tick and wake-ups decide fires; commands and runner reports become
// events; decide -> append -> apply -> publish -> reply/order; checkpoints.
#include "actors/scheduler.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <deque>
#include <set>
#include <thread>

#include "actors/event_log.hpp"
#include "actors/publisher.hpp"
#include "codec/events.hpp"
#include "codec/job_views.hpp"
#include "model/decider.hpp"
#include "model/jobs.hpp"

namespace vigil::actors {
namespace {

/// What a batch is for, so its outcome reaches the right place.
struct batch_origin {
  /// A command's promise (commands only), and the command for its answer's view.
  std::optional<caf::typed_response_promise<command_result>> promise;
  std::optional<model::command> command;
  /// Runner reports carried by the batch: re-decided later if the batch fails.
  std::vector<std::pair<std::string, int>> starts;  ///< (run id, pid); time in start_times
  std::vector<model::wall_time> start_times;
  std::vector<model::containment> start_containments;
  std::vector<model::run_finished> ends;
  bool orphans = false;  ///< it abandons a previous process's runs: redone if it fails
};

struct scheduler_state {
  scheduler_config cfg;
  publisher out;
  model::phase phase = model::phase::starting;
  model::state durable;  ///< acknowledged by the journal and applied
  model::state pending;  ///< durable + events still in flight to the journal: decide on this
  /// Bumped when an append fails: batches decided before that are doomed (their expected
  /// sequence numbers no longer match the log) and must not count in `pending`.
  uint64_t generation = 0;
  model::cycle_stats cycles;
  model::run_durations durations =
      model::run_duration_histogram();  ///< of attempts finished (durably) in this process
  model::journal_status journal;
  bool probing = false;
  model::wall_time last_probe{};
  uint64_t checkpoint_seq = 0;  ///< log_seq of the last checkpoint asked for
  model::wall_time checkpoint_time{};
  uint64_t version = 0;
  model::wall_time started_at{};
  size_t appends_in_flight = 0;
  bool orphans_done = false;   ///< runs of a previous process accounted for
  bool orphans_asked = false;  ///< the runner was asked which of them still live
  bool orphans_known = false;  ///< ... and answered (or there is no runner)
  /// The orphans the runner found gone, to abandon now. Only these: runs decided since then
  /// (a manual run while the runner looked) are this process's own; the live ones are abandoned
  /// when the runner reports them gone.
  std::vector<std::string> orphans_gone;
  std::string retention_cursor;  ///< the last job retention looked at (round robin)
  model::wall_time last_retention{};
  std::optional<model::wall_time> wake_at;  ///< the earliest wake-up already asked for
  /// Runner reports whose batch failed: decided again once the log takes writes.
  std::deque<batch_origin> unlogged;
  bool runner_drained = false;
  bool runner_drain_asked = false;
  std::vector<caf::typed_response_promise<caf::ok_atom>> drain_waiters;
  // On a shared log (cfg.clustered) only.
  enum class standing { follower, catching_up, leader } role = standing::follower;
  uint64_t term = 0;  ///< the term this node leads, or is catching up to lead
  std::optional<model::mono_time> valid_until;  ///< act strictly before this (leader)
  model::cluster_status cluster;                ///< as the lease actor last said
  uint64_t log_end = 0;                         ///< the log's end as last read
  model::mono_time caught_up_at{};
  bool catch_up_reading = false;  ///< a catch-up read is in flight to the journal
  static inline const char* name = "scheduler";
};

using scheduler_pointer = scheduler_actor::stateful_pointer<scheduler_state>;

model::wall_time now(scheduler_pointer self) { return self->state.cfg.wall_clock(); }

/// Whether this node may decide, start runs and append now: always on its own log; on a
/// shared log only as leader and strictly before its lease's validity ends.
bool leading(scheduler_pointer self) {
  auto& st = self->state;
  if (!st.cfg.clustered) return true;
  return st.role == scheduler_state::standing::leader && st.valid_until &&
         st.cfg.mono_clock() < *st.valid_until;
}

model::cluster_status cluster_now(scheduler_pointer self) {
  auto& st = self->state;
  if (!st.cfg.clustered) return {};
  auto c = st.cluster;
  c.enabled = true;
  c.role = st.role == scheduler_state::standing::leader ? model::cluster_role::leader
                                                        : model::cluster_role::follower;
  c.lease_ttl = st.cfg.lease_ttl;
  c.lag_events = st.log_end > st.durable.log_seq ? st.log_end - st.durable.log_seq : 0;
  if (st.role == scheduler_state::standing::leader) c.lag_events = 0;
  const auto mono = st.cfg.mono_clock();
  if (c.lag_events == 0) st.caught_up_at = mono;
  c.lag = mono - st.caught_up_at;
  return c;
}

model::snapshot_ptr publish(scheduler_pointer self) {
  auto& st = self->state;
  const auto t = now(self);
  const auto overdue = model::count_overdue(st.durable, t, 2 * st.cfg.tick_interval);
  auto snap = model::make_snapshot(st.cfg.id, ++st.version, st.phase, st.durable, st.cycles,
                                   st.journal, st.cfg.tick_interval, st.started_at, t, overdue,
                                   st.durations, cluster_now(self));
  st.out.publish(self, snap);
  return snap;
}

bool runner_idle(scheduler_pointer self) {
  auto& st = self->state;
  return !st.cfg.runner || st.runner_drained;
}

/// Once draining, with nothing in flight to the journal and every run ended, it is stopped.
void finish_drain_if_idle(scheduler_pointer self) {
  auto& st = self->state;
  if (st.phase != model::phase::draining || st.appends_in_flight > 0 || !runner_idle(self) ||
      !st.unlogged.empty())
    return;
  st.phase = model::phase::stopped;
  publish(self);
  for (auto& w : st.drain_waiters) w.deliver(caf::ok_atom::value);
  st.drain_waiters.clear();
}

void journal_failed(scheduler_pointer self, const std::string& error) {
  auto& j = self->state.journal;
  if (j.ok) {
    // The first probe comes one probe interval after the failure, not at the next tick: space
    // freed by the failed write itself must not pass for a recovery a moment later.
    j.failing_since = now(self);
    self->state.last_probe = now(self);
  }
  j.ok = false;
  j.error = error;
}

void journal_recovered(scheduler_pointer self) { self->state.journal = {}; }

/// Asks the journal, at most once per probe interval, whether it takes writes again.
void probe_if_failing(scheduler_pointer self) {
  auto& st = self->state;
  const auto t = now(self);
  if (st.journal.ok || st.probing || t - st.last_probe < st.cfg.probe_interval) return;
  st.probing = true;
  st.last_probe = t;
  self->request(st.cfg.journal, caf::infinite, probe_atom::value)
      .then(
          [self](const append_ack& ack) {
            self->state.probing = false;
            if (ack.ok)
              journal_recovered(self);
            else
              journal_failed(self, ack.error);
          },
          [self](caf::error& err) {
            self->state.probing = false;
            journal_failed(self, "journal: " + to_string(err));
          });
}

/// Checkpoints the durable state when model::checkpoint_due says so.
void checkpoint_if_due(scheduler_pointer self) {
  auto& st = self->state;
  if (!leading(self)) return;  // one writer of the shared log's checkpoints: its leader
  const auto t = now(self);
  if (!model::checkpoint_due({st.cfg.checkpoint_every, st.cfg.checkpoint_interval},
                             st.durable.log_seq - st.checkpoint_seq, st.durable.jobs.size(),
                             t - st.checkpoint_time))
    return;
  st.checkpoint_seq = st.durable.log_seq;
  st.checkpoint_time = t;
  self->send(st.cfg.journal, checkpoint_atom::value, st.durable);
}

/// Sends the runner what durable events ask for (model::orders_for: starts and cancels).
void send_orders(scheduler_pointer self, const std::vector<model::event>& events) {
  auto& st = self->state;
  if (!st.cfg.runner || !leading(self)) return;
  for (auto& o : model::orders_for(st.durable, events)) {
    if (auto* start = std::get_if<model::run_order>(&o))
      self->send(st.cfg.runner, run_atom::value, std::move(*start));
    else
      self->send(st.cfg.runner, cancel_atom::value, std::get<model::cancel_order>(o).run_id);
  }
}

void arm_wake(scheduler_pointer self);
void step_down(scheduler_pointer self, const std::string& why);
void add_values(const model::state& s, const model::command& cmd, command_result& r,
                model::wall_time now);

/// Appends events already applied to `pending`. On success: durable, orders, publish, answer.
/// On failure: pending falls back to durable, the origin is told (or its reports kept).
void append(scheduler_pointer self, std::vector<model::event> events, model::wall_time at,
            uint64_t expected_next, batch_origin origin) {
  auto& st = self->state;
  ++st.appends_in_flight;
  const uint64_t generation = st.generation;
  auto fail = [self, generation](batch_origin& origin, const std::string& why) {
    auto& st = self->state;
    if (generation == st.generation) {
      // Nothing of this batch became durable: forget the optimistic state built on it.
      ++st.generation;
      st.pending = st.durable;
    }
    if (origin.orphans) st.orphans_done = false;  // pending fell back: they are running again
    if (origin.promise) {
      origin.promise->deliver(command_result::refusal({model::errc::unavailable, why, ""}));
    } else if (!origin.starts.empty() || !origin.ends.empty()) {
      st.unlogged.push_back(std::move(origin));
    }
  };
  self->request(st.cfg.journal, caf::infinite, append_atom::value,
                event_batch{events, at, expected_next})
      .then(
          [self, events, origin, fail](const append_ack& ack) mutable {
            auto& st = self->state;
            --st.appends_in_flight;
            if (ack.ok) {
              // After a step-down the tail may have folded some of these already.
              uint64_t seq = ack.last_seq + 1 - events.size();
              for (const auto& e : events) {
                if (seq++ <= st.durable.log_seq) continue;
                log_durable_event(st.durable, e);
                model::apply_in_place(st.durable, e);
                model::share_settled(st.durable, st.pending, e);
                if (const auto* f = std::get_if<model::run_finished>(&e);
                    f && f->outcome != model::run_outcome::abandoned)
                  st.durations.observe(model::to_seconds(f->elapsed));
              }
              st.durable.log_seq = std::max(st.durable.log_seq, ack.last_seq);
              if (!st.journal.ok) journal_recovered(self);
              send_orders(self, events);
              checkpoint_if_due(self);
              auto snap = publish(self);
              if (origin.promise) {
                auto r = command_result::done(true, snap, events);
                if (origin.command) add_values(st.durable, *origin.command, r, now(self));
                origin.promise->deliver(std::move(r));
              }
              arm_wake(self);
            } else {
              if (!ack.conflict) journal_failed(self, ack.error);
              // On a shared log a conflict means this node's view of the log is stale (an
              // append whose outcome was unknown may have committed): step down, and fold the
              // log again before leading again (the lease, still held, says so at once).
              if (ack.fenced || (ack.conflict && st.cfg.clustered)) step_down(self, ack.error);
              fail(origin, "event log: " + ack.error);
              publish(self);  // health learns of the failure now, not at the next tick
            }
            finish_drain_if_idle(self);
          },
          [self, origin, fail](caf::error& err) mutable {
            --self->state.appends_in_flight;
            journal_failed(self, "journal: " + to_string(err));
            fail(origin, "journal: " + to_string(err));
            finish_drain_if_idle(self);
          });
}

/// Decides runner reports against `pending` and appends them as one batch. While the log
/// refuses writes (or older reports still wait), they queue, in order.
void log_reports(scheduler_pointer self, batch_origin origin, bool queued = false) {
  auto& st = self->state;
  if (!leading(self)) return;  // not this node's to log: the leader abandons these runs
  if (!queued && (!st.journal.ok || !st.unlogged.empty())) {
    st.unlogged.push_back(std::move(origin));
    return;
  }
  const uint64_t expected_next = st.pending.log_seq + 1;
  std::vector<model::event> events;
  for (size_t i = 0; i < origin.starts.size(); ++i)
    for (auto& e :
         model::on_run_started(st.pending, origin.starts[i].first, origin.starts[i].second,
                               origin.start_times[i], origin.start_containments[i]))
      events.push_back(std::move(e));
  for (const auto& f : origin.ends)
    for (auto& e : model::on_run_finished(st.pending, f)) events.push_back(std::move(e));
  if (events.empty()) return;  // reports about runs this state no longer has
  append(self, std::move(events), now(self), expected_next, std::move(origin));
}

/// The decisions that are due now: a previous process's orphans once, then due fires and
/// retries. One cycle batch in flight at a time; nothing while the log refuses writes.
/// Reports whose batch failed go first, in their order, once the log takes writes.
void flush_unlogged(scheduler_pointer self) {
  auto& st = self->state;
  while (st.journal.ok && !st.unlogged.empty()) {
    auto origin = std::move(st.unlogged.front());
    st.unlogged.pop_front();
    log_reports(self, std::move(origin), true);
  }
}

void decide_due(scheduler_pointer self);

/// Once, before any orphan is abandoned: asks the runner which runs of a previous process still
/// have processes. Those stay active (they count for overlap, nothing retries them) until the
/// runner reports them gone; the others are abandoned at the next decision. The runner does the
/// looking and the waiting, never this actor.
void ask_about_orphans(scheduler_pointer self) {
  auto& st = self->state;
  if (st.orphans_asked) return;
  st.orphans_asked = true;
  const auto ids = model::orphan_runs(st.pending);
  st.orphans_gone = ids;  // until the runner says which still live
  // On a shared log the runs belong to the leader before this one, whose lease has surely
  // expired: it stopped them when it stepped down (or died). None is this node's to watch.
  if (!st.cfg.runner || ids.empty() || st.cfg.clustered) {
    st.orphans_known = true;
    return;
  }
  const auto t = now(self);
  std::vector<orphan_order> orders;
  for (const auto& id : ids) {
    const auto& r = st.pending.runs.at(id);
    orphan_order o;
    o.run_id = id;
    o.attempt = r.attempt;
    o.status = model::to_string(r.status);
    o.contained = r.contained;
    auto j = st.pending.jobs.find(r.job);
    if (j != st.pending.jobs.end()) {
      const auto& spec = *j->second->spec;
      o.policy = spec.orphans;
      o.kill_grace = spec.kill_grace;
      if (spec.timeout > model::duration{0}) {
        const auto left = r.started_at.value_or(r.decided_at) + spec.timeout - t;
        o.timeout = std::max(left, model::duration{std::chrono::milliseconds{1}});
      }
    }
    orders.push_back(std::move(o));
  }
  self->request(st.cfg.runner, caf::infinite, orphans_atom::value, std::move(orders))
      .then(
          [self](const std::vector<std::string>& alive) {
            auto& gone = self->state.orphans_gone;
            const std::set<std::string> live(alive.begin(), alive.end());
            gone.erase(std::remove_if(gone.begin(), gone.end(),
                                      [&](const std::string& id) { return live.count(id) != 0; }),
                       gone.end());
            self->state.orphans_known = true;
            decide_due(self);
            arm_wake(self);
          },
          [self](caf::error&) {
            // No runner to ask: nothing can be watched, so every orphan is abandoned as before.
            self->state.orphans_known = true;
            decide_due(self);
          });
}

void decide_due(scheduler_pointer self) {
  auto& st = self->state;
  if (!leading(self)) return;
  flush_unlogged(self);
  // Batches pipeline: each is decided on `pending`, which already holds the ones in flight, so
  // a fire that comes due while the last batch waits for its fsync is decided on time.
  if (st.phase != model::phase::running || !st.journal.ok) return;
  const auto t = now(self);
  const uint64_t expected_next = st.pending.log_seq + 1;
  std::vector<model::event> events;
  ask_about_orphans(self);
  const bool orphans = !st.orphans_done && st.orphans_known;
  if (orphans) events = model::abandon_orphans(st.pending, t, st.orphans_gone);
  for (auto& e : model::plan_cycle(st.pending, t, st.cfg.limits)) events.push_back(std::move(e));
  // Retention rides along at most once per tick interval (wake-ups come far more often).
  if (t - st.last_retention >= st.cfg.tick_interval) {
    st.last_retention = t;
    for (auto& e : model::plan_retention(st.pending, t, st.cfg.retention, st.retention_cursor))
      events.push_back(std::move(e));
  }
  if (events.empty()) {
    if (orphans) st.orphans_done = true;
    return;
  }
  batch_origin origin;
  origin.orphans = orphans;
  // Orphans count as handled once their batch is durable; if it fails, the next try redoes it.
  if (orphans) st.orphans_done = true;
  append(self, std::move(events), t, expected_next, std::move(origin));
}

/// Asks for a wake-up at the next due fire or retry when that is before the next tick.
void arm_wake(scheduler_pointer self) {
  auto& st = self->state;
  const auto next = model::next_wake(st.pending);
  if (!next) return;
  if (st.wake_at && *st.wake_at <= *next) return;  // an earlier one is coming
  const auto t = now(self);
  const auto delay = *next > t ? *next - t : model::duration{0};
  if (delay >= st.cfg.tick_interval) return;  // the tick will see it
  st.wake_at = *next;
  self->delayed_send(
      self,
      std::chrono::duration_cast<std::chrono::microseconds>(delay) + std::chrono::microseconds{1},
      wake_atom::value);
}

/// One scheduling cycle. The heartbeat is this function's snapshot: a wedged loop stops it.
void run_cycle(scheduler_pointer self) {
  auto& st = self->state;
  const auto started = now(self);
  std::string error;
  probe_if_failing(self);
  decide_due(self);
  checkpoint_if_due(self);
  if (!st.journal.ok) error = "event log refuses writes: decisions wait";
  model::record_cycle(st.cycles, started, now(self), error);
  publish(self);
  arm_wake(self);
}

/// What a job command's answer is rendered from (by http/), out of the durable state once its
/// events are applied: the job as it is now, a definition's warnings, a backfill's range.
void add_values(const model::state& s, const model::command& cmd, command_result& r,
                model::wall_time now) {
  auto job = [&](const std::string& id) {
    if (auto it = s.jobs.find(id); it != s.jobs.end()) r.job = it->second;
  };
  std::visit(
      [&](const auto& c) {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, model::pause_scheduler> ||
                      std::is_same_v<C, model::resume_scheduler>) {
          return;  // answered with the snapshot
        } else {
          r.command = c;
          if constexpr (std::is_same_v<C, model::define_job>) {
            job(c.spec->id);
            for (const auto& e : r.events)
              if (const auto* d = std::get_if<model::job_defined>(&e)) r.created = d->created;
            r.warnings = model::definition_warnings(*c.spec, now);
          } else if constexpr (std::is_same_v<C, model::pause_job> ||
                               std::is_same_v<C, model::resume_job>) {
            job(c.job);
          } else if constexpr (std::is_same_v<C, model::backfill_job>) {
            if (auto it = s.jobs.find(c.job); it != s.jobs.end())
              r.backfill_times =
                  model::nominal_times_in(*it->second, c.from, c.to, model::max_backfill_times)
                      .size();
          }
        }
      },
      cmd);
}

command_result refused(model::errc code, std::string why) {
  return command_result::refusal({code, std::move(why), ""});
}

job_answer not_found(const std::string& what) {
  job_answer a;
  a.refused = model::rejection{model::errc::not_found, what, ""};
  return a;
}

/// A run's output from its record: what the run's latest ended attempt printed (the tail, its
/// marker line taken off, positions as the process counted them). A run going on elsewhere (a
/// follower's view), or not yet started, has no bytes here yet.
output_answer output_of(const model::state& s, const output_query& q) {
  output_answer a;
  auto r = s.runs.find(q.run_id);
  if (r == s.runs.end() || r->second.job != q.job) {
    a.refused = model::rejection{model::errc::not_found,
                                 "no run '" + q.run_id + "' of job '" + q.job +
                                     "' (it may have been compacted by retention)",
                                 ""};
    return a;
  }
  const model::run_record& run = r->second;
  a.run_status = model::to_string(run.status);
  a.attempt = run.attempt;
  if (q.attempt && *q.attempt < run.attempt) {
    // An attempt a retry followed: it ended; its bytes went with it (the record keeps the
    // latest attempt's output), so its end is where the reader is.
    for (const auto& e : run.earlier)
      if (e.attempt == *q.attempt) {
        a.attempt = e.attempt;
        a.run_status = model::to_string(e.ended);
        a.read.offset = a.read.total = q.offset;
        a.read.ended = exec::output_end{model::to_string(e.ended), e.exit_code, e.signal};
        return a;
      }
    a.refused = model::rejection{
        model::errc::not_found,
        "run '" + q.run_id + "' has no attempt " + std::to_string(*q.attempt) + " on record", ""};
    return a;
  }
  const bool ended = model::is_final(run.status) || run.status == model::run_status::retry_wait;
  if (!ended) {
    // Nothing of it here yet (it runs elsewhere, or its end is not durable yet): the reader
    // stays where it is.
    a.read.offset = a.read.total = q.offset;
    return a;
  }
  std::string_view text = run.output ? std::string_view{*run.output} : std::string_view{};
  constexpr std::string_view marker = "[vigil: output truncated, ";
  if (run.truncated && text.substr(0, marker.size()) == marker) {
    const auto nl = text.find('\n');
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  const uint64_t total = std::max<uint64_t>(run.output_bytes, text.size());
  const uint64_t first = total - text.size();
  auto& out = a.read;
  out.total = total;
  out.offset = std::min(std::max(q.offset, first), total);
  out.dropped = q.offset < first ? first - q.offset : 0;
  const auto n = static_cast<size_t>(std::min<uint64_t>(total - out.offset, q.max));
  out.bytes = std::string{text.substr(static_cast<size_t>(out.offset - first), n)};
  if (out.offset + out.bytes.size() == total) {
    // The attempt that printed it: a run waiting for a retry shows the one that failed.
    const auto status = run.status == model::run_status::retry_wait && !run.earlier.empty()
                            ? run.earlier.back().ended
                            : run.status;
    out.ended = exec::output_end{model::to_string(status), run.exit_code, run.signal};
  }
  return a;
}

job_answer answer_query(const model::state& s, const job_query& q, model::wall_time now) {
  job_answer a;
  a.now = now;
  if (q.kind == job_query::list) {
    a.jobs = model::select_jobs(s, q.cursor, q.limit, q.filter, 10'000, q.prefix);
    return a;
  }
  auto it = s.jobs.find(q.job);
  if (it == s.jobs.end()) return not_found("no job '" + q.job + "'");
  switch (q.kind) {
    case job_query::runs:
      a.runs = model::select_runs(s, it->second, q.cursor, q.limit);
      break;
    case job_query::run: {
      auto r = s.runs.find(q.run_id);
      if (r == s.runs.end() || r->second.job != q.job)
        return not_found("no run '" + q.run_id + "' of job '" + q.job +
                         "' (it may have been "
                         "compacted by retention)");
      a.runs.runs.push_back(r->second);
      break;
    }
    case job_query::get:
    case job_query::decisions:
    case job_query::next:
    case job_query::list:
      a.job = it->second;
      break;
  }
  return a;
}

/// A definition decided and not made durable: the answer it would get, from a scratch state
/// that holds only that job (shared, copied on write: not a copy of every job, nor of its runs,
/// which neither a definition nor the job's view touches), with the events applied.
command_result dry_run_result(const model::state& s, const model::define_job& def,
                              std::vector<model::event> events, model::wall_time now) {
  const std::string& id = def.spec->id;
  model::state scratch;
  if (auto it = s.jobs.find(id); it != s.jobs.end()) scratch.jobs.emplace(id, it->second);
  for (const auto& e : events) model::apply_in_place(scratch, e);
  model::refresh_schedules(scratch);
  auto r = command_result::done(!events.empty(), nullptr, std::move(events));
  add_values(scratch, def, r, now);
  return r;
}

caf::typed_response_promise<command_result> handle_command(scheduler_pointer self,
                                                           model::command& cmd) {
  auto& st = self->state;
  auto promise = self->make_response_promise<command_result>();
  if (st.phase != model::phase::running) {
    promise.deliver(refused(model::errc::unavailable, st.phase == model::phase::starting
                                                          ? "scheduler is still starting"
                                                          : "scheduler is shutting down"));
    return promise;
  }
  if (!leading(self)) {
    using standing = scheduler_state::standing;
    command_result r = refused(model::errc::unavailable, "no leader: commands wait for one");
    if (st.role != standing::follower) {
      r.rejected.detail = "this node is taking over as leader; retry in a moment";
    } else if (!st.cluster.leader_node.empty() && st.cluster.leader_node != st.cfg.id.node &&
               !st.cluster.leader_url.empty()) {
      r = refused(model::errc::not_leader, "this node follows; the leader is " +
                                               st.cluster.leader_node + " at " +
                                               st.cluster.leader_url);
      r.leader_url = st.cluster.leader_url;
    }
    promise.deliver(std::move(r));
    return promise;
  }
  const auto at = now(self);
  auto decision = model::decide(st.pending, cmd, at);
  if (auto* refusal = std::get_if<model::rejection>(&decision)) {
    promise.deliver(command_result::refusal(std::move(*refusal)));
    return promise;
  }
  auto events = std::get<std::vector<model::event>>(std::move(decision));
  if (const auto* def = std::get_if<model::define_job>(&cmd); def && def->dry_run) {
    promise.deliver(dry_run_result(st.pending, *def, std::move(events), at));
    return promise;
  }
  if (events.empty()) {  // already satisfied: nothing to make durable
    auto r = command_result::done(false, publish(self), {});
    add_values(st.durable, cmd, r, now(self));
    promise.deliver(std::move(r));
    return promise;
  }
  const uint64_t expected_next = st.pending.log_seq + 1;
  for (const auto& e : events) model::apply_in_place(st.pending, e);
  batch_origin origin;
  origin.promise = promise;
  origin.command = std::move(cmd);
  append(self, std::move(events), at, expected_next, std::move(origin));
  return promise;
}

// ---- A node of a cluster: follow, take over, lead, step down -------------------------------

/// Folds events others appended, in order, with the same apply as everywhere: those already
/// applied are skipped, a gap stops the fold (the tail reads again from where this node is).
/// False when the page did not follow on or an event cannot be decoded.
bool fold(scheduler_pointer self, const std::vector<store::stored_event>& events) {
  auto& st = self->state;
  bool applied = false;
  bool ok = true;
  for (const auto& stored : events) {
    if (stored.seq <= st.durable.log_seq) continue;
    if (stored.seq != st.durable.log_seq + 1) {
      write_log_line({event_log_line::warn, "cluster: the log jumps from seq " +
                                                std::to_string(st.durable.log_seq) + " to " +
                                                std::to_string(stored.seq) + "; reading it again"});
      ok = false;
      break;
    }
    auto e = codec::decode_event(stored.type, stored.schema_version, stored.body);
    if (!e) {
      write_log_line({event_log_line::warn, "cluster: cannot decode event at seq " +
                                                std::to_string(stored.seq) + " (type " +
                                                stored.type + "); this node stops following"});
      ok = false;
      break;
    }
    model::fold_stored(st.durable, std::move(*e), stored.seq);
    model::refresh_schedules(st.durable);
    applied = true;
  }
  if (applied) {
    st.log_end = std::max(st.log_end, st.durable.log_seq);
    st.pending = st.durable;
    ++st.generation;
    if (st.cfg.lease) self->send(st.cfg.lease, position_atom::value, st.durable.log_seq);
  }
  if (!ok && st.cfg.tail) self->send(st.cfg.tail, position_atom::value, st.durable.log_seq);
  return ok;
}

/// Stops acting for the lease at once: no decision, no append, no run of this node goes on.
void step_down(scheduler_pointer self, const std::string& why) {
  auto& st = self->state;
  using standing = scheduler_state::standing;
  if (st.role == standing::follower) return;
  write_log_line({event_log_line::warn, "cluster: " + st.cfg.id.node + " steps down from term " +
                                            std::to_string(st.term) + ": " + why});
  st.role = standing::follower;
  st.valid_until.reset();
  st.pending = st.durable;
  ++st.generation;
  st.unlogged.clear();
  // Its runs are stopped now, before another node may take over; their ends are not this
  // node's to log (the next leader abandons them and retries them by their policy).
  if (st.cfg.runner) self->send(st.cfg.runner, hurry_atom::value);
  if (st.cfg.lease) self->send(st.cfg.lease, position_atom::value, st.durable.log_seq);
  publish(self);
}

void become_leader(scheduler_pointer self) {
  auto& st = self->state;
  st.role = scheduler_state::standing::leader;
  st.pending = st.durable;
  ++st.generation;
  st.unlogged.clear();
  // Whatever the last leader left starting or running is decided on again, once.
  st.orphans_asked = st.orphans_known = st.orphans_done = false;
  st.orphans_gone.clear();
  st.checkpoint_seq = st.durable.log_seq;
  st.checkpoint_time = now(self);
  write_log_line({event_log_line::info, "cluster: " + st.cfg.id.node + " leads term " +
                                            std::to_string(st.term) + " from seq " +
                                            std::to_string(st.durable.log_seq)});
  if (!leading(self)) return;  // the validity ran out while catching up: the next news says
  decide_due(self);
  publish(self);
  arm_wake(self);
}

/// A new leader folds the whole log before it decides anything: every event of the terms
/// before committed before its takeover did, so reading to the end finds them all.
void catch_up(scheduler_pointer self) {
  auto& st = self->state;
  if (st.catch_up_reading || st.role != scheduler_state::standing::catching_up) return;
  st.catch_up_reading = true;
  const uint64_t term = st.term;
  self->request(st.cfg.journal, caf::infinite, events_atom::value, st.durable.log_seq,
                uint64_t{4096})
      .then(
          [self, term](const event_page& page) {
            auto& st = self->state;
            st.catch_up_reading = false;
            if (st.role != scheduler_state::standing::catching_up || st.term != term) return;
            if (!page.ok) return;  // the next lease news tries again
            st.log_end = std::max(st.log_end, page.last_seq);
            if (!fold(self, page.events)) return;
            if (page.events.empty() && page.last_seq <= st.durable.log_seq)
              become_leader(self);
            else
              catch_up(self);
          },
          [self](caf::error&) { self->state.catch_up_reading = false; });
}

/// Steps down the moment the validity ends, even if no news or tick comes by then.
void arm_expiry(scheduler_pointer self) {
  auto& st = self->state;
  if (!st.valid_until) return;
  const auto left = *st.valid_until - st.cfg.mono_clock();
  self->delayed_send(
      self,
      std::chrono::duration_cast<std::chrono::microseconds>(std::max(left, model::duration{0})) +
          std::chrono::microseconds{1},
      expire_atom::value);
}

void on_lease_news(scheduler_pointer self, const lease_news& n) {
  auto& st = self->state;
  using standing = scheduler_state::standing;
  const auto before = st.cluster;
  st.cluster = n.standing;  // what the snapshot shows; cluster_now adds lag and the TTL
  st.log_end = std::max(st.log_end, n.log_end);
  const bool leads = n.standing.role == model::cluster_role::leader;
  if (leads && st.phase != model::phase::stopped) {
    if (st.role == standing::follower || st.term != n.standing.term) {
      st.term = n.standing.term;
      st.role = standing::catching_up;
      // Appends are fenced by this term from now on; the journal reads the log's end again.
      self->send(st.cfg.journal, lead_atom::value, st.cfg.id.node, n.standing.term);
    }
    st.valid_until = n.valid_until;
    arm_expiry(self);
    if (st.role == standing::catching_up) catch_up(self);
  } else if (st.role != standing::follower) {
    step_down(self, n.standing.store_reachable
                        ? "another node holds the lease"
                        : "the lease could not be renewed: " + n.standing.store_error);
  }
  if (before.role != n.standing.role || before.leader_node != n.standing.leader_node) publish(self);
}

caf::typed_response_promise<caf::ok_atom> drain(scheduler_pointer self) {
  auto& st = self->state;
  auto promise = self->make_response_promise<caf::ok_atom>();
  if (st.phase == model::phase::stopped) {
    promise.deliver(caf::ok_atom::value);
    return promise;
  }
  st.drain_waiters.push_back(promise);
  if (st.phase != model::phase::draining) {
    st.phase = model::phase::draining;
    publish(self);
  }
  if (st.cfg.runner && !st.runner_drain_asked) {
    // Running jobs may finish within the grace; their ends are still logged while draining.
    st.runner_drain_asked = true;
    if (auto line = describe_shutdown_wait(st.durable)) write_log_line(*line);
    self->request(st.cfg.runner, caf::infinite, drain_atom::value, st.cfg.shutdown_grace)
        .then(
            [self](caf::ok_atom) {
              self->state.runner_drained = true;
              finish_drain_if_idle(self);
            },
            [self](caf::error&) {
              self->state.runner_drained = true;
              finish_drain_if_idle(self);
            });
  }
  finish_drain_if_idle(self);
  return promise;
}

scheduler_actor::behavior_type scheduler(scheduler_pointer self, scheduler_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  for (auto& sink : st.cfg.sinks) st.out.add(sink);
  st.durable = st.pending = st.cfg.initial;
  st.cfg.initial = {};
  st.checkpoint_seq = st.durable.log_seq;
  st.started_at = st.checkpoint_time = now(self);
  publish(self);  // `starting` until the first cycle runs
  self->send(self, tick_atom::value);
  return {
      [self](tick_atom) {
        auto& st = self->state;
        if (st.phase == model::phase::stopped) return;
        if (st.phase == model::phase::starting) st.phase = model::phase::running;
        run_cycle(self);
        self->delayed_send(self, st.cfg.tick_interval, tick_atom::value);
      },
      [self](wake_atom) {
        auto& st = self->state;
        st.wake_at.reset();
        if (st.phase != model::phase::running) return;
        decide_due(self);
        arm_wake(self);
      },
      [self](command_atom, model::command& cmd) { return handle_command(self, cmd); },
      [self](output_atom, const output_query& q) { return output_of(self->state.durable, q); },
      [self](query_atom, const job_query& q) {
        return answer_query(self->state.durable, q, now(self));
      },
      [self](metrics_atom, uint64_t per_job_limit) {
        return model::collect_job_metrics(self->state.durable, per_job_limit);
      },
      [self](drain_atom) { return drain(self); },
      [self](hurry_atom) {
        if (self->state.cfg.runner) self->send(self->state.cfg.runner, hurry_atom::value);
      },
      [self](started_atom, const std::string& run_id, int pid, model::wall_time at,
             const model::containment& contained) {
        batch_origin origin;
        origin.starts.emplace_back(run_id, pid);
        origin.start_times.push_back(at);
        origin.start_containments.push_back(contained);
        log_reports(self, std::move(origin));
      },
      [self](finished_atom, model::run_finished& f) {
        batch_origin origin;
        origin.ends.push_back(std::move(f));
        log_reports(self, std::move(origin));
      },
      [self](lease_atom, const lease_news& n) { on_lease_news(self, n); },
      [self](follow_atom, const follow_page& page) {
        auto& st = self->state;
        // The leader's own appends come back here too: they were applied on their ack.
        if (st.role == scheduler_state::standing::leader) return;
        if (fold(self, page.events)) publish(self);
      },
      [self](expire_atom) {
        auto& st = self->state;
        if (st.role == scheduler_state::standing::leader && !leading(self))
          step_down(self, "the lease's validity ran out before a renewal came");
      },
      [](stall_atom, model::duration d) {
        // Test hook only (--test-hooks): wedges this actor's loop the way a bug would.
        std::this_thread::sleep_for(d);
      },
  };
}

}  // namespace

scheduler_actor spawn_scheduler(caf::actor_system& sys, scheduler_config cfg) {
  return sys.spawn(scheduler, std::move(cfg));
}

}  // namespace vigil::actors
