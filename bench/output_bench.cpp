// output_bench: live output followers (issue 12), against the real daemon on loopback.
//
// One run of a chatty job prints "<n> <wall ms>" about every 10 ms (a counter and the output of
// `date +%s%3N`) until the bench creates its stop file. While that run goes:
//   1. baseline: after a warm-up (default 2 s), a window (default 10 s) with no follower: the
//      daemon's CPU (utime + stime from /proc/<pid>/stat over wall time, % of one core) and its
//      VmRSS;
//   2. followers: N (default 1,000) SSE clients of GET /v1/jobs/chatty/runs/<run>/output?follow,
//      all from the position the run had reached, read by a few epoll threads; after a warm-up,
//      over a window of the same length: for every line received, receipt wall time minus the
//      time printed in the line (p50 / p99 / p99.9 / max), lines per follower, bytes/s
//      delivered, the daemon's CPU (and its ratio to the baseline) and its VmRSS peak;
//   3. the end: the stop file ends the run, and every follower must have had every line once, in
//      order (counter + 1, each event starting where the last ended, dropped 0), then one `end`.
//
// Usage: output_bench <path to vigil> [--followers N] [--duration S] [--warmup S]
//                     [--threads N] [--http-threads N] [--results DIR|-]
// Prints a Markdown report and writes it to bench/results/output-<UTC>.md (git-ignored).
// Everything runs on 127.0.0.1 with a temp data dir (removed at the end); every wait has a
// deadline; the job's timeout bounds the run even if the bench never creates the stop file; the
// daemon dies with the bench (PR_SET_PDEATHSIG) and is stopped with SIGTERM (exit 0 required); a
// watchdog (alarm) ends the whole run after 300 s plus the measured durations.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/sse_client.hpp"

namespace {

using namespace vigil::bench;

using nlohmann::json;
using vigil::test::http_client;
using vigil::test::sse_client;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

void progress(const std::string& text) {
  std::fprintf(stderr, "output_bench %s: %s\n", utc_now("%H:%M:%S").c_str(), text.c_str());
}

struct options {
  std::string binary;
  size_t followers = 1000;
  int duration_s = 10;
  int warmup_s = 2;
  size_t threads = 2;    ///< epoll reader threads
  int http_threads = 0;  ///< 0: the daemon's default
  std::string results = VIGIL_BENCH_RESULTS_DIR;
};

/// CPU seconds of this process (all its threads): the bench shares the two CPUs with the daemon.
double own_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

json parse_answer(const vigil::test::http_response& r, int status, const std::string& what) {
  if (r.status != status)
    throw std::runtime_error(
        format("%s: HTTP %d, expected %d: %s", what.c_str(), r.status, status, r.body.c_str()));
  return json::parse(r.body);
}

/// What a window of the daemon's life cost it: CPU, wall time, RSS, and the bench's own CPU.
struct window_cost {
  double cpu_s = 0, wall_s = 0, own_cpu_s = 0;
  int64_t lines_printed = 0;  ///< by the run, from the window's start to its end
  long rss_start = -1, rss_peak = -1, rss_end = -1;
  std::map<std::string, double> threads;  ///< daemon CPU seconds per thread name
  double pct() const { return wall_s > 0 ? 100.0 * cpu_s / wall_s : NAN; }
  double lines_per_s() const {
    return wall_s > 0 ? static_cast<double>(lines_printed) / wall_s : NAN;
  }
};

/// The counter of the last line of a text of "<n> <ms>" lines; -1 when there is none.
int64_t last_counter(const std::string& text) {
  const size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return -1;
  const size_t nl = text.rfind('\n', end);
  return std::strtoll(text.c_str() + (nl == std::string::npos ? 0 : nl + 1), nullptr, 10);
}

/// The counter of the first line of a text of "<n> <ms>" lines; -1 when no line is complete.
int64_t first_counter(const std::string& text) {
  if (text.find('\n') == std::string::npos) return -1;
  char* rest = nullptr;
  const long long n = std::strtoll(text.c_str(), &rest, 10);
  return rest != text.c_str() && *rest == ' ' ? n : -1;
}

/// The counter of the last line the run has printed so far (its live output's last 64 bytes).
int64_t lines_so_far(http_client& c, const std::string& path) {
  const uint64_t total = parse_answer(c.get(path + "?offset=0&max=1"), 200, "GET " + path)["total"];
  const json tail = parse_answer(
      c.get(path + "?offset=" + std::to_string(total > 64 ? total - 64 : 0) + "&max=64"), 200,
      "GET " + path);
  return last_counter(tail["output"].get<std::string>());
}

/// Watches the daemon for `length`, sampling VmRSS every 100 ms; `lines` says how far the run is.
template <class Lines>
window_cost watch(pid_t pid, std::chrono::seconds length, Lines lines) {
  window_cost w;
  const int64_t lines0 = lines();
  const auto threads_before = thread_cpu(pid);
  const double cpu0 = cpu_seconds(pid), own0 = own_cpu_seconds();
  w.rss_start = w.rss_peak = rss_kib(pid);
  const auto t0 = clock_type::now();
  const auto until = t0 + length;
  while (clock_type::now() < until) {
    std::this_thread::sleep_for(100ms);  // the sampling period, not a synchronization
    w.rss_peak = std::max(w.rss_peak, rss_kib(pid));
  }
  w.cpu_s = cpu_seconds(pid) - cpu0;
  w.own_cpu_s = own_cpu_seconds() - own0;
  w.wall_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  w.rss_end = rss_kib(pid);
  w.lines_printed = lines() - lines0;
  for (const auto& [name, s] : thread_cpu(pid)) {
    const auto before = threads_before.find(name);
    w.threads[name] = s - (before == threads_before.end() ? 0 : before->second);
  }
  return w;
}

/// One follower's stream as the bench saw it. Lines are "<n> <wall ms>\n".
struct follower {
  std::unique_ptr<sse_client> client;
  uint64_t next_offset = 0;  ///< where the next event must start
  std::string partial;       ///< the bytes of a line not yet complete
  int64_t first_line = -1, last_line = -1;
  uint64_t lines = 0;
  uint64_t out_of_sequence = 0;  ///< lines whose counter was not the previous one + 1
  uint64_t offset_gaps = 0;      ///< events that did not start where the previous one ended
  uint64_t dropped = 0;          ///< the sum of `dropped`
  uint64_t malformed = 0;        ///< lines that are not "<n> <ms>"
  uint64_t window_lines = 0, window_bytes = 0, window_events = 0;
  uint64_t printed_in_window = 0;  ///< lines whose own time falls in the window
  uint64_t heartbeats = 0, after_end = 0;
  bool ended = false;   ///< the `end` event came
  bool closed = false;  ///< the connection is over
  std::string outcome;
  uint64_t end_total = 0;

  bool intact(int64_t first, int64_t last) const {
    return ended && out_of_sequence == 0 && offset_gaps == 0 && dropped == 0 && malformed == 0 &&
           after_end == 0 && first_line == first && last_line == last && end_total == next_offset;
  }
};

/// The measured window in wall-clock ms (the clock the lines are printed with).
struct wall_window {
  int64_t from = 0, to = 0;
  bool holds(int64_t ms) const { return ms >= from && ms < to; }
};

/// One event of a follower: checks positions and the line sequence, and records the latency of
/// each line received in the window.
void take(follower& f, const vigil::test::sse_event& e, const wall_window& w,
          std::vector<int64_t>& latencies) {
  if (e.event == "heartbeat") {
    ++f.heartbeats;
    return;
  }
  if (f.ended) {
    ++f.after_end;
    return;
  }
  if (e.event == "end") {
    const json d = json::parse(e.data);
    f.ended = true;
    f.outcome = d.value("outcome", "");
    f.end_total = d.value("total", uint64_t{0});
    return;
  }
  if (e.event != "output") return;
  const json d = json::parse(e.data);
  const uint64_t offset = d["offset"];
  const std::string data = d["data"];
  f.dropped += d["dropped"].get<uint64_t>();
  if (offset != f.next_offset) ++f.offset_gaps;
  f.next_offset = offset + data.size();
  const int64_t received = f.client->received_at_ms();
  const bool measured = w.holds(received);
  if (measured) {
    ++f.window_events;
    f.window_bytes += data.size();
  }
  f.partial += data;
  size_t start = 0;
  for (size_t nl; (nl = f.partial.find('\n', start)) != std::string::npos; start = nl + 1) {
    char* rest = nullptr;
    const char* line = f.partial.c_str() + start;
    const long long n = std::strtoll(line, &rest, 10);
    const long long printed = rest && *rest == ' ' ? std::strtoll(rest + 1, &rest, 10) : -1;
    if (printed <= 0 || rest != f.partial.c_str() + nl) {
      ++f.malformed;
      continue;
    }
    if (f.first_line < 0)
      f.first_line = n;
    else if (n != f.last_line + 1)
      ++f.out_of_sequence;
    f.last_line = n;
    ++f.lines;
    if (w.holds(printed)) ++f.printed_in_window;
    if (measured) {
      ++f.window_lines;
      latencies.push_back(received - printed);
    }
  }
  f.partial.erase(0, start);
}

/// Reads its followers until each has closed or `stop` is set, with one epoll set.
void read_followers(std::vector<follower*> mine, const wall_window& w,
                    const std::atomic<bool>& stop, std::atomic<size_t>& closed,
                    std::vector<int64_t>& latencies) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) throw std::runtime_error("epoll_create1 failed");
  for (size_t i = 0; i < mine.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, mine[i]->client->fd(), &ev);
    // Bytes that came with the response head are parsed already: no readiness will announce them.
    while (auto e = mine[i]->client->take_event()) take(*mine[i], *e, w, latencies);
  }
  size_t open = mine.size();
  std::vector<epoll_event> ready(256);
  while (open > 0 && !stop.load(std::memory_order_relaxed)) {
    const int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 50);
    for (int k = 0; k < n; ++k) {
      follower& f = *mine[ready[static_cast<size_t>(k)].data.u64];
      const bool more = f.client->pump();
      while (auto e = f.client->take_event()) take(f, *e, w, latencies);
      if (!more && !f.closed) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, f.client->fd(), nullptr);
        f.closed = true;
        --open;
        closed.fetch_add(1);
      }
    }
  }
  ::close(ep);
}

size_t output_clients(http_client& c) {
  return parse_answer(c.get("/v1/streams"), 200, "GET /v1/streams")["clients"]["output"];
}

struct report : bench_report {
  void row(const std::string& what, const std::string& result, const std::string& note) {
    add_row({what, result, note});
  }
};

std::string thread_table(const window_cost& base, const window_cost& fol) {
  std::string out =
      "| daemon thread | baseline, % of one core | with followers |\n|---|---:|---:|\n";
  for (const auto& [name, s] : fol.threads) {
    const auto b = base.threads.find(name);
    const double bs = b == base.threads.end() ? 0 : b->second;
    if (s < 0.01 && bs < 0.01) continue;
    out += format("| %s | %.1f | %.1f |\n", name.c_str(), 100 * bs / base.wall_s,
                  100 * s / fol.wall_s);
  }
  return out;
}

uint64_t median(std::vector<uint64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void summarize(const options& o, const std::vector<follower>& followers,
               const std::vector<std::vector<int64_t>>& latencies, const wall_window& w,
               const window_cost& base, const window_cost& fol, uint64_t start_at, int64_t first,
               const json& record, const json& streams, report& rep) {
  std::vector<int64_t> lat;
  for (const auto& v : latencies) lat.insert(lat.end(), v.begin(), v.end());
  std::sort(lat.begin(), lat.end());
  double mean = 0;
  for (auto v : lat) mean += static_cast<double>(v);
  mean = lat.empty() ? NAN : mean / static_cast<double>(lat.size());
  const double p50 = percentile(lat, 0.50), p99 = percentile(lat, 0.99);
  const double p999 = percentile(lat, 0.999);
  const double max = lat.empty() ? NAN : static_cast<double>(lat.back());

  // Every follower must have had the same lines: `first` (the first after start_at) to the last
  // the run printed (its record's tail).
  const int64_t last = last_counter(record.value("output", ""));
  size_t broken = 0, no_end = 0, seq = 0, gaps = 0, dropped = 0, malformed = 0, span = 0;
  uint64_t heartbeats = 0, events = 0, lines = 0, bytes = 0, printed = 0;
  std::vector<uint64_t> per_follower;
  std::map<std::string, size_t> outcomes;
  for (const auto& f : followers) {
    if (!f.intact(first, last)) ++broken;
    if (!f.ended) ++no_end;
    if (f.out_of_sequence > 0) ++seq;
    if (f.offset_gaps > 0) ++gaps;
    if (f.dropped > 0) ++dropped;
    if (f.malformed > 0 || f.after_end > 0) ++malformed;
    if (f.first_line != first || f.last_line != last) ++span;
    if (f.ended) ++outcomes[f.outcome];
    heartbeats += f.heartbeats;
    events += f.window_events;
    lines += f.window_lines;
    bytes += f.window_bytes;
    printed = std::max(printed, f.printed_in_window);
    per_follower.push_back(f.window_lines);
  }
  std::sort(per_follower.begin(), per_follower.end());
  const double window_s = static_cast<double>(w.to - w.from) / 1000.0;
  const double ratio = fol.pct() / base.pct();
  const double extra_us = lines > 0 ? (fol.cpu_s / fol.wall_s - base.cpu_s / base.wall_s) *
                                          window_s * 1e6 / static_cast<double>(lines)
                                    : NAN;
  if (broken > 0)
    rep.failures.push_back(
        format("%zu of %zu followers did not get every line once, in order, "
               "then one end",
               broken, followers.size()));

  const std::string params = format("%zu followers of one run, %d s after a %d s warm-up",
                                    o.followers, o.duration_s, o.warmup_s);
  rep.row("delivery latency, the line's own time → receipt: p50 / p99 / p99.9 / max",
          format("%.0f / **%.0f** / %.0f / %.0f ms", p50, p99, p999, max), params);
  rep.row("lines received per follower in the window: min / median",
          format("%" PRIu64 " / %" PRIu64 " (%" PRIu64 " printed)",
                 per_follower.empty() ? 0 : per_follower.front(), median(per_follower), printed),
          "printed: lines whose own time falls in the window");
  rep.row("output delivered, all followers",
          format("%.0f KB/s (%.0f lines/s)", static_cast<double>(bytes) / window_s / 1e3,
                 static_cast<double>(lines) / window_s),
          "output bytes, without the SSE framing");
  rep.row("followers with a gap, a line twice or out of order, dropped > 0, or no end",
          format("**%zu**", broken), "expected 0");
  rep.row("lines the run printed per second: baseline window / followers' window",
          format("%.0f / %.0f", base.lines_per_s(), fol.lines_per_s()),
          "`sleep 0.01` and two forks a line; slower when the CPUs are busy");
  rep.row("daemon CPU, the run going, no follower (baseline)",
          format("%.1f%% of one core", base.pct()), format("%d s window", o.duration_s));
  rep.row("daemon CPU with the followers",
          base.cpu_s > 0
              ? format("%.1f%% of one core (**%.1f× the baseline**)", fol.pct(), ratio)
              : format("%.1f%% of one core (the baseline is below one clock tick)", fol.pct()),
          format("%.1f µs per line delivered, beyond the baseline", extra_us));

  rep.details += "### Delivery\n\n";
  rep.details += format(
      "- %zu latencies (one per line received in the window, %.1f s of wall clock): mean %.1f "
      "ms, p50 %.0f, p99 %.0f, p99.9 %.0f, max %.0f; whole ms (`date +%%s%%3N` and the receipt "
      "are both floored to the ms), and the line's time is taken just before the shell writes it\n",
      lat.size(), window_s, mean, p50, p99, p999, max);
  rep.details +=
      format("- %" PRIu64
             " output events in the window (%.2f lines per event): a "
             "follower that took its last bytes gets everything printed since in one "
             "event\n",
             events, events > 0 ? static_cast<double>(lines) / static_cast<double>(events) : NAN);
  rep.details += format(
      "- every follower started at byte %" PRIu64 "; lines %" PRId64 " … %" PRId64
      " expected (the first read with ?offset=, the last from the run's record); followers: %zu "
      "without end, %zu with a line "
      "out of sequence, %zu with an event not starting where the last ended, %zu with dropped > "
      "0, %zu with a malformed line or an event after end, %zu not spanning the expected lines\n",
      start_at, first, last, no_end, seq, gaps, dropped, malformed, span);
  std::string ends;
  for (const auto& [outcome, n] : outcomes)
    ends += format("%s%zu %s", ends.empty() ? "" : ", ", n, outcome.c_str());
  rep.details += format(
      "- ends: %s; %" PRIu64
      " heartbeats; the run's record: status %s, "
      "output_bytes %" PRIu64 "; /v1/streams after: completed_total %" PRIu64 ", disconnects %s\n",
      ends.empty() ? "none" : ends.c_str(), heartbeats, record.value("status", "?").c_str(),
      record.value("output_bytes", uint64_t{0}), streams.value("completed_total", uint64_t{0}),
      streams["disconnects"].dump().c_str());
  rep.details += format(
      "- receipt is when one of %zu epoll reader threads got to the socket "
      "(its pace through the sockets is included); the bench's own CPU: %.0f%% "
      "of one core with the followers, %.0f%% in the baseline\n\n",
      std::max<size_t>(1, std::min(o.threads, followers.size())), 100 * fol.own_cpu_s / fol.wall_s,
      100 * base.own_cpu_s / base.wall_s);
  rep.details += "### Daemon\n\n";
  rep.details += format(
      "- CPU (utime + stime of the daemon, not of the job's processes, counted in clock ticks "
      "of %.0f ms): baseline %.2f s over %.1f s = %.1f%%; with the followers %.2f s over "
      "%.1f s = %.1f%%\n",
      1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK)), base.cpu_s, base.wall_s, base.pct(),
      fol.cpu_s, fol.wall_s, fol.pct());
  rep.details += format(
      "- VmRSS KiB: baseline window start %ld, peak %ld; with the followers "
      "start %ld, peak %ld, end %ld\n\n",
      base.rss_start, base.rss_peak, fol.rss_start, fol.rss_peak, fol.rss_end);
  rep.details += thread_table(base, fol) + "\n";
}

void measure(const options& o, report& rep) {
  const scratch_dir tmp{"", "vigil-output-bench"};
  const std::string stop_file = tmp.path + "/stop";
  std::vector<std::string> args{"--data-dir",        tmp.path + "/data",
                                "--max-streams",     std::to_string(o.followers + 100),
                                "--max-connections", std::to_string(o.followers + 164)};
  if (o.http_threads > 0) {
    args.push_back("--http-threads");
    args.push_back(std::to_string(o.http_threads));
  }
  daemon_under_test d{o.binary, args};
  http_client c{d.port()};

  // The run: bounded by its timeout (both windows, their warm-ups, 120 s to connect, 30 s more)
  // in case the stop file never comes; the stop file ends it with `succeeded`.
  const std::string shell = "i=0; while [ ! -e '" + stop_file +
                            "' ]; do i=$((i+1)); echo \"$i $(date +%s%3N)\"; sleep 0.01; done";
  const int timeout_s = 2 * (o.warmup_s + o.duration_s) + 120 + 30;
  const json job{{"id", "chatty"},        {"schedule", "0 1 1 1 *"},
                 {"output_limit", 65536}, {"timeout", std::to_string(timeout_s) + "s"},
                 {"kill_grace", "1s"},    {"command", {{"shell", shell}}}};
  parse_answer(c.post("/v1/jobs", job.dump()), 201, "POST /v1/jobs");
  const json fired = parse_answer(c.post("/v1/jobs/chatty/run"), 200, "POST /v1/jobs/chatty/run");
  const std::string run_id = fired["run_id"];
  const std::string path = "/v1/jobs/chatty/runs/" + run_id + "/output";
  {
    const auto until = clock_type::now() + 10s;
    for (;;) {
      const json r = parse_answer(c.get(path + "?offset=0&wait=1000"), 200, "GET " + path);
      if (r["live"] == true && r["total"].get<uint64_t>() > 0) break;
      if (clock_type::now() >= until) throw std::runtime_error("the run printed nothing in 10 s");
    }
  }

  progress(format("baseline: run %s going, %d s warm-up, %d s without followers", run_id.c_str(),
                  o.warmup_s, o.duration_s));
  std::this_thread::sleep_for(std::chrono::seconds{o.warmup_s});  // the run settles
  const auto lines = [&] { return lines_so_far(c, path); };
  const window_cost base = watch(d.pid(), std::chrono::seconds{o.duration_s}, lines);
  const long rss_before = rss_kib(d.pid());

  // Every follower starts at the same position: the run's total now, a line boundary (each
  // line is one write of ~20 bytes to the pipe).
  const uint64_t start_at =
      parse_answer(c.get(path + "?offset=0&max=1"), 200, "GET " + path)["total"];
  // The line every follower must start with: the first after that position (waiting for it).
  const json after =
      parse_answer(c.get(path + "?offset=" + std::to_string(start_at) + "&max=64&wait=2000"), 200,
                   "GET " + path);
  const int64_t first_line =
      after["offset"] == start_at ? first_counter(after["output"].get<std::string>()) : -1;
  if (first_line < 0)
    throw std::runtime_error("no whole line after byte " + std::to_string(start_at) + ": " +
                             after.dump());
  progress(format("connecting %zu followers from byte %" PRIu64, o.followers, start_at));
  std::vector<follower> followers(o.followers);
  const auto connect_start = clock_type::now();
  for (size_t i = 0; i < followers.size(); ++i) {
    auto& f = followers[i];
    f.client =
        std::make_unique<sse_client>(d.port(), path + "?follow&offset=" + std::to_string(start_at));
    if (f.client->status() != 200)
      throw std::runtime_error(
          format("follower %zu got HTTP %d: %s", i, f.client->status(), f.client->body().c_str()));
    f.next_offset = start_at;
    if (clock_type::now() - connect_start > 120s)
      throw std::runtime_error(format("only %zu followers connected in 120 s", i + 1));
  }
  const double connect_s = std::chrono::duration<double>(clock_type::now() - connect_start).count();
  const size_t counted = output_clients(c);
  const long rss_connected = rss_kib(d.pid());

  // Read from now on; the window opens after the warm-up (the connect-time backlog lands in it).
  const int64_t now_ms = wall_ms();
  const wall_window w{now_ms + o.warmup_s * 1000, now_ms + (o.warmup_s + o.duration_s) * 1000};
  std::atomic<bool> stop{false};
  std::atomic<size_t> closed{0};
  const size_t nthreads = std::max<size_t>(1, std::min(o.threads, followers.size()));
  std::vector<std::vector<int64_t>> latencies(nthreads);
  std::vector<std::string> reader_errors(nthreads);
  std::vector<std::thread> readers;
  struct joiner {  // whatever happens, no reader outlives the followers it reads
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~joiner() {
      stop = true;
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } join_readers{stop, readers};
  for (size_t t = 0; t < nthreads; ++t) {
    std::vector<follower*> mine;
    for (size_t i = t; i < followers.size(); i += nthreads) mine.push_back(&followers[i]);
    readers.emplace_back([&, t, mine] {
      try {
        read_followers(mine, w, stop, closed, latencies[t]);
      } catch (const std::exception& e) {
        reader_errors[t] = e.what();
        for (follower* f : mine)  // do not wait for them
          if (!f->closed) {
            f->closed = true;
            ++closed;
          }
      }
    });
  }
  progress(
      format("%zu followers connected in %.1f s (the daemon counts %zu); %d s warm-up, %d s "
             "measured",
             followers.size(), connect_s, counted, o.warmup_s, o.duration_s));
  std::this_thread::sleep_for(std::chrono::milliseconds{std::max<int64_t>(0, w.from - wall_ms())});
  const window_cost fol = watch(d.pid(), std::chrono::seconds{o.duration_s}, lines);

  // The end: the run stops before its next line; every follower must get `end`, then the close.
  { std::ofstream{stop_file}; }
  const auto until = clock_type::now() + 20s;
  while (closed.load() < followers.size() && clock_type::now() < until)
    std::this_thread::sleep_for(20ms);  // polling a counter, with a deadline
  stop = true;
  for (auto& r : readers) r.join();
  for (const auto& e : reader_errors)
    if (!e.empty()) rep.failures.push_back("a reader thread failed: " + e);
  const json streams = parse_answer(c.get("/v1/streams"), 200, "GET /v1/streams");
  const json record = parse_answer(c.get("/v1/jobs/chatty/runs/" + run_id), 200, "GET the run");
  summarize(o, followers, latencies, w, base, fol, start_at, first_line, record, streams, rep);
  rep.details += "### Setup\n\n";
  rep.details += format(
      "- connecting %zu followers took %.1f s; the daemon counted %zu output "
      "clients then; VmRSS %ld KiB before they connected, %ld KiB once all "
      "were connected (%+.1f KiB per follower)\n",
      o.followers, connect_s, counted, rss_before, rss_connected,
      static_cast<double>(rss_connected - rss_before) / static_cast<double>(o.followers));
  rep.details += "- job: `" + job.dump() + "`\n";
  rep.details += "- daemon: `" + d.command() + "`\n\n";
  rep.row("daemon VmRSS: before the followers / all connected / peak in the window",
          format("%.1f / %.1f / **%.1f MiB**", rss_before / 1024.0, rss_connected / 1024.0,
                 fol.rss_peak / 1024.0),
          format("peak − before: %+.1f MiB", (fol.rss_peak - rss_before) / 1024.0));
  followers.clear();  // every stream closed before the daemon stops
  const int code = d.stop();
  if (code != 0) rep.failures.push_back(format("the daemon exited %d on SIGTERM", code));
}

options parse_options(int argc, char** argv) {
  const char* usage =
      "usage: output_bench <path to vigil> [--followers N] [--duration S] [--warmup S] "
      "[--threads N] [--http-threads N] [--results DIR|-]\n";
  if (argc < 2 || argv[1][0] == '-') {
    std::fputs(usage, stderr);
    std::exit(2);
  }
  options o;
  o.binary = argv[1];
  for (int i = 2; i < argc; i += 2) {
    const std::string key = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "output_bench: %s needs a value\n%s", key.c_str(), usage);
      std::exit(2);
    }
    const std::string v = argv[i + 1];
    if (key == "--followers")
      o.followers = std::stoul(v);
    else if (key == "--duration")
      o.duration_s = std::stoi(v);
    else if (key == "--warmup")
      o.warmup_s = std::stoi(v);
    else if (key == "--threads")
      o.threads = std::stoul(v);
    else if (key == "--http-threads")
      o.http_threads = std::stoi(v);
    else if (key == "--results")
      o.results = v;
    else {
      std::fprintf(stderr, "output_bench: unknown option %s\n%s", key.c_str(), usage);
      std::exit(2);
    }
  }
  if (o.followers == 0 || o.duration_s <= 0 || o.warmup_s < 0 || o.threads == 0) {
    std::fputs("output_bench: --followers, --duration and --threads must be positive\n", stderr);
    std::exit(2);
  }
  return o;
}

int run(const options& o, const std::string& command) {
  raise_open_file_limit(o.followers, "followers");
  ::signal(SIGPIPE, SIG_IGN);
  // A watchdog for the whole run (every wait has its own deadline too): SIGALRM's default action
  // ends the bench, and the daemon dies with it (PR_SET_PDEATHSIG).
  ::alarm(static_cast<unsigned>(300 + 2 * (o.warmup_s + o.duration_s)));
  const run_start begun;
  report rep;
  try {
    measure(o, rep);
  } catch (const std::exception& e) {
    rep.failures.push_back(e.what());
    progress(std::string("failed: ") + e.what());
  }
  return rep.publish(
      "vigil output bench: live output followers (issue 12)",
      "The bench and the daemon share the machine's CPUs; loopback only. Figures from a shared "
      "VM vary from run to run: compare the followers' window with the baseline of the same run.",
      begun, command, "| measurement | result | note |\n|---|---|---|\n", o.results, "output",
      progress);
}

}  // namespace

int main(int argc, char** argv) {
  return bench_main("output_bench", argc, argv, parse_options, run);
}
