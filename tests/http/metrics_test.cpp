// GET /metrics against the real binary: the full list of metric names and types, every series
// present from start-up, counters that move after a pause, 503 when an actor is late, and
// `promtool check metrics` (Debian's prometheus package) clean on a live scrape.
#include <sys/wait.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/sys_test.hpp"

namespace {

/// Every metric family /metrics exposes, with its type. A new metric must be added here.
const std::map<std::string, std::string> expected_families = {
    {"vigil_build_info", "gauge"},
    {"vigil_up", "gauge"},
    {"vigil_health_status", "gauge"},
    {"vigil_heartbeat_timestamp_seconds", "gauge"},
    {"vigil_tick_interval_seconds", "gauge"},
    {"vigil_snapshot_version", "gauge"},
    {"vigil_log_seq", "gauge"},
    {"vigil_scheduler_state", "gauge"},
    {"vigil_cycles_total", "counter"},
    {"vigil_journal_writable", "gauge"},
    {"vigil_journal_append_seconds", "histogram"},
    {"vigil_journal_batch_events", "histogram"},
    {"vigil_journal_append_errors_total", "counter"},
    {"vigil_stream_clients", "gauge"},
    {"vigil_stream_coalesced_total", "counter"},
    {"vigil_stream_refused_total", "counter"},
    {"vigil_stream_disconnects_total", "counter"},
    {"vigil_http_requests_total", "counter"},
    {"vigil_jobs", "gauge"},
    {"vigil_jobs_overdue", "gauge"},
    {"vigil_runs", "gauge"},
    {"vigil_decisions_total", "counter"},
    {"vigil_runs_total", "counter"},
    {"vigil_run_retries_total", "counter"},
    {"vigil_run_duration_seconds", "histogram"},
    {"vigil_job_metrics_enabled", "gauge"},
    {"vigil_job_metrics_limit", "gauge"},
    {"vigil_job_last_success_timestamp_seconds", "gauge"},
    {"vigil_job_last_outcome", "gauge"},
    {"vigil_job_consecutive_failures", "gauge"},
    {"vigil_job_next_fire_timestamp_seconds", "gauge"},
    {"vigil_job_period_seconds", "gauge"},
    {"vigil_job_defined_timestamp_seconds", "gauge"},
};

struct exposition {
  std::map<std::string, std::string> help;     ///< family -> help text
  std::map<std::string, std::string> type;     ///< family -> type
  std::map<std::string, std::string> samples;  ///< `name{labels}` -> value
  std::vector<std::string> sample_names;       ///< bare names, in order
};

exposition parse(const std::string& body) {
  exposition e;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const auto rest = line.substr(7);
      const auto space = rest.find(' ');
      auto& target = line[2] == 'H' ? e.help : e.type;
      target[rest.substr(0, space)] = space == std::string::npos ? "" : rest.substr(space + 1);
      continue;
    }
    const auto last_space = line.rfind(' ');
    REQUIRE(last_space != std::string::npos);
    const auto series = line.substr(0, last_space);
    e.samples[series] = line.substr(last_space + 1);
    e.sample_names.push_back(series.substr(0, series.find('{')));
  }
  return e;
}

/// The family a sample belongs to: histograms own their _bucket, _sum and _count series.
std::string family_of(const std::string& name, const exposition& e) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const auto base = name.substr(0, name.size() - s.size());
      auto it = e.type.find(base);
      if (it != e.type.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

std::string scrape(http_client& c) {
  const auto r = c.get("/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  return r.body;
}

double value(const exposition& e, const std::string& series) {
  auto it = e.samples.find(series);
  INFO("series " << series);
  REQUIRE(it != e.samples.end());
  return std::stod(it->second);
}

/// `promtool check metrics` on a scrape: its exit status and everything it said.
std::pair<int, std::string> promtool_check(const std::string& body) {
  const std::string promtool = "/usr/bin/promtool";
  INFO("promtool comes with Debian's prometheus package (make deps installs it)");
  REQUIRE(::access(promtool.c_str(), X_OK) == 0);
  temp_dir dir;
  const auto file = dir.file("scrape.txt");
  std::ofstream(file) << body;
  const std::string cmd = promtool + " check metrics < " + file + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  const int status = ::pclose(pipe);
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), output};
}

/// Samples of one family by name, `name{labels}` -> value.
size_t count_samples(const exposition& e, const std::string& family) {
  size_t n = 0;
  for (const auto& name : e.sample_names) n += name == family;
  return n;
}

void define_job(http_client& c, const std::string& id, const std::string& schedule,
                const std::string& shell) {
  const std::string body = R"({"id":")" + id + R"(","schedule":")" + schedule +
                           R"(","command":{"shell":")" + shell + R"("}})";
  const auto r = c.post("/v1/jobs", body);
  INFO(r.body);
  REQUIRE(r.status == 201);
}

const std::vector<std::string> routes = {"/health",
                                         "/livez",
                                         "/readyz",
                                         "/v1/version",
                                         "/v1/openapi.json",
                                         "/v1/scheduler/pause",
                                         "/v1/scheduler/resume",
                                         "/v1/debug/stall",
                                         "/v1/events",
                                         "/v1/stream/snapshots",
                                         "/v1/stream/events",
                                         "/v1/snapshot",
                                         "/v1/streams",
                                         "/v1/cluster",
                                         "/metrics",
                                         "/v1/jobs",
                                         "/v1/jobs/{id}",
                                         "/v1/jobs/{id}/run",
                                         "/v1/jobs/{id}/backfill",
                                         "/v1/jobs/{id}/pause",
                                         "/v1/jobs/{id}/resume",
                                         "/v1/jobs/{id}/runs",
                                         "/v1/jobs/{id}/runs/{run_id}",
                                         "/v1/jobs/{id}/runs/{run_id}/output",
                                         "/v1/jobs/{id}/decisions",
                                         "/v1/jobs/{id}/next",
                                         "/v1/preview",
                                         "/v1/stream/console",
                                         "/ui",
                                         "/ui/{asset}",
                                         "other"};
const std::vector<std::string> codes = {"200", "201", "202", "304", "307", "400", "401",  "403",
                                        "404", "405", "409", "413", "500", "503", "other"};

}  // namespace

TEST_CASE("/metrics exposes exactly the listed families, each with HELP and TYPE", "[metrics]") {
  daemon_process daemon{{"--tick-interval", "50ms"}};
  http_client c{daemon.port()};
  const auto e = parse(scrape(c));
  for (const auto& [name, type] : expected_families) {
    INFO("family " << name);
    CHECK(e.help.count(name) == 1);
    CHECK(!e.help.at(name).empty());
    REQUIRE(e.type.count(name) == 1);
    CHECK(e.type.at(name) == type);
  }
  for (const auto& [name, type] : e.type) {
    INFO("unlisted family " << name);
    CHECK(expected_families.count(name) == 1);
  }
  for (const auto& name : e.sample_names) {
    INFO("sample " << name);
    CHECK(expected_families.count(family_of(name, e)) == 1);
  }
}

TEST_CASE("/metrics has every series from start-up, and counters move after a pause", "[metrics]") {
  temp_dir dir;
  daemon_process daemon{{"--data-dir", dir.path(), "--tick-interval", "50ms"}};
  http_client c{daemon.port()};
  const auto before = parse(scrape(c));

  // Before anything happened: every bounded label value is there, at zero where nothing ran.
  CHECK(value(before, "vigil_up") == 1);
  CHECK(value(before, "vigil_journal_writable") == 1);
  CHECK(value(before, "vigil_tick_interval_seconds") == Approx(0.05));
  CHECK(value(before, "vigil_heartbeat_timestamp_seconds") > 1.6e9);  // a timestamp, not an age
  for (const char* check : {"scheduler:heartbeat", "scheduler:progress", "scheduler:state",
                            "journal:writable", "overall"})
    CHECK(value(before, std::string("vigil_health_status{check=\"") + check + "\"}") <= 2);
  for (const char* state : {"starting", "running", "paused", "draining", "stopped"})
    value(before, std::string("vigil_scheduler_state{state=\"") + state + "\"}");
  CHECK(value(before, "vigil_scheduler_state{state=\"paused\"}") == 0);
  CHECK(value(before, "vigil_cycles_total{outcome=\"failed\"}") == 0);
  value(before, "vigil_cycles_total{outcome=\"succeeded\"}");
  CHECK(value(before, "vigil_journal_append_seconds_count") == 0);
  CHECK(value(before, "vigil_journal_append_seconds_bucket{le=\"0.0005\"}") == 0);
  CHECK(value(before, "vigil_journal_append_seconds_bucket{le=\"+Inf\"}") == 0);
  CHECK(value(before, "vigil_journal_batch_events_count") == 0);
  CHECK(value(before, "vigil_journal_batch_events_bucket{le=\"1024\"}") == 0);
  CHECK(value(before, "vigil_journal_append_errors_total") == 0);
  CHECK(value(before, "vigil_stream_clients{stream=\"snapshots\"}") == 0);
  CHECK(value(before, "vigil_stream_clients{stream=\"events\"}") == 0);
  CHECK(value(before, "vigil_stream_coalesced_total") == 0);
  CHECK(value(before, "vigil_stream_refused_total") == 0);
  for (const char* reason : {"write_failed", "too_slow", "shutdown"})
    CHECK(value(before, std::string("vigil_stream_disconnects_total{reason=\"") + reason + "\"}") ==
          0);
  for (const char* kind : {"fired", "skipped", "buffered", "missed"})
    CHECK(value(before, std::string("vigil_decisions_total{kind=\"") + kind + "\"}") == 0);
  for (const char* outcome :
       {"succeeded", "failed", "timed_out", "cancelled", "failed_to_start", "abandoned"})
    CHECK(value(before, std::string("vigil_runs_total{outcome=\"") + outcome + "\"}") == 0);
  for (const char* status : {"starting", "running", "buffered", "retry_wait"})
    CHECK(value(before, std::string("vigil_runs{status=\"") + status + "\"}") == 0);
  CHECK(value(before, "vigil_jobs{state=\"defined\"}") == 0);
  CHECK(value(before, "vigil_jobs_overdue") == 0);
  CHECK(value(before, "vigil_run_duration_seconds_count") == 0);
  CHECK(value(before, "vigil_run_duration_seconds_bucket{le=\"+Inf\"}") == 0);
  size_t http_series = 0;
  for (const auto& name : before.sample_names) http_series += name == "vigil_http_requests_total";
  CHECK(http_series == routes.size() * codes.size());
  for (const auto& route : routes)
    for (const auto& code : codes)
      CHECK(value(before,
                  "vigil_http_requests_total{route=\"" + route + "\",code=\"" + code + "\"}") == 0);

  // Something happens: a pause (one durable event), a 404, a 405.
  REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"metrics test"})").status == 200);
  REQUIRE(c.get("/no/such/route").status == 404);
  REQUIRE(c.request("DELETE", "/metrics").status == 405);
  const auto after = parse(scrape(c));
  CHECK(value(after, "vigil_scheduler_state{state=\"paused\"}") == 1);
  CHECK(value(after, "vigil_scheduler_state{state=\"running\"}") == 0);
  CHECK(value(after, "vigil_log_seq") == value(before, "vigil_log_seq") + 1);
  CHECK(value(after, "vigil_snapshot_version") > value(before, "vigil_snapshot_version"));
  CHECK(value(after, "vigil_journal_batch_events_count") == 1);
  CHECK(value(after, "vigil_journal_batch_events_sum") == 1);
  CHECK(value(after, "vigil_journal_append_seconds_count") == 1);
  CHECK(value(after, "vigil_journal_append_seconds_bucket{le=\"+Inf\"}") == 1);
  CHECK(value(after, "vigil_http_requests_total{route=\"/v1/scheduler/pause\",code=\"200\"}") == 1);
  CHECK(value(after, "vigil_http_requests_total{route=\"/metrics\",code=\"200\"}") == 1);
  CHECK(value(after, "vigil_http_requests_total{route=\"/metrics\",code=\"405\"}") == 1);
  CHECK(value(after, "vigil_http_requests_total{route=\"other\",code=\"404\"}") == 1);
  CHECK(value(after, "vigil_heartbeat_timestamp_seconds") >=
        value(before, "vigil_heartbeat_timestamp_seconds"));
}

TEST_CASE("/metrics is a 503 when an actor does not answer within the deadline", "[metrics]") {
  daemon_process daemon{{"--test-hooks", "--command-deadline", "500ms"}};
  http_client c{daemon.port()};
  REQUIRE(c.post("/v1/debug/stall?target=health&for=2s").status == 202);
  const auto r = c.get("/metrics");
  CHECK(r.status == 503);
  // Once the health actor is back, /metrics answers again: wait for that (bounded), don't
  // assume how long the stall takes to end.
  bool back = false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds{15};
  while (!back && std::chrono::steady_clock::now() < until) back = c.get("/metrics").status == 200;
  CHECK(back);
}

TEST_CASE("a stalled scheduler leaves /metrics answering, without the per-job series",
          "[metrics]") {
  // The stall alert reads vigil_health_* from a scrape taken while the loop is stuck: the
  // scrape must not fail with it.
  daemon_process daemon{{"--test-hooks", "--tick-interval", "100ms"}};
  http_client c{daemon.port()};
  REQUIRE(c.post("/v1/jobs", R"({"id":"one","schedule":"@yearly","command":{"argv":["true"]}})")
              .status == 201);
  const std::string healthy = scrape(c);
  CHECK(value(parse(healthy), "vigil_job_metrics_enabled") == 1);
  CHECK(healthy.find("vigil_job_consecutive_failures{job=\"one\"}") != std::string::npos);
  REQUIRE(c.post("/v1/debug/stall?target=scheduler&for=3s").status == 202);
  const auto r = c.get("/metrics");
  REQUIRE(r.status == 200);
  CHECK(value(parse(r.body), "vigil_job_metrics_enabled") == 0);
  CHECK(r.body.find("vigil_job_consecutive_failures{job=") == std::string::npos);
  CHECK(r.body.find("vigil_heartbeat_timestamp_seconds") != std::string::npos);
}

TEST_CASE("promtool check metrics passes on a live scrape", "[metrics]") {
  daemon_process daemon{{"--tick-interval", "50ms"}};
  http_client c{daemon.port()};
  // Something in every part of the exposition: a commit, HTTP codes, a histogram observation.
  REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"promtool"})").status == 200);
  REQUIRE(c.get("/nope").status == 404);
  const auto [status, output] = promtool_check(scrape(c));
  INFO("promtool said:\n" << output);
  CHECK(status == 0);
  CHECK(output.empty());
}

TEST_CASE("per-job metrics for three jobs: their values, and promtool check metrics passes",
          "[metrics][jobs]") {
  daemon_process daemon{{"--tick-interval", "50ms"}};
  http_client c{daemon.port()};
  // Manual runs only (01:00 on January 1st is not during the test), and a one-shot.
  define_job(c, "good", "0 1 1 1 *", "exit 0");
  define_job(c, "bad", "0 1 1 1 *", "exit 3");
  define_job(c, "once", "@at 2099-01-01T00:00:00Z", "exit 0");
  REQUIRE(c.post("/v1/jobs/good/run").status == 200);
  REQUIRE(c.post("/v1/jobs/bad/run").status == 200);
  exposition e;
  REQUIRE(eventually(10s, [&] {
    e = parse(scrape(c));
    return value(e, "vigil_runs_total{outcome=\"succeeded\"}") == 1 &&
           value(e, "vigil_runs_total{outcome=\"failed\"}") == 1;
  }));
  CHECK(value(e, "vigil_job_metrics_enabled") == 1);
  CHECK(value(e, "vigil_job_metrics_limit") == 10000);
  const double now = value(e, "vigil_heartbeat_timestamp_seconds");

  CHECK(value(e, "vigil_job_last_success_timestamp_seconds{job=\"good\"}") > 1.6e9);
  CHECK(value(e, "vigil_job_last_success_timestamp_seconds{job=\"good\"}") <= now + 1);
  CHECK(value(e, "vigil_job_last_success_timestamp_seconds{job=\"bad\"}") == 0);
  CHECK(value(e, "vigil_job_last_success_timestamp_seconds{job=\"once\"}") == 0);
  CHECK(value(e, "vigil_job_consecutive_failures{job=\"good\"}") == 0);
  CHECK(value(e, "vigil_job_consecutive_failures{job=\"bad\"}") == 1);
  CHECK(value(e, "vigil_job_consecutive_failures{job=\"once\"}") == 0);
  for (const char* outcome :
       {"succeeded", "failed", "timed_out", "cancelled", "failed_to_start", "abandoned"}) {
    INFO(outcome);
    const std::string o = outcome;
    CHECK(value(e, "vigil_job_last_outcome{job=\"good\",outcome=\"" + o + "\"}") ==
          (o == "succeeded" ? 1 : 0));
    CHECK(value(e, "vigil_job_last_outcome{job=\"bad\",outcome=\"" + o + "\"}") ==
          (o == "failed" ? 1 : 0));
    CHECK(value(e, "vigil_job_last_outcome{job=\"once\",outcome=\"" + o + "\"}") == 0);
  }
  CHECK(count_samples(e, "vigil_job_last_outcome") == 3 * 6);
  // Next fire: a timestamp in the future; the one-shot's in 2099.
  CHECK(value(e, "vigil_job_next_fire_timestamp_seconds{job=\"good\"}") > now);
  CHECK(value(e, "vigil_job_next_fire_timestamp_seconds{job=\"once\"}") == Approx(4070908800.0));
  // Period: a yearly cron's longest gap is a leap year; a one-shot has none.
  CHECK(value(e, "vigil_job_period_seconds{job=\"good\"}") == 366.0 * 86400);
  CHECK(e.samples.count("vigil_job_period_seconds{job=\"once\"}") == 0);
  CHECK(count_samples(e, "vigil_job_period_seconds") == 2);
  CHECK(value(e, "vigil_job_defined_timestamp_seconds{job=\"bad\"}") > 1.6e9);
  CHECK(value(e, "vigil_job_defined_timestamp_seconds{job=\"bad\"}") <= now + 1);

  // A paused job has no next fire.
  REQUIRE(c.post("/v1/jobs/good/pause", R"({"reason":"metrics"})").status == 200);
  CHECK(value(parse(scrape(c)), "vigil_job_next_fire_timestamp_seconds{job=\"good\"}") == 0);

  const auto [status, output] = promtool_check(scrape(c));
  INFO("promtool said:\n" << output);
  CHECK(status == 0);
  CHECK(output.empty());
}

TEST_CASE("beyond the per-job cap there are no per-job series, and a gauge says so",
          "[metrics][jobs]") {
  daemon_process daemon{{"--tick-interval", "50ms", "--metrics-per-job-limit", "2"}};
  http_client c{daemon.port()};
  define_job(c, "a", "0 1 1 1 *", "exit 0");
  define_job(c, "b", "0 1 1 1 *", "exit 0");
  const auto at_cap = parse(scrape(c));
  CHECK(value(at_cap, "vigil_job_metrics_enabled") == 1);
  CHECK(value(at_cap, "vigil_job_metrics_limit") == 2);
  CHECK(count_samples(at_cap, "vigil_job_consecutive_failures") == 2);

  define_job(c, "c", "0 1 1 1 *", "exit 0");
  const std::string body = scrape(c);
  const auto over = parse(body);
  CHECK(value(over, "vigil_job_metrics_enabled") == 0);
  CHECK(value(over, "vigil_job_metrics_limit") == 2);
  CHECK(value(over, "vigil_jobs{state=\"defined\"}") == 3);
  for (const char* family :
       {"vigil_job_last_success_timestamp_seconds", "vigil_job_last_outcome",
        "vigil_job_consecutive_failures", "vigil_job_next_fire_timestamp_seconds",
        "vigil_job_period_seconds", "vigil_job_defined_timestamp_seconds"}) {
    INFO(family);
    CHECK(count_samples(over, family) == 0);
    CHECK(over.type.count(family) == 1);  // the family is still described
  }
  const auto [status, output] = promtool_check(body);
  INFO("promtool said:\n" << output);
  CHECK(status == 0);
  CHECK(output.empty());

  // Back under the cap, they return.
  REQUIRE(c.request("DELETE", "/v1/jobs/c").status == 200);
  CHECK(value(parse(scrape(c)), "vigil_job_metrics_enabled") == 1);
}
