// decode_event's fast path answers exactly as the reference decoder does, on every body.
#include <catch2/catch.hpp>

#include <random>

#include "codec/events.hpp"
#include "tests/codec/crafted_bodies.hpp"

namespace codec = vigil::codec;
namespace m = vigil::model;

namespace {

bool same(const std::optional<m::event>& a, const std::optional<m::event>& b) {
  return a.has_value() == b.has_value() && (!a || *a == *b);
}

}  // namespace

TEST_CASE("the fast event decoder agrees with the reference on crafted bodies", "[codec][events]") {
  for (const auto& body : vigil::test::crafted_event_bodies())
    for (const char* type : {"scheduler_paused", "scheduler_resumed", "job_defined"})
      for (int version : {0, 1, 2, 3}) {
        INFO(type << " v" << version << " " << body);
        CHECK(same(codec::decode_event(type, version, body),
                   codec::decode_event_reference(type, version, body)));
      }
}

TEST_CASE("what the codec writes, the fast decoder reads back, for random reasons",
          "[codec][events]") {
  std::mt19937 rng{11};
  for (int i = 0; i < 2000; ++i) {
    std::string reason;
    const size_t len = rng() % 40;
    for (size_t k = 0; k < len; ++k)
      reason += static_cast<char>(rng() % 0x7f + 1);  // incl. controls
    const m::wall_time at{std::chrono::milliseconds{static_cast<int64_t>(rng())}};
    const m::event e = (i % 2) ? m::event{m::scheduler_paused{reason, at, "http 10.0.0.1"}}
                               : m::event{m::scheduler_resumed{reason, at, "by"}};
    const std::string body = codec::encode_event(e);
    const auto fast = codec::decode_event(m::event_type(e), m::event_schema_version, body);
    INFO(body);
    REQUIRE(fast);
    CHECK(*fast == e);
    CHECK(
        same(fast, codec::decode_event_reference(m::event_type(e), m::event_schema_version, body)));
  }
}
