// Actor-system settings and the real clocks.
#include "actors/system.hpp"

#include <caf/atom.hpp>

namespace vigil::actors {

void configure(caf::actor_system_config& cfg, size_t worker_threads) {
  cfg.set("scheduler.max-threads", worker_threads);
  // Work sharing: idle workers sleep instead of polling (work stealing burns ~9% of a core).
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-throughput", size_t{64});
}

model::wall_time system_wall_clock() {
  return std::chrono::time_point_cast<model::duration>(std::chrono::system_clock::now());
}

model::mono_time system_mono_clock() {
  return std::chrono::time_point_cast<model::duration>(std::chrono::steady_clock::now());
}

}  // namespace vigil::actors
