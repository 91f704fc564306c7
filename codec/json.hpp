// The one JSON codec for model types, shared by store/ and http/. nlohmann stays inside json.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "model/commands.hpp"
#include "model/events.hpp"
#include "model/health.hpp"
#include "model/rejection.hpp"
#include "model/snapshot.hpp"
#include "model/state.hpp"

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

/// An event body as stored in the log (its type and schema version are stored beside it).
std::string encode_event(const model::event& e);

/// Decodes a stored event, upgrading older schema versions; nothing if it cannot be read.
/// Bodies as the codec writes them take a fast path; anything else goes to the reference.
std::optional<model::event> decode_event(std::string_view type, int schema_version,
                                         std::string_view body);

/// The same with nlohmann's general parser only: the definition decode_event must agree with.
std::optional<model::event> decode_event_reference(std::string_view type, int schema_version,
                                                   std::string_view body);

/// The durable state, for checkpoints.
std::string encode_state(const model::state& s);
/// Nothing when the body is not a checkpoint this code can use; `why`, when given, may say why.
std::optional<model::state> decode_state(std::string_view body, std::string* why = nullptr);

}  // namespace vigil::codec
