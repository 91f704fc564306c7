// The one whole-number parser.
#include "model/number.hpp"

#include <catch2/catch.hpp>

namespace m = vigil::model;

TEST_CASE("parse_uint takes digits only, up to its maximum, whatever their count",
          "[model][number]") {
  CHECK(m::parse_uint("0") == 0u);
  CHECK(m::parse_uint("007") == 7u);
  CHECK(m::parse_uint("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(m::parse_uint("18446744073709551616"));  // one past: out of range, not wrapped
  CHECK_FALSE(m::parse_uint("99999999999999999999999"));
  for (const char* bad : {"", " 1", "1 ", "+1", "-1", "0x10", "1e3", "1.0", "١"}) {
    INFO(bad);
    CHECK_FALSE(m::parse_uint(bad));
  }
  CHECK(m::parse_uint("65535", 65535) == 65535u);
  CHECK_FALSE(m::parse_uint("65536", 65535));
  CHECK(m::all_digits("0123456789"));
  CHECK_FALSE(m::all_digits(""));
  CHECK_FALSE(m::all_digits("12a"));
}
