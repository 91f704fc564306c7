// The journal actor: owns one store backend on its own thread; group-commits event batches.
#pragma once

#include <memory>
#include <string>

#include "actors/interfaces.hpp"
#include "store/store.hpp"

namespace vigil::actors {

struct journal_config {
  std::shared_ptr<store::store> backend;
  std::string epoch;  ///< stamped on every event written by this process
};

/// Spawns the journal detached (its own thread), so disk waits never hold a scheduler worker;
/// on a scheduler that detaches nothing (CAF's test coordinator), as an ordinary actor.
journal_actor spawn_journal(caf::actor_system& sys, journal_config cfg);

}  // namespace vigil::actors
