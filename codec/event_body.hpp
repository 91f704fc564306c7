// The fast path for reading event bodies: replay parses millions of them, and nlohmann's
// general parser is most of the cost. This reads exactly what the codec writes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vigil::codec {

/// The fields of an event body that the current event types use.
struct flat_body {
  std::string reason, by, at;
  bool has_reason = false, has_by = false, has_at = false;
};

/// Parses one flat JSON object whose values are all strings of ASCII characters (last
/// duplicate key wins, unknown keys ignored). Nothing for anything else (nested values,
/// numbers, non-ASCII bytes, \u escapes above 0x7f, trailing bytes): the caller then uses the
/// general parser, so answers never differ from it, only the speed does.
std::optional<flat_body> parse_flat_body(std::string_view s);

}  // namespace vigil::codec
