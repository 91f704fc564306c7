// Recovery: decode the newest usable checkpoint, then fold every event after it.
#include "actors/recovery.hpp"

#include <string>

#include "codec/checkpoint.hpp"
#include "codec/events.hpp"
#include "model/decider.hpp"
#include "model/jobs.hpp"
#include "model/planner.hpp"

namespace vigil::actors {

// The newest checkpoint that decodes, falling back to older ones, then a full replay.
recovered recover(const store::store& backend) {
  recovered r;
  model::state s;
  for (const auto& cp : backend.load_checkpoints()) {
    std::string why;
    auto decoded = codec::decode_state(cp.state, &why);
    if (decoded && decoded->log_seq == cp.seq) {
      s = std::move(*decoded);
      r.checkpoint_seq = cp.seq;
      break;
    }
    r.notes.push_back("checkpoint at seq " + std::to_string(cp.seq) + " cannot be " +
                      (why.empty() ? "decoded" : "used (" + why + ")") + "; trying an older one");
  }
  if (r.checkpoint_seq == 0 && !r.notes.empty()) r.notes.push_back("replaying the whole log");
  for (;;) {
    auto events = backend.read_after(s.log_seq, 4096);
    if (events.empty()) break;
    for (const auto& stored : events) {
      auto e = codec::decode_event(stored.type, stored.schema_version, stored.body);
      if (!e) {
        r.error = "event log: cannot decode event at seq " + std::to_string(stored.seq) +
                  " (type " + stored.type + ", schema version " +
                  std::to_string(stored.schema_version) + "); refusing to start";
        return r;
      }
      model::fold_stored(s, std::move(*e), stored.seq);
      ++r.replayed;
    }
  }
  model::refresh_schedules(s);  // apply evaluates no schedule: the look-ahead, once, here
  r.ok = true;
  r.state = std::move(s);
  return r;
}

}  // namespace vigil::actors
