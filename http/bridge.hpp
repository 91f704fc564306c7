// The bridge actor: carries HTTP requests to actors and answers each exactly once, by a deadline.
#pragma once

#include <functional>
#include <string>

#include "actors/interfaces.hpp"
#include "http/metrics.hpp"
#include "http/reply.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::http::responder)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::http::request_counters_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::http::health_query)

namespace vigil::http {

using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;

using bridge_actor =
    caf::typed_actor<caf::reacts_to<caf::get_atom, health_query, responder>,
                     caf::reacts_to<actors::command_atom, model::command, responder>,
                     caf::reacts_to<actors::query_atom, actors::job_query, responder>,
                     caf::reacts_to<actors::output_atom, actors::output_query, responder>,
                     caf::reacts_to<actors::events_atom, uint64_t, uint64_t, responder>,
                     caf::reacts_to<stats_atom, responder>,
                     caf::reacts_to<actors::cluster_atom, responder>,
                     caf::reacts_to<actors::metrics_atom, request_counters_ptr, responder>,
                     caf::reacts_to<actors::stall_atom, std::string, model::duration, responder>,
                     caf::reacts_to<sweep_atom>>;

struct bridge_config {
  actors::health_actor health;
  actors::scheduler_actor scheduler;
  actors::journal_actor journal;
  actors::hub_actor hub;
  actors::output_actor output;  ///< running runs' output (GET .../output)
  /// A health probe gets a 503 by then if the health actor has not answered.
  model::duration health_deadline = std::chrono::seconds{1};
  /// A command (or a read of the log) gets a 503 by then if its actor has not answered.
  model::duration command_deadline = std::chrono::seconds{5};
  std::function<model::mono_time()> mono_clock;
  std::function<model::wall_time()> wall_clock;
  /// /metrics exports per-job series while at most this many jobs exist (0: never).
  uint64_t per_job_metrics_limit = 10'000;
  /// On a shared log: the lease actor, which knows the cluster's nodes. Null on its own log.
  actors::lease_actor lease = {};
  std::string node = {};
};

bridge_actor spawn_bridge(caf::actor_system& sys, bridge_config cfg);

}  // namespace vigil::http
