// Human durations for flags and configuration: "250ms", "1s", "1.5m", "2h".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/time.hpp"

namespace vigil::model {

/// Parses a non-negative number with a unit (ns, us, ms, s, m, h). No unit is an error:
/// "5" could mean seconds or milliseconds, and guessing is how outages start.
std::optional<duration> parse_duration(std::string_view text);

/// The shortest exact rendering, e.g. 1500ms -> "1500ms", 2s -> "2s".
std::string format_duration(duration d);

}  // namespace vigil::model
