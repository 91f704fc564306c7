// Coalesced snapshot delivery: per sink, one snapshot in flight and one pending; newest wins.
#pragma once

#include <cstdint>
#include <vector>

#include "actors/interfaces.hpp"

namespace vigil::actors {

/// Lives inside an actor's state; `publish` is called by that actor only.
class publisher {
 public:
  void add(snapshot_sink sink) { slots_.push_back({std::move(sink), false, false, nullptr}); }

  /// Offers `snap` to every sink: sent at once if the sink is idle, else it replaces the
  /// pending one (coalesced) and goes out when the sink acknowledges the previous.
  template <class Self>
  void publish(Self* self, const model::snapshot_ptr& snap) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].gone) continue;
      if (slots_[i].in_flight) {
        if (slots_[i].pending) ++coalesced_;
        slots_[i].pending = snap;
      } else {
        send(self, i, snap);
      }
    }
  }

  /// Snapshots replaced before delivery, over all sinks.
  uint64_t coalesced() const { return coalesced_; }

 private:
  struct slot {
    snapshot_sink sink;
    bool in_flight;
    bool gone;
    model::snapshot_ptr pending;
  };

  template <class Self>
  void send(Self* self, size_t i, model::snapshot_ptr snap) {
    slots_[i].in_flight = true;
    self->request(slots_[i].sink, caf::infinite, snapshot_atom::value, std::move(snap))
        .then([self, this, i](caf::ok_atom) { delivered(self, i); },
              [this, i](caf::error&) { slots_[i].gone = true; });
  }

  template <class Self>
  void delivered(Self* self, size_t i) {
    slots_[i].in_flight = false;
    if (auto next = std::move(slots_[i].pending)) {
      slots_[i].pending = nullptr;
      send(self, i, std::move(next));
    }
  }

  std::vector<slot> slots_;
  uint64_t coalesced_ = 0;
};

}  // namespace vigil::actors
