// A log must always replay: a definition whose zone this machine's tz database lacks is kept,
// reported as not schedulable, and never fires or counts as overdue.
#include <catch2/catch.hpp>

#include <memory>

#include "model/decider.hpp"
#include "model/planner.hpp"
#include "tests/support/unit_model.hpp"

namespace m = vigil::model;
using namespace std::chrono_literals;

TEST_CASE("a job whose zone is unknown here is kept but never fires", "[model][replay]") {
  const m::wall_time t0 = *m::parse_rfc3339("2026-06-01T00:00:00Z");
  auto spec = vigil::test::shared_spec("far", "@every 1s");
  spec->time_zone = "Mars/Olympus_Mons";
  // Today the decider refuses it...
  const auto d = m::decide(m::state{}, m::define_job{spec, true, "t"}, t0);
  REQUIRE(std::holds_alternative<m::rejection>(d));
  CHECK(std::get<m::rejection>(d).field == "/schedule");
  // ...but a log that holds it (written where the zone existed) still folds.
  m::state s = m::fold({m::job_defined{spec, true, t0, "t"}});
  REQUIRE(s.jobs.count("far") == 1);
  CHECK(s.jobs.at("far")->compiled == nullptr);
  CHECK(s.timetable.empty());
  CHECK(m::plan_cycle(s, t0 + 1h).empty());
  CHECK(m::count_overdue(s, t0 + 1h, 1s) == 0);
}
