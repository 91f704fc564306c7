// Retention: finished runs (and their output) and old decisions leave the state through events,
// so a replay drops exactly what the live state dropped. Job definitions never expire.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "model/events.hpp"
#include "model/state.hpp"

namespace vigil::model {

struct retention_policy {
  size_t runs_per_job = 100;  ///< finished runs kept per job (0: keep none)
  duration max_age =
      std::chrono::hours(24 * 7);  ///< finished runs older than this go (0: no age limit)
  size_t decisions_per_job = 200;  ///< decision records kept per job
  size_t jobs_per_cycle = 1000;    ///< jobs looked at per cycle, round robin
};

/// Looks at up to `jobs_per_cycle` jobs after `cursor` (wrapping around) and compacts what is
/// beyond the policy: one runs_compacted event per job that has anything to drop, applied to `s`
/// as it goes. Runs still going (or waiting) are never dropped. `cursor` moves on.
std::vector<event> plan_retention(state& s, wall_time now, const retention_policy& p,
                                  std::string& cursor);

}  // namespace vigil::model
