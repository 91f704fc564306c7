// The actors of a cluster node: the lease (campaign, renew, heartbeat) and the tail (read what
// the leader appends). Each owns its own PostgreSQL connection on its own thread, so no
// database wait ever holds the scheduler.
#pragma once

#include <functional>
#include <string>

#include "actors/interfaces.hpp"
#include "model/lease.hpp"

namespace vigil::actors {

struct lease_config {
  std::string conninfo;  ///< secret: never logged (store::pg::redact for messages)
  std::string node;
  std::string url;  ///< where this node is reachable; empty until advertise_atom
  std::string epoch;
  std::string version;  ///< of this vigil, for the cluster view
  model::lease_timing timing;
  /// How often this node writes its row of vigil_nodes (and reads the others').
  model::duration heartbeat_every = std::chrono::milliseconds{500};
  std::function<model::mono_time()> mono_clock;
  std::function<model::wall_time()> wall_clock;
};

/// Spawns the lease detached. Once told the scheduler (watch_atom), it sends it a lease_news
/// after every round.
lease_actor spawn_lease(caf::actor_system& sys, lease_config cfg);

struct tail_config {
  std::string conninfo;
  uint64_t after = 0;  ///< the recovered state's log_seq: read from the next event on
  /// Without a notification, read anyway this often (a lost NOTIFY costs at most this).
  std::chrono::milliseconds poll_every{100};
  size_t page_limit = 1000;
};

/// Spawns the tail detached; it reads once told the scheduler (watch_atom).
tail_actor spawn_tail(caf::actor_system& sys, tail_config cfg);

}  // namespace vigil::actors
