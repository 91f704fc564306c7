// The node's state as the API reports it: the snapshot (/v1/snapshot, streams), the /health
// report and the cluster view (/v1/cluster).
#pragma once

#include <string>

#include "model/cluster.hpp"
#include "model/health.hpp"
#include "model/snapshot.hpp"

namespace vigil::codec {

/// The snapshot as a JSON object (the same shape in /health, streams and /v1/snapshot).
std::string encode_snapshot(const model::snapshot& snap);

/// The body of GET /health: verdict, checks and the one snapshot they were judged on.
std::string encode_health(const model::health_report& report);

/// encode_health with the snapshot's own fields formatted once per snapshot, not per request:
/// probes between two snapshots share them. One per thread (it is not synchronized).
class health_encoder {
 public:
  std::string encode(const model::health_report& report);

 private:
  model::snapshot_ptr cached_;
  std::string scheduler_;
  std::string journal_;
  std::string jobs_;
  std::string cluster_;  ///< empty off a cluster
  std::string last_updated_;
  std::string started_at_;
};

/// GET /v1/cluster: the nodes that heartbeat into the shared log, as one node sees them.
std::string encode_cluster_view(const model::cluster_view& v);

}  // namespace vigil::codec
