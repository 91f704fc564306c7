// Recovery: the state a store's log folds to, from its newest usable checkpoint and the tail.
#pragma once

#include "actors/messages.hpp"
#include "store/store.hpp"

namespace vigil::actors {

/// The newest checkpoint that decodes, falling back to older ones, then the log after it; a
/// log that cannot be decoded is `ok == false` with the seq named. Blocking (it reads the
/// store): the journal runs it on its own thread, `vigil migrate` in main.
recovered recover(const store::store& backend);

}  // namespace vigil::actors
