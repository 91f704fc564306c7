// Health: snapshots in, verdicts out, age always on the monotonic clock.
#include "actors/health.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <thread>

namespace vigil::actors {
namespace {

struct health_state {
  health_config cfg;
  model::snapshot_ptr latest;
  model::mono_time arrived{};  ///< when `latest` arrived, on the monotonic clock
  model::mono_time started{};
  bool shutting_down = false;
  bool scheduler_down = false;
  static inline const char* name = "health";
};

using health_pointer = health_actor::stateful_pointer<health_state>;

model::health_report report(const health_state& st) {
  const auto mono_now = st.cfg.mono_clock();
  model::health_input in;
  in.snap = st.latest.get();
  in.age = st.latest ? mono_now - st.arrived : model::duration{};
  in.uptime = mono_now - st.started;
  in.shutting_down = st.shutting_down;
  in.scheduler_down = st.scheduler_down;
  return {model::judge(in, st.cfg.thresholds), st.latest, in.age, st.cfg.wall_clock()};
}

health_actor::behavior_type health(health_pointer self, health_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.started = self->state.cfg.mono_clock();
  self->set_down_handler([self](caf::down_msg&) { self->state.scheduler_down = true; });
  return {
      [self](snapshot_atom, model::snapshot_ptr& snap) {
        self->state.latest = std::move(snap);
        self->state.arrived = self->state.cfg.mono_clock();
        return caf::ok_atom::value;
      },
      [self](caf::get_atom) { return report(self->state); },
      [self](watch_atom, scheduler_actor& scheduler) { self->monitor(scheduler); },
      [self](drain_atom) { self->state.shutting_down = true; },
      [](stall_atom, model::duration d) {
        // Test hook only (--test-hooks): a health actor that cannot answer in time.
        std::this_thread::sleep_for(d);
      },
  };
}

}  // namespace

health_actor spawn_health(caf::actor_system& sys, health_config cfg) {
  return sys.spawn(health, std::move(cfg));
}

}  // namespace vigil::actors
