// The scheduler's two copies of the state (durable, and optimistic with events in flight)
// share every job that neither is changing: copy on write, re-shared once both applied the same.
#include <catch2/catch.hpp>

#include <memory>

#include "model/decider.hpp"
#include "model/jobs.hpp"
#include "model/planner.hpp"
#include "tests/support/unit_model.hpp"

namespace m = vigil::model;
using namespace std::chrono_literals;

namespace {

const m::wall_time t0 = *m::parse_rfc3339("2026-06-01T00:00:00Z");

std::shared_ptr<const m::job_spec> every_second(const std::string& id) {
  return vigil::test::shared_spec(id, "@every 1s");
}

}  // namespace

TEST_CASE("a copy of the state shares its jobs until one side writes", "[model][sharing]") {
  m::state durable;
  for (const char* id : {"a", "b"})
    m::apply_in_place(durable, m::job_defined{every_second(id), true, t0, "t"});
  m::state pending = durable;
  CHECK(pending.jobs.at("a").shares_with(durable.jobs.at("a")));

  // The optimistic copy decides fires for both jobs: it writes, so it owns its own copies.
  const auto in_flight = m::plan_cycle(pending, t0 + 1s);
  REQUIRE(in_flight.size() == 2);
  CHECK_FALSE(pending.jobs.at("a").shares_with(durable.jobs.at("a")));
  CHECK(durable.jobs.at("a")->decisions.empty());  // the durable copy did not change

  // A further event for "b" only, still in flight.
  const auto later =
      m::on_run_finished(pending, vigil::test::report(vigil::test::rid("b", t0 + 1s),
                                                      m::run_outcome::succeeded, t0 + 1s + 5ms));
  REQUIRE_FALSE(later.empty());

  // The first batch becomes durable: "a" is settled and shared again; "b" has more in flight.
  for (const auto& e : in_flight) {
    m::apply_in_place(durable, e);
    m::share_settled(durable, pending, e);
  }
  CHECK(pending.jobs.at("a").shares_with(durable.jobs.at("a")));
  CHECK_FALSE(pending.jobs.at("b").shares_with(durable.jobs.at("b")));
  CHECK(*pending.jobs.at("a") == *durable.jobs.at("a"));

  // Then the rest: everything shared, and the two copies are equal.
  for (const auto& e : later) {
    m::apply_in_place(durable, e);
    m::share_settled(durable, pending, e);
  }
  CHECK(pending.jobs.at("b").shares_with(durable.jobs.at("b")));
  CHECK(pending == durable);

  // Writing through one copy never changes the other.
  const auto before = *durable.jobs.at("a");
  m::apply_in_place(pending, m::job_paused{"a", "test", t0 + 2s, "t"});
  CHECK(pending.jobs.at("a")->paused);
  CHECK_FALSE(durable.jobs.at("a")->paused);
  CHECK(*durable.jobs.at("a") == before);
}
