// The checkpoint: the durable state at a log position, so that recovery replays only the tail.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/state.hpp"

namespace vigil::codec {

/// The durable state, for checkpoints.
std::string encode_state(const model::state& s);
/// Nothing when the body is not a checkpoint this code can use; `why`, when given, may say why.
std::optional<model::state> decode_state(std::string_view body, std::string* why = nullptr);

}  // namespace vigil::codec
