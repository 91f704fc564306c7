// The run object's duration: a running run shows its time so far at the moment of the answer;
// a finished one keeps its attempt's duration, whenever it is read.
#include "codec/job_views.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>

namespace {

using nlohmann::json;
namespace m = vigil::model;
namespace codec = vigil::codec;
using namespace std::chrono_literals;

const m::wall_time t0 = *m::parse_rfc3339("2026-12-03T10:00:00Z");

m::run_record run(m::run_status status) {
  m::run_record r;
  r.id = "backup@20261203T100000Z";
  r.job = "backup";
  r.nominal = t0;
  r.decided_at = t0;
  r.status = status;
  return r;
}

double duration_at(const m::run_record& r, m::wall_time now) {
  return json::parse(codec::render_run(r, false, now))["duration_seconds"].get<double>();
}

}  // namespace

TEST_CASE("a running run's duration is its time so far, not 0", "[codec][runs]") {
  auto r = run(m::run_status::running);
  r.started_at = t0 + 1s;
  CHECK(duration_at(r, t0 + 1s) == 0.0);
  CHECK(duration_at(r, t0 + 3500ms) == Approx(2.5));
  CHECK(duration_at(r, t0 + 61s) == Approx(60.0));
  // A clock read before the start (a step backwards) is not a negative duration.
  CHECK(duration_at(r, t0) == 0.0);
}

TEST_CASE("a finished run keeps its attempt's duration whenever it is read", "[codec][runs]") {
  auto r = run(m::run_status::failed);
  r.started_at = t0;
  r.finished_at = t0 + 2s;
  r.elapsed = 2s;
  CHECK(duration_at(r, t0 + 1h) == Approx(2.0));
  // Starting (ordered, no process yet) and waiting for a retry: the last attempt's, or 0.
  auto starting = run(m::run_status::starting);
  CHECK(duration_at(starting, t0 + 10s) == 0.0);
  auto waiting = run(m::run_status::retry_wait);
  waiting.started_at = t0;
  waiting.elapsed = 1500ms;
  CHECK(duration_at(waiting, t0 + 1h) == Approx(1.5));
}

TEST_CASE("the runs page shows a running run's time so far", "[codec][runs]") {
  m::state s;
  auto r = run(m::run_status::running);
  r.started_at = t0;
  s.runs.emplace(r.id, r);
  m::job_state j;
  j.runs.push_back(r.id);
  const json page = json::parse(codec::render_run_page(m::select_runs(s, j, "", 10), t0 + 4s));
  REQUIRE(page["runs"].size() == 1);
  CHECK(page["runs"][0]["duration_seconds"].get<double>() == Approx(4.0));
}
