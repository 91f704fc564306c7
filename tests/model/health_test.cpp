// The health verdict: heartbeat edges, progress, state, readiness, liveness and aggregation.
#include "model/health.hpp"

#include "model/snapshot.hpp"
#include "model/state.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace Catch {
template <>
struct StringMaker<vigil::model::health_status> {
  static std::string convert(vigil::model::health_status s) { return vigil::model::to_string(s); }
};
}  // namespace Catch

namespace {

using namespace std::chrono_literals;
namespace m = vigil::model;
using m::health_status;

const m::wall_time t0 = m::wall_time{1'795'829'662'123ms};

m::snapshot snapshot_with(m::scheduler_status status, uint32_t consecutive_failures = 0) {
  m::snapshot s;
  s.node = "node-a";
  s.epoch = "epoch-1";
  s.version = 9;
  s.log_seq = 4;
  s.last_updated = t0;
  s.started_at = t0 - 1h;
  s.status = status;
  s.tick_interval = 1s;
  s.cycles.consecutive_failures = consecutive_failures;
  s.cycles.failed = consecutive_failures;
  s.cycles.total = consecutive_failures + 10;
  s.cycles.succeeded = 10;
  if (consecutive_failures > 0) s.cycles.last_error = "disk full";
  if (status == m::scheduler_status::paused) {
    s.paused_since = t0 - 1min;
    s.pause_reason = "maintenance";
  }
  return s;
}

m::health_input input(const m::snapshot* snap, m::duration age, m::duration uptime = 1h) {
  m::health_input in;
  in.snap = snap;
  in.age = age;
  in.uptime = uptime;
  return in;
}

const m::health_check& check(const m::verdict& v, const std::string& name) {
  const auto it = std::find_if(v.checks.begin(), v.checks.end(),
                               [&](const m::health_check& c) { return c.name == name; });
  REQUIRE(it != v.checks.end());
  return *it;
}

health_status heartbeat(const m::verdict& v) { return check(v, "scheduler:heartbeat").status; }
health_status progress(const m::verdict& v) { return check(v, "scheduler:progress").status; }
health_status state(const m::verdict& v) { return check(v, "scheduler:state").status; }

/// The scheduler's state and the verdict are both `status`; readiness and liveness as given.
void check_state_verdict(const m::verdict& v, health_status status, bool ready, bool live) {
  CHECK(state(v) == status);
  CHECK(v.status == status);
  CHECK(v.ready == ready);
  CHECK(v.live == live);
}

health_status worst(const m::verdict& v) {
  health_status w = health_status::pass;
  for (const auto& c : v.checks) w = std::max(w, c.status);
  return w;
}

/// Two verdicts are the same when every judged field is the same.
bool same_verdict(const m::verdict& a, const m::verdict& b) {
  if (a.status != b.status || a.live != b.live || a.ready != b.ready ||
      a.checks.size() != b.checks.size())
    return false;
  for (size_t i = 0; i < a.checks.size(); ++i) {
    const auto& x = a.checks[i];
    const auto& y = b.checks[i];
    if (x.name != y.name || x.status != y.status || x.observed_value != y.observed_value ||
        x.observed_text != y.observed_text || x.observed_unit != y.observed_unit ||
        x.output != y.output || x.warn_threshold != y.warn_threshold ||
        x.fail_threshold != y.fail_threshold)
      return false;
  }
  return true;
}

struct configuration {
  const char* name;
  m::health_thresholds th;
  m::duration expected_fail_after;
};

std::vector<configuration> configurations() {
  m::health_thresholds slow_tick;  // 3I dominates: max(30s, 11s)
  slow_tick.tick_interval = 10s;
  slow_tick.cycle_deadline = 1s;
  m::health_thresholds long_cycle;  // I + D dominates: max(3s, 6s)
  long_cycle.tick_interval = 1s;
  long_cycle.cycle_deadline = 5s;
  return {{"I=10s D=1s", slow_tick, 30s}, {"I=1s D=5s", long_cycle, 6s}};
}

}  // namespace

TEST_CASE("the heartbeat passes up to 2I, warns up to max(3I, I+D) and fails beyond",
          "[model][health]") {
  const m::snapshot snap = snapshot_with(m::scheduler_status::running);
  for (const auto& cfg : configurations()) {
    INFO(cfg.name);
    const m::duration warn_after = 2 * cfg.th.tick_interval;
    REQUIRE(cfg.th.heartbeat_warn_after() == warn_after);
    REQUIRE(cfg.th.heartbeat_fail_after() == cfg.expected_fail_after);

    const auto at = [&](m::duration age) { return m::judge(input(&snap, age), cfg.th); };

    CHECK(heartbeat(at(0ns)) == health_status::pass);
    CHECK(heartbeat(at(warn_after)) == health_status::pass);
    CHECK(heartbeat(at(warn_after + 1ns)) == health_status::warn);
    CHECK(heartbeat(at(cfg.expected_fail_after)) == health_status::warn);
    CHECK(heartbeat(at(cfg.expected_fail_after + 1ns)) == health_status::fail);

    // Liveness follows the heartbeat: a late heartbeat is still alive, a stale one is wedged.
    CHECK(at(warn_after).live);
    CHECK(at(cfg.expected_fail_after).live);
    CHECK_FALSE(at(cfg.expected_fail_after + 1ns).live);
    CHECK(at(cfg.expected_fail_after).ready);
    CHECK_FALSE(at(cfg.expected_fail_after + 1ns).ready);

    // The aggregate is the heartbeat here, all other checks passing.
    CHECK(at(warn_after).status == health_status::pass);
    CHECK(at(warn_after + 1ns).status == health_status::warn);
    CHECK(at(cfg.expected_fail_after + 1ns).status == health_status::fail);

    // The check reports what it observed and the thresholds it applied, in seconds.
    const m::health_check hb = check(at(warn_after + 1ns), "scheduler:heartbeat");
    CHECK(hb.observed_unit == "s");
    CHECK(hb.observed_value == Approx(m::to_seconds(warn_after + 1ns)));
    REQUIRE(hb.warn_threshold);
    REQUIRE(hb.fail_threshold);
    CHECK(*hb.warn_threshold == m::to_seconds(warn_after));
    CHECK(*hb.fail_threshold == m::to_seconds(cfg.expected_fail_after));
    CHECK_FALSE(hb.output.empty());
  }
}

TEST_CASE("a 24 hour stall is a failure and not live", "[model][health]") {
  const m::snapshot snap = snapshot_with(m::scheduler_status::running);
  for (const auto& cfg : configurations()) {
    INFO(cfg.name);
    const m::verdict v = m::judge(input(&snap, 24h), cfg.th);
    CHECK(heartbeat(v) == health_status::fail);
    CHECK(v.status == health_status::fail);
    CHECK_FALSE(v.live);
    CHECK_FALSE(v.ready);
  }
}

TEST_CASE("without a snapshot the verdict never passes and is never ready", "[model][health]") {
  m::health_thresholds th;
  th.startup_grace = 30s;
  for (const m::duration uptime : {m::duration{0}, m::duration{10s}, m::duration{30s}}) {
    INFO("uptime within the grace: " << m::to_seconds(uptime) << "s");
    const m::verdict v = m::judge(input(nullptr, 0ns, uptime), th);
    CHECK(heartbeat(v) == health_status::warn);
    CHECK(v.status != health_status::pass);
    CHECK(v.live);
    CHECK_FALSE(v.ready);
  }
  for (const m::duration uptime : {m::duration{30s + 1ns}, m::duration{24h}}) {
    INFO("uptime after the grace: " << m::to_seconds(uptime) << "s");
    const m::verdict v = m::judge(input(nullptr, 0ns, uptime), th);
    CHECK(heartbeat(v) == health_status::fail);
    CHECK(v.status == health_status::fail);
    CHECK_FALSE(v.live);
    CHECK_FALSE(v.ready);
  }
  const m::verdict v = m::judge(input(nullptr, 0ns, 0ns), th);
  CHECK(progress(v) != health_status::pass);
  CHECK(state(v) != health_status::pass);
  CHECK(check(v, "scheduler:state").observed_text == "none");
}

TEST_CASE("a running scheduler with a fresh heartbeat passes and is ready", "[model][health]") {
  const m::snapshot snap = snapshot_with(m::scheduler_status::running);
  const m::verdict v = m::judge(input(&snap, 500ms), {});
  CHECK(v.status == health_status::pass);
  CHECK(state(v) == health_status::pass);
  CHECK(check(v, "scheduler:state").observed_text == "running");
  CHECK(v.live);
  CHECK(v.ready);
  REQUIRE(v.checks.size() == 5);
}

TEST_CASE("a paused scheduler warns but stays ready and live", "[model][health]") {
  const m::snapshot snap = snapshot_with(m::scheduler_status::paused);
  const m::verdict v = m::judge(input(&snap, 500ms), {});
  check_state_verdict(v, health_status::warn, true, true);
  CHECK(check(v, "scheduler:state").observed_text == "paused");
  CHECK(check(v, "scheduler:state").output.find("maintenance") != std::string::npos);
  CHECK(heartbeat(v) == health_status::pass);
}

TEST_CASE("a starting scheduler warns within the start-up grace and fails after it",
          "[model][health]") {
  m::health_thresholds th;
  th.startup_grace = 30s;
  const m::snapshot snap = snapshot_with(m::scheduler_status::starting);

  const m::verdict within = m::judge(input(&snap, 100ms, 30s), th);
  check_state_verdict(within, health_status::warn, false, true);

  const m::verdict after = m::judge(input(&snap, 100ms, 30s + 1ns), th);
  // Still live: a slow start is not a wedge of the loop.
  check_state_verdict(after, health_status::fail, false, true);
}

TEST_CASE("draining and stopped fail and are not ready, but are live while the heartbeat is fresh",
          "[model][health]") {
  for (const auto status : {m::scheduler_status::draining, m::scheduler_status::stopped}) {
    INFO(m::to_string(status));
    const m::snapshot snap = snapshot_with(status);
    const m::verdict fresh = m::judge(input(&snap, 100ms), {});
    check_state_verdict(fresh, health_status::fail, false, true);

    const m::verdict stale = m::judge(input(&snap, 1h), {});
    CHECK_FALSE(stale.live);
  }
}

TEST_CASE("shutting down makes a node unready at once and leaves liveness unchanged",
          "[model][health]") {
  const m::health_thresholds th;
  for (const auto status : {m::scheduler_status::running, m::scheduler_status::paused}) {
    const m::snapshot snap = snapshot_with(status);
    for (const m::duration age : {m::duration{100ms}, m::duration{4s}, m::duration{1h}}) {
      INFO(m::to_string(status) << " age " << m::to_seconds(age) << "s");
      m::health_input in = input(&snap, age);
      const m::verdict before = m::judge(in, th);
      in.shutting_down = true;
      const m::verdict during = m::judge(in, th);
      CHECK_FALSE(during.ready);
      CHECK(during.live == before.live);
      CHECK(heartbeat(during) == heartbeat(before));
      CHECK(state(during) == health_status::fail);
    }
  }
  // The fresh case really did flip readiness.
  const m::snapshot running = snapshot_with(m::scheduler_status::running);
  CHECK(m::judge(input(&running, 100ms), th).ready);
}

TEST_CASE("a scheduler that is gone fails and is not live, whatever the last snapshot said",
          "[model][health]") {
  const m::snapshot snap = snapshot_with(m::scheduler_status::running);
  for (const m::snapshot* s : {&snap, static_cast<const m::snapshot*>(nullptr)}) {
    m::health_input in = input(s, 100ms, 1s);
    in.scheduler_down = true;
    const m::verdict v = m::judge(in, {});
    CHECK(heartbeat(v) == health_status::fail);
    CHECK(v.status == health_status::fail);
    CHECK_FALSE(v.live);
    CHECK_FALSE(v.ready);
  }
}

TEST_CASE("progress passes with no failures, warns below N consecutive failures and fails at N",
          "[model][health]") {
  for (const uint32_t n : {3u, 5u}) {
    m::health_thresholds th;
    th.max_consecutive_failures = n;
    for (uint32_t failures = 0; failures <= n + 2; ++failures) {
      INFO("N=" << n << " failures=" << failures);
      const m::snapshot snap = snapshot_with(m::scheduler_status::running, failures);
      const m::verdict v = m::judge(input(&snap, 100ms), th);
      const health_status expected = failures == 0  ? health_status::pass
                                     : failures < n ? health_status::warn
                                                    : health_status::fail;
      CHECK(progress(v) == expected);
      CHECK(v.status == expected);
      const auto& c = check(v, "scheduler:progress");
      CHECK(c.observed_value == failures);
      REQUIRE(c.fail_threshold);
      CHECK(*c.fail_threshold == n);
      if (failures > 0) CHECK(c.output.find("disk full") != std::string::npos);
      // A failing cycle is not a wedge: liveness and readiness follow the heartbeat and state.
      CHECK(v.live);
      CHECK(v.ready);
    }
  }
}

TEST_CASE("the aggregate status is the worst of the checks", "[model][health]") {
  m::health_thresholds th;  // I=1s D=5s: pass <= 2s, warn <= 6s, fail beyond
  th.max_consecutive_failures = 3;
  const std::vector<std::pair<m::duration, health_status>> ages{
      {1s, health_status::pass}, {4s, health_status::warn}, {7s, health_status::fail}};
  const std::vector<std::pair<uint32_t, health_status>> failures{
      {0, health_status::pass}, {1, health_status::warn}, {3, health_status::fail}};
  const std::vector<std::pair<m::scheduler_status, health_status>> states{
      {m::scheduler_status::running, health_status::pass},
      {m::scheduler_status::paused, health_status::warn},
      {m::scheduler_status::draining, health_status::fail}};
  int seen[3] = {0, 0, 0};
  for (const auto& [age, hb] : ages) {
    for (const auto& [count, pr] : failures) {
      for (const auto& [status, st] : states) {
        const m::snapshot snap = snapshot_with(status, count);
        const m::verdict v = m::judge(input(&snap, age), th);
        INFO("age " << m::to_seconds(age) << "s failures " << count << " state "
                    << m::to_string(status));
        REQUIRE(heartbeat(v) == hb);
        REQUIRE(progress(v) == pr);
        REQUIRE(state(v) == st);
        const health_status expected = std::max({hb, pr, st});
        CHECK(v.status == expected);
        CHECK(v.status == worst(v));
        ++seen[static_cast<int>(expected)];
      }
    }
  }
  CHECK(seen[0] == 1);  // only all-pass passes
  CHECK(seen[1] == 7);
  CHECK(seen[2] == 19);
}

TEST_CASE("the verdict does not depend on the snapshot's wall-clock time", "[model][health]") {
  const m::health_thresholds th;
  for (const auto status :
       {m::scheduler_status::running, m::scheduler_status::paused, m::scheduler_status::starting}) {
    const m::snapshot base = snapshot_with(status, 1);
    for (const m::duration age :
         {m::duration{1s}, m::duration{2s + 1ns}, m::duration{6s}, m::duration{6s + 1ns}}) {
      const m::verdict expected = m::judge(input(&base, age, 10s), th);
      for (const m::wall_time jumped : {t0 + 1h, t0 - 1h, m::wall_time{}}) {
        INFO(m::to_string(status) << " age " << m::to_seconds(age) << "s last_updated "
                                  << m::format_rfc3339(jumped));
        m::snapshot moved = base;
        moved.last_updated = jumped;
        moved.started_at = jumped - 1h;
        CHECK(same_verdict(m::judge(input(&moved, age, 10s), th), expected));
      }
    }
  }
  // Sanity: same_verdict does tell different verdicts apart.
  const m::snapshot snap = snapshot_with(m::scheduler_status::running);
  CHECK_FALSE(same_verdict(m::judge(input(&snap, 1s), th), m::judge(input(&snap, 7s), th)));
}

TEST_CASE("health statuses have stable names", "[model][health]") {
  CHECK(std::string{m::to_string(health_status::pass)} == "pass");
  CHECK(std::string{m::to_string(health_status::warn)} == "warn");
  CHECK(std::string{m::to_string(health_status::fail)} == "fail");
}

TEST_CASE("a log that refuses writes fails health and readiness but not liveness",
          "[model][health]") {
  m::snapshot snap = snapshot_with(m::scheduler_status::running);
  snap.journal.ok = false;
  snap.journal.error = "database or disk is full";
  snap.journal.failing_since = m::wall_time{};
  const m::verdict v = m::judge(input(&snap, 500ms), {});
  CHECK(v.status == health_status::fail);
  CHECK(check(v, "journal:writable").status == health_status::fail);
  CHECK(check(v, "journal:writable").observed_text == "failing");
  CHECK(check(v, "journal:writable").output.find("disk is full") != std::string::npos);
  CHECK_FALSE(v.ready);
  CHECK(v.live);
  snap.journal = {};
  const m::verdict again = m::judge(input(&snap, 500ms), {});
  CHECK(again.status == health_status::pass);
  CHECK(again.ready);
}

TEST_CASE("an overdue job fails /health, none passes", "[model][health]") {
  m::snapshot snap = snapshot_with(m::scheduler_status::running);
  const m::verdict ok = m::judge(input(&snap, 500ms), {});
  CHECK(check(ok, "jobs:overdue").status == health_status::pass);
  snap.jobs.overdue = 2;
  const m::verdict v = m::judge(input(&snap, 500ms), {});
  CHECK(check(v, "jobs:overdue").status == health_status::fail);
  CHECK(check(v, "jobs:overdue").observed_value == 2);
  CHECK(v.status == health_status::fail);
  CHECK(v.live);  // the loop is alive; it is not keeping up (or cannot log): not a restart case
}

TEST_CASE("the verdict marks which checks each probe lists and which keep the node unready",
          "[model][health][probes]") {
  m::snapshot snap = snapshot_with(m::scheduler_status::running, 5);
  snap.jobs.overdue = 1;
  const m::verdict v = m::judge(input(&snap, 500ms), {});
  for (const auto& c : v.checks) {
    INFO(c.name);
    CHECK(c.in_livez == (c.name == "scheduler:heartbeat"));
    CHECK(c.in_readyz == (c.name != "scheduler:progress" && c.name != "jobs:overdue"));
    CHECK(c.blocks_ready == false);
  }
  // Failed cycles and an overdue job fail /health, and neither probe.
  CHECK(v.status == health_status::fail);
  CHECK(v.live);
  CHECK(v.ready);

  SECTION("starting within the grace warns, and blocks readiness with its own reason") {
    m::snapshot starting = snapshot_with(m::scheduler_status::starting);
    const m::verdict s = m::judge(input(&starting, 500ms, 1s), {});
    const auto& c = check(s, "scheduler:state");
    CHECK(c.status == health_status::warn);
    CHECK(c.blocks_ready);
    CHECK(c.ready_output == "not running yet: starting");
    CHECK_FALSE(s.ready);
    CHECK(s.live);
  }
  SECTION("shutting down blocks readiness through the state check") {
    m::health_input in = input(&snap, 500ms);
    in.shutting_down = true;
    const m::verdict s = m::judge(in, {});
    CHECK(check(s, "scheduler:state").blocks_ready);
    CHECK(check(s, "scheduler:state").output == "shutting down");
    CHECK_FALSE(s.ready);
  }
  SECTION("a follower with no leader fails /health and stays ready; no store: not ready") {
    m::snapshot follower = snapshot_with(m::scheduler_status::running);
    follower.cluster.enabled = true;
    follower.cluster.role = m::cluster_role::follower;
    follower.cluster.store_reachable = true;
    follower.cluster.lease_ttl = 1s;
    const m::verdict s = m::judge(input(&follower, 500ms), {});
    const auto& c = check(s, "cluster:leader");
    CHECK(c.status == health_status::fail);
    CHECK(c.in_readyz);
    CHECK_FALSE(c.blocks_ready);
    CHECK(s.ready);
    follower.cluster.store_reachable = false;
    follower.cluster.store_error = "connection refused";
    const m::verdict gone = m::judge(input(&follower, 500ms), {});
    CHECK(check(gone, "cluster:leader").blocks_ready);
    CHECK_FALSE(gone.ready);
    CHECK(gone.live);
  }
}
