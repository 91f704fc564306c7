// /health over real HTTP with the health actor on a manual monotonic clock: the verdict flips
// exactly at the documented thresholds, a 24 h stall is still fail, and a wall-clock jump
// changes nothing. A health actor that never answers yields 503 within the deadline.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <atomic>
#include <functional>
#include <ostream>

#include "actors/health.hpp"
#include "actors/system.hpp"
#include "http/server.hpp"
#include "tests/support/sys_test.hpp"

namespace {

using vigil::model::duration;
using vigil::model::mono_time;
using vigil::model::wall_time;
namespace actors = vigil::actors;
namespace http = vigil::http;
namespace model = vigil::model;

/// A clock the test moves by hand; read from actor threads.
struct manual_clock {
  std::atomic<int64_t> nanos{1'000'000'000'000};
  mono_time mono() const { return mono_time{duration{nanos.load()}}; }
  void advance(duration d) { nanos += d.count(); }
};

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  manual_clock clock;
  std::atomic<int64_t> wall_offset{0};
  actors::health_actor health;
  std::unique_ptr<http::server> server;
  uint16_t port = 0;
  model::health_thresholds th;

  using health_factory = std::function<actors::health_actor(caf::actor_system&)>;

  explicit fixture(health_factory custom = {}, duration health_deadline = 2s) {
    actors::configure(cfg, 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    th.tick_interval = 1s;
    th.cycle_deadline = 5s;
    th.startup_grace = 30s;
    auto wall = [this] { return actors::system_wall_clock() + duration{wall_offset.load()}; };
    health = custom ? custom(*sys)
                    : actors::spawn_health(*sys, {th, [this] { return clock.mono(); }, wall});
    auto bridge = http::spawn_bridge(
        *sys, {health, {}, {}, {}, {}, health_deadline, 5s, actors::system_mono_clock, wall});
    http::server_options opts;
    opts.port = 0;
    server = std::make_unique<http::server>(opts, bridge, actors::hub_actor{});
    port = server->start();
    bridge_ = bridge;
  }
  ~fixture() {
    caf::anon_send_exit(bridge_, caf::exit_reason::user_shutdown);
    server->stop();
    caf::anon_send_exit(health, caf::exit_reason::user_shutdown);
  }

  /// Delivers a snapshot to the health actor and waits for its acknowledgement.
  void deliver(model::scheduler_status status, wall_time taken) {
    auto snap = std::make_shared<model::snapshot>();
    snap->node = "test";
    snap->epoch = "e1";
    snap->version = ++version_;
    snap->last_updated = taken;
    snap->started_at = taken;
    snap->status = status;
    snap->tick_interval = th.tick_interval;
    caf::scoped_actor self{*sys};
    bool acked = false;
    self->request(health, caf::infinite, actors::snapshot_atom::value,
                  model::snapshot_ptr{std::move(snap)})
        .receive([&](caf::ok_atom) { acked = true; }, [](caf::error&) {});
    REQUIRE(acked);
  }

 private:
  http::bridge_actor bridge_;
  uint64_t version_ = 0;
};

struct probe {
  int health_code;
  std::string status;
  int livez;
  int readyz;
  bool operator==(const probe& o) const {
    return health_code == o.health_code && status == o.status && livez == o.livez &&
           readyz == o.readyz;
  }
};

std::ostream& operator<<(std::ostream& out, const probe& p) {
  return out << "{/health " << p.health_code << " " << p.status << ", /livez " << p.livez
             << ", /readyz " << p.readyz << "}";
}

probe ask(uint16_t port) {
  http_client c{port};
  const auto h = c.get("/health");
  return {h.status, json::parse(h.body)["status"].get<std::string>(), c.get("/livez").status,
          c.get("/readyz").status};
}

}  // namespace

TEST_CASE("/health flips pass -> warn -> fail exactly at 2I and max(3I, I + deadline)",
          "[http][staleness]") {
  fixture f;
  SECTION("before the first snapshot it is never pass") {
    const probe p = ask(f.port);
    CHECK(p.status != "pass");
    CHECK(p.health_code == 503);
    CHECK(p.readyz == 503);
    CHECK(p.livez == 200);  // within the start-up grace: not a wedge yet
    f.clock.advance(31s);
    CHECK(ask(f.port).livez == 503);  // still nothing after the grace: a wedge
  }
  SECTION("with a running snapshot, age alone decides") {
    f.deliver(model::scheduler_status::running, actors::system_wall_clock());
    probe p = ask(f.port);
    CHECK(p.status == "pass");
    f.clock.advance(2s);  // age == 2I: still pass
    CHECK(ask(f.port).status == "pass");
    f.clock.advance(1ns);
    CHECK(ask(f.port) == probe{200, "warn", 200, 200});
    f.clock.advance(6s - 2s - 1ns);  // age == I + D = 6 s: still warn
    CHECK(ask(f.port).status == "warn");
    f.clock.advance(1ns);
    CHECK(ask(f.port) == probe{503, "fail", 503, 503});
    f.clock.advance(24h);  // a day-long stall is still fail, never wraps to pass
    p = ask(f.port);
    CHECK(p.status == "fail");
    CHECK(p.health_code == 503);
    http_client c{f.port};
    const json body = json::parse(c.get("/health").body);
    CHECK(body["snapshot"]["age_seconds"].get<double>() > 24 * 3600);
  }
  SECTION("a wall-clock jump changes no verdict: only the monotonic age counts") {
    const wall_time now = actors::system_wall_clock();
    f.deliver(model::scheduler_status::running, now);
    f.wall_offset = std::chrono::duration_cast<duration>(-1h).count();
    CHECK(ask(f.port).status == "pass");
    f.wall_offset = std::chrono::duration_cast<duration>(48h).count();
    CHECK(ask(f.port).status == "pass");
    // A snapshot stamped far in the past (the scheduler's clock jumped back) is just as fresh.
    f.deliver(model::scheduler_status::running, wall_time{});
    CHECK(ask(f.port).status == "pass");
    f.clock.advance(7s);
    CHECK(ask(f.port).status == "fail");
  }
  SECTION("paused warns but stays ready; draining fails readiness but not liveness") {
    f.deliver(model::scheduler_status::paused, actors::system_wall_clock());
    probe p = ask(f.port);
    CHECK(p.status == "warn");
    CHECK(p.readyz == 200);
    CHECK(p.livez == 200);
    f.deliver(model::scheduler_status::draining, actors::system_wall_clock());
    p = ask(f.port);
    CHECK(p.status == "fail");
    CHECK(p.readyz == 503);
    CHECK(p.livez == 200);
  }
}

namespace {

struct silent_state {
  std::vector<caf::typed_response_promise<model::health_report>> held;
};

/// A health actor that takes queries and never answers them.
// (It takes an argument only because CAF 0.17 dereferences a null argument tuple for actors
// spawned without any, which UBSan reports.)
actors::health_actor::behavior_type silent_health(
    actors::health_actor::stateful_pointer<silent_state> self, int /*unused*/) {
  return {
      [](actors::snapshot_atom, model::snapshot_ptr&) { return caf::ok_atom::value; },
      [self](caf::get_atom) {
        auto p = self->make_response_promise<model::health_report>();
        self->state.held.push_back(p);
        return p;
      },
      [](actors::watch_atom, actors::scheduler_actor&) {},
      [](actors::drain_atom) {},
      [](actors::stall_atom, model::duration) {},
  };
}

}  // namespace

TEST_CASE("a health actor that never answers yields 503 within the deadline", "[http][deadline]") {
  {
    fixture f{[](caf::actor_system& sys) { return sys.spawn(silent_health, 0); }, 1s};
    http_client c{f.port};
    for (const char* route : {"/health", "/livez", "/readyz?verbose"}) {
      const auto start = std::chrono::steady_clock::now();
      const auto r = c.get(route);
      const auto elapsed = std::chrono::steady_clock::now() - start;
      INFO(route << ": " << r.status << " " << r.body);
      CHECK(r.status == 503);
      CHECK(elapsed < 1s);
      CHECK(r.body.find("health") != std::string::npos);
    }
  }
}
