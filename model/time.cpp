// RFC 3339 formatting and parsing without the C library's locale-dependent time functions.
#include "model/time.hpp"

#include "model/number.hpp"

#include <cstdio>

namespace vigil::model {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool read_digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  const auto v = parse_uint(s.substr(pos, n));
  if (!v) return false;
  out = static_cast<int>(*v);
  return true;
}

}  // namespace

std::string format_rfc3339_fields(int64_t year, unsigned month, unsigned day, unsigned hour,
                                  unsigned minute, unsigned second, std::optional<unsigned> millis,
                                  std::string_view offset) {
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u",
                        static_cast<long long>(year), month, day, hour, minute, second);
  if (millis) n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%03u", *millis);
  std::string out{buf, static_cast<size_t>(n)};
  out += offset;
  return out;
}

std::string format_rfc3339(wall_time t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t.time_since_epoch()).count();
  int64_t days = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
  int64_t rem = ms - days * 86'400'000;
  const civil c = civil_from_days(days);
  return format_rfc3339_fields(c.year, c.month, c.day, static_cast<unsigned>(rem / 3'600'000),
                               static_cast<unsigned>(rem / 60'000 % 60),
                               static_cast<unsigned>(rem / 1000 % 60),
                               static_cast<unsigned>(rem % 1000), "Z");
}

static std::variant<wall_time, time_error> parse_rfc3339_impl(std::string_view s,
                                                              bool supported_only) {
  constexpr auto malformed = time_error::malformed;
  int y, mo, d, h, mi, se;
  if (!read_digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !read_digits(s, 5, 2, mo) ||
      s[7] != '-' || !read_digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') ||
      !read_digits(s, 11, 2, h) || s[13] != ':' || !read_digits(s, 14, 2, mi) || s[16] != ':' ||
      !read_digits(s, 17, 2, se))
    return malformed;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return malformed;
  const int64_t civil_days =
      days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  if (civil_from_days(civil_days).day != static_cast<unsigned>(d)) return malformed;  // Feb 30
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100'000'000;
    size_t first = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == first) return malformed;
  }
  int64_t offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!read_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !read_digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return malformed;
    offset_seconds = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return malformed;
  }
  if (pos != s.size()) return malformed;
  const int64_t secs = civil_days * 86400 + h * 3600 + mi * 60 + se - offset_seconds;
  // Nanoseconds since the epoch fit in int64 only from 1677 to 2262: refuse, never wrap; the
  // supported range is narrower still.
  constexpr int64_t giga = 1'000'000'000;
  int64_t count;
  const bool overflow = secs >= 0 ? __builtin_mul_overflow(secs, giga, &count) ||
                                        __builtin_add_overflow(count, nanos, &count)
                                  : __builtin_mul_overflow(secs + 1, giga, &count) ||
                                        __builtin_add_overflow(count, nanos - giga, &count);
  if (overflow) return time_error::out_of_range;
  const wall_time t{duration{count}};
  if (supported_only && !in_supported_range(t)) return time_error::out_of_range;
  return t;
}

std::variant<wall_time, time_error> parse_rfc3339_checked(std::string_view s) {
  return parse_rfc3339_impl(s, true);
}

std::optional<wall_time> parse_rfc3339(std::string_view s) {
  // Lenient on the range: what the log holds was stored by earlier versions and must read back.
  auto r = parse_rfc3339_impl(s, false);
  if (auto* t = std::get_if<wall_time>(&r)) return *t;
  return std::nullopt;
}

std::string describe(time_error e, std::string_view what) {
  if (e == time_error::out_of_range)
    return std::string(what) + " is outside the supported range " + supported_range_text;
  return std::string(what) + " is not an RFC 3339 time (e.g. 2026-11-28T04:10:00Z)";
}

}  // namespace vigil::model
