// Measures the SQLite log: durable appends in batches of 16 and 256, replay reads, cold opens.
// Usage: store_bench [directory on the disk to measure] (default: a fresh one under /tmp).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite_store.hpp"

namespace {

namespace vs = vigil::store;
using bench_clock = std::chrono::steady_clock;

double seconds_since(bench_clock::time_point start) {
  return std::chrono::duration<double>(bench_clock::now() - start).count();
}

/// An event with a ~100-byte JSON body, like a job_defined or run_finished.
vs::stored_event bench_event(uint64_t n) {
  vs::stored_event e;
  e.type = "run_finished";
  e.schema_version = 1;
  e.time = vigil::model::wall_time{std::chrono::milliseconds{1'764'000'000'000 + int64_t(n)}};
  e.epoch = "0192f3a4-bench";
  e.body = R"({"job":"nightly-report-)" + std::to_string(n % 1000) + R"(","run":)" +
           std::to_string(n) +
           R"(,"outcome":"succeeded","exit_code":0,"duration_ms":1234,"host":"w1"})";
  return e;
}

std::vector<vs::stored_event> bench_batch(uint64_t first, size_t size) {
  std::vector<vs::stored_event> out;
  out.reserve(size);
  for (uint64_t n = first; n < first + size; ++n) out.push_back(bench_event(n));
  return out;
}

/// The disk's own pace: append 100 bytes and fdatasync, `rounds` times (SQLite's floor).
void bench_raw_fdatasync(const std::string& dir, int rounds) {
  const std::string path = dir + "/raw.dat";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const std::string record(100, 'r');
  const auto start = bench_clock::now();
  for (int i = 0; i < rounds; ++i) {
    if (::pwrite(fd, record.data(), record.size(), off_t(i) * 100) < 0 || ::fdatasync(fd) != 0)
      break;
  }
  const double elapsed = seconds_since(start);
  ::close(fd);
  ::unlink(path.c_str());
  std::printf("raw write+fdatasync: %d in %6.2f s = %9.0f /s\n", rounds, elapsed, rounds / elapsed);
}

/// Appends `total` events in batches of `batch` to a fresh log; prints events/s and latency.
void bench_append(const std::string& path, size_t batch, size_t total) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  vs::sqlite_store store{path};
  std::vector<double> latencies_ms;
  uint64_t next = 1;
  const auto start = bench_clock::now();
  while (next <= total) {
    auto events = bench_batch(next, batch);  // encoding is the journal's work, not timed apart
    const auto t0 = bench_clock::now();
    next = store.append(next, std::move(events)) + 1;
    latencies_ms.push_back(seconds_since(t0) * 1000);
  }
  const double elapsed = seconds_since(start);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) { return latencies_ms[size_t(p * double(latencies_ms.size() - 1))]; };
  std::printf(
      "append batch %4zu: %8zu events in %6.2f s = %9.0f events/s, %7.0f commits/s; "
      "commit ms p50 %.2f p99 %.2f max %.2f\n",
      batch, next - 1, elapsed, double(next - 1) / elapsed, double(latencies_ms.size()) / elapsed,
      pct(0.5), pct(0.99), latencies_ms.back());
}

/// Builds a log of `total` events quickly (large batches), for the read and open figures.
void build_log(const std::string& path, size_t total) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  vs::sqlite_store store{path};
  for (uint64_t next = 1; next <= total;)
    next = store.append(next, bench_batch(next, std::min<size_t>(8192, total - next + 1))) + 1;
}

void bench_open(const std::string& path, const char* label) {
  const auto start = bench_clock::now();
  vs::sqlite_store store{path};
  std::printf("open %-38s: %8.0f ms (last seq %llu)\n", label, seconds_since(start) * 1000,
              static_cast<unsigned long long>(store.last_seq()));
}

void bench_read(const std::string& path, size_t page) {
  vs::sqlite_store store{path};
  const auto start = bench_clock::now();
  uint64_t after = 0;
  size_t bytes = 0;
  for (;;) {
    auto events = store.read_after(after, page);
    if (events.empty()) break;
    for (const auto& e : events) bytes += e.body.size();
    after = events.back().seq;
  }
  const double elapsed = seconds_since(start);
  std::printf("read_after pages of %zu: %8llu rows in %6.2f s = %9.0f rows/s (%zu body bytes)\n",
              page, static_cast<unsigned long long>(after), elapsed, double(after) / elapsed,
              bytes);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  if (argc > 1) {
    dir = argv[1];
  } else {
    std::string name = "/tmp/vigil-store-bench-XXXXXX";
    if (::mkdtemp(name.data()) == nullptr) return 1;
    dir = name;
  }
  std::printf("store_bench in %s\n", dir.c_str());
  const std::string path = dir + "/bench.db";
  try {
    bench_raw_fdatasync(dir, 5000);
    bench_append(path, 16, 160'000);
    bench_append(path, 256, 1'024'000);
    build_log(path, 1'000'000);
    bench_open(path, "1M events, no checkpoint (verifies all)");
    bench_read(path, 4096);
    {
      vs::sqlite_store store{path};
      store.save_checkpoint({store.last_seq(), "{}"});
    }
    bench_open(path, "1M events, checkpoint at the end");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_bench: %s\n", e.what());
    return 1;
  }
  if (argc <= 1) std::filesystem::remove_all(dir);
  return 0;
}
