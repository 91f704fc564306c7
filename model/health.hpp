// The health verdict: a pure function of (snapshot, its monotonic age, thresholds).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/snapshot.hpp"
#include "model/time.hpp"

namespace vigil::model {

enum class health_status { pass, warn, fail };
const char* to_string(health_status s);

struct health_thresholds {
  duration tick_interval = std::chrono::seconds{1};
  /// How long one cycle may take before a late heartbeat is a failure, not a warning.
  duration cycle_deadline = std::chrono::seconds{5};
  /// Consecutive failed cycles that turn the progress check from warn to fail.
  uint32_t max_consecutive_failures = 3;
  /// How long `starting` is a warning before it is a failure.
  duration startup_grace = std::chrono::seconds{30};

  duration heartbeat_warn_after() const { return 2 * tick_interval; }
  duration heartbeat_fail_after() const {
    return std::max(3 * tick_interval, tick_interval + cycle_deadline);
  }
};

/// One check, shaped after the health+json draft: observed value, unit, thresholds.
struct health_check {
  std::string name;  ///< "scheduler:heartbeat", "scheduler:progress", "scheduler:state"
  health_status status = health_status::fail;
  double observed_value = 0;
  std::string observed_text;  ///< set instead of observed_value for non-numeric observations
  std::string observed_unit;
  std::string output;  ///< why, when not pass
  std::optional<double> warn_threshold;
  std::optional<double> fail_threshold;
  // What the check means for the probes, set by judge (docs/api.md, /livez and /readyz); the
  // verdict's `live` and `ready` are computed from these flags, and the probes print them.
  bool in_livez = false;      ///< /livez lists it; it fails liveness when it fails
  bool in_readyz = false;     ///< /readyz lists it
  bool blocks_ready = false;  ///< /readyz shows it failed: the node is not ready because of it
  std::string ready_output;   ///< why it blocks readiness, when `output` does not say
};

/// What the health actor knows at request time.
struct health_input {
  const snapshot* snap = nullptr;  ///< null before the first snapshot
  duration age{};                  ///< monotonic now - monotonic arrival of snap
  duration uptime{};               ///< monotonic now - monotonic start of the health actor
  bool shutting_down = false;      ///< shutdown has begun (readiness flips at once)
  bool scheduler_down = false;     ///< the scheduler actor is gone
};

struct verdict {
  health_status status = health_status::fail;  ///< worst of the checks
  bool live = false;   ///< false only on an internal wedge: stale heartbeat or scheduler gone
  bool ready = false;  ///< running or paused, fresh, and not shutting down
  std::vector<health_check> checks;
};

verdict judge(const health_input& in, const health_thresholds& th);

/// A health answer: the verdict, the one snapshot it was judged on, and when.
struct health_report {
  verdict result;
  snapshot_ptr snap;  ///< may be null (no snapshot yet)
  duration age{};     ///< server-computed age of snap on the monotonic clock
  wall_time time{};   ///< when the verdict was computed (reported only)
};

}  // namespace vigil::model
