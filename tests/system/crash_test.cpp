// Crash safety: a daemon under write load is SIGKILLed again and again; after every restart
// each acknowledged event is in the log, sequence numbers have no gaps, and it serves again.
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "tests/support/sys_crash.hpp"

namespace {

int rounds() { return crash_rounds(1, 20); }

}  // namespace

TEST_CASE("SIGKILL under write load never loses an acknowledged event", "[system][crash]") {
  temp_dir dir;
  std::map<uint64_t, std::string> acknowledged;  // seq -> event type the reply promised
  for (int round = 0; round < rounds(); ++round) {
    INFO("round " << round);
    daemon_process daemon{
        {"--data-dir", dir.path(), "--tick-interval", "5ms", "--checkpoint-every", "50"}};
    http_client c{daemon.port()};

    // Everything acknowledged before, in any earlier life, is there, in order, without gaps.
    const auto log = read_log(c);
    for (size_t i = 0; i < log.size(); ++i) REQUIRE(log[i]["seq"].get<uint64_t>() == i + 1);
    for (const auto& [seq, type] : acknowledged) {
      REQUIRE(seq <= log.size());
      CHECK(log[seq - 1]["type"] == type);
    }
    // The state rebuilt at start-up is the fold of that log.
    const json health = json::parse(c.get("/health").body);
    CHECK(health["snapshot"]["log_seq"].get<uint64_t>() == log.size());
    if (!log.empty())
      CHECK(health["scheduler"]["paused"].get<bool>() ==
            (log.back()["type"] == "scheduler_paused"));

    // Writers run until the kill; the kill lands once some writes are acknowledged.
    std::mutex mutex;
    std::condition_variable more;
    int acked_this_round = 0;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([&, w] {
        http_client client{daemon.port()};
        for (int i = w; !stop; ++i) {
          const bool pause = i % 2 == 0;
          vigil::test::http_response r;
          try {
            r = client.post(pause ? "/v1/scheduler/pause" : "/v1/scheduler/resume",
                            "{\"reason\":\"crash round\"}");
          } catch (const std::exception&) {
            return;  // the daemon died mid-request: that write was never acknowledged
          }
          if (r.status != 200) continue;
          const json j = json::parse(r.body);
          if (j["changed"] != true) continue;
          std::lock_guard<std::mutex> guard{mutex};
          acknowledged[j["snapshot"]["log_seq"].get<uint64_t>()] =
              pause ? "scheduler_paused" : "scheduler_resumed";
          ++acked_this_round;
          more.notify_all();
        }
      });
    }
    const int wanted = 20 + round * 7 % 60;  // vary where in the load the kill lands
    {
      std::unique_lock<std::mutex> lock{mutex};
      REQUIRE(more.wait_for(lock, std::chrono::seconds{30},
                            [&] { return acked_this_round >= wanted; }));
    }
    daemon.signal(SIGKILL);
    REQUIRE(daemon.wait_exit(std::chrono::seconds{10}) == 128 + SIGKILL);
    stop = true;
    for (auto& t : writers) t.join();
  }
  // One last life: it starts, serves, and has everything.
  daemon_process daemon{{"--data-dir", dir.path()}};
  http_client c{daemon.port()};
  const auto log = read_log(c);
  CHECK(log.size() >= acknowledged.size());
  CHECK(c.get("/readyz").status == 200);
  WARN("acknowledged events over all rounds: " << acknowledged.size() << ", log length "
                                               << log.size());
}
