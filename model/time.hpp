// Time types of the domain: wall-clock instants (reported) and monotonic instants (judged).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace vigil::model {

/// Nanosecond durations everywhere in the model.
using duration = std::chrono::nanoseconds;
/// A wall-clock instant: only ever reported, never used to judge age.
using wall_time = std::chrono::time_point<std::chrono::system_clock, duration>;
/// A monotonic instant: the only clock that ages are measured on.
using mono_time = std::chrono::time_point<std::chrono::steady_clock, duration>;

/// The instants vigil computes with: [1678-01-01T00:00:00Z, 2262-01-01T00:00:00Z). A wall_time
/// counts nanoseconds in 64 bits, which ends on 1677-09-21 and 2262-04-11; the supported range
/// stops short of both by more than three months, so that adding a jitter, a grace or a backoff
/// to a time inside it never overflows. Inputs outside it are refused; a schedule whose next
/// fire would fall outside it has no further fire.
inline constexpr wall_time min_supported_time{std::chrono::seconds(-9'214'560'000)};
inline constexpr wall_time max_supported_time{std::chrono::seconds(9'214'646'400)};
/// "1678-01-01T00:00:00Z..2262-01-01T00:00:00Z" (the end excluded), for messages.
inline constexpr const char* supported_range_text = "1678-01-01T00:00:00Z..2262-01-01T00:00:00Z";
inline bool in_supported_range(wall_time t) {
  return t >= min_supported_time && t < max_supported_time;
}

/// RFC 3339 in UTC with milliseconds, e.g. "2026-11-28T01:34:22.123Z".
std::string format_rfc3339(wall_time t);

/// The one RFC 3339 writer of civil fields: "YYYY-MM-DDTHH:MM:SS", then ".mmm" when `millis`
/// is set, then `offset` ("Z", "+01:00"). format_rfc3339 and format_rfc3339_in write with it.
std::string format_rfc3339_fields(int64_t year, unsigned month, unsigned day, unsigned hour,
                                  unsigned minute, unsigned second, std::optional<unsigned> millis,
                                  std::string_view offset);

/// Why parse_rfc3339_checked refused a text.
enum class time_error { malformed, out_of_range };

/// Parses the subset of RFC 3339 that format_rfc3339 writes plus any offset ("+01:00")
/// and any number of fraction digits; an instant outside the supported range is out_of_range.
std::variant<wall_time, time_error> parse_rfc3339_checked(std::string_view text);
/// The same without the supported range (any instant a wall_time holds), nothing when refused:
/// for reading what the log stored, which must stay readable whatever it holds.
std::optional<wall_time> parse_rfc3339(std::string_view text);
/// The message for a refused time in `what` (e.g. "after"): names the supported range when it
/// was out of it.
std::string describe(time_error e, std::string_view what);

/// Seconds as a double, for JSON and metrics.
inline double to_seconds(duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace vigil::model
