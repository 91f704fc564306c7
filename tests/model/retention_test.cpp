// Retention: finished runs beyond a count or an age, and old decisions, leave the state by
// events; replaying the same events gives the same state.
#include <catch2/catch.hpp>

#include <memory>

#include "model/decider.hpp"
#include "model/planner.hpp"
#include "model/retention.hpp"
#include "tests/support/unit_model.hpp"

namespace m = vigil::model;
using namespace std::chrono_literals;

namespace {

const m::wall_time t0 = *m::parse_rfc3339("2026-06-01T00:00:00Z");

/// The scheduler's state and log, whose runs all succeed.
struct world : vigil::test::model_world {
  /// Fires what is due at `at` and finishes every run it started, successfully.
  void cycle_and_finish(m::wall_time at) {
    for (const auto& e : cycle(at))  // decisions before the ends
      if (const auto* d = std::get_if<m::fire_decided>(&e); d && !d->run_id.empty()) {
        auto f = vigil::test::report(d->run_id, m::run_outcome::succeeded, at + 10ms);
        f.output = std::make_shared<const std::string>("out");
        finish(f);
      }
  }
};

std::shared_ptr<const m::job_spec> every_second(const std::string& id) {
  return vigil::test::shared_spec(id, "@every 1s");
}

size_t finished_runs(const m::state& s, const std::string& job) {
  size_t n = 0;
  for (const auto& id : s.jobs.at(job)->runs)
    if (m::is_final(s.runs.at(id).status)) ++n;
  return n;
}

}  // namespace

TEST_CASE("retention keeps the newest N finished runs per job and replays to the same state",
          "[model][retention]") {
  world w;
  w.accept(m::define_job{every_second("a"), true, "test"}, t0);
  w.accept(m::define_job{every_second("b"), true, "test"}, t0);
  for (int i = 1; i <= 30; ++i) w.cycle_and_finish(t0 + std::chrono::seconds(i));
  REQUIRE(finished_runs(w.s, "a") == 30);
  const std::string oldest = w.s.jobs.at("a")->runs.front();
  const std::string newest = w.s.jobs.at("a")->runs.back();

  m::retention_policy p;
  p.runs_per_job = 10;
  p.max_age = 0s;
  p.decisions_per_job = 5;
  std::string cursor;
  auto events = m::plan_retention(w.s, t0 + 31s, p, cursor);
  CHECK(events.size() == 2);  // one per job
  w.take(events);
  CHECK(finished_runs(w.s, "a") == 10);
  CHECK(finished_runs(w.s, "b") == 10);
  CHECK(w.s.runs.count(oldest) == 0);
  CHECK(w.s.runs.count(newest) == 1);
  CHECK(w.s.jobs.at("a")->decisions.size() == 5);
  CHECK(w.s.totals.succeeded == 60);  // counters are history: compaction keeps them

  // Nothing more to drop: a second pass emits nothing.
  CHECK(m::plan_retention(w.s, t0 + 31s, p, cursor).empty());
  // The log replays to exactly the live state.
  CHECK(m::fold(w.log) == w.s);
}

TEST_CASE("retention drops finished runs by age but never a run still going",
          "[model][retention]") {
  world w;
  auto spec = std::make_shared<m::job_spec>(*every_second("slow"));
  spec->overlap = m::overlap_policy::allow;
  w.accept(m::define_job{spec, true, "test"}, t0);
  w.cycle_and_finish(t0 + 1s);                 // finishes
  auto running = m::plan_cycle(w.s, t0 + 2s);  // fired, never finished
  w.take(running);
  REQUIRE(w.s.runs_starting == 1);

  m::retention_policy p;
  p.runs_per_job = 0;  // even "keep none" keeps what is not finished
  p.max_age = 1h;
  std::string cursor;
  w.take(m::plan_retention(w.s, t0 + 3s, p, cursor));
  CHECK(w.s.jobs.at("slow")->runs.size() == 1);
  CHECK(w.s.runs_starting == 1);

  p.runs_per_job = 100;
  w.cycle_and_finish(t0 + 3s);
  const size_t before = w.s.jobs.at("slow")->runs.size();
  CHECK(m::plan_retention(w.s, t0 + 10s, p, cursor).empty());  // young enough
  w.take(m::plan_retention(w.s, t0 + 2h, p, cursor));          // now too old
  CHECK(w.s.jobs.at("slow")->runs.size() == before - 1);       // the finished one; not the starting
  CHECK(m::fold(w.log) == w.s);
}

TEST_CASE("retention visits jobs round robin, a bounded number per cycle", "[model][retention]") {
  world w;
  for (int i = 0; i < 5; ++i)
    w.accept(m::define_job{every_second("j" + std::to_string(i)), true, "t"}, t0);
  for (int i = 1; i <= 3; ++i) w.cycle_and_finish(t0 + std::chrono::seconds(i));
  m::retention_policy p;
  p.runs_per_job = 1;
  p.max_age = 0s;
  p.jobs_per_cycle = 2;
  std::string cursor;
  CHECK(m::plan_retention(w.s, t0 + 4s, p, cursor).size() == 2);
  CHECK(cursor == "j1");
  CHECK(m::plan_retention(w.s, t0 + 4s, p, cursor).size() == 2);
  CHECK(m::plan_retention(w.s, t0 + 4s, p, cursor).size() == 1);  // j4, then wraps to j0 (done)
  for (int i = 0; i < 5; ++i) CHECK(finished_runs(w.s, "j" + std::to_string(i)) == 1);
}
