// The health actor: caches the latest snapshot and judges it at request time.
#pragma once

#include <functional>

#include "actors/interfaces.hpp"
#include "model/health.hpp"

namespace vigil::actors {

struct health_config {
  model::health_thresholds thresholds;
  /// Injectable clocks: tests drive the monotonic one to cross thresholds exactly.
  std::function<model::mono_time()> mono_clock;
  std::function<model::wall_time()> wall_clock;
};

health_actor spawn_health(caf::actor_system& sys, health_config cfg);

}  // namespace vigil::actors
