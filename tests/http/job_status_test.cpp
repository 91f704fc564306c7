// Per-job status in GET /v1/jobs and GET /v1/jobs/{id} against the real binary, and the
// ?status=failing|running|paused filters: real processes that succeed, fail and keep running,
// and a paused job; a bad filter is a 400 naming the field.
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/sys_replies.hpp"

namespace {

/// A job that never fires by itself while the test runs: manual runs only.
void define(http_client& c, const std::string& id, const std::string& shell) {
  const json j = {{"id", id}, {"schedule", "0 1 1 1 *"}, {"command", {{"shell", shell}}}};
  const auto r = c.post("/v1/jobs", j.dump());
  INFO(r.body);
  REQUIRE(r.status == 201);
}

void run_now(http_client& c, const std::string& id) {
  const auto r = c.post("/v1/jobs/" + id + "/run");
  INFO(r.body);
  REQUIRE(r.status == 200);
}

json job(http_client& c, const std::string& id) {
  const auto r = c.get("/v1/jobs/" + id);
  REQUIRE(r.status == 200);
  return parse(r);
}

/// Waits until at least `attempts` attempts of the job have finished; the job then.
json wait_finished(http_client& c, const std::string& id, uint64_t attempts) {
  json j;
  const bool ok = eventually(10s, [&] {
    j = job(c, id);
    const auto& o = j["counters"]["outcomes"];
    uint64_t n = 0;
    for (const auto& [k, v] : o.items()) n += v.get<uint64_t>();
    return n >= attempts;
  });
  INFO(j.dump());
  REQUIRE(ok);
  return j;
}

/// The ids a filtered list returns.
std::set<std::string> listed(http_client& c, const std::string& query) {
  const auto r = c.get("/v1/jobs" + query);
  INFO(query << ": " << r.body);
  REQUIRE(r.status == 200);
  std::set<std::string> ids;
  const json page = parse(r);
  for (const auto& j : page["jobs"]) ids.insert(j["id"].get<std::string>());
  return ids;
}

}  // namespace

TEST_CASE("jobs carry their status, and ?status= selects failing, running and paused jobs",
          "[jobs][status]") {
  daemon_process daemon{{"--tick-interval", "50ms"}};
  http_client c{daemon.port()};
  define(c, "good", "exit 0");
  define(c, "bad", "exit 3");
  define(c, "slow", "sleep 20");
  define(c, "held", "exit 0");
  define(c, "idle", "exit 0");

  // Before any run: no outcome, nothing failing, nothing running.
  const json idle = job(c, "idle");
  REQUIRE(idle.contains("status"));
  CHECK(idle["status"]["last_outcome"].is_null());
  CHECK(idle["status"]["last_success_at"].is_null());
  CHECK(idle["status"]["last_failure_at"].is_null());
  CHECK(idle["status"]["last_finished_at"].is_null());
  CHECK(idle["status"]["last_duration_seconds"].is_null());
  CHECK(idle["status"]["consecutive_failures"] == 0);
  CHECK(idle["status"]["failing"] == false);
  CHECK(idle["status"]["next_due"] == idle["next_due"]);
  CHECK(idle["period_seconds"].get<double>() >= 365.0 * 86400);
  CHECK(listed(c, "?status=failing").empty());
  CHECK(listed(c, "?status=running").empty());
  CHECK(listed(c, "?status=paused").empty());

  run_now(c, "good");
  run_now(c, "bad");
  wait_finished(c, "bad", 1);
  run_now(c, "bad");
  run_now(c, "slow");
  REQUIRE(c.post("/v1/jobs/held/pause", R"({"reason":"status test"})").status == 200);

  const json good = wait_finished(c, "good", 1)["status"];
  CHECK(good["last_outcome"] == "succeeded");
  CHECK(good["last_success_at"].is_string());
  CHECK(good["last_success_at"] == good["last_finished_at"]);
  CHECK(good["last_failure_at"].is_null());
  CHECK(good["consecutive_failures"] == 0);
  CHECK(good["last_duration_seconds"].get<double>() >= 0);
  CHECK(good["failing"] == false);

  const json bad = wait_finished(c, "bad", 2)["status"];
  CHECK(bad["last_outcome"] == "failed");
  CHECK(bad["last_success_at"].is_null());
  CHECK(bad["last_failure_at"] == bad["last_finished_at"]);
  CHECK(bad["consecutive_failures"] == 2);
  CHECK(bad["failing"] == true);

  // Running: the slow job's process is running (wait until the runner reports it started).
  CHECK(eventually(10s, [&] { return listed(c, "?status=running").count("slow") == 1; }));
  CHECK(listed(c, "?status=running") == std::set<std::string>{"slow"});
  CHECK(listed(c, "?status=failing") == std::set<std::string>{"bad"});
  CHECK(listed(c, "?status=paused") == std::set<std::string>{"held"});
  CHECK(listed(c, "").size() == 5);

  // The summary in the list has the same status object as the job.
  const json page = parse(c.get("/v1/jobs?status=failing"));
  REQUIRE(page["jobs"].size() == 1);
  CHECK(page["jobs"][0]["status"] == job(c, "bad")["status"]);
  CHECK(page["total"] == 5);  // every job defined, whatever the filter

  // Paging through a filter: `next` continues after the last job returned.
  define(c, "bad2", "exit 4");
  run_now(c, "bad2");
  wait_finished(c, "bad2", 1);
  const json first = parse(c.get("/v1/jobs?status=failing&limit=1"));
  REQUIRE(first["jobs"].size() == 1);
  CHECK(first["jobs"][0]["id"] == "bad");
  CHECK(first["next"] == "bad");
  const json second = parse(c.get("/v1/jobs?status=failing&limit=1&after=bad"));
  REQUIRE(second["jobs"].size() == 1);
  CHECK(second["jobs"][0]["id"] == "bad2");
}

TEST_CASE("an unknown ?status= is a 400 naming the field", "[jobs][status]") {
  daemon_process daemon{{"--tick-interval", "50ms"}};
  http_client c{daemon.port()};
  for (const char* q :
       {"?status=broken", "?status=", "?status", "?status=FAILING", "?status=failing,paused"}) {
    const auto r = c.get(std::string("/v1/jobs") + q);
    INFO(q << ": " << r.body);
    CHECK(r.status == 400);
    CHECK(r.header("content-type") == "application/json");
    const json j = parse(r);
    CHECK(j.value("error", "") == "invalid_argument");
    CHECK(j.value("field", "") == "status");
    CHECK(j.value("detail", "").find("failing, running, paused") != std::string::npos);
  }
}
