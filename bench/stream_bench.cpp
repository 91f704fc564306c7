// stream_bench: the snapshot stream's figures (issue 5), against the real daemon on loopback.
//
//   1. delivery latency: N (1,000) subscribers of GET /v1/stream/snapshots under a 100 ms tick;
//      for every snapshot received, receipt time (wall clock, ms) minus the snapshot's
//      `last_updated` (the wall-clock time the scheduler took it, ms): p50 / p99 / p99.9 / max
//      over the measured window (default 10 s, after a 2 s warm-up). Goal: p99 <= 50 ms.
//   2. memory with stalled subscribers: N subscribers with a tiny receive buffer that never read,
//      the scheduler publishing as fast as it can (1 ms tick), the write timeout longer than the
//      window so that none is cut off: the daemon's VmRSS before they connect, once they are all
//      subscribed, and its peak over the window (default 10 s). Goal: growth <= 10 MB.
//
// Usage: stream_bench <path to vigil> [--subscribers N] [--duration S] [--warmup S]
//                     [--tick DUR] [--stall-tick DUR] [--stall-seconds S]
//                     [--http-threads N] [--results DIR|-]
// Prints a Markdown report and writes it to bench/results/stream-<UTC>.md (git-ignored).
// Everything runs on 127.0.0.1; every wait has a deadline; the daemons die with the bench
// (PR_SET_PDEATHSIG) and are stopped with SIGTERM (exit 0 required) at the end of each phase; a
// watchdog (alarm) ends the whole run after 300 s plus the measured durations.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/raw_connection.hpp"
#include "tests/support/sse_client.hpp"

namespace {

using namespace vigil::bench;

using nlohmann::json;
using vigil::test::http_client;
using vigil::test::sse_client;
using vigil::test::sse_options;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

void progress(const std::string& text) { std::fprintf(stderr, "stream_bench: %s\n", text.c_str()); }

/// The string value of `"key":"..."` in a flat-enough JSON text (no escapes in the value).
std::string string_field(const std::string& data, const std::string& key) {
  const std::string marker = "\"" + key + "\":\"";
  const size_t at = data.find(marker);
  if (at == std::string::npos) return {};
  const size_t start = at + marker.size();
  const size_t end = data.find('"', start);
  return end == std::string::npos ? std::string{} : data.substr(start, end - start);
}

/// The number value of `"key":123` (the first occurrence).
int64_t number_field(const std::string& data, const std::string& key) {
  const std::string marker = "\"" + key + "\":";
  const size_t at = data.find(marker);
  if (at == std::string::npos) return -1;
  return std::strtoll(data.c_str() + at + marker.size(), nullptr, 10);
}

/// TCP memory of the whole machine (/proc/net/sockstat "mem", pages) in KiB: socket buffers are
/// kernel memory, outside any process's VmRSS.
long tcp_kernel_kib() {
  std::ifstream f{"/proc/net/sockstat"};
  for (std::string line; std::getline(f, line);) {
    const size_t at = line.find(" mem ");
    if (line.rfind("TCP:", 0) == 0 && at != std::string::npos)
      return std::stol(line.substr(at + 5)) * (::sysconf(_SC_PAGESIZE) / 1024);
  }
  return -1;
}

struct options {
  std::string binary;
  size_t subscribers = 1000;
  int duration_s = 10;
  int warmup_s = 2;
  std::string tick = "100ms";
  std::string stall_tick = "1ms";
  int stall_s = 10;
  int http_threads = 0;  ///< 0: the daemon's default
  std::string results = VIGIL_BENCH_RESULTS_DIR;
};

std::vector<std::string> common_args(const options& o) {
  std::vector<std::string> a{"--max-streams", std::to_string(o.subscribers + 16),
                             "--max-connections", std::to_string(o.subscribers + 64)};
  if (o.http_threads > 0) {
    a.push_back("--http-threads");
    a.push_back(std::to_string(o.http_threads));
  }
  return a;
}

/// Waits (bounded) until the hub counts `n` snapshot clients.
bool wait_subscribed(http_client& c, size_t n, std::chrono::seconds limit) {
  const auto until = clock_type::now() + limit;
  while (clock_type::now() < until) {
    const auto r = c.get("/v1/streams");
    if (r.status == 200 && json::parse(r.body)["clients"]["snapshots"].get<size_t>() >= n)
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

struct report : bench_report {
  void row(const std::string& what, const std::string& result, const std::string& goal,
           const std::string& met, const std::string& params) {
    add_row({what, result, goal, met, params});
  }
};

void latency_phase(const options& o, report& rep) {
  std::vector<std::string> args{"--tick-interval", o.tick};
  for (auto& a : common_args(o)) args.push_back(a);
  daemon_under_test d{o.binary, args};
  http_client c{d.port()};
  progress(format("latency: connecting %zu subscribers (tick %s)", o.subscribers, o.tick.c_str()));
  std::vector<std::unique_ptr<sse_client>> subs;
  subs.reserve(o.subscribers);
  for (size_t i = 0; i < o.subscribers; ++i) {
    subs.push_back(std::make_unique<sse_client>(d.port(), "/v1/stream/snapshots"));
    if (subs.back()->status() != 200)
      throw std::runtime_error(format("subscriber %zu got HTTP %d: %s", i, subs.back()->status(),
                                      subs.back()->body().c_str()));
  }
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (size_t i = 0; i < subs.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, subs[i]->fd(), &ev);
  }
  std::vector<int64_t> last_version(subs.size(), -1);
  std::vector<int64_t> latencies;
  latencies.reserve(static_cast<size_t>(o.duration_s) * 12 * o.subscribers);
  uint64_t skipped_versions = 0, coalesced_deliveries = 0, heartbeats = 0;
  int64_t min_version = -1, max_version = -1;
  size_t ended = 0;
  const auto start = clock_type::now();
  const auto measure_from = start + std::chrono::seconds{o.warmup_s};
  const auto until = measure_from + std::chrono::seconds{o.duration_s};
  double cpu_at_measure = -1;
  std::vector<epoll_event> ready(256);
  progress(
      format("latency: all subscribed; %d s warm-up, %d s measured", o.warmup_s, o.duration_s));
  while (clock_type::now() < until) {
    if (cpu_at_measure < 0 && clock_type::now() >= measure_from)
      cpu_at_measure = cpu_seconds(d.pid());
    const int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 50);
    const bool measuring = clock_type::now() >= measure_from;
    for (int k = 0; k < n; ++k) {
      const size_t i = ready[static_cast<size_t>(k)].data.u64;
      auto& s = *subs[i];
      if (!s.pump()) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, s.fd(), nullptr);
        ++ended;
      }
      while (auto e = s.take_event()) {
        if (e->event == "heartbeat") {
          ++heartbeats;
          continue;
        }
        if (e->event != "snapshot") continue;
        const int64_t version = number_field(e->data, "version");
        const int64_t taken = parse_rfc3339_ms(string_field(e->data, "last_updated"));
        const bool first = last_version[i] < 0;
        if (!first && version > last_version[i] + 1)
          skipped_versions += static_cast<uint64_t>(version - last_version[i] - 1);
        last_version[i] = version;
        if (first || !measuring) continue;  // the connect-time snapshot was not just published
        if (number_field(e->data, "coalesced") > 0) ++coalesced_deliveries;
        if (min_version < 0 || version < min_version) min_version = version;
        max_version = std::max(max_version, version);
        latencies.push_back(s.received_at_ms() - taken);
      }
    }
  }
  const double cpu = cpu_seconds(d.pid()) - cpu_at_measure;
  const long rss = rss_kib(d.pid());
  ::close(ep);
  subs.clear();
  const int code = d.stop();
  if (code != 0) rep.failures.push_back(format("latency daemon exited %d on SIGTERM", code));
  if (ended > 0) rep.failures.push_back(format("%zu subscribers were disconnected", ended));
  std::sort(latencies.begin(), latencies.end());
  const double p50 = percentile(latencies, 0.50), p99 = percentile(latencies, 0.99);
  const double p999 = percentile(latencies, 0.999);
  const double max = latencies.empty() ? NAN : static_cast<double>(latencies.back());
  double mean = 0;
  for (auto v : latencies) mean += static_cast<double>(v);
  mean = latencies.empty() ? NAN : mean / static_cast<double>(latencies.size());
  const uint64_t publishes = max_version >= min_version && min_version >= 0
                                 ? static_cast<uint64_t>(max_version - min_version + 1)
                                 : 0;
  const std::string params = format("%zu subscribers, tick %s, %d s measured after %d s warm-up",
                                    o.subscribers, o.tick.c_str(), o.duration_s, o.warmup_s);
  rep.row("delivery latency p50, publish → receipt", format("%.0f ms", p50), "—", "—", params);
  rep.row("delivery latency p99, publish → receipt", format("%.0f ms", p99), "≤ 50 ms",
          p99 <= 50 ? "yes" : "**no**", params);
  rep.details += "### Delivery latency\n\n";
  rep.details +=
      format("- %zu snapshot events received in the measured window (%" PRIu64
             " publishes × %zu "
             "subscribers = %" PRIu64 " possible); %" PRIu64
             " versions skipped by coalescing over the "
             "whole run, %" PRIu64
             " deliveries carried coalesced > 0 (a per-connection total); %" PRIu64 " heartbeats\n",
             latencies.size(), publishes, o.subscribers, publishes * o.subscribers,
             skipped_versions, coalesced_deliveries, heartbeats);
  rep.details += format(
      "- latency ms: mean %.1f, p50 %.0f, p99 %.0f, p99.9 %.0f, max %.0f "
      "(ms resolution: last_updated has milliseconds)\n",
      mean, p50, p99, p999, max);
  rep.details += format(
      "- daemon: CPU %.0f%% of one core over the window, VmRSS %ld KiB with %zu "
      "live subscribers\n",
      100.0 * cpu / o.duration_s, rss, o.subscribers);
  rep.details +=
      "- receipt is when this single-threaded epoll reader got to the socket: its own "
      "pace through 1,000 sockets per publish is included\n";
  rep.details += "- daemon: `" + d.command() + "`\n\n";
}

void stall_phase(const options& o, report& rep) {
  std::vector<std::string> args{"--tick-interval", o.stall_tick, "--write-timeout",
                                std::to_string(o.stall_s * 6 + 60) + "s"};
  for (auto& a : common_args(o)) args.push_back(a);
  daemon_under_test d{o.binary, args};
  http_client c{d.port()};
  // Warm up the stream path, so that the baseline holds its one-off allocations.
  {
    sse_client warm{d.port(), "/v1/stream/snapshots"};
    for (int i = 0; i < 100 && warm.next_event(5s); ++i) {
    }
  }
  for (int i = 0; i < 20; ++i) c.get("/health");
  const long baseline = rss_kib(d.pid());
  const long tcp_before = tcp_kernel_kib();
  progress(format("stalled: baseline VmRSS %ld KiB; connecting %zu stalled subscribers", baseline,
                  o.subscribers));
  std::vector<std::unique_ptr<vigil::test::raw_connection>> subs;
  subs.reserve(o.subscribers);
  for (size_t i = 0; i < o.subscribers; ++i)
    subs.push_back(vigil::test::stalled_stream(d.port(), "/v1/stream/snapshots"));
  if (!wait_subscribed(c, o.subscribers, 60s))
    throw std::runtime_error("the stalled subscribers were not all subscribed within 60 s");
  const long subscribed = rss_kib(d.pid());
  const json stats_before = json::parse(c.get("/v1/streams").body);
  const uint64_t version_before = json::parse(c.get("/v1/snapshot").body)["version"];
  progress(
      format("stalled: all subscribed, VmRSS %ld KiB; watching for %d s", subscribed, o.stall_s));
  long peak = subscribed;
  long tcp_peak = tcp_kernel_kib();
  int64_t health_max_ms = 0;
  int health_bad = 0, health_n = 0;
  http_client h{d.port(), 5s};
  const auto until = clock_type::now() + std::chrono::seconds{o.stall_s};
  while (clock_type::now() < until) {
    peak = std::max(peak, rss_kib(d.pid()));
    tcp_peak = std::max(tcp_peak, tcp_kernel_kib());
    const auto t0 = clock_type::now();
    const auto r = h.get("/health");
    health_max_ms = std::max<int64_t>(
        health_max_ms,
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count());
    ++health_n;
    if (r.status != 200) ++health_bad;
    std::this_thread::sleep_for(200ms);  // the sampling period, not a synchronization
  }
  const long end = rss_kib(d.pid());
  const json stats = json::parse(c.get("/v1/streams").body);
  const uint64_t version_after = json::parse(c.get("/v1/snapshot").body)["version"];
  subs.clear();
  const int code = d.stop();
  if (code != 0) rep.failures.push_back(format("stall daemon exited %d on SIGTERM", code));
  if (health_bad > 0)
    rep.failures.push_back(format("/health answered non-200 %d times", health_bad));
  const long growth = peak - baseline;
  const double growth_mb = static_cast<double>(growth) * 1024 / 1e6;
  const std::string params = format(
      "%zu stalled subscribers (SO_RCVBUF 1024, never read), tick "
      "%s, %d s",
      o.subscribers, o.stall_tick.c_str(), o.stall_s);
  rep.row("RSS growth with stalled subscribers (peak − baseline)",
          format("%.1f MB (%ld KiB)", growth_mb, growth), "≤ 10 MB",
          growth_mb <= 10 ? "yes" : "**no**", params);
  rep.row("RSS growth while they stay stalled (peak − all subscribed)",
          format("%.1f MB (%ld KiB)", static_cast<double>(peak - subscribed) * 1024 / 1e6,
                 peak - subscribed),
          "constant", "—", params);
  rep.details += "### Stalled subscribers\n\n";
  rep.details += format(
      "- VmRSS KiB: baseline %ld, all subscribed %ld (+%ld, %.1f KiB per "
      "subscriber), peak over %d s %ld, at the end %ld\n",
      baseline, subscribed, subscribed - baseline,
      static_cast<double>(subscribed - baseline) / static_cast<double>(o.subscribers), o.stall_s,
      peak, end);
  rep.details += format(
      "- publishing went on: %" PRIu64
      " versions in the window; coalesced_total "
      "%" PRIu64 " → %" PRIu64 "; disconnects.write_failed %" PRIu64
      " (the closed warm-up client counts here; the write timeout is longer than the window)\n",
      version_after - version_before, stats_before["coalesced_total"].get<uint64_t>(),
      stats["coalesced_total"].get<uint64_t>(),
      stats["disconnects"]["write_failed"].get<uint64_t>());
  rep.details += format("- /health meanwhile: %d answers, %d not 200, slowest %" PRId64 " ms\n",
                        health_n, health_bad, health_max_ms);
  rep.details += format(
      "- socket buffers are kernel memory, not in VmRSS: TCP memory of the whole "
      "machine (/proc/net/sockstat) %ld KiB before, peak %ld KiB (+%.0f KiB per "
      "stalled subscriber; the daemon's send buffers autotune up to tcp_wmem's "
      "maximum: %s)\n",
      tcp_before, tcp_peak,
      static_cast<double>(tcp_peak - tcp_before) / static_cast<double>(o.subscribers),
      first_line_of_command("tr '\\t' ' ' < /proc/sys/net/ipv4/tcp_wmem").c_str());
  rep.details += "- daemon: `" + d.command() + "`\n\n";
}

options parse_options(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr,
                 "usage: stream_bench <path to vigil> [--subscribers N] [--duration S] "
                 "[--warmup S] [--tick DUR] [--stall-tick DUR] [--stall-seconds S] "
                 "[--http-threads N] [--results DIR|-]\n");
    std::exit(2);
  }
  options o;
  o.binary = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i], v = argv[i + 1];
    if (key == "--subscribers")
      o.subscribers = std::stoul(v);
    else if (key == "--duration")
      o.duration_s = std::stoi(v);
    else if (key == "--warmup")
      o.warmup_s = std::stoi(v);
    else if (key == "--tick")
      o.tick = v;
    else if (key == "--stall-tick")
      o.stall_tick = v;
    else if (key == "--stall-seconds")
      o.stall_s = std::stoi(v);
    else if (key == "--http-threads")
      o.http_threads = std::stoi(v);
    else if (key == "--results")
      o.results = v;
    else {
      std::fprintf(stderr, "stream_bench: unknown option %s\n", key.c_str());
      std::exit(2);
    }
  }
  return o;
}

int run(const options& o, const std::string& command) {
  raise_open_file_limit(o.subscribers, "subscribers");
  ::signal(SIGPIPE, SIG_IGN);
  // A watchdog for the whole run (every wait has its own deadline too): SIGALRM's default action
  // ends the bench, and the daemons die with it (PR_SET_PDEATHSIG).
  ::alarm(static_cast<unsigned>(300 + o.warmup_s + o.duration_s + o.stall_s));
  const run_start begun;
  report rep;
  for (auto phase : {&latency_phase, &stall_phase}) {
    try {
      phase(o, rep);
    } catch (const std::exception& e) {
      rep.failures.push_back(e.what());
      progress(std::string("phase failed: ") + e.what());
    }
  }
  return rep.publish("vigil stream bench: the snapshot stream (issue 5)",
                     "The bench and the daemon share the machine's CPUs; loopback only. Figures "
                     "from a shared VM vary from run to run: compare rows of the same run.",
                     begun, command,
                     "| measurement | result | goal | met | parameters |\n|---|---|---|---|---|\n",
                     o.results, "stream", progress);
}

}  // namespace

int main(int argc, char** argv) {
  return bench_main("stream_bench", argc, argv, parse_options, run);
}
