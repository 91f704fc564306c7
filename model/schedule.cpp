// Schedules: parsing the three kinds, time zones through cctz, and the next fire of each kind,
// with the daylight-saving policies applied where local civil times do not map one to one.
#include "model/schedule.hpp"

#include <cstdio>
#include <map>
#include <mutex>

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include "model/cron.hpp"
#include "model/duration.hpp"

namespace vigil::model {

struct zone::impl {
  std::string name;
  cctz::time_zone tz;
};

namespace {

constexpr size_t max_expression_bytes = 256;
constexpr size_t max_zone_name_bytes = 64;
// Far enough for "0 0 29 2 *" from any year (leap years are at most 8 years apart).
constexpr int64_t cron_horizon_years = 9;

using seconds_point = cctz::time_point<cctz::seconds>;

struct every_spec {
  duration period;
  duration phase;
};

const cctz::time_zone& tz_of(const zone& z) {
  static const cctz::time_zone utc = cctz::utc_time_zone();
  return z.get() ? z.get()->tz : utc;
}

seconds_point floor_seconds(wall_time t) {
  return std::chrono::time_point_cast<cctz::seconds>(std::chrono::floor<cctz::seconds>(t));
}

/// A whole-second instant as a wall_time; nothing outside the supported range (a wall_time
/// would wrap around past 2262), where a schedule has no further fire.
std::optional<wall_time> to_wall(seconds_point t) {
  const int64_t s = t.time_since_epoch().count();
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  if (s < duration_cast<seconds>(min_supported_time.time_since_epoch()).count() ||
      s >= duration_cast<seconds>(max_supported_time.time_since_epoch()).count())
    return std::nullopt;
  return wall_time{seconds(s)};
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > max_zone_name_bytes || name[0] == '/' ||
      name.find("..") != std::string_view::npos || name == "localtime")
    return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

std::string_view trim(std::string_view s, size_t& offset) {
  offset = 0;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1), ++offset;
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool starts_with_word(std::string_view s, std::string_view word) {
  return s.substr(0, word.size()) == word &&
         (s.size() == word.size() || s[word.size()] == ' ' || s[word.size()] == '\t');
}

schedule_error shifted(schedule_error e, size_t by) {
  e.position += by;
  return e;
}

std::variant<every_spec, schedule_error> parse_every(std::string_view rest, size_t offset) {
  size_t lead = 0;
  rest = trim(rest, lead);
  offset += lead;
  if (rest.empty()) return schedule_error{"@every needs a period, e.g. @every 90s", offset};
  const size_t slash = rest.find('/');
  const std::string_view period_text = rest.substr(0, slash);
  const auto period = parse_duration(period_text);
  if (!period)
    return schedule_error{"@every: \"" + std::string(period_text.substr(0, 32)) +
                              "\" is not a duration (a number and ns, us, ms, s, m or h)",
                          offset};
  if (*period < std::chrono::seconds(1))
    return schedule_error{"@every: the period must be at least 1s", offset};
  every_spec spec{*period, duration{0}};
  if (slash != std::string_view::npos) {
    const std::string_view phase_text = rest.substr(slash + 1);
    const auto phase = parse_duration(phase_text);
    if (!phase)
      return schedule_error{"@every: phase \"" + std::string(phase_text.substr(0, 32)) +
                                "\" is not a duration (a number and ns, us, ms, s, m or h)",
                            offset + slash + 1};
    if (*phase >= *period)
      return schedule_error{"@every: the phase " + format_duration(*phase) +
                                " must be less than the period " + format_duration(*period),
                            offset + slash + 1};
    spec.phase = *phase;
  }
  return spec;
}

// Civil time just past the end of the fold or gap whose transition is at `trans`.
cctz::civil_second civil_after_transition_old_offset(const cctz::time_zone& tz,
                                                     seconds_point trans) {
  return tz.lookup(trans - cctz::seconds(1)).cs + 1;
}

std::optional<wall_time> next_cron(const cron_expr& c, const cctz::time_zone& tz, wall_time after,
                                   const dst_policy& dst) {
  const seconds_point after_s = floor_seconds(after);
  // A fire (whole seconds) is strictly after `after` exactly when it is after floor(after).
  const cctz::civil_second c0 = tz.lookup(after_s).cs;
  const int64_t last_year = c0.year() + cron_horizon_years;

  const cctz::time_zone::civil_lookup here = tz.lookup(c0);
  if (dst.fold == dst_fold::both && here.kind == cctz::time_zone::civil_lookup::REPEATED &&
      after_s < here.trans) {
    // `after` is in the first pass of a fold: later local times of this pass come first, then
    // the second pass repeats the local times from the start of the fold, including those
    // before `after`.
    const cctz::civil_second fold_end = civil_after_transition_old_offset(tz, here.trans);
    const auto next = next_match(c, c0 + 1, last_year);
    if (next && *next < fold_end) return to_wall(tz.lookup(*next).pre);
    const cctz::civil_second fold_start = tz.lookup(here.trans).cs;
    const auto repeat = next_match(c, fold_start, last_year);
    if (repeat && *repeat <= c0) return to_wall(tz.lookup(*repeat).post);
  }

  cctz::civil_second from = c0 + 1;
  // Each pass returns or moves past a gap or fold; a few passes at most.
  for (int pass = 0; pass < 64; ++pass) {
    const auto next = next_match(c, from, last_year);
    if (!next) return std::nullopt;
    const cctz::time_zone::civil_lookup l = tz.lookup(*next);
    switch (l.kind) {
      case cctz::time_zone::civil_lookup::UNIQUE:
        if (l.pre > after_s) return to_wall(l.pre);
        from = *next + 1;
        break;
      case cctz::time_zone::civil_lookup::SKIPPED:
        // Every local time in the gap runs at its end, so several collapse into one fire.
        if (dst.gap == dst_gap::run_at_end && l.trans > after_s) return to_wall(l.trans);
        from = tz.lookup(l.trans).cs;
        if (from <= *next) from = *next + 1;
        break;
      case cctz::time_zone::civil_lookup::REPEATED:
        if (l.pre > after_s) return to_wall(l.pre);
        if (dst.fold == dst_fold::both && l.post > after_s) return to_wall(l.post);
        // `after` is in the second pass and only first passes fire: skip the rest of the fold.
        from = civil_after_transition_old_offset(tz, l.trans);
        if (from <= *next) from = *next + 1;
        break;
    }
  }
  return std::nullopt;
}

std::optional<wall_time> next_every(const every_spec& e, wall_time after) {
  // Fires at phase + k * period; the first strictly after `after`, without overflow.
  const __int128 p = e.period.count();
  const __int128 a = static_cast<__int128>(after.time_since_epoch().count()) - e.phase.count();
  __int128 k = a / p;
  if (a % p != 0 && a < 0) --k;  // floor
  const __int128 t = (k + 1) * p + e.phase.count();
  if (t >= max_supported_time.time_since_epoch().count()) return std::nullopt;
  return wall_time{duration{static_cast<int64_t>(t)}};
}

}  // namespace

struct schedule::impl {
  std::string text;
  schedule::kind type = schedule::kind::cron;
  cron_expr cron;
  every_spec every{};
  wall_time at{};
};

const char* to_string(dst_gap g) { return g == dst_gap::skip ? "skip" : "run_at_end"; }
const char* to_string(dst_fold f) { return f == dst_fold::both ? "both" : "once"; }

std::optional<dst_gap> parse_dst_gap(std::string_view text) {
  if (text == "run_at_end") return dst_gap::run_at_end;
  if (text == "skip") return dst_gap::skip;
  return std::nullopt;
}

std::optional<dst_fold> parse_dst_fold(std::string_view text) {
  if (text == "once") return dst_fold::once;
  if (text == "both") return dst_fold::both;
  return std::nullopt;
}

const std::string& zone::name() const {
  static const std::string utc = "UTC";
  return impl_ ? impl_->name : utc;
}

duration zone::utc_offset(wall_time t) const {
  return std::chrono::seconds(tz_of(*this).lookup(floor_seconds(t)).offset);
}

std::optional<zone> load_zone(std::string_view name) {
  if (!valid_zone_name(name)) return std::nullopt;
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const zone::impl>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto loaded = std::make_shared<zone::impl>();
    loaded->name = std::string(name);
    // Failures are not cached: a bad name must not grow the cache.
    if (!cctz::load_time_zone(loaded->name, &loaded->tz)) return std::nullopt;
    it = cache.emplace(loaded->name, std::move(loaded)).first;
  }
  zone z;
  z.impl_ = it->second;
  return z;
}

std::string format_rfc3339_in(wall_time t, const zone& z) {
  const seconds_point s = floor_seconds(t);
  const auto l = tz_of(z).lookup(s);
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t - wall_time{s.time_since_epoch()})
          .count();
  const int offset_minutes = (l.offset < 0 ? -l.offset : l.offset) / 60;
  char offset[16];
  std::snprintf(offset, sizeof offset, "%c%02d:%02d", l.offset < 0 ? '-' : '+', offset_minutes / 60,
                offset_minutes % 60);
  return format_rfc3339_fields(
      l.cs.year(), static_cast<unsigned>(l.cs.month()), static_cast<unsigned>(l.cs.day()),
      static_cast<unsigned>(l.cs.hour()), static_cast<unsigned>(l.cs.minute()),
      static_cast<unsigned>(l.cs.second()),
      ms != 0 ? std::optional<unsigned>{static_cast<unsigned>(ms)} : std::nullopt, offset);
}

schedule::kind schedule::type() const { return impl_ ? impl_->type : kind::at; }

const std::string& schedule::text() const {
  static const std::string empty;
  return impl_ ? impl_->text : empty;
}

std::variant<schedule, schedule_error> parse_schedule(std::string_view expr) {
  if (expr.size() > max_expression_bytes)
    return schedule_error{
        "the expression is longer than " + std::to_string(max_expression_bytes) + " bytes",
        max_expression_bytes};
  size_t offset = 0;
  const std::string_view body = trim(expr, offset);
  if (body.empty()) return schedule_error{"the expression is empty", 0};
  auto parsed = std::make_shared<schedule::impl>();
  parsed->text = std::string(expr);
  if (starts_with_word(body, "@every")) {
    auto every = parse_every(body.substr(6), offset + 6);
    if (auto* e = std::get_if<schedule_error>(&every)) return *e;
    parsed->type = schedule::kind::every;
    parsed->every = std::get<every_spec>(every);
  } else if (starts_with_word(body, "@at")) {
    size_t lead = 0;
    const std::string_view when = trim(body.substr(3), lead);
    const auto at = parse_rfc3339_checked(when);
    if (std::holds_alternative<time_error>(at))
      return schedule_error{
          "@at: \"" + std::string(when.substr(0, 40)) + "\" " +
              (std::get<time_error>(at) == time_error::out_of_range
                   ? std::string("is outside the supported range ") + supported_range_text
                   : std::string("is not an RFC 3339 instant with an offset, e.g. "
                                 "2026-03-29T02:30:00+01:00")),
          offset + 3 + lead};
    parsed->type = schedule::kind::at;
    parsed->at = std::get<wall_time>(at);
  } else {
    auto cron = parse_cron(body);
    if (auto* e = std::get_if<schedule_error>(&cron)) return shifted(*e, offset);
    parsed->type = schedule::kind::cron;
    parsed->cron = std::get<cron_expr>(cron);
  }
  schedule s;
  s.impl_ = std::move(parsed);
  return s;
}

std::vector<wall_time> next_fires(const schedule& s, const zone& z, wall_time after, size_t count,
                                  const dst_policy& dst) {
  std::vector<wall_time> out;
  while (out.size() < count) {
    const auto n = next_fire(s, z, after, dst);
    if (!n) break;
    out.push_back(*n);
    after = *n;
  }
  return out;
}

std::optional<wall_time> next_fire(const schedule& s, const zone& z, wall_time after,
                                   const dst_policy& dst) {
  const schedule::impl* p = s.get();
  if (!p || after >= max_supported_time) return std::nullopt;
  // Before the supported range, the first fire inside it comes next: nothing earlier exists.
  if (after < min_supported_time) after = min_supported_time - duration{1};
  std::optional<wall_time> next;
  switch (p->type) {
    case schedule::kind::cron:
      next = next_cron(p->cron, tz_of(z), after, dst);
      break;
    case schedule::kind::every:
      next = next_every(p->every, after);
      break;
    case schedule::kind::at:
      if (p->at > after) next = p->at;
      break;
  }
  // The promise, whatever the kind: strictly after `after`, inside the range, or none.
  if (next && (*next <= after || !in_supported_range(*next))) return std::nullopt;
  return next;
}

}  // namespace vigil::model
