// A wedged loop is seen: when the scheduler's own behavior stops (a test hook blocks it),
// /health goes pass -> warn -> fail and the probes fail; a silent health actor is a 503 in time.
#include <signal.h>

#include <chrono>

#include "tests/support/sys_test.hpp"

namespace {

/// Once /health passes, blocks `target` for `length` through the --test-hooks route.
void stall_when_passing(http_client& c, const std::string& target, const std::string& length) {
  REQUIRE(health_becomes(c, "pass", std::chrono::seconds{10}));
  REQUIRE(c.post("/v1/debug/stall?target=" + target + "&for=" + length).status == 202);
}

}  // namespace

TEST_CASE("a stalled scheduling loop turns /health from pass to warn to fail, then recovers",
          "[system][staleness]") {
  // I = 50 ms, D = 500 ms: pass <= 100 ms, warn <= 550 ms, fail beyond.
  daemon_process daemon{{"--tick-interval", "50ms", "--cycle-deadline", "500ms", "--test-hooks"}};
  http_client c{daemon.port()};
  stall_when_passing(c, "scheduler", "3s");

  std::vector<std::string> seen;
  int fail_code = 0;
  const auto until = clock_type::now() + std::chrono::seconds{3};
  while (clock_type::now() < until) {
    const auto r = c.get("/health");
    const std::string status = json::parse(r.body)["status"];
    if (seen.empty() || seen.back() != status) seen.push_back(status);
    if (status == "fail") {
      fail_code = r.status;
      break;
    }
  }
  // The verdict only ever worsens while the loop is stuck, through warn. (The first read may
  // already be late on a loaded machine; it was pass just before the stall.)
  if (!seen.empty() && seen.front() == "pass") seen.erase(seen.begin());
  REQUIRE(seen == std::vector<std::string>{"warn", "fail"});
  CHECK(fail_code == 503);
  const auto live = c.get("/livez?verbose");
  CHECK(live.status == 503);
  CHECK(live.body.find("[-]scheduler:heartbeat failed") != std::string::npos);
  CHECK(c.get("/readyz").status == 503);

  // When the loop runs again, the heartbeat is fresh again.
  CHECK(health_becomes(c, "pass", std::chrono::seconds{10}));
  CHECK(c.get("/livez").status == 200);
  CHECK(c.get("/readyz").status == 200);
}

TEST_CASE("a health actor that does not answer gets a 503 within the deadline",
          "[system][deadline]") {
  daemon_process daemon{{"--tick-interval", "100ms", "--health-deadline", "1s", "--test-hooks"}};
  http_client c{daemon.port()};
  stall_when_passing(c, "health", "4s");
  for (const char* route : {"/health", "/livez", "/readyz"}) {
    const auto start = clock_type::now();
    const auto r = c.get(route);
    const auto elapsed = clock_type::now() - start;
    INFO(route << " answered " << r.status << " after "
               << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
               << " ms: " << r.body);
    CHECK(r.status == 503);
    CHECK(elapsed < std::chrono::seconds{1});
    if (std::string(route) == "/health") {
      const json j = json::parse(r.body);
      CHECK(j["status"] == "fail");
      CHECK(j["checks"].contains("health:responsive"));
    }
  }
}

TEST_CASE("SIGTERM flips /readyz to 503 at once, while the scheduler is still draining",
          "[system][shutdown]") {
  daemon_process daemon{{"--tick-interval", "50ms", "--test-hooks", "--drain-timeout", "10s"}};
  http_client c{daemon.port()};
  REQUIRE(health_becomes(c, "pass", std::chrono::seconds{10}));
  REQUIRE(c.get("/readyz").status == 200);
  // Hold the scheduler for 2 s so the drain cannot finish before we look.
  REQUIRE(c.post("/v1/debug/stall?target=scheduler&for=2s").status == 202);
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait_for_output("shutting down", std::chrono::seconds{5}));
  const auto ready = c.get("/readyz?verbose");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("shutting down") != std::string::npos);
  CHECK(daemon.wait_exit(std::chrono::seconds{15}) == 0);
  CHECK(daemon.output().find("vigil: stopped") != std::string::npos);
  CHECK(daemon.output().find("drain timed out") == std::string::npos);
}
