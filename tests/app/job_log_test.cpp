// What the daemon's log says about jobs, seen on the real binary's stderr in both formats: a
// failed run and its retry, a timed-out run, pause/resume of the scheduler and of a job, and a
// shutdown waiting on a named run; a job's environment and output never appear.
#include <signal.h>

#include <sstream>
#include <string>
#include <thread>

#include "tests/support/sys_test.hpp"

namespace {

/// A record of `level` whose message contains `text`, in either log format.
bool has_record(const std::string& output, bool json_format, const std::string& level,
                const std::string& text) {
  std::istringstream lines{output};
  std::string line;
  while (std::getline(lines, line)) {
    if (json_format) {
      const json j = json::parse(line, nullptr, false);
      if (!j.is_object() || !j.contains("msg") || !j.contains("level")) continue;
      if (j["level"] == level && j["msg"].get<std::string>().find(text) != std::string::npos)
        return true;
    } else if (line.find(" " + level + " vigil: ") != std::string::npos &&
               line.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void expect_record(daemon_process& d, bool json_format, const std::string& level,
                   const std::string& text) {
  const bool found = d.wait_until(
      [&](const std::string& out) { return has_record(out, json_format, level, text); }, 20s);
  INFO("expected a " << level << " record containing: " << text << "\noutput:\n" << d.output());
  CHECK(found);
}

std::string run_now(http_client& c, const std::string& job) {
  const auto r = c.post("/v1/jobs/" + job + "/run");
  INFO(r.body);
  REQUIRE(r.status == 200);
  return json::parse(r.body)["run_id"].get<std::string>();
}

void define(http_client& c, const json& job) {
  const auto r = c.post("/v1/jobs", job.dump());
  INFO(r.body);
  REQUIRE(r.status == 201);
}

}  // namespace

TEST_CASE(
    "the daemon's log has one line per failed, retried, timed-out run, pause, resume and "
    "a shutdown waiting on runs",
    "[app][joblog]") {
  const bool json_format = GENERATE(false, true);
  INFO("log format " << (json_format ? "json" : "text"));
  daemon_process d{{"--tick-interval", "50ms", "--log-format", json_format ? "json" : "text",
                    "--job-shutdown-grace", "300ms"}};
  http_client c{d.port()};

  define(
      c,
      {{"id", "bad"},
       {"schedule", "@every 1h"},
       {"command", {{"shell", "echo out-hunter2; exit 3"}, {"env", {{"SECRET", "env-hunter2"}}}}},
       {"retry", {{"max_attempts", 2}, {"initial_backoff", "100ms"}, {"max_backoff", "100ms"}}}});
  define(c, {{"id", "slow"},
             {"schedule", "@every 1h"},
             {"command", {{"shell", "sleep 30"}}},
             {"timeout", "200ms"},
             {"kill_grace", "1s"}});
  define(c, {{"id", "long"}, {"schedule", "@every 1h"}, {"command", {{"shell", "sleep 30"}}}});

  const std::string bad = run_now(c, "bad");
  expect_record(d, json_format, "warn",
                "run " + bad + " of job bad (attempt 1) failed: exit code 3");
  expect_record(d, json_format, "info",
                "run " + bad + " of job bad (attempt 1) will be retried as attempt 2");
  expect_record(d, json_format, "warn",
                "run " + bad + " of job bad (attempt 2) failed: exit code 3");

  const std::string slow = run_now(c, "slow");
  expect_record(d, json_format, "warn", "run " + slow + " of job slow (attempt 1) timed_out");

  REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"maintenance"})").status == 200);
  expect_record(d, json_format, "info",
                "scheduler paused by http 127.0.0.1 reason \"maintenance\"");
  REQUIRE(c.post("/v1/scheduler/resume").status == 200);
  expect_record(d, json_format, "info", "scheduler resumed by http 127.0.0.1");
  REQUIRE(c.post("/v1/jobs/bad/pause", R"({"reason":"flaky"})").status == 200);
  expect_record(d, json_format, "info", "job bad paused by http 127.0.0.1 reason \"flaky\"");
  REQUIRE(c.post("/v1/jobs/bad/resume").status == 200);
  expect_record(d, json_format, "info", "job bad resumed by http 127.0.0.1");

  const std::string running = run_now(c, "long");
  // The shutdown names the run once it is running (its start is durable).
  const auto until = std::chrono::steady_clock::now() + 20s;
  bool started = false;
  while (!started && std::chrono::steady_clock::now() < until) {
    const auto r = c.get("/v1/jobs/long/runs/" + running);
    started = r.status == 200 && json::parse(r.body)["status"] == "running";
    if (!started) std::this_thread::sleep_for(20ms);  // the poll interval, not a wait for it
  }
  REQUIRE(started);
  d.signal(SIGTERM);
  expect_record(d, json_format, "warn",
                "shutdown: waiting for 1 run: run " + running + " of job long (attempt 1)");
  REQUIRE(d.wait_exit(30s) == 0);

  const std::string out = d.output();
  CHECK(out.find("hunter2") == std::string::npos);  // neither the job's env nor its output
}
