// The scheduler actor: sole owner of the state, driven by its own tick, publishing snapshots.
#pragma once

#include <functional>
#include <vector>

#include "actors/interfaces.hpp"
#include "model/planner.hpp"
#include "model/retention.hpp"
#include "model/snapshot.hpp"

namespace vigil::actors {

struct scheduler_config {
  model::identity id;
  model::duration tick_interval = std::chrono::seconds{1};
  /// The wall clock, injectable so tests can make it jump; only ever reported.
  std::function<model::wall_time()> wall_clock;
  journal_actor journal;
  /// Receivers of snapshots; each gets at most one in flight, newest wins.
  std::vector<snapshot_sink> sinks;
  /// The state recovered from the log at start-up (checkpoint + replay).
  model::state initial;
  /// Save a checkpoint after this many new events (0: never by count) ...
  uint64_t checkpoint_every = 1000;
  /// ... or when this long has passed with new events since the last one (0: never by time).
  model::duration checkpoint_interval = std::chrono::seconds{60};
  /// While the log refuses writes, how often to ask whether it takes them again.
  model::duration probe_interval = std::chrono::seconds{1};
  /// Runs the processes; a null handle runs nothing (runs stay `starting`; for tests).
  runner_actor runner;
  /// On shutdown, how long running jobs may go on before they are stopped.
  model::duration shutdown_grace = std::chrono::seconds{30};
  /// Bounds on one cycle's work.
  model::cycle_limits limits;
  /// How many finished runs and decisions each job keeps, and for how long.
  model::retention_policy retention;
  /// A node of a cluster (a shared log): it starts as a follower, folds what the tail sends,
  /// and decides only while the lease actor says it leads and its validity has not run out.
  bool clustered = false;
  std::function<model::mono_time()> mono_clock;
  lease_actor lease;  ///< told this node's fold position (a lagging node does not campaign)
  tail_actor tail;    ///< told where to read again when a page does not follow on
  model::duration lease_ttl{};
};

scheduler_actor spawn_scheduler(caf::actor_system& sys, scheduler_config cfg);

}  // namespace vigil::actors
