// The cluster's benchmark figures (issue 14, `make bench` through bench/cluster.sh): hidden
// test cases, tag [.cluster-bench], never part of `make test`. They measure and print; what
// they assert is only that the thing measured happened (every command acknowledged, every
// event reached every follower), never a speed.
//   follower lag:  3 nodes, a paced command load on the leader (CLUSTER_BENCH_RATE events/s,
//                  default 1,000, for CLUSTER_BENCH_SECONDS, default 30); each node's event
//                  stream is read by this process, and a follower's lag for an event is when it
//                  arrived from that follower minus when it arrived from the leader; and each
//                  event's age on arrival (now minus the time the leader stamped on it).
//   appends:       one node on SQLite (--data-dir) and one on PostgreSQL (--store), the same
//                  closed-loop command load (16 clients); acknowledged, durable commands/s.
// Run PostgreSQL with fsync on for figures worth keeping: VIGIL_TEST_PG_FSYNC=on.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "tests/cluster/cluster_support.hpp"
#include "tests/support/sse_client.hpp"

using namespace vigil::test;

namespace {

using steady = std::chrono::steady_clock;

double env_number(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && std::atof(v) > 0 ? std::atof(v) : fallback;
}

double seconds_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// Jobs load-0 .. load-(n-1), hourly, so that nothing fires while the load runs.
void define_load_jobs(uint16_t port, int n) {
  http_client c{port};
  for (int i = 0; i < n; ++i) {
    const json spec = {{"id", "load-" + std::to_string(i)},
                       {"schedule", "@every 1h"},
                       {"command", {{"argv", {"true"}}}}};
    const auto r = c.post("/v1/jobs", spec.dump());
    INFO(r.body);
    REQUIRE(r.status == 201);
  }
}

struct load_result {
  uint64_t acknowledged = 0;
  uint64_t refused = 0;
  double seconds = 0;
  std::vector<double> latencies;  ///< request sent -> durable acknowledgement, seconds
};

/// `clients` threads, each pausing and resuming its own job on `port` (one event per
/// command). rate > 0: open loop, each client sends on its share of a fixed grid (late sends go
/// at once, so the offered load holds); rate 0: closed loop, the next once the last is acked.
load_result command_load(uint16_t port, int clients, double rate, double seconds) {
  std::vector<load_result> per(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  const auto start = steady::now();
  const auto end =
      start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
  for (int k = 0; k < clients; ++k) {
    threads.emplace_back([&, k] {
      auto& mine = per[static_cast<size_t>(k)];
      http_client c{port, 10s};
      const std::string job = "/v1/jobs/load-" + std::to_string(k);
      const double interval = rate > 0 ? clients / rate : 0;
      for (uint64_t n = 0;; ++n) {
        auto due =
            start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(
                        interval * static_cast<double>(n) + interval * k / clients));
        if (due >= end || steady::now() >= end) break;
        std::this_thread::sleep_until(due);  // the load's pacing: when this command is due
        const auto sent = steady::now();
        const auto r = c.post(job + (n % 2 == 0 ? "/pause" : "/resume"), "{}");
        if (r.status == 200) {
          ++mine.acknowledged;
          mine.latencies.push_back(seconds_between(sent, steady::now()));
        } else {
          ++mine.refused;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  load_result all;
  all.seconds = seconds_between(start, steady::now());
  for (auto& p : per) {
    all.acknowledged += p.acknowledged;
    all.refused += p.refused;
    all.latencies.insert(all.latencies.end(), p.latencies.begin(), p.latencies.end());
  }
  return all;
}

/// Reads one node's event stream on its own thread: when (steady clock) each seq arrived.
class arrivals {
 public:
  arrivals(uint16_t port, uint64_t after)
      : stream_(port, "/v1/stream/events?after=" + std::to_string(after)),
        reader_([this] { read(); }) {}
  ~arrivals() {
    stop_ = true;
    reader_.join();
  }
  int status() const { return stream_.status(); }
  uint64_t last() const { return last_; }
  std::map<uint64_t, steady::time_point> taken() {
    std::lock_guard<std::mutex> lock{mutex_};
    return at_;
  }
  /// Per event: its age when it arrived, this machine's wall clock minus the event's own time
  /// (stamped by the leader before its append; millisecond resolution).
  std::vector<double> ages() {
    std::lock_guard<std::mutex> lock{mutex_};
    return ages_;
  }

 private:
  void read() {
    while (!stop_ && !stream_.ended()) {
      auto e = stream_.next_event(100ms);
      if (!e || e->id.empty()) continue;  // heartbeats carry no id
      const auto now = steady::now();
      const auto wall =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      const uint64_t seq = std::stoull(e->id);
      const auto stamped = json::parse(e->data).at("time").get<std::string>();
      const double ms = std::atof(stamped.substr(stamped.find('.')).c_str());  // ".971Z"
      std::lock_guard<std::mutex> lock{mutex_};
      at_.emplace(seq, now);
      ages_.push_back(wall - (static_cast<double>(epoch_seconds(stamped)) + ms));
      last_ = std::max<uint64_t>(last_, seq);
    }
  }

  sse_client stream_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> last_{0};
  std::mutex mutex_;
  std::map<uint64_t, steady::time_point> at_;
  std::vector<double> ages_;
  std::thread reader_;
};

void print_latencies(const char* what, const load_result& r) {
  std::printf(
      "%s: %llu commands acknowledged in %.1f s = %.0f/s, %llu refused; ack latency "
      "p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
      what, static_cast<unsigned long long>(r.acknowledged), r.seconds,
      static_cast<double>(r.acknowledged) / r.seconds, static_cast<unsigned long long>(r.refused),
      percentile(r.latencies, 0.5) * 1e3, percentile(r.latencies, 0.99) * 1e3,
      percentile(r.latencies, 1.0) * 1e3);
}

}  // namespace

TEST_CASE("bench: follower lag under a paced write load on the leader", "[.cluster-bench]") {
  const double rate = env_number("CLUSTER_BENCH_RATE", 1000);
  const double seconds = env_number("CLUSTER_BENCH_SECONDS", 30);
  const int clients = 16;
  cluster c{3};
  REQUIRE(eventually(15s, [&] { return c.lease().term > 0; }));
  const size_t leader = c.index_of(c.lease().node);
  REQUIRE(leader < c.size());
  define_load_jobs(c.proc(leader).port(), clients);
  const uint64_t from = c.log().size();

  std::vector<std::unique_ptr<arrivals>> streams;
  for (size_t i = 0; i < c.size(); ++i) {
    streams.push_back(std::make_unique<arrivals>(c.proc(i).port(), from));
    REQUIRE(streams.back()->status() == 200);
  }
  const auto load = command_load(c.proc(leader).port(), clients, rate, seconds);
  CHECK(load.refused == 0);
  const uint64_t end = c.log().size();
  // Until every node's stream has delivered the whole log (a condition, bounded).
  CHECK(eventually(30s, [&] {
    for (auto& s : streams)
      if (s->last() < end) return false;
    return true;
  }));

  const auto at_leader = streams[leader]->taken();
  std::vector<double> lags;
  uint64_t absent = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (i == leader) continue;
    const auto at = streams[i]->taken();
    for (const auto& [seq, when] : at_leader) {
      auto it = at.find(seq);
      if (it == at.end()) {
        ++absent;
        continue;
      }
      lags.push_back(seconds_between(when, it->second));
    }
  }
  CHECK(absent == 0);
  std::vector<double> follower_ages;
  for (size_t i = 0; i < c.size(); ++i) {
    if (i == leader) continue;
    const auto a = streams[i]->ages();
    follower_ages.insert(follower_ages.end(), a.begin(), a.end());
  }
  const auto leader_ages = streams[leader]->ages();
  const double events = static_cast<double>(end - from);
  print_latencies("follower-lag load", load);
  std::printf(
      "follower lag: %.0f events in %.1f s = %.0f events/s offered %.0f/s; lag behind "
      "the leader's own stream over %zu (follower, event) pairs: p50 %.1f ms, p99 %.1f "
      "ms, max %.1f ms; %llu events missing at a follower\n",
      events, load.seconds, events / load.seconds, rate, lags.size(), percentile(lags, 0.5) * 1e3,
      percentile(lags, 0.99) * 1e3, percentile(lags, 1.0) * 1e3,
      static_cast<unsigned long long>(absent));
  std::printf(
      "event age on arrival (now - the event's time, stamped before the append): "
      "from a follower p50 %.1f ms, p99 %.1f ms, max %.1f ms; from the leader p50 %.1f "
      "ms, p99 %.1f ms, max %.1f ms\n",
      percentile(follower_ages, 0.5) * 1e3, percentile(follower_ages, 0.99) * 1e3,
      percentile(follower_ages, 1.0) * 1e3, percentile(leader_ages, 0.5) * 1e3,
      percentile(leader_ages, 0.99) * 1e3, percentile(leader_ages, 1.0) * 1e3);
}

TEST_CASE("bench: durable appends on SQLite and on PostgreSQL, the same load", "[.cluster-bench]") {
  const double seconds = env_number("CLUSTER_BENCH_SECONDS", 30) / 3;
  const int clients = 16;
  {
    temp_dir dir;
    daemon_process node{{"--data-dir", dir.path() + "/data"}};
    define_load_jobs(node.port(), clients);
    const auto r = command_load(node.port(), clients, 0, seconds);
    CHECK(r.refused == 0);
    print_latencies("appends sqlite (--data-dir, synchronous=FULL)", r);
  }
  {
    cluster c{1};
    REQUIRE(eventually(15s, [&] { return c.lease().term > 0; }));
    define_load_jobs(c.proc(0).port(), clients);
    const auto r = command_load(c.proc(0).port(), clients, 0, seconds);
    CHECK(r.refused == 0);
    const char* fsync = std::getenv("VIGIL_TEST_PG_FSYNC");
    print_latencies(fsync != nullptr && std::string{fsync} == "on"
                        ? "appends postgresql (--store, fsync on, synchronous_commit on)"
                        : "appends postgresql (--store, fsync OFF: not a figure to keep)",
                    r);
  }
}
