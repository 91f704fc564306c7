// A node's place in the cluster, as the scheduler publishes it in every snapshot: its role,
// the leader it follows, how far behind the log it is, and whether the shared store answers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/time.hpp"

namespace vigil::model {

enum class cluster_role { standalone, follower, leader };
const char* to_string(cluster_role r);

/// All zero for a node on its own log (SQLite, memory): `enabled` is false and nothing else
/// is judged. Ages are on this node's monotonic clock, taken when the snapshot was built.
struct cluster_status {
  bool enabled = false;
  cluster_role role = cluster_role::standalone;
  uint64_t term = 0;        ///< the lease's term as last read (the leader's, when there is one)
  std::string leader_node;  ///< empty: no node holds the lease
  std::string leader_url;
  /// How long the lease row has stayed unchanged as this node saw it: a live leader renews it
  /// every few hundred ms. For the leader itself, 0.
  duration leader_silent_for{};
  uint64_t lag_events = 0;  ///< the log's end (as last read) minus this node's position
  duration lag{};           ///< how long since this node was last at the log's end
  bool store_reachable = true;
  std::string store_error;       ///< why not, when !store_reachable (already redacted)
  uint64_t takeovers_total = 0;  ///< terms this node's process took
  double renew_seconds = 0;      ///< the last lease round trip (renewal or read)
  duration lease_ttl{};
};

/// One node as it heartbeats into the shared log: what it says about itself.
struct node_record {
  std::string node;
  std::string url;
  std::string epoch;
  std::string version;
  std::string role;
  uint64_t log_seq = 0;
  int64_t clock_skew_ms = 0;  ///< its wall clock minus the database's now(): reported only
};

/// One node as the cluster view shows it (GET /v1/cluster): its record and how long ago the
/// observer saw its row change, on the observer's monotonic clock.
struct cluster_member {
  node_record record;
  duration last_seen{};
};

struct cluster_view {
  bool clustered = false;
  std::string observer;  ///< the node answering
  uint64_t term = 0;
  std::string leader_node;
  std::string leader_url;
  uint64_t log_end = 0;
  duration lease_ttl{};
  std::vector<cluster_member> nodes;
};

}  // namespace vigil::model
