// The web console's server side against the vigil binary: its files come from the binary under
// the console's Content-Security-Policy, and its one stream carries the current snapshot first,
// then the log's events after a position, and a heartbeat every second with the verdict's reason.
#include <chrono>
#include <optional>
#include <string>

#include "tests/support/sys_stream.hpp"

namespace {

const std::string console_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The next event of kind `kind` within `timeout`, skipping others; nothing if none came.
std::optional<sse_event> next_of(sse_client& s, const std::string& kind,
                                 std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto e = s.next_event(std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now()));
    if (e && e->event == kind) return e;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("the console's page, script and stylesheet come from the binary under its CSP",
          "[console]") {
  daemon_process daemon{{"--tick-interval", "50ms"}};
  http_client c{daemon.port()};
  for (const auto& [target, type, marker] :
       {std::tuple{"/ui", "text/html", "/ui/console.js"},
        {"/ui/", "text/html", "<main"},
        {"/ui/console.js", "text/javascript", "/v1/stream/console"},
        {"/ui/console.css", "text/css", "prefers-color-scheme"}}) {
    INFO(target);
    const auto r = c.get(target);
    CHECK(r.status == 200);
    CHECK(r.header("content-type").rfind(type, 0) == 0);
    CHECK(r.header("content-security-policy") == console_csp);
    CHECK(r.header("x-content-type-options") == "nosniff");
    CHECK(r.body.find(marker) != std::string::npos);
  }
  const auto missing = c.get("/ui/nothing.js");
  CHECK(missing.status == 404);
  CHECK(json::parse(missing.body)["error"] == "not_found");
}

TEST_CASE(
    "the console stream starts with the snapshot, then events after ?after= and "
    "heartbeats every second",
    "[console][stream]") {
  daemon_process daemon{{"--tick-interval", "50ms"}};
  http_client c{daemon.port()};
  REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"before"})").status == 200);  // seq 1

  // Without ?after=: the snapshot, then only what happens from now on.
  sse_client live{daemon.port(), "/v1/stream/console"};
  REQUIRE(live.status() == 200);
  auto first = live.next_event(5000ms);
  REQUIRE(first);
  CHECK(first->event == "snapshot");
  const json snap = json::parse(first->data);
  CHECK(snap["log_seq"] == 1);
  CHECK(first->id ==
        snap["epoch"].get<std::string>() + ":" + std::to_string(snap["version"].get<uint64_t>()));
  REQUIRE(c.post("/v1/scheduler/resume").status == 200);  // seq 2
  auto ev = next_of(live, "event", 5000ms);
  REQUIRE(ev);
  CHECK(json::parse(ev->data)["seq"] == 2);
  CHECK(json::parse(ev->data)["type"] == "scheduler_resumed");
  CHECK(ev->id == "2");

  // Heartbeats come every second (not every 15 s as on the other streams), with a reason.
  const auto t0 = std::chrono::steady_clock::now();
  auto beat = next_of(live, "heartbeat", 3000ms);
  REQUIRE(beat);
  auto beat2 = next_of(live, "heartbeat", 3000ms);
  REQUIRE(beat2);
  CHECK(std::chrono::steady_clock::now() - t0 < 3000ms);
  const json hb = json::parse(beat2->data);
  CHECK(hb["status"] == "pass");
  CHECK(hb["reason"].is_null());
  CHECK(hb["epoch"] == snap["epoch"]);

  // With ?after=0: every event from the start, after the snapshot.
  sse_client resumed{daemon.port(), "/v1/stream/console?after=0"};
  auto r0 = resumed.next_event(5000ms);
  REQUIRE(r0);
  CHECK(r0->event == "snapshot");
  auto r1 = next_of(resumed, "event", 5000ms);
  auto r2 = next_of(resumed, "event", 5000ms);
  REQUIRE(r1);
  REQUIRE(r2);
  CHECK(json::parse(r1->data)["type"] == "scheduler_paused");
  CHECK(json::parse(r2->data)["type"] == "scheduler_resumed");
  CHECK(c.get("/v1/stream/console?after=x").status == 400);
}

TEST_CASE("the console stream's heartbeat names the failing check while the loop is stalled",
          "[console][stream]") {
  daemon_process daemon{{"--tick-interval", "50ms", "--cycle-deadline", "200ms", "--test-hooks"}};
  http_client c{daemon.port()};
  sse_client live{daemon.port(), "/v1/stream/console"};
  REQUIRE(live.status() == 200);
  REQUIRE(c.post("/v1/debug/stall?target=scheduler&for=4s").status == 202);
  std::optional<json> failed;
  const auto until = std::chrono::steady_clock::now() + 4000ms;
  while (!failed && std::chrono::steady_clock::now() < until) {
    auto beat = next_of(live, "heartbeat", 2000ms);
    if (beat && json::parse(beat->data)["status"] == "fail") failed = json::parse(beat->data);
  }
  REQUIRE(failed);
  CHECK((*failed)["reason"].get<std::string>().rfind("scheduler:heartbeat: ", 0) == 0);
}

TEST_CASE("GET /v1/jobs?prefix= pages through the ids that start with it", "[console][jobs]") {
  daemon_process daemon{{"--tick-interval", "50ms"}};
  http_client c{daemon.port()};
  for (const char* id : {"db-backup", "db-vacuum", "dbx", "web-1", "d"}) {
    const std::string body =
        std::string(R"({"id":")") + id + R"(","schedule":"@daily","command":{"argv":["true"]}})";
    REQUIRE(c.post("/v1/jobs", body).status == 201);
  }
  const json page = json::parse(c.get("/v1/jobs?prefix=db-&limit=1").body);
  REQUIRE(page["jobs"].size() == 1);
  CHECK(page["jobs"][0]["id"] == "db-backup");
  CHECK(page["jobs"][0]["next_due_local"].get<std::string>().size() >= 20);
  REQUIRE(page["next"] == "db-backup");
  const json rest = json::parse(c.get("/v1/jobs?prefix=db-&limit=1&after=db-backup").body);
  REQUIRE(rest["jobs"].size() == 1);
  CHECK(rest["jobs"][0]["id"] == "db-vacuum");
  CHECK(rest["next"].is_null());  // "dbx" and "web-1" follow, but not with the prefix
  CHECK(json::parse(c.get("/v1/jobs?prefix=db").body)["jobs"].size() == 3);
  CHECK(json::parse(c.get("/v1/jobs?prefix=nothing").body)["jobs"].empty());
  CHECK(json::parse(c.get("/v1/jobs?prefix=").body)["jobs"].size() == 5);
}
