// The output actor: where running runs' output is read while they run (see output_actor).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include "actors/interfaces.hpp"
#include "model/time.hpp"

namespace vigil::actors {

struct output_config {
  std::function<model::mono_time()> mono_clock;
  /// How long an ended attempt's output stays readable here (then the run's record answers).
  model::duration linger = std::chrono::seconds(10);
  /// Ended outputs kept at most (the oldest go first), whatever their linger.
  size_t max_ended = 64;
  /// Reads waiting for bytes at once; beyond it a read answers at once (nothing new).
  size_t max_waiting = 10000;
};

output_actor spawn_output(caf::actor_system& sys, output_config cfg);

}  // namespace vigil::actors
