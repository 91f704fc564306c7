// The durable log seen from outside: restart rebuilds the same state (with and without
// checkpoints), the data directory has one owner, the log is readable page by page, and a full
// disk is refused loudly and recovered from by itself.
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tests/support/sys_test.hpp"

namespace {

/// What must survive a restart: the durable fields of the snapshot.
json durable_fields(http_client& c) {
  const json h = json::parse(c.get("/health").body);
  return {{"log_seq", h["snapshot"]["log_seq"]},
          {"paused", h["scheduler"]["paused"]},
          {"paused_since", h["scheduler"]["paused_since"]},
          {"pause_reason", h["scheduler"]["pause_reason"]}};
}

}  // namespace

TEST_CASE("the state rebuilt after a restart equals the state before it", "[system][durability]") {
  const bool checkpoints = GENERATE(false, true);
  INFO("checkpoints " << checkpoints);
  temp_dir dir;
  const std::vector<std::string> args =
      checkpoints
          ? std::vector<std::string>{"--data-dir", dir.path(), "--checkpoint-every", "7"}
          : std::vector<std::string>{
                "--data-dir", dir.path(), "--checkpoint-every", "0", "--checkpoint-interval", "0s"};
  json before;
  {
    daemon_process d{args};
    http_client c{d.port()};
    std::mt19937 rng{7};
    for (int i = 0; i < 60; ++i) {
      const bool pause = rng() % 2;
      const auto r = c.post(pause ? "/v1/scheduler/pause" : "/v1/scheduler/resume",
                            "{\"reason\":\"step " + std::to_string(i) + "\"}");
      REQUIRE(r.status == 200);
    }
    if (json::parse(c.get("/health").body)["scheduler"]["paused"] == false)
      REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"left paused"})").status == 200);
    before = durable_fields(c);
    stop_daemon(d);
  }
  daemon_process d{args};
  http_client c{d.port()};
  CHECK(durable_fields(c) == before);
  const std::string out = d.output();
  if (checkpoints) {
    CHECK(out.find("(checkpoint at seq 0,") == std::string::npos);
  } else {
    CHECK(out.find("(checkpoint at seq 0, " + before["log_seq"].dump() + " events replayed)") !=
          std::string::npos);
  }
}

TEST_CASE("a second daemon on the same data directory is refused, naming the holder",
          "[system][durability]") {
  temp_dir dir;
  daemon_process first{{"--data-dir", dir.path()}};
  const auto second =
      vigil::test::run_vigil({"serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path()});
  CHECK(second.exit_code == 1);
  CHECK(second.output.find("in use by pid " + std::to_string(first.pid())) != std::string::npos);
  CHECK((std::filesystem::status(dir.path()).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms::owner_all);
}

TEST_CASE("GET /v1/events pages the log strictly after a position", "[system][durability]") {
  temp_dir dir;
  daemon_process d{{"--data-dir", dir.path()}};
  http_client c{d.port()};
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"p"})").status == 200);
    REQUIRE(c.post("/v1/scheduler/resume").status == 200);
  }
  auto page = json::parse(c.get("/v1/events?after=3&limit=4").body);
  REQUIRE(page["events"].size() == 4);
  CHECK(page["events"][0]["seq"] == 4);
  CHECK(page["events"][3]["seq"] == 7);
  CHECK(page["events"][0]["type"] == "scheduler_resumed");
  CHECK(page["events"][0]["version"] == 3);
  CHECK(page["events"][1]["body"]["reason"] == "p");
  CHECK(page["events"][1]["body"]["by"] == "http 127.0.0.1");  // who asked is recorded
  CHECK(page["last_seq"] == 10);
  CHECK(json::parse(c.get("/v1/events?after=10").body)["events"].empty());
  for (const char* bad : {"/v1/events?after=-1", "/v1/events?after=x", "/v1/events?limit=0",
                          "/v1/events?limit=1001", "/v1/events?limit="}) {
    INFO(bad);
    const auto r = c.get(bad);
    CHECK(r.status == 400);
    const json j = json::parse(r.body);
    CHECK(j["error"] == "invalid_argument");
    CHECK((j["field"] == "after" || j["field"] == "limit"));
  }
}

TEST_CASE("a full disk refuses commands with 503, fails /health, and recovers by itself",
          "[system][durability][disk]") {
  temp_dir mount_point;
  if (::mount("tmpfs", mount_point.path().c_str(), "tmpfs", 0, "size=1m") != 0) {
    FAIL("cannot mount a tmpfs (tests run as root in CI): " << std::strerror(errno));
  }
  struct unmount {
    std::string path;
    ~unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } guard{mount_point.path()};
  const std::string data = mount_point.path() + "/data";
  daemon_process d{{"--data-dir", data, "--tick-interval", "50ms"}};
  http_client c{d.port()};
  REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"before"})").status == 200);

  // Fill the file system to the last byte.
  const std::string filler = mount_point.path() + "/filler";
  {
    std::ofstream f{filler, std::ios::binary};
    const std::string block(4096, 'x');
    while (f.write(block.data(), block.size())) {
    }
  }
  {
    std::ofstream f{filler, std::ios::binary | std::ios::app};
    while (f.put('x')) f.flush();
  }
  int refused = 0;
  vigil::test::http_response r;
  for (int i = 0; i < 200 && refused == 0; ++i) {
    r = c.post(i % 2 ? "/v1/scheduler/pause" : "/v1/scheduler/resume", R"({"reason":"full"})");
    if (r.status == 503)
      ++refused;
    else
      REQUIRE(r.status == 200);
  }
  REQUIRE(refused == 1);
  CHECK(json::parse(r.body)["error"] == "unavailable");
  const json h = json::parse(c.get("/health").body);
  CHECK(h["status"] == "fail");
  CHECK(h["checks"]["journal:writable"][0]["status"] == "fail");
  CHECK(h["journal"]["writable"] == false);
  CHECK(c.get("/readyz").status == 503);
  CHECK(c.get("/livez").status == 200);
  const uint64_t durable = h["snapshot"]["log_seq"];

  // Space comes back: the daemon notices by itself (it probes the log), no command needed.
  std::filesystem::remove(filler);
  bool recovered = false;
  const auto until = clock_type::now() + std::chrono::seconds{15};
  while (!recovered && clock_type::now() < until)
    recovered = json::parse(c.get("/health").body)["journal"]["writable"] == true;
  REQUIRE(recovered);
  CHECK(c.get("/readyz").status == 200);
  const bool paused = json::parse(c.get("/health").body)["scheduler"]["paused"];
  r = c.post(paused ? "/v1/scheduler/resume" : "/v1/scheduler/pause", R"({"reason":"after"})");
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body)["changed"] == true);
  CHECK(json::parse(r.body)["snapshot"]["log_seq"] == durable + 1);  // no gap, nothing lost
  const json page = json::parse(c.get("/v1/events?after=0&limit=1000").body);
  CHECK(page["events"].size() == durable + 1);
  stop_daemon(d);
}
