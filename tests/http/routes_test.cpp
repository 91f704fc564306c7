// The HTTP surface against the real binary: probes, commands, errors, limits.
#include "tests/support/sys_replies.hpp"

namespace {

/// The daemon's durable state as /health reports it.
json scheduler_of(http_client& c) { return json::parse(c.get("/health").body)["scheduler"]; }

}  // namespace

TEST_CASE("the HTTP surface answers as documented", "[http][routes]") {
  daemon_process daemon{{"--tick-interval", "20ms", "--max-body", "4096"}};
  http_client c{daemon.port()};

  SECTION("GET /health is health+json with ETag and no-store; Accept: application/json") {
    auto r = c.get("/health");
    CHECK(r.header("content-type") == "application/health+json");
    CHECK(r.header("cache-control") == "no-store");
    const json j = json::parse(r.body);
    CHECK(r.header("etag") == "\"" + j["snapshot"]["epoch"].get<std::string>() + "-" +
                                  std::to_string(j["snapshot"]["version"].get<uint64_t>()) + "\"");
    for (const char* check : {"scheduler:heartbeat", "scheduler:progress", "scheduler:state"}) {
      INFO(check);
      REQUIRE(j["checks"].contains(check));
      const json& c0 = j["checks"][check][0];
      CHECK(c0.contains("status"));
      CHECK(c0.contains("observedValue"));
      CHECK(c0.contains("observedUnit"));
      CHECK(c0.contains("time"));
    }
    r = c.request("GET", "/health", "", {{"Accept", "application/json"}});
    CHECK(r.header("content-type") == "application/json");
  }

  SECTION("/livez and /readyz: text, ?verbose lists the checks") {
    auto r = c.get("/livez");
    CHECK(r.status == 200);
    CHECK(r.body == "ok\n");
    CHECK(r.header("cache-control") == "no-store");
    r = c.get("/readyz?verbose");
    CHECK(r.status == 200);
    CHECK(r.body.find("[+]scheduler:heartbeat ok") != std::string::npos);
    CHECK(r.body.find("readyz check passed") != std::string::npos);
    r = c.get("/livez?verbose=1&other=x");
    CHECK(r.body.find("livez check passed") != std::string::npos);
    check_error(c.get("/livez?bad=%zz"), 400, "invalid_argument");
  }

  SECTION("pause and resume are durable before the reply, idempotent, and keep /readyz up") {
    auto r = c.post("/v1/scheduler/pause", R"({"reason":"maintenance window"})");
    REQUIRE(r.status == 200);
    json j = json::parse(r.body);
    CHECK(j["changed"] == true);
    CHECK(j["snapshot"]["scheduler"]["state"] == "paused");
    CHECK(j["snapshot"]["scheduler"]["pause_reason"] == "maintenance window");
    CHECK(j["snapshot"]["log_seq"] == 1);
    json s = scheduler_of(c);
    CHECK(s["state"] == "paused");
    CHECK(s["paused_since"].is_string());
    CHECK(json::parse(c.get("/health").body)["status"] == "warn");
    CHECK(c.get("/health").status == 200);
    CHECK(c.get("/readyz").status == 200);  // a paused node stays reachable
    CHECK(c.get("/livez").status == 200);

    r = c.post("/v1/scheduler/pause");  // already paused: no new event
    CHECK(r.status == 200);
    CHECK(json::parse(r.body)["changed"] == false);
    CHECK(json::parse(r.body)["snapshot"]["log_seq"] == 1);

    r = c.post("/v1/scheduler/resume", "");
    CHECK(r.status == 200);
    j = json::parse(r.body);
    CHECK(j["changed"] == true);
    CHECK(j["snapshot"]["scheduler"]["state"] == "running");
    CHECK(j["snapshot"]["scheduler"]["paused_since"].is_null());
    CHECK(j["snapshot"]["log_seq"] == 2);
  }

  SECTION("bad command bodies are 400s naming the field, and change nothing") {
    check_error(c.post("/v1/scheduler/pause", "{not json"), 400, "invalid_argument");
    check_error(c.post("/v1/scheduler/pause", "[1,2]"), 400, "invalid_argument");
    check_error(c.post("/v1/scheduler/pause", R"({"reason": 42})"), 400, "invalid_argument",
                "/reason");
    check_error(c.post("/v1/scheduler/pause", R"({"reason": "x", "until": "later"})"), 400,
                "invalid_argument", "/until");
    check_error(c.post("/v1/scheduler/pause", R"({"reason": ")" + std::string(1100, 'x') + "\"}"),
                400, "invalid_argument", "/reason");
    check_error(c.post("/v1/scheduler/pause", std::string(5000, ' ')), 413, "payload_too_large");
    const json s = scheduler_of(c);
    CHECK(s["state"] == "running");
    CHECK(json::parse(c.get("/health").body)["snapshot"]["log_seq"] == 0);
  }

  SECTION("unknown routes are 404 and wrong methods 405, both JSON") {
    check_error(c.get("/nope"), 404, "not_found");
    auto r = c.request("DELETE", "/health");
    CHECK(r.status == 405);
    CHECK(r.header("allow") == "GET, HEAD");
    CHECK(json::parse(r.body)["error"] == "method_not_allowed");
    r = c.get("/v1/scheduler/pause");
    CHECK(r.status == 405);
    CHECK(r.header("allow") == "POST");
    // Test hooks are off unless asked for: the route does not exist.
    check_error(c.post("/v1/debug/stall?target=scheduler&for=1s"), 404, "not_found");
  }

  SECTION("GET /v1/version answers build information") {
    const auto r = c.get("/v1/version");
    CHECK(r.status == 200);
    const json j = json::parse(r.body);
    CHECK(j["name"] == "vigil");
    CHECK(j["version"].is_string());
  }
}

TEST_CASE("test hooks validate their parameters", "[http][routes]") {
  daemon_process daemon{{"--test-hooks"}};
  http_client c{daemon.port()};
  check_error(c.post("/v1/debug/stall?target=nobody&for=1s"), 400, "invalid_argument", "target");
  check_error(c.post("/v1/debug/stall?target=health&for=soon"), 400, "invalid_argument", "for");
}
