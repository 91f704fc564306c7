// The durable log's benchmark (issue 4, "Must show": bench). In one run, on one directory:
//   1. raw write(4 KiB) + fdatasync per second, the disk's own pace (baseline);
//   2. durable events/s through the journal actor with 16 and 256 concurrent producers, each a
//      CAF actor that sends one event and waits for its acknowledgement, through a coordinator
//      that assigns expected_next in order the way the scheduler does;
//   3. cold start with a 1M-event log: open the SQLite store + journal recover, without and with
//      a checkpoint, with a warm and an evicted page cache;
//   4. full replay events/s, split into read_after / decode_event / apply by a direct loop, and
//      the same loop with two other decoders (hand-rolled, simdjson when built with it).
// Prints a Markdown report and writes it to bench/results/journal-<UTC>.md (git-ignored).
//
// Usage: journal_bench [--dir DIR] [--duration S] [--warmup S] [--producers 16,256]
//                      [--events N] [--fsync-seconds S] [--workers N] [--rounds N]
//                      [--results DIR|-] [--keep]
// Environment (flags win): JBENCH_DIR, JBENCH_DURATION, JBENCH_WARMUP, JBENCH_PRODUCERS,
//                          JBENCH_EVENTS, JBENCH_FSYNC_SECONDS, JBENCH_WORKERS, JBENCH_ROUNDS,
//                          JBENCH_RESULTS.
// Exit status: 0 when every measurement ran and every correctness check passed (goals missed are
// reported, not an error); 1 otherwise.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actors/interfaces.hpp"
#include "actors/journal.hpp"
#include "actors/system.hpp"
#include "bench/bench_util.hpp"
#include "codec/checkpoint.hpp"
#include "codec/events.hpp"
#include "codec/json_writer.hpp"
#include "model/decider.hpp"
#include "model/planner.hpp"
#include "store/sqlite_store.hpp"
#include "tests/codec/crafted_bodies.hpp"

#ifdef VIGIL_BENCH_SIMDJSON
#include <simdjson.h>
#define VIGIL_BENCH_STR2(x) #x
#define VIGIL_BENCH_STR(x) VIGIL_BENCH_STR2(x)
#endif

namespace {

using namespace vigil::bench;

namespace va = vigil::actors;
namespace vm = vigil::model;
namespace vs = vigil::store;
namespace vc = vigil::codec;
using bench_clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Small helpers

double seconds_since(bench_clock::time_point start) {
  return std::chrono::duration<double>(bench_clock::now() - start).count();
}

double micros_since(bench_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(bench_clock::now() - start).count();
}

/// p in [0, 1] of an already sorted vector (0 when empty).
double pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5)];
}

/// User + system CPU seconds of this process so far.
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// The whole VM's CPU counters (/proc/stat, all CPUs): what the hypervisor stole, what the disk
/// kept waiting, and how much CPU other processes of this VM used while we measured.
struct vm_cpu {
  uint64_t total = 0, steal = 0, iowait = 0, busy = 0;
  double own_s = 0;  ///< this process's CPU seconds
  static vm_cpu now() {
    vm_cpu c;
    std::ifstream in{"/proc/stat"};
    std::string cpu;
    in >> cpu;
    uint64_t v[8] = {};  // user nice system idle iowait irq softirq steal
    for (auto& x : v) in >> x;
    for (auto x : v) c.total += x;
    c.iowait = v[4];
    c.steal = v[7];
    c.busy = c.total - v[3] - v[4];
    c.own_s = cpu_seconds();
    return c;
  }
  /// "others 40%, steal 0%, iowait 3%" (shares of all CPUs) over the time since `start`.
  static std::string since(const vm_cpu& start) {
    const vm_cpu e = now();
    const double t = static_cast<double>(e.total - start.total);
    if (t <= 0) return "too short to tell";
    const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double others =
        std::max(0.0, static_cast<double>(e.busy - start.busy) - (e.own_s - start.own_s) * hz);
    auto share = [t](double x) { return static_cast<int>(100.0 * x / t + 0.5); };
    return format("others %d%%, steal %d%%, iowait %d%%", share(others),
                  share(static_cast<double>(e.steal - start.steal)),
                  share(static_cast<double>(e.iowait - start.iowait)));
  }
};

void progress(const std::string& text) {
  std::fprintf(stderr, "journal_bench: %s\n", text.c_str());
}

double mem_gib() {
  std::ifstream in{"/proc/meminfo"};
  std::string key;
  double kib = 0;
  in >> key >> kib;
  return kib / 1048576.0;
}

std::string fs_type(const std::string& dir) {
  struct statfs s {};
  if (::statfs(dir.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs (fdatasync is a no-op: durability figures are meaningless)";
    case 0x794c7630:
      return "overlayfs";
    default:
      return format("0x%lx", static_cast<unsigned long>(s.f_type));
  }
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

/// Fraction of a file's pages in the page cache (mincore), or -1 when it cannot be told.
double resident_fraction(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st {};
  double out = -1;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    const auto size = static_cast<size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED) {
      const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
      std::vector<unsigned char> vec((size + page - 1) / page);
      if (::mincore(map, size, vec.data()) == 0) {
        size_t in = 0;
        for (unsigned char v : vec) in += v & 1u;
        out = static_cast<double>(in) / static_cast<double>(vec.size());
      }
      ::munmap(map, size);
    }
  }
  ::close(fd);
  return out;
}

/// Reads a whole file, so that its pages are in the page cache.
void warm(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::vector<char> buf(1 << 20);
  while (::read(fd, buf.data(), buf.size()) > 0) {
  }
  ::close(fd);
}

/// Drops a file's clean pages from the page cache (no root, touches no other file).
void evict(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// ---------------------------------------------------------------------------------------------
// Options

struct options {
  std::string dir = "/tmp";
  double duration = 5;  ///< seconds measured per producer count
  double warmup = 0.5;  ///< seconds before the measured window
  std::vector<int> producers{16, 256};
  uint64_t events = 1'000'000;  ///< cold-start / replay log size
  double fsync_seconds = 2;     ///< per raw fdatasync variant
  size_t workers = 2;           ///< CAF worker threads (the daemon's default)
  int rounds = 3;               ///< repetitions of each cold start and replay loop (median kept)
  std::string results = VIGIL_BENCH_RESULTS_DIR;
  bool keep = false;
};

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in{text};
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(std::stoi(item));
  return out;
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "journal_bench: %s\nusage: journal_bench [--dir DIR] [--duration S] [--warmup S] "
               "[--producers 16,256] [--events N] [--fsync-seconds S] [--workers N] "
               "[--rounds N] [--results DIR|-] [--keep]\n",
               why);
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options o;
  auto apply = [&o](const std::string& key, const std::string& v) {
    if (key == "dir")
      o.dir = v;
    else if (key == "duration")
      o.duration = std::stod(v);
    else if (key == "warmup")
      o.warmup = std::stod(v);
    else if (key == "producers")
      o.producers = parse_list(v);
    else if (key == "events")
      o.events = std::stoull(v);
    else if (key == "fsync-seconds")
      o.fsync_seconds = std::stod(v);
    else if (key == "workers")
      o.workers = std::stoul(v);
    else if (key == "rounds")
      o.rounds = std::stoi(v);
    else if (key == "results")
      o.results = v;
    else
      return false;
    return true;
  };
  const std::pair<const char*, const char*> env[] = {
      {"JBENCH_DIR", "dir"},         {"JBENCH_DURATION", "duration"},
      {"JBENCH_WARMUP", "warmup"},   {"JBENCH_PRODUCERS", "producers"},
      {"JBENCH_EVENTS", "events"},   {"JBENCH_FSYNC_SECONDS", "fsync-seconds"},
      {"JBENCH_WORKERS", "workers"}, {"JBENCH_RESULTS", "results"},
      {"JBENCH_ROUNDS", "rounds"}};
  try {
    for (const auto& [name, key] : env)
      if (const char* v = std::getenv(name); v && *v) apply(key, v);
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--keep") {
        o.keep = true;
        continue;
      }
      if (arg == "--help" || arg == "-h") usage("help");
      if (arg.rfind("--", 0) != 0 || i + 1 >= argc) usage(("bad argument " + arg).c_str());
      if (!apply(arg.substr(2), argv[++i])) usage(("unknown option " + arg).c_str());
    }
  } catch (const std::exception& e) {
    usage(e.what());
  }
  if (o.duration <= 0 || o.duration > 600) usage("--duration must be in (0, 600]");
  if (o.warmup < 0 || o.warmup > 60) usage("--warmup must be in [0, 60]");
  if (o.fsync_seconds <= 0 || o.fsync_seconds > 120) usage("--fsync-seconds must be in (0, 120]");
  if (o.events < 2 || o.events > 100'000'000) usage("--events must be in [2, 1e8]");
  if (o.workers < 1 || o.workers > 64) usage("--workers must be in [1, 64]");
  if (o.rounds < 1 || o.rounds > 20) usage("--rounds must be in [1, 20]");
  for (int p : o.producers)
    if (p < 1 || p > 100'000) usage("--producers: each count must be in [1, 100000]");
  return o;
}

// ---------------------------------------------------------------------------------------------
// The report

struct summary_row {
  std::string what, result, goal, verdict, params;
};

struct report {
  std::vector<summary_row> rows;
  std::string details;
  std::vector<std::string> failures;  ///< harness or correctness failures (exit status 1)
  void section(const std::string& md) { details += md + "\n"; }
  void fail(const std::string& why) {
    failures.push_back(why);
    progress("FAILED: " + why);
  }
};

std::string verdict(bool met) { return met ? "met" : "**not met**"; }

// ---------------------------------------------------------------------------------------------
// 1. Raw write(4 KiB) + fdatasync

struct fsync_result {
  uint64_t ops = 0;
  double seconds = 0;
  std::vector<double> lat_us;
  std::string error;
};

/// `append`: each write extends the file (metadata changes too, like a growing log);
/// otherwise 4 KiB blocks are rewritten in place in a preallocated 1 MiB file (like SQLite's
/// WAL once it has reached its size and is being reused).
fsync_result raw_fdatasync(const std::string& path, double seconds, bool append) {
  fsync_result r;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    r.error = format("open %s: %s", path.c_str(), std::strerror(errno));
    return r;
  }
  std::string block(4096, 'v');
  constexpr size_t slots = 256;
  if (!append) {
    for (size_t i = 0; i < slots; ++i)
      if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) break;
    ::fsync(fd);
  }
  r.lat_us.reserve(100'000);
  const auto start = bench_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (bench_clock::now() < end && r.ops < 10'000'000) {
    block[0] = static_cast<char>('a' + r.ops % 26);
    const auto t0 = bench_clock::now();
    const ssize_t w = append ? ::write(fd, block.data(), block.size())
                             : ::pwrite(fd, block.data(), block.size(),
                                        static_cast<off_t>((r.ops % slots) * block.size()));
    if (w != static_cast<ssize_t>(block.size()) || ::fdatasync(fd) != 0) {
      r.error = format("write/fdatasync: %s", std::strerror(errno));
      break;
    }
    r.lat_us.push_back(micros_since(t0));
    ++r.ops;
  }
  r.seconds = seconds_since(start);
  ::close(fd);
  ::unlink(path.c_str());
  std::sort(r.lat_us.begin(), r.lat_us.end());
  return r;
}

// ---------------------------------------------------------------------------------------------
// 2. Durable events/s through the journal actor

/// Forwards to the SQLite store and counts what the journal's group commits look like.
class counting_store final : public vs::store {
 public:
  struct commit {
    bench_clock::time_point end;
    double micros;
    size_t events;
  };

  explicit counting_store(std::shared_ptr<vs::sqlite_store> inner) : inner_(std::move(inner)) {
    commits_log.reserve(1 << 20);
  }

  uint64_t append(uint64_t expected_next, std::vector<vs::stored_event> batch) override {
    const size_t n = batch.size();
    const auto t0 = bench_clock::now();
    const uint64_t last = inner_->append(expected_next, std::move(batch));
    const auto t1 = bench_clock::now();
    // Only the journal's thread writes here; it is read after the actor system is gone.
    commits_log.push_back({t1, std::chrono::duration<double, std::micro>(t1 - t0).count(), n});
    events.fetch_add(n, std::memory_order_relaxed);
    commits.fetch_add(1, std::memory_order_relaxed);
    return last;
  }
  std::vector<vs::stored_event> read_after(uint64_t after, size_t limit) const override {
    return inner_->read_after(after, limit);
  }
  uint64_t last_seq() const override { return inner_->last_seq(); }
  void save_checkpoint(const vs::checkpoint& c) override { inner_->save_checkpoint(c); }
  std::optional<vs::checkpoint> load_checkpoint() const override {
    return inner_->load_checkpoint();
  }
  std::vector<vs::checkpoint> load_checkpoints() const override {
    return inner_->load_checkpoints();
  }
  void probe() override { inner_->probe(); }

  std::atomic<uint64_t> commits{0};
  std::atomic<uint64_t> events{0};
  std::vector<commit> commits_log;

 private:
  std::shared_ptr<vs::sqlite_store> inner_;
};

/// What the producers of one run share with the main thread.
struct run_context {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acks{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<int> finished{0};
  std::mutex mutex;  // guards the two below
  std::vector<double> latencies_us;
  std::string first_error;

  void error(const std::string& what) {
    errors.fetch_add(1);
    std::lock_guard<std::mutex> lock{mutex};
    if (first_error.empty()) first_error = what;
  }
};

/// Stands where the scheduler stands: assigns expected_next in order, many appends in flight.
using coordinator_actor =
    caf::typed_actor<caf::replies_to<va::append_atom, va::event_batch>::with<va::append_ack>>;

struct coordinator_state {
  va::journal_actor journal;
  uint64_t next = 1;
  static inline const char* name = "bench-coordinator";
};

coordinator_actor::behavior_type coordinator(
    coordinator_actor::stateful_pointer<coordinator_state> self, va::journal_actor journal) {
  self->state.journal = std::move(journal);
  return {
      [self](va::append_atom,
             va::event_batch& batch) -> caf::typed_response_promise<va::append_ack> {
        auto promise = self->make_response_promise<va::append_ack>();
        batch.expected_next = self->state.next;
        self->state.next += batch.events.size();
        self->request(self->state.journal, caf::infinite, va::append_atom::value, std::move(batch))
            .then([promise](va::append_ack& ack) mutable { promise.deliver(std::move(ack)); },
                  [promise](caf::error& err) mutable {
                    promise.deliver(
                        va::append_ack{false, 0, "journal: " + to_string(err), false, false});
                  });
        return promise;
      },
  };
}

struct producer_state {
  coordinator_actor coordinator;
  std::shared_ptr<run_context> ctx;
  std::string reason;
  std::string by;
  std::vector<double> latencies_us;
  static inline const char* name = "bench-producer";
};

using producer_pointer = caf::stateful_actor<producer_state>*;

void producer_done(producer_pointer self) {
  auto& st = self->state;
  {
    std::lock_guard<std::mutex> lock{st.ctx->mutex};
    st.ctx->latencies_us.insert(st.ctx->latencies_us.end(), st.latencies_us.begin(),
                                st.latencies_us.end());
  }
  st.ctx->finished.fetch_add(1);
  self->quit();
}

/// One event, then wait for its acknowledgement, then the next, until told to stop.
void send_next(producer_pointer self) {
  auto& st = self->state;
  if (st.ctx->stop.load(std::memory_order_relaxed)) {
    producer_done(self);
    return;
  }
  const vm::wall_time at = std::chrono::floor<std::chrono::milliseconds>(va::system_wall_clock());
  va::event_batch batch{{vm::scheduler_paused{st.reason, at, st.by}}, at, 0};
  const auto sent = bench_clock::now();
  self->request(st.coordinator, caf::infinite, va::append_atom::value, std::move(batch))
      .then(
          [self, sent](va::append_ack& ack) {
            auto& st = self->state;
            if (!ack.ok) {
              st.ctx->error("append refused: " + ack.error);
              producer_done(self);
              return;
            }
            st.ctx->acks.fetch_add(1, std::memory_order_relaxed);
            if (st.ctx->measuring.load(std::memory_order_relaxed))
              st.latencies_us.push_back(micros_since(sent));
            send_next(self);
          },
          [self](caf::error& err) {
            self->state.ctx->error("request failed: " + to_string(err));
            producer_done(self);
          });
}

caf::behavior producer(producer_pointer self, coordinator_actor coord,
                       std::shared_ptr<run_context> ctx, int id) {
  auto& st = self->state;
  st.coordinator = std::move(coord);
  st.ctx = std::move(ctx);
  // ~60 bytes, like an operator's pause reason.
  st.reason = format("nightly maintenance of cluster eu-west-3, ticket OPS-%06d (bench)", id);
  st.by = format("10.0.%d.%d:51234", id / 250, id % 250);
  st.latencies_us.reserve(65536);
  send_next(self);
  return {[](caf::ok_atom) {}};  // everything else arrives as responses
}

struct producer_run {
  int producers = 0;
  double window_s = 0;
  uint64_t acks = 0, commits = 0, committed_events = 0;
  double cpu_pct = 0;
  std::vector<double> latencies_us;
  std::vector<double> commit_us;
  std::vector<double> batch_sizes;
  uint64_t log_events = 0, total_acks = 0;
  std::string error;
};

producer_run run_producers(const options& o, const std::string& dir, int producers) {
  producer_run r;
  r.producers = producers;
  const std::string path = dir + "/producers.db";
  remove_db(path);
  auto sqlite = std::make_shared<vs::sqlite_store>(path);
  auto counting = std::make_shared<counting_store>(sqlite);
  auto ctx = std::make_shared<run_context>();
  bench_clock::time_point window_start, window_end;
  {
    caf::actor_system_config cfg;
    va::configure(cfg, o.workers);
    caf::actor_system sys{cfg};
    auto journal = va::spawn_journal(sys, {counting, "bench-epoch"});
    auto coord = sys.spawn(coordinator, journal);
    std::vector<caf::actor> all;
    all.reserve(static_cast<size_t>(producers));
    for (int i = 0; i < producers; ++i) all.push_back(sys.spawn(producer, coord, ctx, i));

    std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
    const uint64_t acks0 = ctx->acks.load(), commits0 = counting->commits.load(),
                   events0 = counting->events.load();
    const double cpu0 = cpu_seconds();
    window_start = bench_clock::now();
    ctx->measuring = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
    ctx->measuring = false;
    window_end = bench_clock::now();
    r.acks = ctx->acks.load() - acks0;
    r.commits = counting->commits.load() - commits0;
    r.committed_events = counting->events.load() - events0;
    r.window_s = std::chrono::duration<double>(window_end - window_start).count();
    r.cpu_pct = 100 * (cpu_seconds() - cpu0) / r.window_s;
    ctx->stop = true;

    // Each producer finishes at its next acknowledgement; bounded.
    const auto deadline = bench_clock::now() + std::chrono::seconds(30);
    while (ctx->finished.load() < producers && bench_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (ctx->finished.load() < producers) {
      r.error = format("%d of %d producers did not finish within 30 s",
                       producers - ctx->finished.load(), producers);
      for (auto& p : all) caf::anon_send_exit(p, caf::exit_reason::kill);
    }
    caf::anon_send_exit(coord, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
  }  // ~actor_system: every actor is gone, the journal's thread joined
  if (ctx->errors.load() > 0 && r.error.empty())
    r.error = format("%llu append errors, first: %s",
                     static_cast<unsigned long long>(ctx->errors.load()), ctx->first_error.c_str());
  r.latencies_us = std::move(ctx->latencies_us);
  std::sort(r.latencies_us.begin(), r.latencies_us.end());
  for (const auto& c : counting->commits_log) {
    if (c.end < window_start || c.end > window_end) continue;
    r.commit_us.push_back(c.micros);
    r.batch_sizes.push_back(static_cast<double>(c.events));
  }
  std::sort(r.commit_us.begin(), r.commit_us.end());
  std::sort(r.batch_sizes.begin(), r.batch_sizes.end());
  r.total_acks = ctx->acks.load();
  r.log_events = sqlite->last_seq();
  counting.reset();
  sqlite.reset();
  remove_db(path);
  return r;
}

// ---------------------------------------------------------------------------------------------
// 3./4. The 1M-event log: build, cold start, replay

vm::event bench_event(uint64_t n) {
  const vm::wall_time at{std::chrono::milliseconds{1'764'000'000'000 + static_cast<int64_t>(n)}};
  std::string reason = format("nightly maintenance of cluster eu-west-3, ticket OPS-%06llu (bench)",
                              static_cast<unsigned long long>(n % 1'000'000));
  std::string by = format("10.0.%llu.%llu:51234", static_cast<unsigned long long>(n / 250 % 250),
                          static_cast<unsigned long long>(n % 250));
  if (n % 2 == 1) return vm::scheduler_paused{std::move(reason), at, std::move(by)};
  return vm::scheduler_resumed{std::move(reason), at, std::move(by)};
}

/// The body encode_event writes, with codec/json_writer.hpp instead of an nlohmann tree: the
/// same keys in the same (sorted) order, the same escapes; a what-if for the journal's flush.
std::string writer_encode(const vm::event& e) { return vc::encode_event(e); }

struct built_log {
  uint64_t events = 0;
  double encode_s = 0, writer_encode_s = 0, append_s = 0, total_s = 0;
  uint64_t writer_mismatches = 0;
  uint64_t tail = 0;      ///< events after the "realistic" checkpoint
  vm::state before_tail;  ///< the fold at seq events - tail
  uint64_t body_bytes = 0;
  vm::state folded;
  uintmax_t file_bytes = 0;
};

/// The daemon's default --checkpoint-every (app/options.hpp): at most this many events follow
/// the newest checkpoint at a restart.
constexpr uint64_t daemon_checkpoint_every = 1000;

built_log build_log(const std::string& path, uint64_t total) {
  built_log b;
  b.tail = total > 2 * daemon_checkpoint_every ? daemon_checkpoint_every : total / 2;
  remove_db(path);
  const auto start = bench_clock::now();
  {
    vs::sqlite_store store{path};
    constexpr uint64_t batch_size = 10'000;
    for (uint64_t next = 1; next <= total;) {
      const uint64_t n = std::min(batch_size, total - next + 1);
      std::vector<vm::event> events;
      events.reserve(n);
      for (uint64_t i = next; i < next + n; ++i) {
        events.push_back(bench_event(i));
        b.folded = vm::apply(std::move(b.folded), events.back());
        b.folded.log_seq = i;
        if (i == total - b.tail) b.before_tail = b.folded;
      }
      std::vector<std::string> bodies(n), alternative(n);
      auto t0 = bench_clock::now();
      for (size_t i = 0; i < n; ++i) bodies[i] = vc::encode_event(events[i]);
      b.encode_s += seconds_since(t0);
      t0 = bench_clock::now();
      for (size_t i = 0; i < n; ++i) alternative[i] = writer_encode(events[i]);
      b.writer_encode_s += seconds_since(t0);
      std::vector<vs::stored_event> batch;
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        if (alternative[i] != bodies[i]) ++b.writer_mismatches;
        vs::stored_event s;
        s.type = std::string(vm::event_type(events[i]));
        s.schema_version = vm::event_schema_version;
        s.time = std::visit([](const auto& ev) { return ev.at; }, events[i]);
        s.epoch = "bench-epoch";
        s.body = std::move(bodies[i]);
        b.body_bytes += s.body.size();
        batch.push_back(std::move(s));
      }
      const auto t1 = bench_clock::now();
      next = store.append(next, std::move(batch)) + 1;
      b.append_s += seconds_since(t1);
    }
    b.events = store.last_seq();
  }  // closing the last connection checkpoints the WAL into the database file
  b.total_s = seconds_since(start);
  b.file_bytes = std::filesystem::file_size(path);
  return b;
}

struct cold_start {
  std::string label;
  double resident = -1;  ///< fraction of the db file in the page cache before opening
  double sys_s = 0, open_s = 0, recover_s = 0, total_s = 0;
  uint64_t replayed = 0, checkpoint_seq = 0;
  bool state_equal = false;
  std::vector<std::string> notes;
  std::string error;
};

/// What the daemon does at start-up: open the store, spawn the journal, ask it to recover.
cold_start measure_cold_start(const std::string& path, bool evict_cache, const vm::state& expect,
                              std::string label) {
  cold_start c;
  c.label = std::move(label);
  if (evict_cache) {
    evict(path);
    evict(path + "-wal");
  } else {
    warm(path);
  }
  c.resident = resident_fraction(path);
  const auto t_sys = bench_clock::now();
  caf::actor_system_config cfg;
  va::configure(cfg, 2);
  caf::actor_system sys{cfg};
  c.sys_s = seconds_since(t_sys);
  const auto t0 = bench_clock::now();
  std::shared_ptr<vs::sqlite_store> store;
  try {
    store = std::make_shared<vs::sqlite_store>(path);
  } catch (const std::exception& e) {
    c.error = e.what();
    return c;
  }
  c.open_s = seconds_since(t0);
  const auto t1 = bench_clock::now();
  auto journal = va::spawn_journal(sys, {store, "bench-epoch"});
  caf::scoped_actor self{sys};
  self->request(journal, std::chrono::seconds(600), va::recover_atom::value)
      .receive(
          [&](va::recovered& r) {
            c.recover_s = seconds_since(t1);
            if (!r.ok) c.error = r.error;
            c.replayed = r.replayed;
            c.checkpoint_seq = r.checkpoint_seq;
            c.notes = r.notes;
            c.state_equal = r.state == expect;
          },
          [&](caf::error& err) { c.error = "recover: " + to_string(err); });
  c.total_s = seconds_since(t0);
  for (const auto& n : store->recovery_notes()) c.notes.push_back(n);
  caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
  return c;
}

// --- Decoders compared in the replay loop ------------------------------------------------------

/// codec::decode_event: the fast path for bodies as the codec writes them, falling back to
/// the reference (nlohmann) decoder for anything else.
struct fast_decoder {
  uint64_t fallbacks = 0;  // not observable from outside the codec; kept for the report's shape
  std::optional<vm::event> operator()(std::string_view type, int version, std::string_view body) {
    return vc::decode_event(type, version, body);
  }
};

#ifdef VIGIL_BENCH_SIMDJSON
/// simdjson's On-Demand API (Debian's libsimdjson-dev 3.0.1), same rules as the codec's.
/// Known gap in 3.0.1: trailing bytes after the object are not detected (no at_end()).
class simdjson_decoder {
 public:
  std::optional<vm::event> operator()(std::string_view type, int version, std::string_view body) {
    if (version < 1 || version > vm::event_schema_version) return std::nullopt;
    buffer_.assign(body.data(), body.size());
    buffer_.resize(body.size() + simdjson::SIMDJSON_PADDING, '\0');
    simdjson::ondemand::document doc;
    if (parser_.iterate(buffer_.data(), body.size(), buffer_.size()).get(doc)) return std::nullopt;
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return std::nullopt;
    // 0: absent, 1: a string, 2: something else (the last occurrence wins, as in nlohmann).
    int reason_kind = 0, by_kind = 0, at_kind = 0;
    std::string_view reason, by, at;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return std::nullopt;
      int* kind = nullptr;
      std::string_view* target = nullptr;
      if (key == "reason")
        kind = &reason_kind, target = &reason;
      else if (key == "by")
        kind = &by_kind, target = &by;
      else if (key == "at")
        kind = &at_kind, target = &at;
      if (!kind) continue;  // not consumed: skipped by the iterator
      const auto err = field.value().get_string().get(*target);
      if (err == simdjson::INCORRECT_TYPE)
        *kind = 2;
      else if (err)
        return std::nullopt;
      else
        *kind = 1;
    }
    if (version < 2) {
      by_kind = 1;
      by = "unknown";
    }
    if (reason_kind != 1 || by_kind != 1 || at_kind != 1) return std::nullopt;
    const auto when = vm::parse_rfc3339(at);
    if (!when) return std::nullopt;
    if (type == "scheduler_paused")
      return vm::scheduler_paused{std::string(reason), *when, std::string(by)};
    if (type == "scheduler_resumed")
      return vm::scheduler_resumed{std::string(reason), *when, std::string(by)};
    return std::nullopt;
  }

 private:
  simdjson::ondemand::parser parser_;
  std::string buffer_;
};
#endif

struct nlohmann_decoder {
  std::optional<vm::event> operator()(std::string_view type, int version, std::string_view body) {
    return vc::decode_event_reference(type, version, body);
  }
};

/// Stage times of replay, each measured over whole pages of 4096 (as recover() reads them).
struct replay_breakdown {
  uint64_t events = 0;
  double read_s = 0, decode_nlohmann_s = 0, decode_fast_s = 0, decode_simdjson_s = 0, apply_s = 0,
         parse_time_s = 0;
  uint64_t fast_mismatches = 0, simdjson_mismatches = 0, fast_fallbacks = 0;
  bool state_equal = false;
  std::string error;
};

replay_breakdown measure_breakdown(const vs::sqlite_store& store, const vm::state& expect) {
  replay_breakdown b;
  fast_decoder fast;
#ifdef VIGIL_BENCH_SIMDJSON
  simdjson_decoder simd;
#endif
  vm::state s;
  std::vector<vm::event> decoded;
  for (;;) {
    auto t = bench_clock::now();
    const auto page = store.read_after(s.log_seq, 4096);
    b.read_s += seconds_since(t);
    if (page.empty()) break;

    decoded.clear();
    decoded.reserve(page.size());
    t = bench_clock::now();
    for (const auto& e : page) {
      auto ev = vc::decode_event(e.type, e.schema_version, e.body);
      if (!ev) {
        b.error = format("cannot decode event at seq %llu", static_cast<unsigned long long>(e.seq));
        return b;
      }
      decoded.push_back(std::move(*ev));
    }
    b.decode_nlohmann_s += seconds_since(t);

    std::vector<std::optional<vm::event>> other(page.size());
    t = bench_clock::now();
    for (size_t i = 0; i < page.size(); ++i)
      other[i] = fast(page[i].type, page[i].schema_version, page[i].body);
    b.decode_fast_s += seconds_since(t);
    for (size_t i = 0; i < page.size(); ++i)
      if (!other[i] || !(*other[i] == decoded[i])) ++b.fast_mismatches;

#ifdef VIGIL_BENCH_SIMDJSON
    t = bench_clock::now();
    for (size_t i = 0; i < page.size(); ++i)
      other[i] = simd(page[i].type, page[i].schema_version, page[i].body);
    b.decode_simdjson_s += seconds_since(t);
    for (size_t i = 0; i < page.size(); ++i)
      if (!other[i] || !(*other[i] == decoded[i])) ++b.simdjson_mismatches;
#endif

    // Of the decode: the timestamp alone (model::parse_rfc3339, shared by every decoder).
    std::vector<std::string> ats;
    ats.reserve(page.size());
    for (const auto& ev : decoded)
      ats.push_back(vm::format_rfc3339(std::visit([](const auto& x) { return x.at; }, ev)));
    t = bench_clock::now();
    size_t parsed = 0;
    for (const auto& a : ats) parsed += vm::parse_rfc3339(a).has_value();
    b.parse_time_s += seconds_since(t);
    if (parsed != ats.size()) b.error = "parse_rfc3339 failed on a formatted time";

    t = bench_clock::now();
    for (size_t i = 0; i < page.size(); ++i) {
      vm::fold_stored(s, std::move(decoded[i]), page[i].seq);
    }
    b.apply_s += seconds_since(t);
    b.events += page.size();
  }
  b.fast_fallbacks = fast.fallbacks;
  b.state_equal = s == expect;
  return b;
}

struct replay_loop_result {
  std::string decoder;
  uint64_t events = 0;
  double seconds = 0;
  bool state_equal = false;
  std::string error;
};

/// recover()'s replay loop (journal.cpp), verbatim but for the decoder, on the caller's thread.
template <class Decoder>
replay_loop_result replay_loop(const vs::store& backend, Decoder& decode, std::string name,
                               const vm::state& expect) {
  replay_loop_result r;
  r.decoder = std::move(name);
  vm::state s;
  const auto start = bench_clock::now();
  for (;;) {
    auto events = backend.read_after(s.log_seq, 4096);
    if (events.empty()) break;
    for (const auto& stored : events) {
      auto e = decode(stored.type, stored.schema_version, stored.body);
      if (!e) {
        r.error =
            format("cannot decode event at seq %llu", static_cast<unsigned long long>(stored.seq));
        return r;
      }
      vm::fold_stored(s, std::move(*e), stored.seq);
      ++r.events;
    }
  }
  r.seconds = seconds_since(start);
  r.state_equal = s == expect;
  return r;
}

/// Hand-made bodies on which an alternative decoder must answer exactly as decode_event does.
struct agreement {
  size_t bodies = 0, cases = 0, fast_agree = 0, simdjson_agree = 0;
  std::vector<std::string> fast_disagree, simdjson_disagree;
};

agreement check_agreement() {
  const std::vector<std::string> bodies = vigil::test::crafted_event_bodies();
  agreement a;
  a.bodies = bodies.size();
  fast_decoder fast;
#ifdef VIGIL_BENCH_SIMDJSON
  simdjson_decoder simd;
#endif
  for (const auto& body : bodies)
    for (const char* type : {"scheduler_paused", "scheduler_resumed", "job_defined"})
      for (int version : {0, 1, 2, 3}) {
        ++a.cases;
        const auto want = vc::decode_event_reference(type, version, body);
        auto same = [&](const std::optional<vm::event>& got) {
          return got.has_value() == want.has_value() && (!got || *got == *want);
        };
        const std::string label = format("%s v%d %s", type, version, body.c_str());
        if (same(fast(type, version, body)))
          ++a.fast_agree;
        else
          a.fast_disagree.push_back(label);
#ifdef VIGIL_BENCH_SIMDJSON
        if (same(simd(type, version, body)))
          ++a.simdjson_agree;
        else
          a.simdjson_disagree.push_back(label);
#endif
      }
  return a;
}

// ---------------------------------------------------------------------------------------------
// main

std::string ms(double seconds) { return format("%.0f ms", seconds * 1000); }
std::string per_s(double v) { return format("%.0f/s", v); }
std::string kilo(double v) {
  return v >= 1e6 ? format("%.2fM", v / 1e6) : format("%.1fk", v / 1e3);
}

std::string escape_cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

/// `rounds` cold starts of one kind; the one with the median total is reported.
struct cold_series {
  cold_start median;
  double min_s = 0, max_s = 0;
  std::string vm;  ///< VM steal/iowait during the series
};

/// `rounds` runs of one replay loop; the median time is reported.
struct replay_series {
  replay_loop_result median;
  double min_s = 0, max_s = 0;
  std::string vm;
};

template <class Decoder>
replay_series replay_rounds(const vs::store& backend, Decoder decoder, const std::string& name,
                            const vm::state& expect, int rounds) {
  replay_series r;
  const auto cpu0 = vm_cpu::now();
  std::vector<replay_loop_result> all;
  for (int i = 0; i < rounds; ++i) {
    all.push_back(replay_loop(backend, decoder, name, expect));
    if (!all.back().error.empty() || !all.back().state_equal) break;
  }
  r.vm = vm_cpu::since(cpu0);
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.seconds < b.seconds; });
  r.min_s = all.front().seconds;
  r.max_s = all.back().seconds;
  r.median = all[all.size() / 2];
  for (const auto& a : all)
    if (!a.error.empty() || !a.state_equal) r.median = a;  // a failure wins over a figure
  return r;
}

int run(const options& o) {
  std::string base = o.dir + "/vigil-jbench-XXXXXX";
  std::filesystem::create_directories(o.dir);
  if (::mkdtemp(base.data()) == nullptr) {
    std::fprintf(stderr, "journal_bench: cannot create a directory under %s: %s\n", o.dir.c_str(),
                 std::strerror(errno));
    return 1;
  }
  const std::string dir = base;
  report rep;
  const run_start begun;
  const auto cpu_start = vm_cpu::now();
  const auto wall_start = bench_clock::now();
  progress("data directory " + dir + " (" + fs_type(dir) + ")");
  std::string producer_list;
  for (int p : o.producers) producer_list += (producer_list.empty() ? "" : ",") + std::to_string(p);
  const std::string command = format(
      "journal_bench --dir %s --duration %g --warmup %g --producers %s --workers %zu "
      "--fsync-seconds %g --events %llu --rounds %d",
      o.dir.c_str(), o.duration, o.warmup, producer_list.empty() ? "\"\"" : producer_list.c_str(),
      o.workers, o.fsync_seconds, static_cast<unsigned long long>(o.events), o.rounds);

  // 1. raw fdatasync ------------------------------------------------------------------------
  {
    std::string md =
        "### 1. Raw `write(4 KiB)` + `fdatasync`, same directory\n\n"
        "One file descriptor, a 4 KiB `write` then `fdatasync`, in a loop for a fixed time.\n\n"
        "| variant | ops | seconds | ops/s | p50 | p99 | VM during |\n"
        "|---|---:|---:|---:|---:|---:|---|\n";
    for (bool append : {true, false}) {
      progress(
          format("raw fdatasync (%s), %g s", append ? "append" : "overwrite", o.fsync_seconds));
      const auto cpu0 = vm_cpu::now();
      const auto r = raw_fdatasync(dir + "/raw.dat", o.fsync_seconds, append);
      const std::string vmc = vm_cpu::since(cpu0);
      if (!r.error.empty()) rep.fail("raw fdatasync: " + r.error);
      const double rate = r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0;
      const char* name = append ? "append (file grows)" : "overwrite in place (1 MiB file)";
      md += format("| %s | %llu | %.2f | %.0f | %.0f µs | %.0f µs | %s |\n", name,
                   static_cast<unsigned long long>(r.ops), r.seconds, rate, pct(r.lat_us, 0.5),
                   pct(r.lat_us, 0.99), vmc.c_str());
      rep.rows.push_back({format("raw write(4 KiB)+fdatasync, %s", name), per_s(rate), "baseline",
                          "—",
                          format("%g s loop; p50 %.0f µs, p99 %.0f µs; %s", o.fsync_seconds,
                                 pct(r.lat_us, 0.5), pct(r.lat_us, 0.99), vmc.c_str())});
    }
    rep.section(md);
  }

  // 2. producers ------------------------------------------------------------------------------
  if (!o.producers.empty()) {
    std::string md =
        "### 2. Durable events/s through the journal actor\n\n"
        "Each producer is a CAF actor that sends `append_atom, event_batch{1 scheduler_paused "
        "(~60-byte reason), time, expected_next}` and waits for the `append_ack` before the next; "
        "a coordinator actor assigns `expected_next` in order and forwards to the journal, many "
        "appends in flight (as the scheduler does). Ack latency: producer send → ack, end to end. "
        "Commits: calls of `sqlite_store::append` (one per group commit), counted by a forwarding "
        "store; commit time is that call (BEGIN … COMMIT, fsyncs included). A fresh log and actor "
        "system per row; the raw fdatasync/s of the second just before the row is beside it, "
        "because the disk's pace drifts within a run. Log check: after shutdown, the log holds "
        "exactly the acknowledged events.\n\n"
        "| producers | events/s | commits/s | events/commit mean / p50 / max | ack p50 | ack p99 | "
        "commit p50 | commit p99 | raw fdatasync/s just before | bench CPU (100% = 1 CPU) | VM "
        "during | "
        "log check |\n"
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|\n";
    for (int p : o.producers) {
      progress(format("%d producers: 1 s raw fdatasync, then %g s warm-up + %g s measured", p,
                      o.warmup, o.duration));
      const auto before = raw_fdatasync(dir + "/raw.dat", 1.0, true);
      const double before_rate =
          before.seconds > 0 ? static_cast<double>(before.ops) / before.seconds : 0;
      const auto cpu0 = vm_cpu::now();
      producer_run r;
      try {
        r = run_producers(o, dir, p);
      } catch (const std::exception& e) {
        r.error = e.what();
      }
      const std::string vmc = vm_cpu::since(cpu0);
      const double eps = r.window_s > 0 ? static_cast<double>(r.acks) / r.window_s : 0;
      const double cps = r.window_s > 0 ? static_cast<double>(r.commits) / r.window_s : 0;
      double mean_batch = 0;
      for (double b : r.batch_sizes) mean_batch += b;
      if (!r.batch_sizes.empty()) mean_batch /= static_cast<double>(r.batch_sizes.size());
      const bool log_ok = r.error.empty() && r.log_events == r.total_acks;
      if (!r.error.empty())
        rep.fail(format("%d producers: %s", p, r.error.c_str()));
      else if (!log_ok)
        rep.fail(format("%d producers: log holds %llu events, %llu acknowledged", p,
                        static_cast<unsigned long long>(r.log_events),
                        static_cast<unsigned long long>(r.total_acks)));
      const std::string check =
          log_ok ? format("%llu acked = %llu in log", static_cast<unsigned long long>(r.total_acks),
                          static_cast<unsigned long long>(r.log_events))
                 : "**" + escape_cell(r.error.empty() ? "mismatch" : r.error) + "**";
      md += format(
          "| %d | %.0f | %.0f | %.1f / %.0f / %.0f | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.0f "
          "| "
          "%.0f%% | %s | %s |\n",
          p, eps, cps, mean_batch, pct(r.batch_sizes, 0.5),
          r.batch_sizes.empty() ? 0.0 : r.batch_sizes.back(), pct(r.latencies_us, 0.5) / 1000,
          pct(r.latencies_us, 0.99) / 1000, pct(r.commit_us, 0.5) / 1000,
          pct(r.commit_us, 0.99) / 1000, before_rate, r.cpu_pct, vmc.c_str(), check.c_str());
      rep.rows.push_back(
          {format("durable events/s, %d producers", p),
           format("%s events/s (%.0f commits/s, %.1f events/commit; ack p50 %.2f ms, p99 %.2f ms)",
                  kilo(eps).c_str(), cps, mean_batch, pct(r.latencies_us, 0.5) / 1000,
                  pct(r.latencies_us, 0.99) / 1000),
           "≥ 30k/s", r.error.empty() ? verdict(eps >= 30'000) : "**failed**",
           format("%d producer actors, 1 event each in flight, via a coordinator; %g s window "
                  "after %g s warm-up; %zu CAF workers + detached journal; raw fdatasync %.0f/s "
                  "just before (events/s = %.1f× that); %s",
                  p, o.duration, o.warmup, o.workers, before_rate,
                  before_rate > 0 ? eps / before_rate : 0.0, vmc.c_str())});
    }
    md +=
        "\nWith one event in flight per producer, events/s ≤ producers ÷ ack latency (Little's "
        "law): 30k/s with 16 producers needs ack latency ≤ 0.53 ms, i.e. group commits of up to "
        "16 events at ≥ 1.9k commits/s.\n";
    rep.section(md);
  }

  // 3. cold start -----------------------------------------------------------------------------
  const std::string log_path = dir + "/cold.db";
  progress(format("building a %llu-event log", static_cast<unsigned long long>(o.events)));
  built_log built;
  try {
    built = build_log(log_path, o.events);
  } catch (const std::exception& e) {
    rep.fail(std::string("building the log: ") + e.what());
  }
  if (built.events == o.events) {
    const double n_ev = static_cast<double>(built.events);
    rep.section(format(
        "### 3. Cold start with a %llu-event log\n\n"
        "Log built with `sqlite_store::append` in batches of 10,000 (bodies from "
        "`codec::encode_event`, alternating scheduler_paused/resumed, ~60-byte reasons): "
        "%.2f s in all (of which `sqlite_store::append` %.2f s); database %.0f MiB, mean body "
        "%.0f bytes.\n\n"
        "Encoding, a what-if for the journal's flush (it encodes every event on its thread, "
        "serially with the commits): `codec::encode_event` (nlohmann tree + dump) %.0f ns/event; "
        "the same body with `codec::json_writer` %.0f ns/event (%.1f× faster); byte-identical on "
        "%llu of %llu events.\n\n"
        "Cold start = `sqlite_store` constructor (verifies every row after the newest checkpoint) "
        "+ `spawn_journal` + `recover_atom` round trip, each the median of %d rounds (min–max "
        "beside it). \"Warm\": the database file read once first; \"evicted\": its pages dropped "
        "with `posix_fadvise(DONTNEED)` first; \"resident\" is what `mincore` reports just "
        "before. The actor system's own start-up is reported apart.\n",
        static_cast<unsigned long long>(built.events), built.total_s, built.append_s,
        static_cast<double>(built.file_bytes) / 1048576.0,
        static_cast<double>(built.body_bytes) / n_ev, built.encode_s / n_ev * 1e9,
        built.writer_encode_s / n_ev * 1e9,
        built.writer_encode_s > 0 ? built.encode_s / built.writer_encode_s : 0.0,
        static_cast<unsigned long long>(built.events - built.writer_mismatches),
        static_cast<unsigned long long>(built.events), o.rounds));
    if (built.writer_mismatches)
      rep.fail(format("json_writer encoding differs from encode_event on %llu events",
                      static_cast<unsigned long long>(built.writer_mismatches)));
    rep.rows.push_back({"event encode (journal flush, per event)",
                        format("encode_event %.0f ns; json_writer what-if %.0f ns",
                               built.encode_s / n_ev * 1e9, built.writer_encode_s / n_ev * 1e9),
                        "—", "—",
                        format("%llu events; bodies byte-identical: %s",
                               static_cast<unsigned long long>(built.events),
                               built.writer_mismatches ? "**no**" : "yes")});

    std::vector<cold_series> starts;
    auto cold = [&](bool evicted, const char* label) {
      progress(format("cold start: %s (%d rounds)", label, o.rounds));
      const auto cpu0 = vm_cpu::now();
      std::vector<cold_start> all;
      for (int i = 0; i < o.rounds; ++i) {
        all.push_back(measure_cold_start(log_path, evicted, built.folded, label));
        if (!all.back().error.empty() || !all.back().state_equal) break;
      }
      cold_series c;
      c.vm = vm_cpu::since(cpu0);
      std::sort(all.begin(), all.end(),
                [](const auto& a, const auto& b) { return a.total_s < b.total_s; });
      c.min_s = all.front().total_s;
      c.max_s = all.back().total_s;
      c.median = all[all.size() / 2];
      for (const auto& a : all)
        if (!a.error.empty() || !a.state_equal) c.median = a;
      if (!c.median.error.empty())
        rep.fail(std::string(label) + ": " + c.median.error);
      else if (!c.median.state_equal)
        rep.fail(std::string(label) + ": recovered state differs from the fold");
      starts.push_back(std::move(c));
    };
    cold(false, "no checkpoint, warm page cache");
    cold(true, "no checkpoint, evicted page cache");

    // 4. replay breakdown and decoders (on the log without checkpoint) ------------------------
    progress(
        format("replay breakdown (read_after / decode / apply), then replay loops with 3 "
               "decoders (%d rounds each)",
               o.rounds));
    replay_breakdown bd;
    std::string bd_vm;
    std::vector<replay_series> loops;
    try {
      vs::sqlite_store store{log_path};
      const auto cpu0 = vm_cpu::now();
      bd = measure_breakdown(store, built.folded);
      bd_vm = vm_cpu::since(cpu0);
      loops.push_back(replay_rounds(store, nlohmann_decoder{},
                                    "codec::decode_event_reference (nlohmann)", built.folded,
                                    o.rounds));
      loops.push_back(replay_rounds(store, fast_decoder{},
                                    "codec::decode_event (fast path, what recover() uses)",
                                    built.folded, o.rounds));
#ifdef VIGIL_BENCH_SIMDJSON
      loops.push_back(
          replay_rounds(store, simdjson_decoder{},
                        "simdjson " VIGIL_BENCH_STR(SIMDJSON_VERSION) " On-Demand (bench file)",
                        built.folded, o.rounds));
#endif
    } catch (const std::exception& e) {
      rep.fail(std::string("replay breakdown: ") + e.what());
    }
    if (!bd.error.empty()) rep.fail("replay breakdown: " + bd.error);
    if (bd.events && !bd.state_equal) rep.fail("replay breakdown: state differs from the fold");
    if (bd.fast_mismatches)
      rep.fail(format("decode_event disagrees with the reference on %llu events",
                      static_cast<unsigned long long>(bd.fast_mismatches)));
    if (bd.simdjson_mismatches)
      rep.fail(format("simdjson decoder disagrees on %llu events",
                      static_cast<unsigned long long>(bd.simdjson_mismatches)));
    for (const auto& l : loops) {
      if (!l.median.error.empty())
        rep.fail(l.median.decoder + ": " + l.median.error);
      else if (!l.median.state_equal)
        rep.fail(l.median.decoder + ": replayed state differs from the fold");
    }

    // with a checkpoint: first where the daemon's default would leave it at worst, then at the end
    auto checkpoint_at = [&](const vm::state& st) {
      try {
        vs::sqlite_store store{log_path};
        store.save_checkpoint({st.log_seq, vc::encode_state(st)});
      } catch (const std::exception& e) {
        rep.fail(std::string("saving the checkpoint: ") + e.what());
      }
    };
    const std::string tail_label =
        format("checkpoint %llu events before the end, evicted page cache",
               static_cast<unsigned long long>(built.tail));
    checkpoint_at(built.before_tail);
    cold(true, tail_label.c_str());
    checkpoint_at(built.folded);
    cold(false, "checkpoint at the end, warm page cache");
    cold(true, "checkpoint at the end, evicted page cache");

    std::string md =
        "| log | resident before | store open | journal recover | **cold start** (min–max) | "
        "replayed | from checkpoint | actor system start | state = fold | VM during |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n";
    for (const auto& s : starts) {
      const auto& c = s.median;
      md += format("| %s | %.0f%% | %s | %s | **%s** (%s–%s) | %llu | %llu | %.1f ms | %s | %s |\n",
                   c.label.c_str(), c.resident * 100, ms(c.open_s).c_str(), ms(c.recover_s).c_str(),
                   ms(c.total_s).c_str(), ms(s.min_s).c_str(), ms(s.max_s).c_str(),
                   static_cast<unsigned long long>(c.replayed),
                   static_cast<unsigned long long>(c.checkpoint_seq), c.sys_s * 1000,
                   c.error.empty() ? (c.state_equal ? "yes" : "**no**")
                                   : ("**" + escape_cell(c.error) + "**").c_str(),
                   s.vm.c_str());
    }
    rep.section(md);

    const auto& nocp = starts[0].median;
    const auto& nocp_cold = starts[1].median;
    const auto& cp_tail = starts[2].median;
    const auto& cp = starts[3].median;
    const auto& cp_cold = starts[4].median;
    const std::string ev = format("%.0fk", n_ev / 1000);
    rep.rows.push_back(
        {format("cold start, %s-event log, no checkpoint", ev.c_str()),
         format("%s (open %s + recover %s); evicted cache %s", ms(nocp.total_s).c_str(),
                ms(nocp.open_s).c_str(), ms(nocp.recover_s).c_str(), ms(nocp_cold.total_s).c_str()),
         "— (none)", "—",
         format("sqlite_store(path) + spawn_journal + request(recover_atom); median "
                "of %d; warm page cache; %s",
                o.rounds, starts[0].vm.c_str())});
    const double cp_worst = std::max({cp.total_s, cp_cold.total_s, cp_tail.total_s});
    const bool cp_ok = cp.error.empty() && cp_cold.error.empty() && cp_tail.error.empty() &&
                       cp.state_equal && cp_cold.state_equal && cp_tail.state_equal;
    rep.rows.push_back(
        {format("cold start, %s-event log, with checkpoint", ev.c_str()),
         format("at the end: %s warm, %s evicted cache; %llu events before the end: %s evicted "
                "(%llu replayed)",
                ms(cp.total_s).c_str(), ms(cp_cold.total_s).c_str(),
                static_cast<unsigned long long>(built.tail), ms(cp_tail.total_s).c_str(),
                static_cast<unsigned long long>(cp_tail.replayed)),
         "≤ 1 s", cp_ok ? verdict(cp_worst <= 1.0) : "**failed**",
         format("same, after save_checkpoint({seq, encode_state(fold at seq)}); %llu = the "
                "daemon's default --checkpoint-every, the longest tail it leaves; median of %d",
                static_cast<unsigned long long>(built.tail), o.rounds)});
    const double replay_rate =
        nocp.recover_s > 0 ? static_cast<double>(nocp.replayed) / nocp.recover_s : 0;
    rep.rows.push_back(
        {"full replay (journal recover, no checkpoint)",
         format("%s events/s (%llu in %s)", kilo(replay_rate).c_str(),
                static_cast<unsigned long long>(nocp.replayed), ms(nocp.recover_s).c_str()),
         "≥ 500k/s", nocp.error.empty() ? verdict(replay_rate >= 500'000) : "**failed**",
         format("replayed ÷ recover_atom round trip (store open excluded), median cold start of "
                "%d, warm page cache",
                o.rounds)});

    // The breakdown section
    if (bd.events) {
      const double n = static_cast<double>(bd.events);
      auto line = [&](const char* stage, double secs, const std::string& note) {
        return format("| %s | %.3f s | %.0f ns | %s events/s | %s |\n", stage, secs, secs / n * 1e9,
                      kilo(n / secs).c_str(), note.c_str());
      };
      std::string b = format(
          "### 4. Full replay: where the time goes\n\n"
          "A direct loop outside the actor over the %llu events, pages of 4096 as `recover()` "
          "reads them, each stage timed per page (%s):\n\n"
          "| stage | total | per event | alone | note |\n|---|---:|---:|---:|---|\n",
          static_cast<unsigned long long>(bd.events), bd_vm.c_str());
      b += line("`read_after` (SQLite step + row CRC + copies)", bd.read_s,
                "store/sqlite_store.cpp");
      b += line("`codec::decode_event_reference` (nlohmann)", bd.decode_nlohmann_s,
                "the general parser, the fast path's fallback");
      b += line("`codec::decode_event` (fast path)", bd.decode_fast_s,
                format("what recover() uses; %llu disagreements with the reference",
                       static_cast<unsigned long long>(bd.fast_mismatches)));
#ifdef VIGIL_BENCH_SIMDJSON
      b += line("simdjson On-Demand decoder", bd.decode_simdjson_s,
                format("bench file; %llu disagreements",
                       static_cast<unsigned long long>(bd.simdjson_mismatches)));
#else
      b += "| simdjson On-Demand decoder | — | — | — | not built (no libsimdjson-dev at "
           "configure time) |\n";
#endif
      b += line("…of each decode: `model::parse_rfc3339` alone", bd.parse_time_s,
                "shared by the three decoders");
      b += line("`model::apply`", bd.apply_s, "model/decider.cpp");
      b += format(
          "\n`recover()`'s replay loop (journal.cpp) verbatim but for the decoder, on the bench "
          "thread, store already open; median of %d rounds:\n\n"
          "| decoder | events | seconds (min–max) | **replay events/s** | goal ≥ 500k/s | "
          "state = fold | VM during |\n|---|---:|---:|---:|---|---|---|\n",
          o.rounds);
      for (const auto& s : loops) {
        const auto& l = s.median;
        const double rate = l.seconds > 0 ? static_cast<double>(l.events) / l.seconds : 0;
        b += format("| %s | %llu | %.3f (%.3f–%.3f) | **%s** | %s | %s | %s |\n", l.decoder.c_str(),
                    static_cast<unsigned long long>(l.events), l.seconds, s.min_s, s.max_s,
                    kilo(rate).c_str(),
                    l.error.empty() ? verdict(rate >= 500'000).c_str() : "**failed**",
                    l.state_equal ? "yes" : "**no**", s.vm.c_str());
        rep.rows.push_back({"full replay loop, " + l.decoder,
                            format("%s events/s", kilo(rate).c_str()),
                            l.decoder.rfind("codec", 0) == 0 ? "≥ 500k/s" : "≥ 500k/s (what-if)",
                            l.error.empty() ? verdict(rate >= 500'000) : "**failed**",
                            format("recover()'s loop on the bench thread, median of %d%s", o.rounds,
                                   l.decoder.rfind("codec", 0) == 0
                                       ? ""
                                       : "; decoder in the bench file, not in the daemon")});
      }
      rep.section(b);
    }
  } else {
    rep.fail("the log was not built; cold start and replay skipped");
  }

  // Decoder agreement on crafted bodies -----------------------------------------------------
  {
    const auto a = check_agreement();
    std::string md = format(
        "### Alternative decoders against `codec::decode_event` on crafted bodies\n\n"
        "%zu cases (%zu bodies × 3 types × schema versions 0–3: escapes, \\u, UTF-8, duplicate "
        "keys, wrong types, missing fields, bad times, nesting, trailing bytes, non-objects).\n\n"
        "- hand-rolled: %zu/%zu agree\n",
        a.cases, a.bodies, a.fast_agree, a.cases);
    for (const auto& d : a.fast_disagree) md += "  - differs: `" + d + "`\n";
    if (!a.fast_disagree.empty())
      rep.fail(format("decode_event disagrees with the reference on %zu crafted cases",
                      a.fast_disagree.size()));
#ifdef VIGIL_BENCH_SIMDJSON
    md += format("- simdjson: %zu/%zu agree\n", a.simdjson_agree, a.cases);
    for (const auto& d : a.simdjson_disagree) md += "  - differs: `" + d + "`\n";
#endif
    rep.section(md);
  }

  if (!o.keep) std::filesystem::remove_all(dir);

  // The report --------------------------------------------------------------------------------
  utsname u{};
  ::uname(&u);
  const std::string git = git_revision(VIGIL_BENCH_RESULTS_DIR "/../..");
  std::string out = "# vigil journal bench: the durable log (issue 4)\n\n";
  out +=
      "> Figures from a **shared, noisy VM**: other tenants share its CPUs and its disk, and "
      "the disk's fdatasync pace has been seen to vary by more than 10× within minutes. Compare "
      "rows of "
      "the same run (events/s against the raw fdatasync/s measured just before), not runs "
      "on different days. \"VM during\": shares of all the VM's CPUs (/proc/stat) while a "
      "figure was taken — used by *other* processes (not this bench), stolen by the "
      "hypervisor, idle waiting for I/O.\n\n";
  out += format("- date: %s; load average before: %s, after: %s; whole run %.0f s, %s\n",
                begun.started.c_str(), begun.load_before.c_str(),
                first_line_of_command("cut -d' ' -f1-3 /proc/loadavg").c_str(),
                seconds_since(wall_start), vm_cpu::since(cpu_start).c_str());
  out += format("- machine: nproc %ld (%s), %.1f GiB RAM, kernel %s %s %s\n",
                ::sysconf(_SC_NPROCESSORS_ONLN), cpu_model().c_str(), mem_gib(), u.sysname,
                u.release, u.machine);
  out += format("- data directory: %s on %s%s\n", dir.c_str(), fs_type(o.dir).c_str(),
                o.keep ? ", kept" : ", removed afterwards");
  out += format(
      "- vigil git %s; SQLite WAL, synchronous=FULL (store/sqlite_store.cpp); "
      "CAF %zu workers, sharing policy (actors/system.cpp)\n",
      git.c_str(), o.workers);
  out += "- command: `" + command + "`\n\n";
  out += "| measurement | result | goal | met | parameters |\n|---|---|---|---|---|\n";
  for (const auto& r : rep.rows)
    out += "| " + r.what + " | " + r.result + " | " + r.goal + " | " + r.verdict + " | " +
           escape_cell(r.params) + " |\n";
  out += "\n" + rep.details;
  if (!rep.failures.empty()) {
    out += "\n**Harness / correctness failures**\n\n";
    for (const auto& f : rep.failures) out += "- " + escape_cell(f) + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (o.results != "-") {
    std::error_code ec;
    std::filesystem::create_directories(o.results, ec);
    const std::string file = o.results + "/journal-" + begun.stamp + ".md";
    std::ofstream f{file};
    f << out;
    if (f)
      progress("report written to " + file);
    else
      progress("cannot write " + file);
  }
  return rep.failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "journal_bench: %s\n", e.what());
    return 1;
  }
}
