// Deadlines without a timer per request: pending answers wait in one table that a single
// periodic sweep expires; a late answer finds its entry gone and is dropped.
#include "http/bridge.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>

#include "http/responses.hpp"

namespace vigil::http {
namespace {

struct pending_request {
  model::mono_time deadline;
  responder respond;
  http_reply on_timeout;
};

struct bridge_state {
  bridge_config cfg;
  std::map<uint64_t, pending_request> pending;
  uint64_t next_id = 0;
  model::duration sweep_every{};
  static inline const char* name = "http_bridge";
};

using bridge_pointer = bridge_actor::stateful_pointer<bridge_state>;

uint64_t remember(bridge_pointer self, model::duration deadline, responder respond,
                  http_reply on_timeout) {
  auto& st = self->state;
  const uint64_t id = ++st.next_id;
  st.pending.emplace(id, pending_request{st.cfg.mono_clock() + deadline, std::move(respond),
                                         std::move(on_timeout)});
  return id;
}

/// Answers request `id` unless the sweep already did.
void complete(bridge_pointer self, uint64_t id, http_reply reply) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  auto respond = std::move(it->second.respond);
  self->state.pending.erase(it);
  respond(std::move(reply));
}

void sweep(bridge_pointer self) {
  auto& st = self->state;
  const auto now = st.cfg.mono_clock();
  for (auto it = st.pending.begin(); it != st.pending.end();) {
    if (it->second.deadline <= now) {
      it->second.respond(std::move(it->second.on_timeout));
      it = st.pending.erase(it);
    } else {
      ++it;
    }
  }
}

void ask_health(bridge_pointer self, const health_query& q, responder respond) {
  auto& st = self->state;
  const uint64_t id = remember(self, st.cfg.health_deadline, std::move(respond),
                               health_timeout_reply(q, st.cfg.wall_clock()));
  self->request(st.cfg.health, caf::infinite, caf::get_atom::value)
      .then([self, id, q](const model::health_report& r) { complete(self, id, health_reply(r, q)); },
            [self, id, q](caf::error&) {
              complete(self, id, health_timeout_reply(q, self->state.cfg.wall_clock()));
            });
}

void send_command(bridge_pointer self, model::command& cmd, responder respond) {
  auto& st = self->state;
  const model::rejection late{model::errc::timeout,
                              "the scheduler did not answer within the deadline; the command "
                              "may still take effect",
                              ""};
  const uint64_t id =
      remember(self, st.cfg.command_deadline, std::move(respond), error_reply(late));
  self->request(st.cfg.scheduler, caf::infinite, actors::command_atom::value, std::move(cmd))
      .then([self, id](const actors::command_result& r) { complete(self, id, command_reply(r)); },
            [self, id](caf::error& err) {
              complete(self, id,
                       error_reply({model::errc::unavailable, "scheduler: " + to_string(err), ""}));
            });
}

bridge_actor::behavior_type bridge(bridge_pointer self, bridge_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  // Answers go out by 0.8 of the deadline plus one sweep period: within the deadline.
  st.sweep_every = std::min(st.cfg.health_deadline, st.cfg.command_deadline) / 10;
  st.cfg.health_deadline = st.cfg.health_deadline * 8 / 10;
  st.cfg.command_deadline = st.cfg.command_deadline * 8 / 10;
  self->send(self, sweep_atom::value);
  return {
      [self](caf::get_atom, const health_query& q, responder& respond) {
        ask_health(self, q, std::move(respond));
      },
      [self](actors::command_atom, model::command& cmd, responder& respond) {
        send_command(self, cmd, std::move(respond));
      },
      [self](actors::stall_atom, const std::string& target, model::duration d,
             responder& respond) {
        if (target == "health") self->send(self->state.cfg.health, actors::stall_atom::value, d);
        else self->send(self->state.cfg.scheduler, actors::stall_atom::value, d);
        respond(http_reply{202, "application/json", "{\"stalled\":\"" + target + "\"}", {}});
      },
      [self](sweep_atom) {
        sweep(self);
        self->delayed_send(self, self->state.sweep_every, sweep_atom::value);
      },
  };
}

}  // namespace

bridge_actor spawn_bridge(caf::actor_system& sys, bridge_config cfg) {
  return sys.spawn(bridge, std::move(cfg));
}

}  // namespace vigil::http
