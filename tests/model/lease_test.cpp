// The lease on a manual monotonic clock: followers wait one TTL of silence, leaders stop first.
#include <catch2/catch.hpp>

#include "model/lease.hpp"

namespace {

namespace m = vigil::model;
using namespace std::chrono_literals;

m::mono_time at(std::chrono::milliseconds ms) { return m::mono_time{} + ms; }

const m::lease_timing timing{};  // TTL 1 s, margin 100 ms

}  // namespace

TEST_CASE("a follower campaigns only after seeing the row unchanged for one TTL",
          "[model][lease]") {
  m::lease_watch w;
  CHECK_FALSE(w.may_campaign(at(5000ms), timing, true));  // never read: never campaigns
  w.observe({3, 10}, at(0ms));
  CHECK_FALSE(w.may_campaign(at(999ms), timing, true));
  CHECK(w.may_campaign(at(1000ms), timing, true));
  REQUIRE(w.last_seen().has_value());
  CHECK(*w.last_seen() == m::lease_version{3, 10});
}

TEST_CASE("a leader's renewals keep every follower waiting", "[model][lease]") {
  m::lease_watch w;
  for (int i = 0; i < 20; ++i) {
    w.observe({3, static_cast<uint64_t>(i)}, at(std::chrono::milliseconds(200 * i)));
    CHECK_FALSE(w.may_campaign(at(std::chrono::milliseconds(200 * i + 999)), timing, true));
  }
  // Reading the same version again does not restart the wait: silence is measured from the
  // change, not from the last read.
  w.observe({3, 19}, at(4500ms));
  CHECK(w.may_campaign(at(4800ms), timing, true));
}

TEST_CASE("a takeover by another node is a change like a renewal", "[model][lease]") {
  m::lease_watch w;
  w.observe({3, 10}, at(0ms));
  w.observe({4, 0}, at(900ms));
  CHECK_FALSE(w.may_campaign(at(1500ms), timing, true));
  CHECK(w.may_campaign(at(1900ms), timing, true));
  CHECK(*w.last_seen() == m::lease_version{4, 0});
}

TEST_CASE("a follower that has not caught up with the log does not campaign", "[model][lease]") {
  m::lease_watch w;
  w.observe({1, 1}, at(0ms));
  CHECK_FALSE(w.may_campaign(at(10s), timing, false));
  CHECK(w.may_campaign(at(10s), timing, true));
}

TEST_CASE("a leader is valid until the send time of its last renewal + TTL - margin",
          "[model][lease]") {
  m::leader_validity v;
  CHECK_FALSE(v.valid(at(0ms)));  // no term yet
  REQUIRE(v.renewed(at(100ms), at(150ms), timing));
  REQUIRE(v.valid_until().has_value());
  CHECK(*v.valid_until() == at(1000ms));  // 100 + 1000 - 100, from the send, not the answer
  CHECK(v.valid(at(999ms)));
  CHECK_FALSE(v.valid(at(1000ms)));
  // A renewal in time moves the deadline.
  REQUIRE(v.renewed(at(300ms), at(320ms), timing));
  CHECK(*v.valid_until() == at(1200ms));
  CHECK(v.valid(at(1100ms)));
}

TEST_CASE("a renewal answered after the deadline still steps the leader down", "[model][lease]") {
  m::leader_validity v;
  REQUIRE(v.renewed(at(0ms), at(10ms), timing));  // valid until 900 ms
  // The database was slow: the renewal was sent in time and committed, but the answer came
  // after the leader had to stop acting. It stays stopped.
  CHECK_FALSE(v.renewed(at(800ms), at(950ms), timing));
  CHECK(v.stepped_down());
  CHECK_FALSE(v.valid(at(960ms)));
  CHECK_FALSE(v.renewed(at(1000ms), at(1001ms), timing));  // and never comes back on its own
}

TEST_CASE("a first term answered later than its own window never starts", "[model][lease]") {
  m::leader_validity v;
  CHECK_FALSE(v.renewed(at(0ms), at(950ms), timing));  // sent at 0: window ended at 900 ms
  CHECK_FALSE(v.valid(at(951ms)));
}

TEST_CASE("a leader stops acting before any follower may take over", "[model][lease]") {
  // The leader's last successful renewal is sent at s; a follower sees it at o >= s (its
  // commit lies between). On equal-rate clocks, the leader's deadline precedes the follower's
  // earliest campaign by at least the margin, whatever the delays.
  for (int send = 0; send < 2000; send += 37) {
    for (int delay = 0; delay < 800; delay += 53) {
      m::leader_validity v;
      m::lease_watch w;
      const auto s = at(std::chrono::milliseconds(send));
      const auto o = at(std::chrono::milliseconds(send + delay));
      if (!v.renewed(s, s + std::chrono::milliseconds(delay / 2), timing)) continue;
      w.observe({7, 1}, o);
      m::mono_time first_campaign = o;
      while (!w.may_campaign(first_campaign, timing, true)) first_campaign += 1ms;
      CHECK(first_campaign - *v.valid_until() >= timing.margin);
    }
  }
}
