// The seed's acceptance test: under a 1 ms tick and concurrent pause/resume writers, every
// /health answer from 8 readers is one consistent snapshot. Nothing read is torn.
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "tests/support/sys_test.hpp"

namespace {

constexpr int reader_threads = 8;
constexpr int writer_threads = 2;
constexpr long target_reads = 100'000;

/// What a reader remembers of one snapshot, to compare across readers afterwards.
struct seen {
  std::string last_updated;
  uint64_t cycles_total;
  uint64_t log_seq;
  bool paused;
  bool operator!=(const seen& o) const {
    return last_updated != o.last_updated || cycles_total != o.cycles_total ||
           log_seq != o.log_seq || paused != o.paused;
  }
};

struct violations {
  std::mutex mutex;
  std::vector<std::string> first;
  std::atomic<long> count{0};
  void add(std::string what) {
    if (++count <= 20) {
      std::lock_guard<std::mutex> guard{mutex};
      first.push_back(std::move(what));
    }
  }
};

bool is_time(const json& j) { return j.is_string() && j.get<std::string>().size() == 24; }

/// Checks one /health body on its own; returns the snapshot's summary for cross-checks.
std::optional<std::pair<uint64_t, seen>> check_body(const vigil::test::http_response& r,
                                                    const std::string& epoch, violations& v) {
  const json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return v.add("unparseable body: " + r.body), std::nullopt;
  auto fail = [&](const std::string& what) {
    v.add(what + " in " + r.body);
    return std::nullopt;
  };
  if (r.status != 200 && r.status != 503) return fail("status " + std::to_string(r.status));
  const std::string status = j.value("status", "");
  if ((r.status == 503) != (status == "fail")) return fail("HTTP code disagrees with status");
  if (!is_time(j["last_updated"])) return fail("last_updated missing");
  const json& snap = j["snapshot"];
  const json& sch = j["scheduler"];
  if (!snap.is_object() || !sch.is_object()) return fail("snapshot missing");
  if (snap["taken_at"] != j["last_updated"]) return fail("last_updated != snapshot time");
  if (snap["epoch"] != epoch) return fail("epoch changed");
  const uint64_t version = snap["version"].get<uint64_t>();
  if (r.header("etag") != "\"" + epoch + "-" + std::to_string(version) + "\"")
    return fail("ETag disagrees with the body");
  if (r.header("cache-control") != "no-store") return fail("Cache-Control missing");
  const json& cycles = sch["cycles"];
  const uint64_t total = cycles["total"], ok = cycles["succeeded"], failed = cycles["failed"];
  if (total != ok + failed) return fail("cycles total != succeeded + failed");
  const bool paused = sch["paused"].get<bool>();
  if (paused != !sch["paused_since"].is_null()) return fail("paused disagrees with paused_since");
  if ((sch["state"] == "paused") && !paused) return fail("state paused but paused is false");
  if (paused && sch["state"] == "running") return fail("paused but state running");
  if (paused != !sch["pause_reason"].is_null()) return fail("paused disagrees with reason");
  const json& started = sch["last_cycle_started"];
  const json& finished = sch["last_cycle_finished"];
  if (started.is_null() != finished.is_null()) return fail("cycle start/finish half set");
  if (!finished.is_null()) {
    // No cycle is ever in flight in a published snapshot: it is published at the cycle's end.
    if (finished.get<std::string>() < started.get<std::string>())
      return fail("last cycle finished before it started");
    if (finished.get<std::string>() > j["last_updated"].get<std::string>())
      return fail("cycle finished after the snapshot was taken");
  }
  if (total > 0 && sch["last_success"].is_null() && failed == 0)
    return fail("succeeded cycles but no last_success");
  const json& journal = j["journal"];
  if (!journal.is_object()) return fail("journal missing");
  if (journal["writable"].get<bool>() != journal["failing_since"].is_null())
    return fail("journal writable disagrees with failing_since");
  if (!j["checks"].is_object() || j["checks"].size() != 5) return fail("checks missing");
  if (snap["age_seconds"].get<double>() < 0) return fail("negative age");
  return std::make_pair(version, seen{j["last_updated"], total, snap["log_seq"], paused});
}

}  // namespace

TEST_CASE("under a 1 ms tick and pause/resume writers, 100k /health reads are never torn",
          "[system][acceptance]") {
  daemon_process daemon{{"--tick-interval", "1ms", "--http-threads", "1"}};
  http_client probe{daemon.port()};
  const std::string epoch =
      json::parse(probe.get("/health").body)["snapshot"]["epoch"].get<std::string>();

  std::atomic<long> reads{0};
  std::atomic<long> writes{0};
  std::atomic<long> new_versions{0};
  std::atomic<bool> done{false};
  violations v;
  std::vector<std::map<uint64_t, seen>> per_reader(reader_threads);

  std::vector<std::thread> threads;
  for (int w = 0; w < writer_threads; ++w) {
    threads.emplace_back([&, w] {
      http_client client{daemon.port()};
      for (long i = 0; !done; ++i) {
        const bool pause = (i % 2) == 0;
        const auto r = client.post(pause ? "/v1/scheduler/pause" : "/v1/scheduler/resume",
                                   "{\"reason\":\"writer " + std::to_string(w) + "\"}");
        ++writes;
        const json j = json::parse(r.body, nullptr, false);
        if (r.status != 200 || j.is_discarded() || !j["snapshot"].is_object()) {
          v.add("writer got " + std::to_string(r.status) + " " + r.body);
          continue;
        }
        // The reply's snapshot is the first one that includes the command: its state holds.
        if (j["snapshot"]["scheduler"]["paused"].get<bool>() != pause && j["changed"] == true)
          v.add("changed=true but the reply's snapshot does not show it: " + r.body);
      }
    });
  }
  for (int t = 0; t < reader_threads; ++t) {
    threads.emplace_back([&, t] {
      http_client client{daemon.port()};
      auto& mine = per_reader[t];
      uint64_t last_version = 0;
      seen last{};
      while (reads < target_reads) {
        const auto r = client.get("/health");
        ++reads;
        auto checked = check_body(r, epoch, v);
        if (!checked) continue;
        const auto& [version, s] = *checked;
        if (version < last_version) {
          v.add("version went backwards: " + std::to_string(last_version) + " -> " +
                std::to_string(version));
        } else if (version == last_version) {
          if (s != last) v.add("same version, different content: " + std::to_string(version));
        } else {
          ++new_versions;
          if (s.last_updated < last.last_updated) v.add("last_updated went backwards");
          if (s.cycles_total < last.cycles_total) v.add("cycle count went backwards");
          if (s.log_seq < last.log_seq) v.add("log_seq went backwards");
        }
        last_version = version;
        last = s;
        mine.emplace(version, s);
      }
    });
  }
  for (int t = writer_threads; t < writer_threads + reader_threads; ++t) threads[t].join();
  done = true;
  for (int t = 0; t < writer_threads; ++t) threads[t].join();

  // Across readers: one version is one snapshot, and time and counters only grow with it.
  std::map<uint64_t, seen> all;
  for (const auto& mine : per_reader)
    for (const auto& [version, s] : mine) {
      auto [it, inserted] = all.emplace(version, s);
      if (!inserted && it->second != s)
        v.add("two readers saw different content for version " + std::to_string(version));
    }
  const seen* prev = nullptr;
  for (const auto& [version, s] : all) {
    if (prev && (s.last_updated < prev->last_updated || s.cycles_total < prev->cycles_total ||
                 s.log_seq < prev->log_seq))
      v.add("across readers, version " + std::to_string(version) +
            " is older than its predecessor");
    prev = &s;
  }

  INFO("first violations:\n"
       << [&] {
            std::string out;
            for (const auto& s : v.first) out += s.substr(0, 600) + "\n";
            return out;
          }());
  CHECK(v.count == 0);
  CHECK(reads >= target_reads);
  CHECK(writes > 100);       // the writers really ran alongside
  CHECK(all.size() > 1000);  // and the snapshots really changed under the readers
  WARN("checked reads: " << reads << ", writer commands: " << writes << ", distinct versions seen: "
                         << all.size() << ", reads that saw a newer version: " << new_versions);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait_exit(std::chrono::seconds{15}) == 0);
}
