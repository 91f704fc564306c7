// The health actor: judges the latest snapshot at request time; scheduler gone means fail.
// Both on CAF's test coordinator: each request is answered after exactly the messages before it.
#include <catch2/catch.hpp>

#include <caf/send.hpp>

#include "actors/health.hpp"
#include "actors/scheduler.hpp"
#include "actors/system.hpp"
#include "tests/support/caf_deterministic.hpp"

namespace {

using namespace std::chrono_literals;
namespace actors = vigil::actors;
namespace model = vigil::model;

}  // namespace

TEST_CASE("the health actor judges the snapshot's age at request time", "[actors][health]") {
  vigil::test::deterministic_system d;
  int64_t now = 0;
  model::health_thresholds th;
  th.tick_interval = 1s;
  th.cycle_deadline = 1s;
  auto h = actors::spawn_health(
      d.sys(),
      {th, [&] { return model::mono_time{model::duration{now}}; }, actors::system_wall_clock});
  auto report = d.ask<model::health_report>(h, caf::get_atom::value);
  CHECK(report.snap == nullptr);
  CHECK(report.result.status != model::health_status::pass);

  auto snap = std::make_shared<model::snapshot>();
  snap->status = model::scheduler_status::running;
  snap->version = 7;
  d.ask<caf::ok_atom>(h, actors::snapshot_atom::value, model::snapshot_ptr{snap});
  now += (1500ms).count() * 1'000'000;
  report = d.ask<model::health_report>(h, caf::get_atom::value);
  REQUIRE(report.snap != nullptr);
  CHECK(report.snap->version == 7);
  CHECK(report.age == 1500ms);
  CHECK(report.result.status == model::health_status::pass);
  now += (1s).count() * 1'000'000'000LL;
  CHECK(d.ask<model::health_report>(h, caf::get_atom::value).result.status ==
        model::health_status::warn);
  now += (1s).count() * 1'000'000'000LL;
  CHECK(d.ask<model::health_report>(h, caf::get_atom::value).result.status ==
        model::health_status::fail);
  caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
}

TEST_CASE("when the scheduler actor dies, health fails and liveness goes", "[actors][health]") {
  vigil::test::deterministic_system d;
  model::health_thresholds th;
  th.tick_interval = 10ms;
  th.cycle_deadline = 10s;
  auto h =
      actors::spawn_health(d.sys(), {th, actors::system_mono_clock, actors::system_wall_clock});
  // No journal: without jobs or commands the scheduler writes nothing.
  actors::scheduler_config sc;
  sc.id = {"n", "e"};
  sc.tick_interval = 10ms;
  sc.wall_clock = actors::system_wall_clock;
  sc.sinks = {h};
  auto s = actors::spawn_scheduler(d.sys(), std::move(sc));
  caf::anon_send(h, actors::watch_atom::value, s);
  // The first cycle runs at once (its next one waits for a timer that never fires here) and
  // its snapshot reaches health.
  d.run();
  auto r = d.ask<model::health_report>(h, caf::get_atom::value);
  REQUIRE(r.snap);
  REQUIRE(r.snap->status == model::scheduler_status::running);
  REQUIRE(r.result.live);

  d.self()->monitor(s);
  caf::anon_send_exit(s, caf::exit_reason::kill);
  d.run();  // the exit, then health's down message: ordered before the next request
  d.self()->receive([](caf::down_msg&) {}, caf::after(0s) >> [] { FAIL("scheduler still up"); });
  r = d.ask<model::health_report>(h, caf::get_atom::value);
  CHECK_FALSE(r.result.live);
  CHECK(r.result.status == model::health_status::fail);
  CHECK(r.result.checks[0].output == "scheduler actor is gone");
  caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
}
