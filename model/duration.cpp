// Parsing and formatting of human durations.
#include "model/duration.hpp"

#include <cmath>

namespace vigil::model {

std::optional<duration> parse_duration(std::string_view text) {
  size_t pos = 0;
  double value = 0;
  bool any_digit = false;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    value = value * 10 + (text[pos++] - '0');
    any_digit = true;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    double scale = 0.1;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      value += (text[pos++] - '0') * scale;
      scale /= 10;
      any_digit = true;
    }
  }
  if (!any_digit) return std::nullopt;
  const std::string_view unit = text.substr(pos);
  double nanos_per_unit;
  if (unit == "ns")
    nanos_per_unit = 1;
  else if (unit == "us")
    nanos_per_unit = 1e3;
  else if (unit == "ms")
    nanos_per_unit = 1e6;
  else if (unit == "s")
    nanos_per_unit = 1e9;
  else if (unit == "m")
    nanos_per_unit = 60e9;
  else if (unit == "h")
    nanos_per_unit = 3600e9;
  else
    return std::nullopt;
  const double nanos = value * nanos_per_unit;
  if (!std::isfinite(nanos) || nanos > 9.2e18) return std::nullopt;
  return duration{static_cast<int64_t>(std::llround(nanos))};
}

std::string format_duration(duration d) {
  const int64_t n = d.count();
  struct unit {
    int64_t nanos;
    const char* name;
  };
  for (const unit u : {unit{3'600'000'000'000, "h"}, unit{60'000'000'000, "m"},
                       unit{1'000'000'000, "s"}, unit{1'000'000, "ms"}, unit{1'000, "us"}}) {
    if (n != 0 && n % u.nanos == 0) return std::to_string(n / u.nanos) + u.name;
  }
  return std::to_string(n) + "ns";
}

}  // namespace vigil::model
