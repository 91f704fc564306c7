// Events: what happened (past tense). The state is the fold of these.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "model/time.hpp"

namespace vigil::model {

// Schema history: v1 had {reason, at}; v2 adds `by` (who asked). v1 reads as by = "unknown".
struct scheduler_paused {
  std::string reason;
  wall_time at;
  std::string by = {};
  friend bool operator==(const scheduler_paused& a, const scheduler_paused& b) {
    return a.reason == b.reason && a.at == b.at && a.by == b.by;
  }
};

struct scheduler_resumed {
  std::string reason;
  wall_time at;
  std::string by = {};
  friend bool operator==(const scheduler_resumed& a, const scheduler_resumed& b) {
    return a.reason == b.reason && a.at == b.at && a.by == b.by;
  }
};

using event = std::variant<scheduler_paused, scheduler_resumed>;

/// The stable type name stored with each event ("scheduler_paused", ...).
std::string_view event_type(const event& e);

/// The current schema version of each event type; older versions are upgraded on read.
inline constexpr int event_schema_version = 2;

}  // namespace vigil::model
