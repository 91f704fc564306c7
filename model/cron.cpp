// Cron expressions: a small hand-written parser into bit sets, and a field-by-field search that
// jumps from matching month to matching day to matching time instead of stepping through seconds.
#include "model/cron.hpp"

#include <array>
#include <string>

namespace vigil::model {
namespace {

constexpr size_t max_list_items = 64;

struct field_spec {
  const char* name;
  int min;
  int max;
};

// In the 6-field order; a 5-field expression starts at index 1.
constexpr std::array<field_spec, 6> fields = {{{"second", 0, 59},
                                               {"minute", 0, 59},
                                               {"hour", 0, 23},
                                               {"day of month", 1, 31},
                                               {"month", 1, 12},
                                               {"day of week", 0, 7}}};
enum field_index { f_second, f_minute, f_hour, f_dom, f_month, f_dow };

constexpr std::array<const char*, 12> month_names = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> weekday_names = {"SUN", "MON", "TUE", "WED",
                                                      "THU", "FRI", "SAT"};

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (upper(a[i]) != upper(b[i])) return false;
  return true;
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= 0x20 && c < 0x7f)
      out += c;
    else
      out += '?';
  }
  return out;
}

// Parses one field (one whitespace-free token) into its bits and specials.
class field_parser {
 public:
  field_parser(cron_expr& out, int field, int number, std::string_view token, size_t offset)
      : out_(out), field_(field), number_(number), token_(token), offset_(offset) {}

  std::optional<schedule_error> run() {
    const field_spec& spec = fields[static_cast<size_t>(field_)];
    if (token_ == "?") {
      if (field_ != f_dom && field_ != f_dow)
        return fail(0, "'?' is only allowed in day of month and day of week");
      (field_ == f_dom ? out_.dom_star : out_.dow_star) = true;
      set_range(spec.min, field_ == f_dow ? 6 : spec.max, 1);
      return std::nullopt;
    }
    if (field_ == f_dom && token_[0] == '*') out_.dom_star = true;
    if (field_ == f_dow && token_[0] == '*') out_.dow_star = true;
    size_t start = 0;
    size_t items = 0;
    while (true) {
      size_t end = token_.find(',', start);
      if (end == std::string_view::npos) end = token_.size();
      if (++items > max_list_items)
        return fail(start, "more than " + std::to_string(max_list_items) + " list items");
      if (end == start) return fail(start, "empty list item");
      if (auto e = item(start, end)) return e;
      if (end == token_.size()) break;
      start = end + 1;
    }
    return std::nullopt;
  }

 private:
  schedule_error fail(size_t at, const std::string& what) const {
    return schedule_error{"field " + std::to_string(number_) + " (" +
                              fields[static_cast<size_t>(field_)].name + "): " + what,
                          offset_ + at};
  }

  // A number (at most 3 digits read; more is out of range) or a name; advances pos.
  std::optional<schedule_error> value(size_t& pos, size_t end, int& v) {
    const field_spec& spec = fields[static_cast<size_t>(field_)];
    const size_t begin = pos;
    if (pos < end && is_digit(token_[pos])) {
      long long n = 0;
      while (pos < end && is_digit(token_[pos])) {
        if (n < 100000) n = n * 10 + (token_[pos] - '0');
        ++pos;
      }
      if (n < spec.min || n > spec.max)
        return fail(begin, std::string(token_.substr(begin, pos - begin)) + " is out of range " +
                               std::to_string(spec.min) + "-" + std::to_string(spec.max));
      v = static_cast<int>(n);
      return std::nullopt;
    }
    if (pos < end && is_alpha(token_[pos]) && (field_ == f_month || field_ == f_dow)) {
      size_t stop = pos;
      while (stop < end && is_alpha(token_[stop])) ++stop;
      const std::string_view word = token_.substr(pos, stop - pos);
      if (field_ == f_month) {
        for (size_t i = 0; i < month_names.size(); ++i)
          if (iequals(word, month_names[i])) v = static_cast<int>(i) + 1, pos = stop;
      } else {
        for (size_t i = 0; i < weekday_names.size(); ++i)
          if (iequals(word, weekday_names[i])) v = static_cast<int>(i), pos = stop;
      }
      if (pos == begin)
        return fail(begin, "unknown name \"" + printable(token_.substr(begin, stop - begin)) +
                               "\" (use " + (field_ == f_month ? "JAN-DEC" : "SUN-SAT") + ")");
      return std::nullopt;
    }
    if (pos >= end) return fail(pos, "missing value");
    return fail(pos, "unexpected character '" + printable(token_.substr(pos, 1)) + "'");
  }

  void set_range(int lo, int hi, int step) {
    for (int v = lo; v <= hi; v += step) set(v);
  }

  void set(int v) {
    switch (field_) {
      case f_second:
        out_.seconds |= uint64_t{1} << v;
        break;
      case f_minute:
        out_.minutes |= uint64_t{1} << v;
        break;
      case f_hour:
        out_.hours |= uint32_t{1} << v;
        break;
      case f_dom:
        out_.days |= uint32_t{1} << v;
        break;
      case f_month:
        out_.months = static_cast<uint16_t>(out_.months | (1u << v));
        break;
      default:
        out_.weekdays = static_cast<uint8_t>(out_.weekdays | (1u << (v % 7)));
        break;
    }
  }

  std::optional<schedule_error> dom_special(size_t start, size_t end, bool& handled) {
    const std::string_view item = token_.substr(start, end - start);
    handled = true;
    if (iequals(item, "L")) {
      out_.before_last |= 1u;
      return std::nullopt;
    }
    if (iequals(item, "LW")) {
      out_.last_weekday = true;
      return std::nullopt;
    }
    if (item.size() >= 2 && upper(item[0]) == 'L' && item[1] == '-') {
      size_t pos = start + 2;
      long long n = 0;
      while (pos < end && is_digit(token_[pos]) && n < 1000) n = n * 10 + (token_[pos++] - '0');
      if (pos == start + 2 || pos != end)
        return fail(start, "\"" + printable(item) + "\" is not L-<days>, e.g. L-3");
      if (n > 30) return fail(start + 2, "L-" + std::to_string(n) + ": offset must be 0-30");
      out_.before_last |= 1u << n;
      return std::nullopt;
    }
    if (upper(item.back()) == 'W') {
      size_t pos = start;
      int day = 0;
      if (auto e = value(pos, end - 1, day)) return e;
      if (pos != end - 1) return fail(start, "W needs a single day before it, e.g. 15W");
      out_.nearest_weekday |= 1u << day;
      return std::nullopt;
    }
    handled = false;
    return std::nullopt;
  }

  std::optional<schedule_error> dow_special(size_t start, size_t end, bool& handled) {
    const std::string_view item = token_.substr(start, end - start);
    handled = true;
    const size_t hash = item.find('#');
    if (hash != std::string_view::npos) {
      size_t pos = start;
      int day = 0;
      if (auto e = value(pos, start + hash, day)) return e;
      if (pos != start + hash) return fail(start, "# needs a single weekday before it, e.g. FRI#3");
      pos = start + hash + 1;
      long long n = 0;
      while (pos < end && is_digit(token_[pos]) && n < 1000) n = n * 10 + (token_[pos++] - '0');
      if (pos == start + hash + 1 || pos != end)
        return fail(start + hash, "# needs an occurrence after it, e.g. FRI#3");
      if (n < 1 || n > 5)
        return fail(start + hash + 1, printable(item) + ": occurrence must be 1-5");
      out_.nth_weekday[n] = static_cast<uint8_t>(out_.nth_weekday[n] | (1u << (day % 7)));
      return std::nullopt;
    }
    if (iequals(item, "L"))
      return fail(start, "L alone is ambiguous in day of week; use SAT, or 5L for the last Friday");
    if (item.size() >= 2 && upper(item.back()) == 'L') {
      size_t pos = start;
      int day = 0;
      if (auto e = value(pos, end - 1, day)) return e;
      if (pos != end - 1) return fail(start, "L needs a single weekday before it, e.g. 5L");
      out_.last_weekday_in_month =
          static_cast<uint8_t>(out_.last_weekday_in_month | (1u << (day % 7)));
      return std::nullopt;
    }
    handled = false;
    return std::nullopt;
  }

  std::optional<schedule_error> item(size_t start, size_t end) {
    const field_spec& spec = fields[static_cast<size_t>(field_)];
    bool handled = false;
    if (field_ == f_dom) {
      if (auto e = dom_special(start, end, handled)) return e;
    } else if (field_ == f_dow) {
      if (auto e = dow_special(start, end, handled)) return e;
    }
    if (handled) return std::nullopt;

    const size_t slash = token_.substr(start, end - start).find('/');
    const size_t base_end = slash == std::string_view::npos ? end : start + slash;
    int lo = spec.min;
    int hi = field_ == f_dow ? 6 : spec.max;
    bool single = false;
    bool wraps = false;
    size_t pos = start;
    if (token_[pos] == '*') {
      ++pos;
    } else if (token_[pos] == '?') {
      return fail(pos, "'?' must be the whole field");
    } else {
      if (auto e = value(pos, base_end, lo)) return e;
      if (pos < base_end && token_[pos] == '-') {
        ++pos;
        if (auto e = value(pos, base_end, hi)) return e;
        // Day of week 7 is Sunday, as 0: SAT-7 is SAT-SUN, 7-MON is SUN-MON.
        if (field_ == f_dow && hi < lo) {
          lo %= 7;
          hi %= 7;
        }
        wraps = hi < lo;  // 22-2: 22 to the field's end, then its start to 2 (as Quartz does)
      } else {
        single = true;
        hi = lo;
      }
    }
    if (pos != base_end)
      return fail(pos, "unexpected character '" + printable(token_.substr(pos, 1)) + "'");
    int step = 1;
    if (slash != std::string_view::npos) {
      pos = base_end + 1;
      long long n = 0;
      while (pos < end && is_digit(token_[pos]) && n < 100000) n = n * 10 + (token_[pos++] - '0');
      if (pos == base_end + 1) return fail(pos, "missing step after '/'");
      if (pos != end)
        return fail(pos, "unexpected character '" + printable(token_.substr(pos, 1)) + "'");
      const int span = (field_ == f_dow ? 7 : spec.max - spec.min + 1);
      if (n < 1 || n > span)
        return fail(base_end + 1,
                    "step " + std::to_string(n) + " is out of range 1-" + std::to_string(span));
      step = static_cast<int>(n);
      // "a/n" means from a to the end of the range.
      if (single) hi = field_ == f_dow ? 6 : spec.max;
    }
    if (wraps)
      set_wrapped(lo, hi, step);
    else
      set_range(lo, hi, step);
    return std::nullopt;
  }

  // lo to the field's last value, then on from its first to hi, the step counted from lo
  // across the wrap: hours 22-2/2 is 22, 0, 2.
  void set_wrapped(int lo, int hi, int step) {
    const field_spec& spec = fields[static_cast<size_t>(field_)];
    const int first = spec.min, last = field_ == f_dow ? 6 : spec.max;
    const int span = last - first + 1;
    for (int v = lo; v <= hi + span; v += step) set(v > last ? v - span : v);
  }

  cron_expr& out_;
  int field_;
  int number_;
  std::string_view token_;
  size_t offset_;
};

struct macro {
  const char* name;
  const char* expansion;
};
constexpr std::array<macro, 7> macros = {{{"@yearly", "0 0 1 1 *"},
                                          {"@annually", "0 0 1 1 *"},
                                          {"@monthly", "0 0 1 * *"},
                                          {"@weekly", "0 0 * * 0"},
                                          {"@daily", "0 0 * * *"},
                                          {"@midnight", "0 0 * * *"},
                                          {"@hourly", "0 * * * *"}}};

int days_in_month(int64_t y, int m) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return days[m - 1];
}

// Weekday of a civil day, 0 = Sunday.
int weekday_of(int64_t y, int m, int d) {
  switch (cctz::get_weekday(cctz::civil_day(y, m, d))) {
    case cctz::weekday::sunday:
      return 0;
    case cctz::weekday::monday:
      return 1;
    case cctz::weekday::tuesday:
      return 2;
    case cctz::weekday::wednesday:
      return 3;
    case cctz::weekday::thursday:
      return 4;
    case cctz::weekday::friday:
      return 5;
    case cctz::weekday::saturday:
      return 6;
  }
  return 0;
}

// The lowest set bit at or above `from`, or -1.
int next_bit(uint64_t mask, int from) {
  if (from >= 64) return -1;
  const uint64_t rest = mask & (~uint64_t{0} << from);
  return rest == 0 ? -1 : __builtin_ctzll(rest);
}

}  // namespace

std::variant<cron_expr, schedule_error> parse_cron(std::string_view text) {
  std::string_view body = text;
  size_t base = 0;
  if (!text.empty() && text[0] == '@') {
    body = {};
    for (const macro& m : macros)
      if (iequals(text, m.name)) body = m.expansion;
    if (body.empty())
      return schedule_error{"unknown macro \"" + printable(text.substr(0, 32)) +
                                "\" (known: @yearly, @annually, @monthly, @weekly, @daily, "
                                "@midnight, @hourly, @every, @at)",
                            0};
  }
  std::array<std::string_view, 7> tokens;
  std::array<size_t, 7> offsets{};
  size_t count = 0;
  for (size_t i = 0; i < body.size();) {
    if (is_space(body[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < body.size() && !is_space(body[j])) ++j;
    if (count == tokens.size()) break;
    tokens[count] = body.substr(i, j - i);
    offsets[count] = base + i;
    ++count;
    i = j;
  }
  if (count != 5 && count != 6)
    return schedule_error{
        "expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
        "(with seconds first), got " +
            (count > 6 ? std::string("more than 6") : std::to_string(count)),
        count > 6 ? offsets[6] : 0};
  cron_expr c;
  c.dom_star = false;
  c.dow_star = false;
  const int first_field = count == 6 ? f_second : f_minute;
  if (count == 5) c.seconds = 1;  // second 0
  for (size_t i = 0; i < count; ++i) {
    const int field = first_field + static_cast<int>(i);
    field_parser p(c, field, static_cast<int>(i) + 1, tokens[i], offsets[i]);
    if (auto e = p.run()) return *e;
  }
  return c;
}

uint32_t matching_days(const cron_expr& c, int64_t year, int month) {
  const int n = days_in_month(year, month);
  const auto in_month = static_cast<uint32_t>((uint64_t{1} << (n + 1)) - 2);  // bits 1..n
  uint32_t dom = c.days;
  for (int k = next_bit(c.before_last, 0); k >= 0; k = next_bit(c.before_last, k + 1))
    if (n - k >= 1) dom |= uint32_t{1} << (n - k);
  const int wd1 = weekday_of(year, month, 1);
  auto weekday = [&](int d) { return (wd1 + d - 1) % 7; };
  if (c.last_weekday) {
    int d = n;
    while (weekday(d) == 0 || weekday(d) == 6) --d;
    dom |= uint32_t{1} << d;
  }
  for (int d = next_bit(c.nearest_weekday, 1); d >= 0; d = next_bit(c.nearest_weekday, d + 1)) {
    if (d > n) break;  // no such day this month: no fire (never spills into the next month)
    int target = d;
    if (weekday(d) == 6)
      target = d == 1 ? 3 : d - 1;
    else if (weekday(d) == 0)
      target = d == n ? d - 2 : d + 1;
    dom |= uint32_t{1} << target;
  }
  dom &= in_month;

  uint32_t dow = 0;
  const bool any_nth = (c.nth_weekday[1] | c.nth_weekday[2] | c.nth_weekday[3] | c.nth_weekday[4] |
                        c.nth_weekday[5]) != 0;
  if (c.weekdays == 0x7f && !any_nth && c.last_weekday_in_month == 0) {
    dow = in_month;
  } else {
    for (int d = 1; d <= n; ++d) {
      const int w = weekday(d);
      const bool hit = ((c.weekdays >> w) & 1) || ((c.nth_weekday[(d - 1) / 7 + 1] >> w) & 1) ||
                       (d + 7 > n && ((c.last_weekday_in_month >> w) & 1));
      if (hit) dow |= uint32_t{1} << d;
    }
  }
  if (c.dom_star || c.dow_star) return dom & dow;
  return dom | dow;
}

std::optional<cctz::civil_second> next_match(const cron_expr& c, cctz::civil_second from,
                                             int64_t last_year) {
  int64_t y = from.year();
  int mo = from.month();
  int d = from.day();
  int h = from.hour();
  int mi = from.minute();
  int s = from.second();
  int64_t cached_year = -1;
  int cached_month = -1;
  uint32_t days = 0;
  // Each pass either returns or moves to a later candidate; a pass that rolls over resets the
  // finer fields to their minimum, so the loop runs a handful of times per matching month.
  while (y <= last_year) {
    if (mo > 12) {
      ++y, mo = 1, d = 1, h = 0, mi = 0, s = 0;
      continue;
    }
    const int m = next_bit(c.months, mo);
    if (m < 0) {
      ++y, mo = 1, d = 1, h = 0, mi = 0, s = 0;
      continue;
    }
    if (m != mo) mo = m, d = 1, h = 0, mi = 0, s = 0;
    if (cached_year != y || cached_month != mo) {
      days = matching_days(c, y, mo);
      cached_year = y, cached_month = mo;
    }
    const int day = next_bit(days, d);
    if (day < 0) {
      ++mo, d = 1, h = 0, mi = 0, s = 0;
      continue;
    }
    if (day != d) d = day, h = 0, mi = 0, s = 0;
    const int hour = next_bit(c.hours, h);
    if (hour < 0) {
      ++d, h = 0, mi = 0, s = 0;
      continue;
    }
    if (hour != h) h = hour, mi = 0, s = 0;
    const int minute = next_bit(c.minutes, mi);
    if (minute < 0) {
      ++h, mi = 0, s = 0;
      if (h == 24) ++d, h = 0;
      continue;
    }
    if (minute != mi) mi = minute, s = 0;
    const int second = next_bit(c.seconds, s);
    if (second < 0) {
      ++mi, s = 0;
      if (mi == 60) ++h, mi = 0;
      if (h == 24) ++d, h = 0;
      continue;
    }
    return cctz::civil_second(y, mo, d, h, mi, second);
  }
  return std::nullopt;
}

}  // namespace vigil::model
