// The bridge between RESTinio's threads and the actors.
//
// Health probes are coalesced: at most one question is in flight to the health actor; probes
// that arrive meanwhile wait for the next one, so every answer is computed after its probe
// arrived, and one answer (rendered once per kind of probe) serves a whole batch.
// Deadlines cost no timer per request: waiting probes and commands carry a deadline that one
// periodic sweep enforces; a late answer finds nobody waiting and is dropped.
#include "http/bridge.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <array>
#include <map>
#include <memory>
#include <optional>

#include "codec/health.hpp"
#include "http/metrics.hpp"
#include "http/responses.hpp"

namespace vigil::http {
namespace {

struct waiting_probe {
  health_query query;
  responder respond;
  model::mono_time deadline;
};

struct waiting_command {
  responder respond;
  model::mono_time deadline;
  const char* late;  ///< what the 503 says if no answer comes in time
};

struct bridge_state {
  bridge_config cfg;
  model::duration sweep_every{};
  // Probes: `asked` wait for the question in flight, `next` for the one after it.
  std::vector<waiting_probe> asked;
  std::vector<waiting_probe> next;
  bool asking = false;
  uint64_t question = 0;  ///< id of the question in flight; older answers are ignored
  codec::health_encoder encoder;
  // Commands: each waits for its own answer.
  std::map<uint64_t, waiting_command> commands;
  uint64_t next_command = 0;
  static inline const char* name = "http_bridge";

  /// Whoever still waits when the bridge goes (shutdown) hears 503, not a closed connection.
  ~bridge_state() {
    const model::rejection going{model::errc::unavailable, "shutting down", ""};
    for (auto* probes : {&asked, &next})
      for (auto& p : *probes) p.respond(error_reply(going));
    for (auto& [id, c] : commands) c.respond(error_reply(going));
  }
};

using bridge_pointer = bridge_actor::stateful_pointer<bridge_state>;

/// One reply per kind of probe (route x verbose x plain JSON), rendered at most once per answer.
size_t kind_of(const health_query& q) {
  return static_cast<size_t>(q.route) * 8 + (q.details ? 4 : 0) + (q.verbose ? 2 : 0) +
         (q.plain_json ? 1 : 0);
}
constexpr size_t probe_kinds = 24;

void answer_all(bridge_pointer self, std::vector<waiting_probe>& probes,
                const model::health_report* report) {
  std::array<std::optional<http_reply>, probe_kinds> rendered;
  for (auto& p : probes) {
    auto& reply = rendered[kind_of(p.query)];
    if (!reply) {
      reply = report ? health_reply(*report, p.query, self->state.encoder)
                     : health_timeout_reply(p.query, self->state.cfg.wall_clock());
    }
    p.respond(*reply);
  }
  probes.clear();
}

void ask(bridge_pointer self);

void answered(bridge_pointer self, uint64_t question, const model::health_report* report) {
  auto& st = self->state;
  if (question != st.question) return;  // a question abandoned long ago
  st.asking = false;
  answer_all(self, st.asked, report);
  std::swap(st.asked, st.next);
  if (!st.asked.empty()) ask(self);
}

void ask(bridge_pointer self) {
  auto& st = self->state;
  st.asking = true;
  const uint64_t question = ++st.question;
  self->request(st.cfg.health, caf::infinite, caf::get_atom::value)
      .then([self, question](const model::health_report& r) { answered(self, question, &r); },
            [self, question](caf::error&) { answered(self, question, nullptr); });
}

void probe(bridge_pointer self, const health_query& q, responder respond) {
  auto& st = self->state;
  waiting_probe p{q, std::move(respond), st.cfg.mono_clock() + st.cfg.health_deadline};
  if (st.asking) {
    st.next.push_back(std::move(p));
  } else {
    st.asked.push_back(std::move(p));
    ask(self);
  }
}

/// Registers a request that waits for one actor answer under the command deadline.
uint64_t await_answer(bridge_pointer self, responder respond, const char* late) {
  auto& st = self->state;
  const uint64_t id = ++st.next_command;
  st.commands.emplace_hint(
      st.commands.end(), id,
      waiting_command{std::move(respond), st.cfg.mono_clock() + st.cfg.command_deadline, late});
  return id;
}

/// Answers request `id`, unless the sweep already did.
void complete(bridge_pointer self, uint64_t id, http_reply reply) {
  auto it = self->state.commands.find(id);
  if (it == self->state.commands.end()) return;
  auto respond = std::move(it->second.respond);
  self->state.commands.erase(it);
  respond(std::move(reply));
}

void send_command(bridge_pointer self, model::command& cmd, responder respond) {
  const uint64_t id = await_answer(self, std::move(respond),
                                   "the scheduler did not answer within the deadline; the "
                                   "command may still take effect");
  self->request(self->state.cfg.scheduler, caf::infinite, actors::command_atom::value,
                std::move(cmd))
      .then([self, id](const actors::command_result& r) { complete(self, id, command_reply(r)); },
            [self, id](caf::error& err) {
              complete(self, id,
                       error_reply({model::errc::unavailable, "scheduler: " + to_string(err), ""}));
            });
}

void query_jobs(bridge_pointer self, const actors::job_query& q, responder respond) {
  const uint64_t id =
      await_answer(self, std::move(respond), "the scheduler did not answer within the deadline");
  self->request(self->state.cfg.scheduler, caf::infinite, actors::query_atom::value, q)
      .then([self, id, q](const actors::job_answer& a) { complete(self, id, job_reply(q, a)); },
            [self, id](caf::error& err) {
              complete(self, id,
                       error_reply({model::errc::unavailable, "scheduler: " + to_string(err), ""}));
            });
}

void read_output(bridge_pointer self, actors::output_query q, responder respond) {
  const uint64_t id =
      await_answer(self, std::move(respond), "the run's output did not come within the deadline");
  // A waiting read answers well within the deadline the bridge keeps for it.
  q.wait = std::min(q.wait, self->state.cfg.command_deadline / 2);
  self->request(self->state.cfg.output, caf::infinite, actors::output_atom::value, q)
      .then(
          [self, id, q](const actors::output_answer& a) { complete(self, id, output_reply(q, a)); },
          [self, id](caf::error& err) {
            complete(self, id,
                     error_reply({model::errc::unavailable, "output: " + to_string(err), ""}));
          });
}

void read_events(bridge_pointer self, uint64_t after, uint64_t limit, responder respond) {
  const uint64_t id =
      await_answer(self, std::move(respond), "the event log did not answer within the deadline");
  self->request(self->state.cfg.journal, caf::infinite, actors::events_atom::value, after, limit)
      .then([self, id,
             after](const actors::event_page& p) { complete(self, id, events_reply(p, after)); },
            [self, id](caf::error& err) {
              complete(self, id,
                       error_reply({model::errc::unavailable, "journal: " + to_string(err), ""}));
            });
}

void read_stream_stats(bridge_pointer self, responder respond) {
  const uint64_t id =
      await_answer(self, std::move(respond), "the stream hub did not answer within the deadline");
  self->request(self->state.cfg.hub, caf::infinite, caf::get_atom::value)
      .then(
          [self, id](const actors::stream_stats& s) { complete(self, id, stream_stats_reply(s)); },
          [self, id](caf::error& err) {
            complete(self, id,
                     error_reply({model::errc::unavailable, "hub: " + to_string(err), ""}));
          });
}

/// GET /v1/cluster: the nodes as the lease actor last read them (it owns the connection).
void read_cluster(bridge_pointer self, responder respond) {
  auto& cfg = self->state.cfg;
  if (!cfg.lease) {
    model::cluster_view alone;
    alone.observer = cfg.node;
    respond(http_reply{200,
                       "application/json",
                       codec::encode_cluster_view(alone),
                       {{"Cache-Control", "no-store"}}});
    return;
  }
  const uint64_t id =
      await_answer(self, std::move(respond), "the lease actor did not answer within the deadline");
  self->request(cfg.lease, caf::infinite, actors::cluster_atom::value)
      .then(
          [self, id](const model::cluster_view& v) {
            complete(self, id,
                     http_reply{200,
                                "application/json",
                                codec::encode_cluster_view(v),
                                {{"Cache-Control", "no-store"}}});
          },
          [self, id](caf::error& err) {
            complete(self, id,
                     error_reply({model::errc::unavailable, "lease: " + to_string(err), ""}));
          });
}

/// GET /metrics: asks health, journal, hub and scheduler (the per-job series) at once; renders
/// when all four have answered. One deadline covers the first three: if one is late, the sweep
/// answers 503 and later answers are dropped. The scheduler gets half of it and may miss it.
void read_metrics(bridge_pointer self, request_counters_ptr http, responder respond) {
  const uint64_t id = await_answer(self, std::move(respond),
                                   "metrics: an actor did not answer within the deadline");
  struct gathering {
    metrics_parts parts;
    int missing = 4;
    bool failed = false;
  };
  auto g = std::make_shared<gathering>();
  auto arrived = [self, id, g, http]() {
    if (--g->missing == 0 && !g->failed)
      complete(self, id,
               http_reply{200,
                          metrics_content_type,
                          render_metrics(g->parts, *http),
                          {{"Cache-Control", "no-store"}}});
  };
  auto failed = [self, id, g](const char* who, const caf::error& err) {
    g->failed = true;
    complete(self, id,
             error_reply({model::errc::unavailable, std::string(who) + ": " + to_string(err), ""}));
  };
  auto& cfg = self->state.cfg;
  self->request(cfg.health, caf::infinite, caf::get_atom::value)
      .then(
          [g, arrived](const model::health_report& r) {
            g->parts.health = r;
            arrived();
          },
          [failed](caf::error& err) { failed("health", err); });
  self->request(cfg.journal, caf::infinite, actors::metrics_atom::value)
      .then(
          [g, arrived](const actors::journal_metrics& m) {
            g->parts.journal = m;
            arrived();
          },
          [failed](caf::error& err) { failed("journal", err); });
  self->request(cfg.hub, caf::infinite, caf::get_atom::value)
      .then(
          [g, arrived](const actors::stream_stats& s) {
            g->parts.streams = s;
            arrived();
          },
          [failed](caf::error& err) { failed("hub", err); });
  // The per-job series are best effort: a stalled scheduler must not take the whole scrape
  // down, or the stall alert (which reads the health series) could never fire. Late or
  // failed, they are left out and vigil_job_metrics_enabled says 0.
  const auto per_job_wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.health_deadline) / 2;
  self->request(cfg.scheduler, caf::duration{per_job_wait}, actors::metrics_atom::value,
                cfg.per_job_metrics_limit)
      .then(
          [g, arrived](model::job_metrics& m) {
            g->parts.jobs = std::move(m);
            arrived();
          },
          [g, arrived, limit = cfg.per_job_metrics_limit](caf::error&) {
            g->parts.jobs = model::job_metrics{};
            g->parts.jobs.limit = limit;
            arrived();
          });
}

/// Answers everything past its deadline with a 503. A silent health actor keeps its question
/// in flight (no pile-up of questions); probes behind it still get their 503 in time.
void sweep(bridge_pointer self) {
  auto& st = self->state;
  const auto now = st.cfg.mono_clock();
  for (auto* probes : {&st.asked, &st.next}) {
    std::vector<waiting_probe> late;
    for (auto it = probes->begin(); it != probes->end();) {
      if (it->deadline <= now) {
        late.push_back(std::move(*it));
        it = probes->erase(it);
      } else {
        ++it;
      }
    }
    answer_all(self, late, nullptr);
  }
  for (auto it = st.commands.begin(); it != st.commands.end();) {
    if (it->second.deadline <= now) {
      it->second.respond(error_reply({model::errc::timeout, it->second.late, ""}));
      it = st.commands.erase(it);
    } else {
      ++it;
    }
  }
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
        probe(self, q, std::move(respond));
      },
      [self](actors::command_atom, model::command& cmd, responder& respond) {
        send_command(self, cmd, std::move(respond));
      },
      [self](actors::query_atom, const actors::job_query& q, responder& respond) {
        query_jobs(self, q, std::move(respond));
      },
      [self](actors::output_atom, actors::output_query& q, responder& respond) {
        read_output(self, std::move(q), std::move(respond));
      },
      [self](actors::events_atom, uint64_t after, uint64_t limit, responder& respond) {
        read_events(self, after, limit, std::move(respond));
      },
      [self](stats_atom, responder& respond) { read_stream_stats(self, std::move(respond)); },
      [self](actors::cluster_atom, responder& respond) { read_cluster(self, std::move(respond)); },
      [self](actors::metrics_atom, request_counters_ptr& http, responder& respond) {
        read_metrics(self, std::move(http), std::move(respond));
      },
      [self](actors::stall_atom, const std::string& target, model::duration d, responder& respond) {
        if (target == "health")
          self->send(self->state.cfg.health, actors::stall_atom::value, d);
        else
          self->send(self->state.cfg.scheduler, actors::stall_atom::value, d);
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
