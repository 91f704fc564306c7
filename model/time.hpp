// Time types of the domain: wall-clock instants (reported) and monotonic instants (judged).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::model {

/// Nanosecond durations everywhere in the model.
using duration = std::chrono::nanoseconds;
/// A wall-clock instant: only ever reported, never used to judge age.
using wall_time = std::chrono::time_point<std::chrono::system_clock, duration>;
/// A monotonic instant: the only clock that ages are measured on.
using mono_time = std::chrono::time_point<std::chrono::steady_clock, duration>;

/// RFC 3339 in UTC with milliseconds, e.g. "2026-11-28T01:34:22.123Z".
std::string format_rfc3339(wall_time t);

/// Parses the subset of RFC 3339 that format_rfc3339 writes plus any offset ("+01:00")
/// and any number of fraction digits. Returns nothing on malformed input.
std::optional<wall_time> parse_rfc3339(std::string_view text);

/// Seconds as a double, for JSON and metrics.
inline double to_seconds(duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace vigil::model
