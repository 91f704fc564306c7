// The scheduler's state: the durable part is the fold of events; cycle statistics and the
// lifecycle phase belong to this process only and start afresh with each epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/time.hpp"

namespace vigil::model {

/// Durable state: exactly what folding the event log yields.
struct state {
  bool paused = false;
  std::optional<wall_time> paused_since;
  std::string pause_reason;
  std::string paused_by;  ///< who paused (empty unless paused)
  uint64_t log_seq = 0;  ///< sequence number of the last event applied

  friend bool operator==(const state& a, const state& b) {
    return a.paused == b.paused && a.paused_since == b.paused_since &&
           a.pause_reason == b.pause_reason && a.paused_by == b.paused_by &&
           a.log_seq == b.log_seq;
  }
};

/// Where this process is in its life; `paused` is not a phase but durable state.
enum class phase { starting, running, draining, stopped };

/// What the snapshot reports: the phase, with paused folded in while running.
enum class scheduler_status { starting, running, paused, draining, stopped };

scheduler_status status_of(phase p, const state& s);
const char* to_string(scheduler_status s);

/// Scheduling-cycle statistics of this process. `total` is counted on its own so that
/// total == succeeded + failed is a checkable invariant, not an identity.
struct cycle_stats {
  uint64_t total = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  uint32_t consecutive_failures = 0;
  std::optional<wall_time> last_started;
  std::optional<wall_time> last_finished;
  std::optional<wall_time> last_success;
  std::string last_error;
};

/// Whether the event log takes writes. Runtime, like cycle_stats: learned from appends and
/// probes, never logged.
struct journal_status {
  bool ok = true;
  std::string error;
  std::optional<wall_time> failing_since;  ///< set exactly when !ok
};

/// Records one finished cycle; an empty error means success.
void record_cycle(cycle_stats& stats, wall_time started, wall_time finished,
                  const std::string& error);

}  // namespace vigil::model
