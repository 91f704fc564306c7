// RFC 3339 formatting and parsing: exact instants, calendar edges, offsets and malformed input.
#include "model/time.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace {

using namespace std::chrono_literals;
using vigil::model::format_rfc3339;
using vigil::model::parse_rfc3339;
using vigil::model::wall_time;

wall_time at_seconds(int64_t s) { return wall_time{std::chrono::seconds{s}}; }
wall_time at_millis(int64_t ms) { return wall_time{std::chrono::milliseconds{ms}}; }

}  // namespace

TEST_CASE("the epoch and a known instant format as UTC with milliseconds", "[model][time]") {
  CHECK(format_rfc3339(wall_time{}) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339(at_seconds(1795829662) + 123ms) == "2026-11-28T01:34:22.123Z");
  CHECK(format_rfc3339(at_seconds(1772323200) - 1ms) == "2026-02-28T23:59:59.999Z");
}

TEST_CASE("a known timestamp parses to the exact instant", "[model][time]") {
  CHECK(parse_rfc3339("2026-11-28T01:34:22.123Z") == at_seconds(1795829662) + 123ms);
  CHECK(parse_rfc3339("2026-11-28T01:34:22Z") == at_seconds(1795829662));
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == wall_time{});
}

TEST_CASE("formatting then parsing returns every millisecond instant unchanged", "[model][time]") {
  std::mt19937_64 rng{20261128};
  // Years 1685 to 2255 (nearly all a nanosecond count can hold): both sides of the epoch,
  // many leap days and the century years 1700, 1800, 1900 and 2000.
  std::uniform_int_distribution<int64_t> ms{-9'000'000'000'000, 9'000'000'000'000};
  for (int i = 0; i < 5000; ++i) {
    const wall_time t = at_millis(ms(rng));
    const std::string text = format_rfc3339(t);
    INFO(text);
    REQUIRE(text.size() == 24);
    REQUIRE(parse_rfc3339(text) == t);
  }
}

TEST_CASE("parsing then formatting returns a canonical timestamp unchanged", "[model][time]") {
  for (const char* text :
       {"2026-11-28T01:34:22.123Z", "2000-02-29T00:00:00.000Z", "1999-12-31T23:59:59.999Z",
        "1969-07-20T20:17:40.000Z", "1677-09-22T00:00:00.000Z", "2262-04-11T00:00:00.000Z"}) {
    INFO(text);
    const auto t = parse_rfc3339(text);
    REQUIRE(t.has_value());
    CHECK(format_rfc3339(*t) == text);
  }
}

TEST_CASE("formatting keeps milliseconds and drops finer digits by flooring", "[model][time]") {
  CHECK(format_rfc3339(wall_time{1ms}) == "1970-01-01T00:00:00.001Z");
  CHECK(format_rfc3339(wall_time{1ms + 999'999ns}) == "1970-01-01T00:00:00.001Z");
  CHECK(format_rfc3339(wall_time{999'999ns}) == "1970-01-01T00:00:00.000Z");
  // Flooring, not truncation toward zero: 1ns before the epoch is still in 1969.
  CHECK(format_rfc3339(wall_time{-1ns}) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("parsing keeps every fraction digit down to the nanosecond", "[model][time]") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00.5Z") == wall_time{500ms});
  CHECK(parse_rfc3339("1970-01-01T00:00:00.12Z") == wall_time{120ms});
  CHECK(parse_rfc3339("1970-01-01T00:00:00.000001Z") == wall_time{1us});
  CHECK(parse_rfc3339("1970-01-01T00:00:01.123456789Z") == wall_time{1s + 123'456'789ns});
  // Digits beyond nanoseconds are accepted and ignored.
  CHECK(parse_rfc3339("1970-01-01T00:00:01.1234567899Z") == wall_time{1s + 123'456'789ns});
}

TEST_CASE("February 29 exists only in leap years", "[model][time]") {
  CHECK(parse_rfc3339("2024-02-29T12:00:00Z") == at_seconds(1709208000));
  CHECK(parse_rfc3339("2000-02-29T00:00:00Z") == at_seconds(951782400));  // divisible by 400
  CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("1900-02-29T00:00:00Z").has_value());  // divisible by 100 only
  CHECK_FALSE(parse_rfc3339("2100-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-02-30T00:00:00Z").has_value());

  // The day after February 28 is February 29 in a leap year and March 1 otherwise.
  const auto feb28_2024 = parse_rfc3339("2024-02-28T00:00:00Z");
  const auto feb28_2023 = parse_rfc3339("2023-02-28T00:00:00Z");
  const auto feb28_1900 = parse_rfc3339("1900-02-28T00:00:00Z");
  REQUIRE(feb28_2024);
  REQUIRE(feb28_2023);
  REQUIRE(feb28_1900);
  CHECK(format_rfc3339(*feb28_2024 + 24h) == "2024-02-29T00:00:00.000Z");
  CHECK(format_rfc3339(*feb28_2023 + 24h) == "2023-03-01T00:00:00.000Z");
  CHECK(format_rfc3339(*feb28_1900 + 24h) == "1900-03-01T00:00:00.000Z");
  CHECK(format_rfc3339(at_seconds(-2203891200)) == "1900-03-01T00:00:00.000Z");
  // A leap year has 366 days.
  CHECK(format_rfc3339(*parse_rfc3339("2024-01-01T00:00:00Z") + 365 * 24h) ==
        "2024-12-31T00:00:00.000Z");
}

TEST_CASE("instants before 1970 format and parse like any other", "[model][time]") {
  CHECK(format_rfc3339(at_seconds(-315619200)) == "1960-01-01T00:00:00.000Z");
  CHECK(format_rfc3339(at_seconds(-14182940)) == "1969-07-20T20:17:40.000Z");
  CHECK(format_rfc3339(wall_time{-1ms}) == "1969-12-31T23:59:59.999Z");
  CHECK(format_rfc3339(wall_time{-24h}) == "1969-12-31T00:00:00.000Z");
  CHECK(format_rfc3339(wall_time{-24h - 1ms}) == "1969-12-30T23:59:59.999Z");
  CHECK(parse_rfc3339("1960-01-01T00:00:00Z") == at_seconds(-315619200));
  CHECK(parse_rfc3339("1969-12-31T23:59:59.999Z") == wall_time{-1ms});
  CHECK(parse_rfc3339("1969-12-31T00:00:00.000Z") == wall_time{-24h});
}

TEST_CASE("timestamps outside the range of a nanosecond wall_time are rejected, not wrapped",
          "[model][time]") {
  // wall_time counts nanoseconds in 64 bits: about 1677-09-21 to 2262-04-11. A year outside
  // that range must not overflow into some other instant.
  for (const char* text :
       {"0001-01-01T00:00:00Z", "1000-06-15T12:00:00Z", "1677-09-20T00:00:00Z",
        "2262-04-12T00:00:00Z", "3000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z"}) {
    INFO(text);
    const auto t = parse_rfc3339(text);
    // Compared as text so that a failure shows the instant the input wrapped to.
    CHECK((t ? format_rfc3339(*t) : std::string{"rejected"}) == "rejected");
  }
  // The first and last representable nanoseconds parse; one beyond either is refused.
  CHECK(parse_rfc3339("1677-09-21T00:12:43.145224192Z") == wall_time::min());
  CHECK(parse_rfc3339("2262-04-11T23:47:16.854775807Z") == wall_time::max());
  CHECK_FALSE(parse_rfc3339("1677-09-21T00:12:43.145224191Z").has_value());
  CHECK_FALSE(parse_rfc3339("2262-04-11T23:47:16.854775808Z").has_value());
}

TEST_CASE("offsets convert to UTC", "[model][time]") {
  const auto midnight_utc = parse_rfc3339("2026-03-01T00:00:00Z");
  REQUIRE(midnight_utc == at_seconds(1772323200));
  CHECK(parse_rfc3339("2026-03-01T05:30:00+05:30") == midnight_utc);
  // A negative offset crossing the day and month boundary.
  CHECK(parse_rfc3339("2026-02-28T16:00:00-08:00") == midnight_utc);
  CHECK(parse_rfc3339("2026-03-01T00:00:00+00:00") == midnight_utc);
  CHECK(parse_rfc3339("2026-03-01T00:00:00-00:00") == midnight_utc);
  CHECK(parse_rfc3339("2026-03-01T05:30:00.250+05:30") == *midnight_utc + 250ms);
  CHECK(format_rfc3339(*parse_rfc3339("2026-02-28T16:00:00.007-08:00")) ==
        "2026-03-01T00:00:00.007Z");
}

TEST_CASE("a lower-case t and z are accepted", "[model][time]") {
  const auto upper = parse_rfc3339("2026-11-28T01:34:22.123Z");
  REQUIRE(upper);
  CHECK(parse_rfc3339("2026-11-28t01:34:22.123z") == upper);
  CHECK(parse_rfc3339("2026-11-28t01:34:22.123Z") == upper);
  CHECK(parse_rfc3339("2026-11-28T01:34:22.123z") == upper);
}

TEST_CASE("malformed timestamps are rejected", "[model][time]") {
  for (const char* text : {
           "",
           "garbage",
           "2026-02-30T00:00:00Z",        // no such day
           "2026-04-31T00:00:00Z",        // no such day
           "2026-13-01T00:00:00Z",        // no such month
           "2026-00-01T00:00:00Z",        // no such month
           "2026-01-00T00:00:00Z",        // no such day
           "2026-01-32T00:00:00Z",        // no such day
           "2026-01-01T24:00:00Z",        // hour 24
           "2026-01-01T00:60:00Z",        // minute 60
           "2026-01-01T00:00:00",         // missing zone
           "2026-01-01T00:00:00.123",     // missing zone after a fraction
           "2026-01-01",                  // date only
           "2026-01-01 00:00:00Z",        // space instead of T
           "2026-01-01T00:00:00ZZ",       // trailing characters
           "2026-01-01T00:00:00Z ",       // trailing space
           "2026-01-01T00:00:00+05:30x",  // trailing characters after an offset
           " 2026-01-01T00:00:00Z",       // leading space
           "2026-01-01T00:00:00.Z",       // a point without digits
           "2026-01-01T00:00:00+05",      // truncated offset
           "2026-01-01T00:00:00+0530",    // offset without a colon
           "2026-01-01T00:00:00+24:00",   // offset hour out of range
           "2026-01-01T00:00:00+05:60",   // offset minute out of range
           "2026/01/01T00:00:00Z",        // wrong separators
           "26-01-01T00:00:00Z",          // two-digit year
           "2026-1-01T00:00:00Z",         // one-digit month
           "2026-01-01T0:00:00Z",         // one-digit hour
           "+2026-01-01T00:00:00Z",       // signed year
       }) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_rfc3339(text).has_value());
  }
}

TEST_CASE("an instant outside the supported range is refused as such, not as malformed",
          "[model][time]") {
  using vigil::model::parse_rfc3339_checked;
  using vigil::model::time_error;
  for (const char* text : {"2400-02-01T00:00:00Z", "2262-01-01T00:00:00Z", "2300-01-01T00:00:00Z",
                           "1677-12-31T23:59:59.999Z", "1600-01-01T00:00:00Z"}) {
    INFO(text);
    const auto r = parse_rfc3339_checked(text);
    REQUIRE(std::holds_alternative<time_error>(r));
    CHECK(std::get<time_error>(r) == time_error::out_of_range);
    CHECK(vigil::model::describe(time_error::out_of_range, "after") ==
          "after is outside the supported range 1678-01-01T00:00:00Z..2262-01-01T00:00:00Z");
  }
  for (const char* text :
       {"2261-12-31T23:59:59.999Z", "1678-01-01T00:00:00Z", "2262-01-01T00:59:59+01:00"}) {
    INFO(text);
    CHECK(std::holds_alternative<vigil::model::wall_time>(parse_rfc3339_checked(text)));
  }
  CHECK(std::get<time_error>(parse_rfc3339_checked("yesterday")) == time_error::malformed);
  // What the log stored reads back whatever it holds: the lenient parse keeps int64's range.
  CHECK(vigil::model::parse_rfc3339("2262-03-01T00:00:00Z").has_value());
}
