// The runner actor: turns run orders into processes (through the process supervisor, on its own
// thread) and reports starts and ends to the actor that sent the orders.
#pragma once

#include <cstddef>

#include "actors/interfaces.hpp"

namespace vigil::actors {

struct runner_config {
  size_t max_running = 256;  ///< processes alive at once; further orders wait in FIFO order
};

runner_actor spawn_runner(caf::actor_system& sys, runner_config cfg);

/// The supervisor's report in the model's terms.
model::run_finished to_run_finished(const struct process_result& r);

}  // namespace vigil::actors
