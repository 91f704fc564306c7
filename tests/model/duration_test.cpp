// Human durations: every unit, fractions, the refusal to guess a unit, and shortest formatting.
#include "model/duration.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace {

using namespace std::chrono_literals;
using vigil::model::duration;
using vigil::model::format_duration;
using vigil::model::parse_duration;

}  // namespace

TEST_CASE("every unit parses to the exact number of nanoseconds", "[model][duration]") {
  CHECK(parse_duration("10ns") == duration{10ns});
  CHECK(parse_duration("250us") == duration{250us});
  CHECK(parse_duration("1ms") == duration{1ms});
  CHECK(parse_duration("1s") == duration{1s});
  CHECK(parse_duration("1.5m") == duration{90s});
  CHECK(parse_duration("2h") == duration{2h});
  CHECK(parse_duration("0s") == duration{0});
  CHECK(parse_duration("1500ms") == duration{1500ms});
  CHECK(parse_duration("0.25s") == duration{250ms});
  CHECK(parse_duration("2.5h") == duration{150min});
  CHECK(parse_duration("24h") == duration{86400s});
}

TEST_CASE("a trailing or leading decimal point is accepted when a unit follows",
          "[model][duration]") {
  // Like Go's time.ParseDuration: the number is "1." or ".5"; what matters is the unit.
  CHECK(parse_duration("1.s") == duration{1s});
  CHECK(parse_duration(".5s") == duration{500ms});
}

TEST_CASE("a duration without a unit, a sign or a known unit is rejected", "[model][duration]") {
  for (const char* text : {
           "",              // empty
           "5",             // no unit: seconds or milliseconds? never guess
           "1.5",           // no unit
           "abc",           // no number
           "s",             // unit without a number
           ".",             // neither
           ".s",            // a point is not a number
           "-1s",           // negative
           "+1s",           // signs are not accepted at all
           "1d",            // days are not a unit
           "1S",            // units are case-sensitive
           "1sec",          // unknown unit
           "1 s",           // space before the unit
           " 1s",           // leading space
           "1s ",           // trailing space
           "1e3s",          // no exponents
           "1h30m",         // no compound durations
           "1.2.3s",        // two points
           "99999999999h",  // beyond the range of a 64-bit nanosecond count
       }) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_duration(text).has_value());
  }
}

TEST_CASE("formatting picks the largest unit that divides the duration exactly",
          "[model][duration]") {
  CHECK(format_duration(2h) == "2h");
  CHECK(format_duration(90min) == "90m");
  CHECK(format_duration(1min) == "1m");
  CHECK(format_duration(2s) == "2s");
  CHECK(format_duration(61s) == "61s");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(1ms) == "1ms");
  CHECK(format_duration(250us) == "250us");
  CHECK(format_duration(10ns) == "10ns");
  CHECK(format_duration(1h + 1ns) == "3600000000001ns");
  CHECK(format_duration(duration{0}) == "0ns");
}

TEST_CASE("a formatted duration parses back to the same duration", "[model][duration]") {
  std::mt19937_64 rng{1234};
  const int64_t units[] = {1, 1'000, 1'000'000, 1'000'000'000, 60'000'000'000, 3'600'000'000'000};
  std::uniform_int_distribution<int> pick_unit{0, 5};
  std::uniform_int_distribution<int64_t> count{0, 1'000'000};
  for (int i = 0; i < 5000; ++i) {
    const duration d{count(rng) * units[pick_unit(rng)]};
    const std::string text = format_duration(d);
    INFO(text);
    REQUIRE(parse_duration(text) == d);
  }
}
