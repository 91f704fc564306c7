// The runner actor: turns run orders into processes (through the process supervisor, on its own
// thread) and reports starts and ends to the actor that sent the orders.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "actors/interfaces.hpp"

namespace vigil::exec {
struct process_result;
}

namespace vigil::actors {

struct runner_config {
  size_t max_running = 256;  ///< processes alive at once; further orders wait in FIFO order
  /// Where run cgroups are made (prepare_containment_root); empty: process groups only.
  std::string containment_root;
  /// For orphans of jobs that set no policy of their own.
  model::orphan_policy orphans = model::orphan_policy::kill;
  /// Where a line about each orphan goes (what was found, what is done); none: nowhere.
  std::function<void(const std::string&)> warn;
  /// Where each attempt's output is registered, to be read while it runs; none: nowhere.
  output_actor output;
};

runner_actor spawn_runner(caf::actor_system& sys, runner_config cfg);

/// The supervisor's report in the model's terms.
model::run_finished to_run_finished(const exec::process_result& r);

}  // namespace vigil::actors
