// No lost or duplicated runs across crashes: a daemon running jobs (scheduled every second,
// plus a stream of acknowledged manual runs) is SIGKILLed again and again. Afterwards the log
// decides every (job, nominal time) at most once, every acknowledged manual run is there, every
// run started at most once per attempt, and every run ends — with "abandoned" for those a kill
// interrupted, never silently.
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/sys_crash.hpp"

namespace {

/// VIGIL_CRASH_ROUNDS / 2 rounds (8 when it is not set).
int rounds() { return crash_rounds(2, 8); }

/// Waits (bounded: 60 s) until no run is starting, running or waiting for a retry. Each look
/// is a long poll that returns with the next snapshot (If-None-Match), not a sleep.
bool settled(http_client& c) {
  return snapshot_until(c, [](json h) {
    const json& runs = h["jobs"]["runs"];
    return runs["starting"] == 0 && runs["running"] == 0 && runs["retry_wait"] == 0 &&
           runs["buffered"] == 0;
  });
}

}  // namespace

TEST_CASE("SIGKILL while jobs run never loses or duplicates a run", "[system][crash][jobs]") {
  temp_dir dir;
  std::set<std::string> acked_manual;  // run ids the API said were fired
  for (int round = 0; round < rounds(); ++round) {
    INFO("round " << round);
    daemon_process daemon{
        {"--data-dir", dir.path(), "--tick-interval", "20ms", "--checkpoint-every", "40"}};
    http_client c{daemon.port()};
    if (round == 0) {
      REQUIRE(c.post("/v1/jobs", R"({"id":"tick","schedule":"* * * * * *",
          "command":{"argv":["/bin/sleep","0.3"]},"overlap":"allow"})")
                  .status == 201);
      REQUIRE(c.post("/v1/jobs", R"({"id":"manual","schedule":"@yearly",
          "command":{"argv":["/bin/true"]},"overlap":"allow",
          "retry":{"max_attempts":2,"initial_backoff":"50ms"}})")
                  .status == 201);
    }
    std::mutex mutex;
    std::condition_variable more;
    int acked = 0;
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      http_client client{daemon.port()};
      while (!stop) {
        vigil::test::http_response r;
        try {
          r = client.post("/v1/jobs/manual/run");
        } catch (const std::exception&) {
          return;  // died mid-request: not acknowledged
        }
        if (r.status != 200) continue;
        const json d = json::parse(r.body);
        std::lock_guard<std::mutex> guard{mutex};
        if (d["kind"] == "fired") acked_manual.insert(d["run_id"].get<std::string>());
        ++acked;
        more.notify_all();
      }
    });
    const int wanted = 10 + round * 13 % 40;
    {
      std::unique_lock<std::mutex> lock{mutex};
      REQUIRE(more.wait_for(lock, std::chrono::seconds{30}, [&] { return acked >= wanted; }));
    }
    daemon.signal(SIGKILL);
    REQUIRE(daemon.wait_exit(std::chrono::seconds{10}) == 128 + SIGKILL);
    stop = true;
    writer.join();
  }

  // A last life: orphans are abandoned, retries run, then nothing is left in flight.
  daemon_process daemon{{"--data-dir", dir.path(), "--tick-interval", "20ms"}};
  http_client c{daemon.port()};
  REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"check"})").status == 200);
  REQUIRE(settled(c));
  const auto log = read_log(c);
  for (size_t i = 0; i < log.size(); ++i) REQUIRE(log[i]["seq"].get<uint64_t>() == i + 1);

  std::set<std::pair<std::string, std::string>> decided;  // (job, nominal) of scheduled fires
  std::set<std::string> fired, finished_final;
  std::map<std::string, int> starts, dispatches;
  size_t abandoned = 0;
  for (const auto& e : log) {
    const std::string type = e["type"];
    const json& b = e["body"];
    if (type == "fire_decided") {
      if (b["reason"] != "manual") {
        INFO("job " << b["job"] << " nominal " << b["nominal"]);
        const bool first =
            decided.insert({b["job"].get<std::string>(), b["nominal"].get<std::string>()}).second;
        CHECK(first);  // decided once
      }
      if (b["kind"] == "fired") {
        const bool first = fired.insert(b["run_id"].get<std::string>()).second;
        CHECK(first);
      }
    } else if (type == "run_started") {
      ++starts[b["run_id"]];
    } else if (type == "run_dispatched") {
      ++dispatches[b["run_id"]];
    } else if (type == "run_finished") {
      abandoned += b["outcome"] == "abandoned";
    }
  }
  for (const auto& id : acked_manual) {
    INFO("acknowledged manual run " << id);
    CHECK(fired.count(id) == 1);
  }
  for (const auto& [id, n] : starts) {
    INFO("run " << id);
    CHECK(n <= 1 + dispatches[id]);  // one start per attempt at most
  }
  // Every fired run reached a final state: nothing is left starting or running (settled), and
  // the runs a kill interrupted say so.
  CHECK(abandoned > 0);
  WARN("rounds " << rounds() << ", log " << log.size() << " events, fired runs " << fired.size()
                 << ", acknowledged manual runs " << acked_manual.size() << ", abandoned "
                 << abandoned);
}
