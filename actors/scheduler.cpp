// The scheduler's behavior: tick, decide -> append -> apply -> publish -> reply, checkpoints.
#include "actors/scheduler.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <thread>

#include "actors/publisher.hpp"
#include "model/decider.hpp"

namespace vigil::actors {
namespace {

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
  model::journal_status journal;
  bool probing = false;
  model::wall_time last_probe{};
  uint64_t checkpoint_seq = 0;  ///< log_seq of the last checkpoint asked for
  model::wall_time checkpoint_time{};
  uint64_t version = 0;
  model::wall_time started_at{};
  size_t appends_in_flight = 0;
  std::vector<caf::typed_response_promise<caf::ok_atom>> drain_waiters;
  static inline const char* name = "scheduler";
};

using scheduler_pointer = scheduler_actor::stateful_pointer<scheduler_state>;

model::wall_time now(scheduler_pointer self) { return self->state.cfg.wall_clock(); }

model::snapshot_ptr publish(scheduler_pointer self) {
  auto& st = self->state;
  auto snap = model::make_snapshot(st.cfg.id, ++st.version, st.phase, st.durable, st.cycles,
                                   st.journal, st.cfg.tick_interval, st.started_at, now(self));
  st.out.publish(self, snap);
  return snap;
}

/// Once draining and nothing is in flight to the journal, the scheduler is stopped.
void finish_drain_if_idle(scheduler_pointer self) {
  auto& st = self->state;
  if (st.phase != model::phase::draining || st.appends_in_flight > 0) return;
  st.phase = model::phase::stopped;
  publish(self);
  for (auto& w : st.drain_waiters) w.deliver(caf::ok_atom::value);
  st.drain_waiters.clear();
}

void journal_failed(scheduler_pointer self, const std::string& error) {
  auto& j = self->state.journal;
  if (j.ok) j.failing_since = now(self);
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
            if (ack.ok) journal_recovered(self);
            else journal_failed(self, ack.error);
          },
          [self](caf::error& err) {
            self->state.probing = false;
            journal_failed(self, "journal: " + to_string(err));
          });
}

/// Checkpoints the durable state every N events or T time, whichever comes first.
void checkpoint_if_due(scheduler_pointer self) {
  auto& st = self->state;
  const uint64_t fresh = st.durable.log_seq - st.checkpoint_seq;
  if (fresh == 0) return;
  const auto t = now(self);
  const bool by_count = st.cfg.checkpoint_every > 0 && fresh >= st.cfg.checkpoint_every;
  const bool by_time = st.cfg.checkpoint_interval.count() > 0 &&
                       t - st.checkpoint_time >= st.cfg.checkpoint_interval;
  if (!by_count && !by_time) return;
  st.checkpoint_seq = st.durable.log_seq;
  st.checkpoint_time = t;
  self->send(st.cfg.journal, checkpoint_atom::value, st.durable);
}

/// One scheduling cycle. The heartbeat is this function's snapshot: a wedged loop stops it.
void run_cycle(scheduler_pointer self) {
  auto& st = self->state;
  const auto started = now(self);
  // Jobs arrive with the jobs issue; today a cycle has nothing to find due, so it succeeds.
  std::string error;
  probe_if_failing(self);
  checkpoint_if_due(self);
  model::record_cycle(st.cycles, started, now(self), error);
  publish(self);
}

command_result refused(model::errc code, std::string why) {
  return command_result{false, {code, std::move(why), ""}, false, nullptr};
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
  const auto at = now(self);
  auto decision = model::decide(st.pending, cmd, at);
  if (auto* refusal = std::get_if<model::rejection>(&decision)) {
    promise.deliver(command_result{false, std::move(*refusal), false, nullptr});
    return promise;
  }
  auto events = std::get<std::vector<model::event>>(std::move(decision));
  if (events.empty()) {  // already satisfied: nothing to make durable
    promise.deliver(command_result{true, {}, false, publish(self)});
    return promise;
  }
  const uint64_t expected_next = st.pending.log_seq + 1;
  for (const auto& e : events) {
    st.pending = model::apply(std::move(st.pending), e);
    ++st.pending.log_seq;
  }
  ++st.appends_in_flight;
  const uint64_t generation = st.generation;
  auto refuse = [self, promise, generation](std::string why) mutable {
    auto& st = self->state;
    if (generation == st.generation) {
      // Nothing of this batch became durable: forget the optimistic state built on it.
      ++st.generation;
      st.pending = st.durable;
    }
    promise.deliver(refused(model::errc::unavailable, std::move(why)));
  };
  self->request(st.cfg.journal, caf::infinite, append_atom::value,
                event_batch{events, at, expected_next})
      .then(
          [self, promise, events, refuse](const append_ack& ack) mutable {
            auto& st = self->state;
            --st.appends_in_flight;
            if (ack.ok) {
              for (const auto& e : events) st.durable = model::apply(std::move(st.durable), e);
              st.durable.log_seq = ack.last_seq;
              if (!st.journal.ok) journal_recovered(self);
              checkpoint_if_due(self);
              promise.deliver(command_result{true, {}, true, publish(self)});
            } else {
              if (!ack.conflict) journal_failed(self, ack.error);
              refuse("event log: " + ack.error);
              publish(self);  // health learns of the failure now, not at the next tick
            }
            finish_drain_if_idle(self);
          },
          [self, refuse](caf::error& err) mutable {
            --self->state.appends_in_flight;
            journal_failed(self, "journal: " + to_string(err));
            refuse("journal: " + to_string(err));
            finish_drain_if_idle(self);
          });
  return promise;
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
  finish_drain_if_idle(self);
  return promise;
}

scheduler_actor::behavior_type scheduler(scheduler_pointer self, scheduler_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  for (auto& sink : st.cfg.sinks) st.out.add(sink);
  st.durable = st.pending = st.cfg.initial;
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
      [self](command_atom, model::command& cmd) { return handle_command(self, cmd); },
      [self](drain_atom) { return drain(self); },
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
