// Schedules: refused expressions, @every and @at, zones and formatting, and randomized properties
// of cron next_fire checked against an independent brute-force matcher in five zones.
#include "model/schedule.hpp"

#include <catch2/catch.hpp>

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace vigil::model;

wall_time at(const char* text) {
  const auto t = parse_rfc3339(text);
  REQUIRE(t);
  return *t;
}

schedule parse_ok(std::string_view expr) {
  auto parsed = parse_schedule(expr);
  INFO(expr);
  REQUIRE(std::holds_alternative<schedule>(parsed));
  return std::get<schedule>(parsed);
}

struct error_row {
  std::string expr;
  const char* fragment;
  long position;  ///< -1: not checked
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Refusals

TEST_CASE("invalid expressions are refused with a message naming what is wrong",
          "[model][schedule]") {
  std::string sixty_five_items = "0";
  for (int i = 1; i < 65; ++i) sixty_five_items += ",0";
  const std::vector<error_row> rows = {
      {"", "empty", 0},
      {"   ", "empty", 0},
      {"* * * *", "expected 5 fields", -1},
      {"* * * *", "got 4", -1},
      {"* * * * * * *", "got more than 6", 12},
      {"60 * * * *", "field 1 (minute): 60 is out of range 0-59", 0},
      {"* 24 * * *", "field 2 (hour): 24 is out of range 0-23", 2},
      {"0 0 32 * *", "field 3 (day of month): 32 is out of range 1-31", 4},
      {"0 0 0 * *", "field 3 (day of month): 0 is out of range 1-31", 4},
      {"0 0 * 13 *", "field 4 (month): 13 is out of range 1-12", 6},
      {"0 0 * 0 *", "field 4 (month): 0 is out of range 1-12", 6},
      {"0 0 * * 8", "field 5 (day of week): 8 is out of range 0-7", 8},
      {"60 * * * * *", "field 1 (second): 60 is out of range 0-59", 0},
      {"0 60 * * * *", "field 2 (minute): 60 is out of range 0-59", 2},
      {"1000 * * * *", "1000 is out of range 0-59", 0},
      {"99999999999999999999 * * * *", "is out of range 0-59", 0},
      {"*/0 * * * *", "field 1 (minute): step 0 is out of range 1-60", 2},
      {"*/61 * * * *", "step 61 is out of range 1-60", 2},
      {"0 0 */ * *", "missing step after '/'", -1},
      {"@at 2300-01-01T00:00:00Z", "outside the supported range 1678-01-01T00:00:00Z", 4},
      {"@at 2262-01-01T00:00:00Z", "outside the supported range", 4},
      {"0 0 * FOO *", "field 4 (month): unknown name \"FOO\"", 6},
      {"0 0 * JAN-FOO *", "unknown name \"FOO\"", 10},
      {"0 0 * * FUN", "field 5 (day of week): unknown name \"FUN\"", 8},
      {"0 0 MON * *", "field 3 (day of month): unexpected character 'M'", 4},
      {"0 0 * * 5#6", "occurrence must be 1-5", 10},
      {"0 0 * * 5#0", "occurrence must be 1-5", 10},
      {"0 0 * * 5#", "# needs an occurrence after it", -1},
      {"0 0 * * 1-2#3", "# needs a single weekday", -1},
      {"0 0 * * 8#1", "8 is out of range 0-7", 8},
      {"0 0 L-31 * *", "L-31: offset must be 0-30", -1},
      {"0 0 L-x * *", "is not L-<days>", 4},
      {"0 0 1-5W * *", "W needs a single day before it", 4},
      {"0 0 32W * *", "32 is out of range 1-31", 4},
      {"0 0 * * L", "L alone is ambiguous in day of week", 8},
      {"0 0 * * 1-5L", "L needs a single weekday before it", 8},
      {"0 0 * * 8L", "8 is out of range 0-7", 8},
      {"? 0 * * *", "field 1 (minute): '?' is only allowed in day of month and day of week", 0},
      {"0 0 ?/2 * *", "'?' must be the whole field", 4},
      {"0 0 1,,2 * *", "empty list item", 6},
      {"0 0 1, * *", "empty list item", 6},
      {"0 0 1-a * *", "unexpected character 'a'", 6},
      {"0 0 1-2-3 * *", "unexpected character '-'", 7},
      {"0 0 * * *x", "unexpected character 'x'", 9},
      {"\x01 * * * *", "unexpected character", 0},
      {sixty_five_items + " * * * *", "more than 64 list items", 128},
      {std::string(257, '*'), "longer than 256 bytes", 256},
      {"@reboot", "unknown macro \"@reboot\"", 0},
      {"@daily 5", "unknown macro", 0},
      {"@every", "@every needs a period", -1},
      {"@every 0s", "the period must be at least 1s", -1},
      {"@every 500ms", "the period must be at least 1s", -1},
      {"@every 10", "\"10\" is not a duration", 7},
      {"@every -5s", "is not a duration", 7},
      {"@every 1h/1h", "the phase 1h must be less than the period 1h", 10},
      {"@every 1h/90m", "the phase 90m must be less than the period 1h", 10},
      {"@every 1h/xyz", "phase \"xyz\" is not a duration", 10},
      {"@at 2026-13-01T00:00:00Z", "is not an RFC 3339 instant", 4},
      {"@at 2026-03-29T02:30:00", "is not an RFC 3339 instant", 4},
      {"@at", "is not an RFC 3339 instant", -1},
  };
  CHECK(rows.size() >= 30);
  for (const error_row& row : rows) {
    INFO("expression: \"" << row.expr << "\"");
    const auto parsed = parse_schedule(row.expr);
    REQUIRE(std::holds_alternative<schedule_error>(parsed));
    const schedule_error& e = std::get<schedule_error>(parsed);
    INFO("message: " << e.message << " at " << e.position);
    CHECK(e.message.find(row.fragment) != std::string::npos);
    if (row.position >= 0) CHECK(e.position == static_cast<size_t>(row.position));
  }
}

TEST_CASE("random bytes never crash the parser and always get an answer", "[model][schedule]") {
  std::mt19937_64 rng(20260329);
  const std::string alphabet = "0123456789*/,-?#LW@ \tJANFRIMONSUNevryat:.Z+hms\x01";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const size_t n = rng() % 40;
    for (size_t k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
    const auto parsed = parse_schedule(s);
    if (const auto* e = std::get_if<schedule_error>(&parsed)) {
      CHECK_FALSE(e->message.empty());
      CHECK(e->position <= s.size());
    } else {
      // Whatever parsed must also evaluate, quickly and without throwing.
      const auto z = load_zone("Europe/Berlin");
      REQUIRE(z);
      const auto f = next_fire(std::get<schedule>(parsed), *z, at("2026-03-29T00:30:00Z"));
      if (f) CHECK(*f > at("2026-03-29T00:30:00Z"));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// @every and @at

TEST_CASE("@every fires at the Unix epoch plus whole periods, in any zone", "[model][schedule]") {
  const schedule s = parse_ok("@every 90s");
  CHECK(s.type() == schedule::kind::every);
  CHECK(s.text() == "@every 90s");
  // 2026-01-01T00:00:00Z is 1767225600 s after the epoch = 19635840 * 90: itself a fire.
  CHECK(next_fire(s, {}, at("2026-01-01T00:00:00Z")) == at("2026-01-01T00:01:30Z"));
  CHECK(next_fire(s, {}, at("2026-01-01T00:01:30Z")) == at("2026-01-01T00:03:00Z"));
  CHECK(next_fire(s, {}, at("2026-01-01T00:01:29.999Z")) == at("2026-01-01T00:01:30Z"));
  CHECK(next_fire(s, {}, at("2025-12-31T23:59:59.999Z")) == at("2026-01-01T00:00:00Z"));
  const auto berlin = load_zone("Europe/Berlin");
  REQUIRE(berlin);
  CHECK(next_fire(s, *berlin, at("2026-01-01T00:00:00Z")) == at("2026-01-01T00:01:30Z"));
  // Daylight saving time changes nothing: a 1h period keeps firing every real hour.
  const schedule hourly = parse_ok("@every 1h");
  CHECK(next_fire(hourly, *berlin, at("2026-03-29T00:30:00Z")) == at("2026-03-29T01:00:00Z"));
  CHECK(next_fire(hourly, *berlin, at("2026-03-29T01:00:00Z"),
                  dst_policy{dst_gap::skip, dst_fold::once}) == at("2026-03-29T02:00:00Z"));
  CHECK(next_fire(hourly, *berlin, at("2026-10-25T00:00:00Z")) == at("2026-10-25T01:00:00Z"));
}

TEST_CASE("@every with a phase shifts every fire by the phase", "[model][schedule]") {
  const schedule s = parse_ok("@every 1h/15m");
  CHECK(next_fire(s, {}, at("2026-01-01T00:00:00Z")) == at("2026-01-01T00:15:00Z"));
  CHECK(next_fire(s, {}, at("2026-01-01T00:15:00Z")) == at("2026-01-01T01:15:00Z"));
  CHECK(next_fire(s, {}, at("2026-01-01T00:14:59Z")) == at("2026-01-01T00:15:00Z"));
  const schedule d = parse_ok("@every 24h/6h");
  CHECK(next_fire(d, {}, at("2026-01-01T07:00:00Z")) == at("2026-01-02T06:00:00Z"));
  const schedule odd = parse_ok("  @every 7s/3s  ");
  // 1767225600 = 252460800 * 7 + 0, so fires are at ...600 + 3.
  CHECK(next_fire(odd, {}, at("2026-01-01T00:00:00Z")) == at("2026-01-01T00:00:03Z"));
  CHECK(next_fire(odd, {}, at("2026-01-01T00:00:03Z")) == at("2026-01-01T00:00:10Z"));
  // Before the epoch the arithmetic still floors.
  const schedule m = parse_ok("@every 1m");
  CHECK(next_fire(m, {}, at("1969-12-31T23:59:30Z")) == at("1970-01-01T00:00:00Z"));
  CHECK(next_fire(m, {}, at("1969-12-31T23:58:00Z")) == at("1969-12-31T23:59:00Z"));
}

TEST_CASE("wrap-around ranges run to the field's end and on from its start", "[model][schedule]") {
  struct example {
    const char* expr;
    const char* after;
    std::vector<const char*> fires;
  };
  const std::vector<example> examples = {
      {"0 22-2 * * *",
       "2026-01-01T21:30:00Z",
       {"2026-01-01T22:00:00Z", "2026-01-01T23:00:00Z", "2026-01-02T00:00:00Z",
        "2026-01-02T01:00:00Z", "2026-01-02T02:00:00Z", "2026-01-02T22:00:00Z"}},
      {"0 22-2/2 * * *",
       "2026-01-01T21:30:00Z",
       {"2026-01-01T22:00:00Z", "2026-01-02T00:00:00Z", "2026-01-02T02:00:00Z",
        "2026-01-02T22:00:00Z"}},
      {"50-10/10 * * * *",
       "2026-01-01T00:45:00Z",
       {"2026-01-01T00:50:00Z", "2026-01-01T01:00:00Z", "2026-01-01T01:10:00Z",
        "2026-01-01T01:50:00Z"}},
      // 2026-01-02 is a Friday: FRI, SAT, SUN, MON, then the next FRI.
      {"0 0 * * FRI-MON",
       "2026-01-01T12:00:00Z",
       {"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z",
        "2026-01-05T00:00:00Z", "2026-01-09T00:00:00Z"}},
      {"0 0 * * SAT-7",
       "2026-01-01T12:00:00Z",  // 7 is Sunday: SAT-SUN, no wrap needed
       {"2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-10T00:00:00Z"}},
      {"0 0 * * 7-1",
       "2026-01-01T12:00:00Z",  // SUN-MON
       {"2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z", "2026-01-11T00:00:00Z"}},
      // Day of month wraps at 31: in a 30-day month 28-3 is 28, 29, 30, 1, 2, 3.
      {"0 0 28-3 * *",
       "2026-04-27T00:00:00Z",
       {"2026-04-28T00:00:00Z", "2026-04-29T00:00:00Z", "2026-04-30T00:00:00Z",
        "2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z", "2026-05-03T00:00:00Z",
        "2026-05-28T00:00:00Z"}},
      {"0 0 1 NOV-FEB *",
       "2026-03-15T00:00:00Z",
       {"2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z",
        "2027-02-01T00:00:00Z", "2027-11-01T00:00:00Z"}},
      {"58-1 0 0 * * *",
       "2026-01-01T00:00:00Z",
       {"2026-01-01T00:00:01Z", "2026-01-01T00:00:58Z", "2026-01-01T00:00:59Z",
        "2026-01-02T00:00:00Z"}},
  };
  for (const auto& ex : examples) {
    INFO(ex.expr);
    const schedule s = parse_ok(ex.expr);
    wall_time from = at(ex.after);
    for (const char* want : ex.fires) {
      const auto f = next_fire(s, {}, from);
      REQUIRE(f);
      CHECK(format_rfc3339(*f) == format_rfc3339(at(want)));
      from = *f;
    }
  }
}

TEST_CASE("at the end of the supported range every schedule kind has no further fire",
          "[model][schedule]") {
  const wall_time end = max_supported_time;  // 2262-01-01T00:00:00Z, excluded
  CHECK(format_rfc3339(end) == "2262-01-01T00:00:00.000Z");
  struct example {
    const char* expr;
    const char* after;
    std::vector<const char*> fires;  // then nothing
  };
  const std::vector<example> examples = {
      {"0 0 * * *", "2261-12-29T12:00:00Z", {"2261-12-30T00:00:00Z", "2261-12-31T00:00:00Z"}},
      {"0 0 29 2 *", "2261-03-01T00:00:00Z", {}},  // the next leap day, 2264, is past the end
      {"@yearly", "2261-06-01T00:00:00Z", {}},
      {"59 59 23 31 12 *", "2261-12-31T23:59:00Z", {"2261-12-31T23:59:59Z"}},
      {"* * * * * *", "2261-12-31T23:59:57Z", {"2261-12-31T23:59:58Z", "2261-12-31T23:59:59Z"}},
      {"@every 1h", "2261-12-31T21:30:00Z", {"2261-12-31T22:00:00Z", "2261-12-31T23:00:00Z"}},
      {"@every 168h", "2261-12-20T00:00:00Z", {"2261-12-26T00:00:00Z"}},
      {"@at 2261-12-31T23:59:59Z", "2261-12-01T00:00:00Z", {"2261-12-31T23:59:59Z"}},
      {"0 0 L * ?", "2261-11-15T00:00:00Z", {"2261-11-30T00:00:00Z", "2261-12-31T00:00:00Z"}},
  };
  for (const char* zone_name : {"UTC", "Pacific/Kiritimati", "America/New_York"}) {
    const auto z = load_zone(zone_name);
    REQUIRE(z);
    for (const auto& ex : examples) {
      INFO(ex.expr << " in " << zone_name);
      const schedule s = parse_ok(ex.expr);
      wall_time from = at(ex.after);
      size_t seen = 0;
      for (;;) {
        const auto f = next_fire(s, *z, from);
        if (!f) break;
        CHECK(*f > from);
        CHECK(*f < end);
        CHECK(next_fire(s, *z, *f - duration{1}) == f);  // it is a fire, not a wrapped value
        if (std::string(zone_name) == "UTC" && seen < ex.fires.size())
          CHECK(format_rfc3339(*f) == format_rfc3339(at(ex.fires[seen])));
        ++seen;
        from = *f;
        REQUIRE(seen < 1000);
      }
      if (std::string(zone_name) == "UTC") CHECK(seen == ex.fires.size());
    }
  }
  // Past the end, or from the very last representable instant: nothing, never a time in 1677.
  for (const char* expr : {"0 0 * * *", "@every 1s", "* * * * * *", "@at 2261-12-31T23:59:59Z"}) {
    const schedule s = parse_ok(expr);
    CHECK_FALSE(next_fire(s, {}, end));
    CHECK_FALSE(next_fire(s, {}, wall_time{duration{INT64_MAX}}));
  }
}

TEST_CASE("before the supported range the first fire is its first matching instant",
          "[model][schedule]") {
  const wall_time start = min_supported_time;  // 1678-01-01T00:00:00Z
  CHECK(format_rfc3339(start) == "1678-01-01T00:00:00.000Z");
  const wall_time early{duration{INT64_MIN}};  // 1677-09-21
  for (const char* expr : {"0 0 * * *", "@every 1h", "* * * * * *", "0 0 1 1 *", "@hourly"}) {
    INFO(expr);
    const schedule s = parse_ok(expr);
    for (wall_time after : {early, at("1677-12-31T23:59:59Z"), start - duration{1}}) {
      const auto f = next_fire(s, {}, after);
      REQUIRE(f);
      CHECK(*f == start);  // every one of them matches 1678-01-01T00:00:00Z
    }
    const auto g = next_fire(s, {}, start);
    REQUIRE(g);
    CHECK(*g > start);
  }
  // A schedule with no fire in the first days of the range answers its first one, later.
  const auto f = next_fire(parse_ok("0 12 15 3 *"), {}, wall_time{duration{INT64_MIN}});
  REQUIRE(f);
  CHECK(format_rfc3339(*f) == "1678-03-15T12:00:00.000Z");
}

TEST_CASE("@every near the end of representable time answers nothing rather than wrapping",
          "[model][schedule]") {
  const schedule s = parse_ok("@every 1h");
  const wall_time last{duration{INT64_MAX}};
  CHECK_FALSE(next_fire(s, {}, last));
}

TEST_CASE("@at fires once at its instant and never again", "[model][schedule]") {
  const schedule s = parse_ok("@at 2026-03-29T02:30:00+01:00");
  CHECK(s.type() == schedule::kind::at);
  const auto berlin = load_zone("Europe/Berlin");
  REQUIRE(berlin);
  const auto f = next_fire(s, *berlin, at("2026-01-01T00:00:00Z"));
  CHECK(f == at("2026-03-29T01:30:00Z"));
  CHECK(format_rfc3339_in(*f, *berlin) == "2026-03-29T03:30:00+02:00");
  CHECK(next_fire(s, *berlin, at("2026-03-29T01:29:59.999Z")) == at("2026-03-29T01:30:00Z"));
  CHECK_FALSE(next_fire(s, *berlin, at("2026-03-29T01:30:00Z")));
  CHECK_FALSE(next_fire(s, *berlin, at("2027-01-01T00:00:00Z")));
  const schedule z = parse_ok("@at 2026-06-01T12:00:00.250Z");
  CHECK(next_fire(z, {}, at("2026-06-01T12:00:00Z")) == at("2026-06-01T12:00:00.250Z"));
}

TEST_CASE("a default schedule never fires", "[model][schedule]") {
  CHECK_FALSE(next_fire(schedule{}, {}, at("2026-01-01T00:00:00Z")));
  CHECK(schedule{}.text().empty());
}

// ---------------------------------------------------------------------------------------------
// Zones, formatting, policy names

TEST_CASE("zones load by IANA name and bad names are refused", "[model][schedule]") {
  const auto utc = load_zone("UTC");
  REQUIRE(utc);
  CHECK(utc->name() == "UTC");
  CHECK(zone{}.name() == "UTC");
  CHECK(zone{}.utc_offset(at("2026-07-01T00:00:00Z")) == 0s);
  const auto berlin = load_zone("Europe/Berlin");
  REQUIRE(berlin);
  CHECK(berlin->name() == "Europe/Berlin");
  CHECK(berlin->utc_offset(at("2026-01-15T00:00:00Z")) == 1h);
  CHECK(berlin->utc_offset(at("2026-07-15T00:00:00Z")) == 2h);
  const auto lord_howe = load_zone("Australia/Lord_Howe");
  REQUIRE(lord_howe);
  CHECK(lord_howe->utc_offset(at("2026-07-15T00:00:00Z")) == 10h + 30min);
  CHECK(lord_howe->utc_offset(at("2026-01-15T00:00:00Z")) == 11h);
  // Loaded once: a second load shares the same zone.
  CHECK(load_zone("Europe/Berlin")->get() == berlin->get());

  for (const char* bad :
       {"", "Mars/Olympus_Mons", "Europe/Berlinn", "../../etc/passwd", "/usr/share/zoneinfo/UTC",
        "Europe/../Europe/Berlin", "localtime", "Europe/Berlin ", "Europe\\Berlin",
        "abcdefghijabcdefghijabcdefghijabcde"
        "fghijabcdefghijabcdefghijabcdefghij"}) {
    INFO("zone name: \"" << bad << "\"");
    CHECK_FALSE(load_zone(bad));
  }
  CHECK_FALSE(load_zone(std::string_view("UTC\0x", 5)));
}

TEST_CASE("instants format in the zone's offset, with milliseconds only when non-zero",
          "[model][schedule]") {
  const auto berlin = load_zone("Europe/Berlin");
  const auto ny = load_zone("America/New_York");
  const auto lh = load_zone("Australia/Lord_Howe");
  const auto kathmandu = load_zone("Asia/Kathmandu");
  REQUIRE((berlin && ny && lh && kathmandu));
  CHECK(format_rfc3339_in(at("2026-03-29T01:00:00Z"), *berlin) == "2026-03-29T03:00:00+02:00");
  CHECK(format_rfc3339_in(at("2026-03-29T00:59:59Z"), *berlin) == "2026-03-29T01:59:59+01:00");
  CHECK(format_rfc3339_in(at("2026-11-01T06:30:00.125Z"), *ny) == "2026-11-01T01:30:00.125-05:00");
  CHECK(format_rfc3339_in(at("2026-04-04T15:00:00Z"), *lh) == "2026-04-05T01:30:00+10:30");
  CHECK(format_rfc3339_in(at("2026-01-01T00:00:00Z"), *kathmandu) == "2026-01-01T05:45:00+05:45");
  CHECK(format_rfc3339_in(at("2026-01-01T00:00:00Z"), zone{}) == "2026-01-01T00:00:00+00:00");
  CHECK(format_rfc3339_in(at("1969-12-31T23:59:59.500Z"), zone{}) ==
        "1969-12-31T23:59:59.500+00:00");
}

TEST_CASE("daylight saving policies have stable names", "[model][schedule]") {
  CHECK(std::string(to_string(dst_gap::run_at_end)) == "run_at_end");
  CHECK(std::string(to_string(dst_gap::skip)) == "skip");
  CHECK(std::string(to_string(dst_fold::once)) == "once");
  CHECK(std::string(to_string(dst_fold::both)) == "both");
  CHECK(parse_dst_gap("run_at_end") == dst_gap::run_at_end);
  CHECK(parse_dst_gap("skip") == dst_gap::skip);
  CHECK(parse_dst_fold("once") == dst_fold::once);
  CHECK(parse_dst_fold("both") == dst_fold::both);
  CHECK_FALSE(parse_dst_gap("Skip"));
  CHECK_FALSE(parse_dst_gap(""));
  CHECK_FALSE(parse_dst_fold("twice"));
  CHECK(dst_policy{} == dst_policy{dst_gap::run_at_end, dst_fold::once});
}

// ---------------------------------------------------------------------------------------------
// Randomized properties against a brute-force matcher

namespace {

// One list item of a generated field, kept structured so the matcher never parses text.
struct item {
  enum kind {
    star,
    value,
    range,
    star_step,
    range_step,
    value_step,
    last,
    lw,
    nearest,
    nth_last,
    nth
  } k;
  int a = 0, b = 0, step = 1;
};

struct field {
  std::vector<item> items;
  bool question = false;
  bool starts_with_star() const {
    return question || (items.size() == 1 && items[0].k == item::star) ||
           (!items.empty() && (items[0].k == item::star || items[0].k == item::star_step));
  }
};

struct generated {
  bool six = false;
  field sec, min, hour, dom, mon, dow;
  std::string text;
};

const char* const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

class generator {
 public:
  explicit generator(uint64_t seed) : rng_(seed) {}

  generated next() {
    generated g;
    g.six = chance(25);
    g.sec = g.six ? numeric(0, 59, 30, true) : field{{{item::value, 0}}};
    g.min = numeric(0, 59, 35, false);
    g.hour = numeric(0, 23, 45, false);
    g.dom = day_of_month();
    g.mon = numeric(1, 12, 70, false);
    g.dow = day_of_week();
    std::string t;
    if (g.six) t += render(g.sec, 0) + " ";
    t += render(g.min, 0) + " " + render(g.hour, 0) + " " + render(g.dom, 0) + " " +
         render(g.mon, 1) + " " + render(g.dow, 2);
    g.text = t;
    return g;
  }

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return uniform(0, 99) < percent; }

 private:
  item plain(int lo, int hi, int max_for_steps) {
    switch (uniform(0, 4)) {
      case 0:
        return {item::value, uniform(lo, hi)};
      case 1: {
        const auto [a, b] = range_ends(lo, hi);
        return {item::range, a, b};
      }
      case 2:
        return {item::star_step, 0, 0, uniform(1, std::min(max_for_steps, hi - lo + 1))};
      case 3: {
        const auto [a, b] = range_ends(lo, hi);
        return {item::range_step, a, b, uniform(1, std::min(max_for_steps, hi - lo + 1))};
      }
      default:
        return {item::value_step, uniform(lo, hi), 0,
                uniform(1, std::min(max_for_steps, hi - lo + 1))};
    }
  }

  // A range's two ends; a third of them wrap around (22-2: the end before the start).
  std::pair<int, int> range_ends(int lo, int hi) {
    const int a = uniform(lo, hi);
    if (a > lo && chance(33)) return {a, uniform(lo, a - 1)};
    return {a, uniform(a, hi)};
  }

  field numeric(int lo, int hi, int star_percent, bool small) {
    if (chance(star_percent)) return field{{{item::star}}};
    field f;
    const int n = uniform(1, 3);
    for (int i = 0; i < n; ++i)
      f.items.push_back(plain(lo, small ? std::min(hi, lo + 20) : hi, 15));
    return f;
  }

  // A day field: a star, a '?', or one or two items that `pick` draws.
  template <class Pick>
  field day_field(int star_percent, Pick pick) {
    if (chance(star_percent)) return field{{{item::star}}};
    if (chance(10)) return field{{}, true};
    field f;
    const int n = uniform(1, 2);
    for (int i = 0; i < n; ++i) f.items.push_back(pick(uniform(0, 6)));
    return f;
  }

  field day_of_month() {
    return day_field(40, [this](int choice) -> item {
      switch (choice) {
        case 0:
          return {item::last, uniform(0, 5)};
        case 1:
          return {item::lw};
        case 2:
          return {item::nearest, uniform(1, 31)};
        default:
          return plain(1, 31, 10);
      }
    });
  }

  field day_of_week() {
    return day_field(45, [this](int choice) -> item {
      switch (choice) {
        case 0:
          return {item::nth_last, uniform(0, 7)};
        case 1:
          return {item::nth, uniform(0, 7), uniform(1, 5)};
        case 2:
          return {item::value, uniform(0, 7)};
        case 3: {
          const int a = uniform(0, 7), b = uniform(a, 7);
          return {item::range, a, b};
        }
        case 4: {  // wrapping over Saturday, e.g. FRI-MON
          const int a = uniform(2, 6), b = uniform(1, a - 1);
          return {item::range, a, b};
        }
        default:
          return {item::star_step, 0, 0, uniform(1, 7)};
      }
    });
  }

  // names: 0 numbers only, 1 month names, 2 weekday names (randomly used).
  std::string num(int v, int names) {
    std::string s;
    if (names == 1 && chance(30))
      s = month_names[v - 1];
    else if (names == 2 && v < 7 && chance(30))
      s = day_names[v];
    else
      return std::to_string(v);
    if (chance(50))
      for (char& c : s) c = static_cast<char>(c - 'A' + 'a');
    return s;
  }

  std::string render(const field& f, int names) {
    if (f.question) return "?";
    std::string out;
    for (const item& i : f.items) {
      if (!out.empty()) out += ",";
      switch (i.k) {
        case item::star:
          out += "*";
          break;
        case item::value:
          out += num(i.a, names);
          break;
        case item::range:
          out += num(i.a, names) + "-" + num(i.b, names);
          break;
        case item::star_step:
          out += "*/" + std::to_string(i.step);
          break;
        case item::range_step:
          out += num(i.a, names) + "-" + num(i.b, names) + "/" + std::to_string(i.step);
          break;
        case item::value_step:
          out += num(i.a, names) + "/" + std::to_string(i.step);
          break;
        case item::last:
          out += i.a == 0 ? "L" : "L-" + std::to_string(i.a);
          break;
        case item::lw:
          out += "LW";
          break;
        case item::nearest:
          out += std::to_string(i.a) + "W";
          break;
        case item::nth_last:
          out += num(i.a, names) + "L";
          break;
        case item::nth:
          out += num(i.a, names) + "#" + std::to_string(i.b);
          break;
      }
    }
    return out;
  }

  std::mt19937_64 rng_;
};

int days_in(int64_t y, int m) {
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return days[m - 1];
}

// Sakamoto's weekday formula, 0 = Sunday.
int weekday(int64_t y, int m, int d) {
  static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  if (m < 3) y -= 1;
  return static_cast<int>((y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7);
}

// Does a range a-b (with a step) select v in a field spanning lo..hi? Counted as offsets
// from a, forward around the field, so a wrapping range (a > b) needs no case of its own.
bool cyclic_has(int a, int b, int step, int v, int lo, int hi) {
  const int span = hi - lo + 1;
  const int off = ((v - a) % span + span) % span, len = ((b - a) % span + span) % span;
  return v >= lo && v <= hi && off <= len && off % step == 0;
}

// Does a plain item (value, range, steps) select v in a field spanning lo..hi?
bool plain_has(const item& i, int v, int lo, int hi) {
  if (i.a > i.b && (i.k == item::range || i.k == item::range_step))
    return cyclic_has(i.a, i.b, i.k == item::range ? 1 : i.step, v, lo, hi);
  switch (i.k) {
    case item::star:
      return v >= lo && v <= hi;
    case item::value:
      return v == i.a;
    case item::range:
      return v >= i.a && v <= i.b;
    case item::star_step:
      return v >= lo && v <= hi && (v - lo) % i.step == 0;
    case item::range_step:
      return v >= i.a && v <= i.b && (v - i.a) % i.step == 0;
    case item::value_step:
      return v >= i.a && v <= hi && (v - i.a) % i.step == 0;
    default:
      return false;
  }
}

bool field_has(const field& f, int v, int lo, int hi) {
  if (f.question) return true;
  for (const item& i : f.items)
    if (plain_has(i, v, lo, hi)) return true;
  return false;
}

bool dom_has(const field& f, int64_t y, int m, int d) {
  if (f.question) return true;
  const int last = days_in(y, m);
  for (const item& i : f.items) {
    switch (i.k) {
      case item::last:
        if (d == last - i.a) return true;
        break;
      case item::lw: {
        int t = last;
        while (weekday(y, m, t) == 0 || weekday(y, m, t) == 6) --t;
        if (d == t) return true;
        break;
      }
      case item::nearest: {
        if (i.a > last) break;
        int t = i.a;
        const int w = weekday(y, m, t);
        if (w == 6) t = t == 1 ? 3 : t - 1;
        if (w == 0) t = t == last ? t - 2 : t + 1;
        if (d == t) return true;
        break;
      }
      default:
        if (plain_has(i, d, 1, 31)) return true;
    }
  }
  return false;
}

bool dow_has(const field& f, int64_t y, int m, int d) {
  if (f.question) return true;
  const int w = weekday(y, m, d);
  for (const item& i : f.items) {
    switch (i.k) {
      case item::nth_last:
        if (i.a % 7 == w && d + 7 > days_in(y, m)) return true;
        break;
      case item::nth:
        if (i.a % 7 == w && (d - 1) / 7 + 1 == i.b) return true;
        break;
      case item::star:
      case item::star_step:
        if (plain_has(i, w, 0, 6)) return true;
        break;
      default:
        if (i.k == item::range && i.a > i.b) {  // wraps over Saturday, in 0-6
          if (cyclic_has(i.a, i.b, 1, w, 0, 6)) return true;
        } else if (plain_has(i, w, 0, 7) || (w == 0 && plain_has(i, 7, 0, 7))) {
          return true;
        }
    }
  }
  return false;
}

bool day_matches(const generated& g, int64_t y, int m, int d) {
  if (!field_has(g.mon, m, 1, 12)) return false;
  const bool a = dom_has(g.dom, y, m, d), b = dow_has(g.dow, y, m, d);
  if (g.dom.starts_with_star() || g.dow.starts_with_star()) return a && b;
  return a || b;
}

bool civil_matches(const generated& g, const cctz::civil_second& c) {
  return day_matches(g, c.year(), c.month(), c.day()) && field_has(g.hour, c.hour(), 0, 23) &&
         field_has(g.min, c.minute(), 0, 59) && field_has(g.sec, c.second(), 0, 59);
}

using seconds_point = cctz::time_point<cctz::seconds>;

// The brute-force notion of "fires at t" under a policy, from the zone's civil time at t.
struct oracle {
  const generated& g;
  const cctz::time_zone& tz;
  dst_policy dst;

  bool fires_at(seconds_point t) const {
    const cctz::civil_second c = tz.lookup(t).cs;
    if (civil_matches(g, c)) {
      const auto l = tz.lookup(c);
      const bool second_pass = l.kind == cctz::time_zone::civil_lookup::REPEATED && t >= l.trans;
      if (!second_pass || dst.fold == dst_fold::both) return true;
    }
    // The first instant after a gap stands in for every local time inside it.
    if (dst.gap == dst_gap::run_at_end &&
        tz.lookup(t - cctz::seconds(1)).offset < tz.lookup(t).offset) {
      const cctz::civil_second gap_start = tz.lookup(t - cctz::seconds(1)).cs + 1;
      for (cctz::civil_second x = gap_start; x < c; x += 1)
        if (civil_matches(g, x)) return true;
    }
    return false;
  }

  seconds_point first_instant(const cctz::civil_second& c) const {
    const auto l = tz.lookup(c);
    return l.kind == cctz::time_zone::civil_lookup::SKIPPED ? l.trans : l.pre;
  }

  // The first instant in (from, to) at which the oracle fires, if any; skips civil days, hours
  // and minutes that cannot match.
  std::optional<seconds_point> first_in(seconds_point from, seconds_point to) const {
    const int64_t unit = g.six ? 1 : 60;
    int64_t s = from.time_since_epoch().count() + 1;
    s = (s % unit == 0) ? s : s + (unit - ((s % unit) + unit) % unit);
    seconds_point t{cctz::seconds(s)};
    while (t < to) {
      if (fires_at(t)) return t;
      const cctz::civil_second c = tz.lookup(t).cs;
      seconds_point next = t + cctz::seconds(unit);
      seconds_point jump = next;
      if (!day_matches(g, c.year(), c.month(), c.day()))
        jump = first_instant(cctz::civil_second(cctz::civil_day(c) + 1));
      else if (!field_has(g.hour, c.hour(), 0, 23))
        jump = first_instant(cctz::civil_second(cctz::civil_hour(c) + 1));
      else if (g.six && !field_has(g.min, c.minute(), 0, 59))
        jump = first_instant(cctz::civil_second(cctz::civil_minute(c) + 1));
      t = jump > next ? jump : next;
    }
    return std::nullopt;
  }
};

seconds_point to_seconds_point(wall_time t) {
  return seconds_point{std::chrono::duration_cast<cctz::seconds>(t.time_since_epoch())};
}

}  // namespace

TEST_CASE("cron next_fire is after its instant, matches, and skips no matching instant",
          "[model][schedule][property]") {
  const char* const zone_names[] = {"UTC", "Europe/Berlin", "America/New_York",
                                    "Australia/Lord_Howe", "America/Santiago"};
  // 2026 transitions of the zones above, as instants: the random instants cluster around them.
  const char* const transitions[] = {"2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z",
                                     "2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z",
                                     "2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z",
                                     "2026-04-05T03:00:00Z", "2026-09-06T04:00:00Z"};
  generator gen(0x5eed2026);
  int fires_checked = 0, nothing_checked = 0;
  constexpr int iterations = 20000;
  for (int i = 0; i < iterations; ++i) {
    const generated g = gen.next();
    const auto parsed = parse_schedule(g.text);
    INFO("expression: " << g.text);
    REQUIRE(std::holds_alternative<schedule>(parsed));
    const schedule& s = std::get<schedule>(parsed);
    const auto z = load_zone(zone_names[gen.uniform(0, 4)]);
    REQUIRE(z);
    const dst_policy dst{gen.chance(50) ? dst_gap::run_at_end : dst_gap::skip,
                         gen.chance(50) ? dst_fold::once : dst_fold::both};
    wall_time t;
    if (gen.chance(70)) {
      t = at(transitions[gen.uniform(0, 7)]) + std::chrono::seconds(gen.uniform(-129600, 129600)) +
          std::chrono::milliseconds(gen.uniform(0, 999) * gen.uniform(0, 1));
    } else {
      t = at("2025-01-01T00:00:00Z") + std::chrono::seconds(gen.uniform(0, 4 * 365 * 86400));
    }
    INFO("zone " << z->name() << ", gap " << to_string(dst.gap) << ", fold " << to_string(dst.fold)
                 << ", after " << format_rfc3339(t));
    cctz::time_zone tz;
    REQUIRE(cctz::load_time_zone(z->name(), &tz));
    const oracle o{g, tz, dst};
    for (int k = 0; k < 3; ++k) {
      const auto fire = next_fire(s, *z, t, dst);
      const seconds_point from = to_seconds_point(t);  // t is after 2024: truncation floors
      if (!fire) {
        // Nothing within the search horizon: the oracle must find nothing for eight years.
        CHECK_FALSE(o.first_in(from, from + cctz::seconds(int64_t{8} * 366 * 86400)));
        ++nothing_checked;
        break;
      }
      INFO("fire " << format_rfc3339_in(*fire, *z));
      REQUIRE(*fire > t);
      CHECK(fire->time_since_epoch() % std::chrono::seconds(1) == duration{0});
      const seconds_point f = to_seconds_point(*fire);
      CHECK(o.fires_at(f));
      const auto missed = o.first_in(from, f);
      if (missed)
        FAIL("skipped a fire at " << format_rfc3339_in(wall_time{missed->time_since_epoch()}, *z));
      ++fires_checked;
      t = *fire;
    }
  }
  CHECK(fires_checked > 3 * iterations / 2);
  CHECK(nothing_checked < iterations / 5);
}

TEST_CASE("next_fires lists the next fires in order, and stops where the schedule does",
          "[model][schedule]") {
  const auto utc = load_zone("UTC");
  REQUIRE(utc);
  const auto hourly = next_fires(parse_ok("0 * * * *"), *utc, at("2026-01-01T10:30:00Z"), 3);
  CHECK(hourly == std::vector<wall_time>{at("2026-01-01T11:00:00Z"), at("2026-01-01T12:00:00Z"),
                                         at("2026-01-01T13:00:00Z")});
  CHECK(next_fires(parse_ok("0 * * * *"), *utc, at("2026-01-01T10:30:00Z"), 0).empty());
  // An @at fires once: one time however many are asked for, none once it passed.
  const auto once = parse_ok("@at 2026-01-02T00:00:00Z");
  CHECK(next_fires(once, *utc, at("2026-01-01T00:00:00Z"), 5) ==
        std::vector<wall_time>{at("2026-01-02T00:00:00Z")});
  CHECK(next_fires(once, *utc, at("2026-01-03T00:00:00Z"), 5).empty());
  // Each is next_fire of the one before.
  for (size_t i = 1; i < hourly.size(); ++i)
    CHECK(next_fire(parse_ok("0 * * * *"), *utc, hourly[i - 1]) == hourly[i]);
}
