// The one parser of whole numbers for every layer: ASCII digits only (no sign, no space, no
// "0x", no "1e3"), within a maximum, over std::from_chars (no locale, no exceptions).
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace vigil::model {

/// Whether `text` is one or more ASCII digits.
inline bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

/// `text` as a whole number in [0, max]; nothing when it is empty, holds anything but digits,
/// or is above `max` (however many digits).
inline std::optional<uint64_t> parse_uint(std::string_view text,
                                          uint64_t max = std::numeric_limits<uint64_t>::max()) {
  if (!all_digits(text)) return std::nullopt;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v > max) return std::nullopt;
  return v;
}

}  // namespace vigil::model
