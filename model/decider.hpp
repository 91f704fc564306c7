// The decider: decide(state, command, now) -> events or a rejection; apply(state, event) -> state.
#pragma once

#include <variant>
#include <vector>

#include "model/commands.hpp"
#include "model/events.hpp"
#include "model/rejection.hpp"
#include "model/state.hpp"

namespace vigil::model {

/// Events to append (possibly none: the command was already satisfied) or a refusal.
using decision = std::variant<std::vector<event>, rejection>;

/// The only place that says no. Pure: same inputs, same answer.
decision decide(const state& s, const command& c, wall_time now);

/// Total and side-effect free, so replay cannot fail. Does not touch log_seq.
state apply(state s, const event& e);

/// Replays events in order; log_seq advances by one per event applied.
state fold(const std::vector<event>& events, state initial = {});

}  // namespace vigil::model
