// Actor-system settings sized for a small daemon on a 2-core machine.
#pragma once

#include <caf/actor_system_config.hpp>

#include <cstddef>

#include "model/time.hpp"

namespace vigil::actors {

/// Worker threads, sharing policy (no idle polling), bounded messages per actor turn.
void configure(caf::actor_system_config& cfg, size_t worker_threads);

/// The real clocks, at nanosecond resolution.
model::wall_time system_wall_clock();
model::mono_time system_mono_clock();

}  // namespace vigil::actors
