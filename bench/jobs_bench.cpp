// jobs_bench: fire-decision lateness with many jobs defined (issue: 100k jobs, ~200 fires/s),
// against the real daemon on loopback, with a durable --data-dir.
//
//   1. definition: N jobs (default 100,000) POSTed to /v1/jobs by C keep-alive clients (default
//      8), each `@every P/<phase>` with phase_i = i × (1 s / rate) mod P and P = N × (1 s / rate)
//      (defaults: rate 200/s, so P = 500 s, phases 0, 5 ms, 10 ms, ...), command /bin/true.
//      Every 2xx answer is durable (the daemon answers after the journal's commit). Reported:
//      jobs/s overall and per tenth, answer latency, VmRSS after, the data dir's size.
//   2. a warm-up (default 10 s), then a measured window (default 60 s): /health latency and
//      VmRSS sampled every second, the daemon's CPU over the window.
//   3. the decisions: GET /v1/events paged over the window's seq range; for each fire_decided,
//      lateness = body.at − body.nominal (both RFC 3339 with milliseconds: the figures are
//      whole milliseconds, `at` floored by the daemon). p50/p90/p99/p99.9/max over fired
//      decisions, decisions/s, kinds (fired/skipped/missed/buffered), gaps in the nominal
//      sequence (each 1/rate slot has exactly one job), run start − nominal from run_started,
//      outcomes from run_finished and from /health's jobs counters. The same figures for the
//      fires decided while the jobs were being defined.
//   Goals (issue): lateness p99 <= 10 ms, VmRSS <= 200 MB.
//
// Usage: jobs_bench <path to vigil> [--jobs N] [--rate R] [--clients C] [--window S]
//                   [--warmup S] [--data-parent DIR] [--daemon-arg ARG]... [--results DIR|-]
// Environment (flags win): JOBS_BENCH_JOBS, JOBS_BENCH_WINDOW, JOBS_BENCH_WARMUP,
// JOBS_BENCH_CLIENTS.
// Prints a Markdown report and writes it to bench/results/jobs-<UTC>.md (git-ignored).
// Loopback only; every wait has a deadline; the daemon dies with the bench (PR_SET_PDEATHSIG)
// and is stopped with SIGTERM (exit 0 expected) at the end; a watchdog (alarm) ends the run.
// It measures and reports: it asserts nothing about speed (exit 1 only for harness failures).
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/bench_util.hpp"
#include "tests/support/http_client.hpp"

namespace {

using namespace vigil::bench;

using nlohmann::json;
using vigil::test::http_client;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

void progress(const std::string& text) {
  std::fprintf(stderr, "jobs_bench %s: %s\n", utc_now("%H:%M:%S").c_str(), text.c_str());
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

uint64_t dir_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

struct options {
  std::string binary;
  size_t jobs = 100000;
  unsigned rate = 200;  ///< fires per second: the phase step is 1 s / rate
  size_t clients = 8;
  int window_s = 60;
  int warmup_s = 10;
  std::string data_parent;  ///< empty: $TMPDIR or /tmp
  std::vector<std::string> daemon_args;
  std::string results = VIGIL_BENCH_RESULTS_DIR;
};

/// "500s", "5ms", "250us": the shortest exact spelling of a duration in microseconds.
std::string spell_us(uint64_t us) {
  if (us % 1000000 == 0) return std::to_string(us / 1000000) + "s";
  if (us % 1000 == 0) return std::to_string(us / 1000) + "ms";
  return std::to_string(us) + "us";
}

double percentile_d(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

/// The events of a seq range, as far as this bench needs them.
struct decision_stats {
  uint64_t events = 0;
  uint64_t fired = 0, skipped = 0, missed = 0, buffered = 0, other_kind = 0;
  uint64_t missed_nominals = 0;   ///< sum of `count` over missed decisions (ranges)
  std::vector<int64_t> lateness;  ///< ms, fired decisions
  std::vector<std::pair<int64_t, int64_t>> by_nominal;  ///< (nominal, lateness) ms, fired
  std::vector<int64_t> start_lateness;  ///< ms, run_started.at − nominal, runs fired in range
  int64_t min_nominal = -1, max_nominal = -1;
  uint64_t decided_nominals = 0;             ///< nominal times covered (count of every decision)
  std::map<std::string, uint64_t> outcomes;  ///< run_finished outcomes in range
  std::map<std::string, uint64_t> types;
  uint64_t pages = 0;
  double read_seconds = 0;
};

/// Pages GET /v1/events over (after, until] (1,000 a page) and folds what it needs.
decision_stats read_decisions(http_client& c, uint64_t after, uint64_t until) {
  decision_stats s;
  std::unordered_map<std::string, int64_t> nominal_of_run;
  const auto t0 = clock_type::now();
  uint64_t pos = after;
  while (pos < until) {
    const auto r = c.get("/v1/events?after=" + std::to_string(pos) + "&limit=1000");
    if (r.status != 200)
      throw std::runtime_error(format("GET /v1/events?after=%" PRIu64 " -> %d: %s", pos, r.status,
                                      r.body.substr(0, 300).c_str()));
    ++s.pages;
    const json page = json::parse(r.body);
    const auto& events = page["events"];
    if (events.empty()) break;
    for (const auto& e : events) {
      const uint64_t seq = e["seq"].get<uint64_t>();
      if (seq > until) {
        pos = until;
        break;
      }
      pos = seq;
      ++s.events;
      const std::string type = e["type"].get<std::string>();
      ++s.types[type];
      const auto& b = e["body"];
      if (type == "fire_decided") {
        const std::string kind = b.value("kind", "");
        const int64_t nominal = parse_rfc3339_ms(b.value("nominal", ""));
        const int64_t last = parse_rfc3339_ms(b.value("last", ""));
        const int64_t at = parse_rfc3339_ms(b.value("at", ""));
        const uint64_t count = b.value("count", uint64_t{1});
        s.decided_nominals += count;
        if (nominal >= 0 && (s.min_nominal < 0 || nominal < s.min_nominal)) s.min_nominal = nominal;
        if (last >= 0) s.max_nominal = std::max(s.max_nominal, last);
        if (kind == "fired") {
          ++s.fired;
          s.lateness.push_back(at - nominal);
          s.by_nominal.emplace_back(nominal, at - nominal);
          if (b.contains("run_id") && b["run_id"].is_string())
            nominal_of_run[b["run_id"].get<std::string>()] = nominal;
        } else if (kind == "skipped") {
          ++s.skipped;
        } else if (kind == "missed") {
          ++s.missed;
          s.missed_nominals += count;
        } else if (kind == "buffered") {
          ++s.buffered;
        } else {
          ++s.other_kind;
        }
      } else if (type == "run_started") {
        auto it = nominal_of_run.find(b.value("run_id", ""));
        if (it != nominal_of_run.end())
          s.start_lateness.push_back(parse_rfc3339_ms(b.value("at", "")) - it->second);
      } else if (type == "run_finished") {
        ++s.outcomes[b.value("outcome", "?")];
      }
    }
  }
  std::sort(s.lateness.begin(), s.lateness.end());
  std::sort(s.by_nominal.begin(), s.by_nominal.end());
  std::sort(s.start_lateness.begin(), s.start_lateness.end());
  s.read_seconds = seconds_since(t0);
  return s;
}

uint64_t last_seq(http_client& c) {
  const auto r = c.get("/v1/events?after=0&limit=1");
  if (r.status != 200)
    throw std::runtime_error(
        format("GET /v1/events -> %d: %s", r.status, r.body.substr(0, 300).c_str()));
  return json::parse(r.body)["last_seq"].get<uint64_t>();
}

json health_jobs(http_client& c) {
  const auto r = c.request("GET", "/health", {}, {{"Accept", "application/json"}});
  const json h = json::parse(r.body);
  if (h.contains("snapshot") && h["snapshot"].contains("jobs")) return h["snapshot"]["jobs"];
  if (h.contains("jobs")) return h["jobs"];
  return json::object();
}

uint64_t counter(const json& jobs, const char* group, const char* key) {
  if (!jobs.contains(group) || !jobs[group].contains(key)) return 0;
  return jobs[group][key].get<uint64_t>();
}

struct report : bench_report {
  void row(const std::string& what, const std::string& result, const std::string& goal,
           const std::string& met) {
    add_row({what, result, goal, met});
  }
};

std::string lateness_line(const std::vector<int64_t>& v) {
  if (v.empty()) return "none";
  double mean = 0;
  for (auto x : v) mean += static_cast<double>(x);
  mean /= static_cast<double>(v.size());
  return format("n %zu, min %" PRId64 ", p50 %.0f, p90 %.0f, p99 %.0f, p99.9 %.0f, max %" PRId64
                ", mean %.2f ms; ≤ 1 ms: %.1f%%, > 10 ms: %zu",
                v.size(), v.front(), percentile(v, 0.5), percentile(v, 0.9), percentile(v, 0.99),
                percentile(v, 0.999), v.back(), mean,
                100.0 * static_cast<double>(std::upper_bound(v.begin(), v.end(), 1) - v.begin()) /
                    static_cast<double>(v.size()),
                static_cast<size_t>(v.end() - std::upper_bound(v.begin(), v.end(), 10)));
}

/// The worst seconds: lateness > 10 ms grouped by the second of their nominal time.
std::string histogram(const std::vector<int64_t>& sorted) {
  if (sorted.empty()) return "";
  const int64_t edges[] = {0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};
  std::string out;
  size_t from = 0;
  for (size_t i = 0; i < std::size(edges); ++i) {
    const int64_t hi = i + 1 < std::size(edges) ? edges[i + 1] : INT64_MAX;
    const size_t to =
        static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), hi) - sorted.begin());
    if (to > from)
      out += format("%s[%" PRId64 ", %s) %zu", out.empty() ? "" : "; ", edges[i],
                    hi == INT64_MAX ? "∞" : std::to_string(hi).c_str(), to - from);
    from = to;
  }
  return out;
}

/// Stretches of consecutive fires (in nominal order) later than 10 ms: how many, and the worst
/// few with their position relative to the daemon's start (checkpoints are due by time from
/// there), so that a stall shows as one stretch.
std::string late_stretches(const std::vector<std::pair<int64_t, int64_t>>& fires,
                           int64_t start_ms) {
  struct stretch {
    int64_t from, to, worst;
    size_t n;
  };
  std::vector<stretch> all;
  for (const auto& [nominal, late] : fires) {
    if (late <= 10) continue;
    if (!all.empty() && all.back().n > 0 && nominal - all.back().to <= 50) {
      all.back().to = nominal;
      all.back().worst = std::max(all.back().worst, late);
      ++all.back().n;
    } else {
      all.push_back({nominal, nominal, late, 1});
    }
  }
  if (all.empty()) return "none";
  std::sort(all.begin(), all.end(),
            [](const stretch& a, const stretch& b) { return a.worst > b.worst; });
  std::string out = format("%zu (fires > 10 ms late, gaps ≤ 50 ms joined); worst:", all.size());
  for (size_t i = 0; i < std::min<size_t>(4, all.size()); ++i)
    out += format("%s nominal +%.1f … +%.1f s after the daemon's start, %zu fires, up to %" PRId64
                  " ms",
                  i ? ";" : "", static_cast<double>(all[i].from - start_ms) / 1000.0,
                  static_cast<double>(all[i].to - start_ms) / 1000.0, all[i].n, all[i].worst);
  return out;
}

int run(const options& o, const std::string& command) {
  ::signal(SIGPIPE, SIG_IGN);
  ::alarm(static_cast<unsigned>(1800 + o.warmup_s + o.window_s));  // watchdog for the whole run
  const run_start begun;
  report rep;

  const uint64_t step_us = 1000000 / o.rate;
  const uint64_t period_us = std::max<uint64_t>(o.jobs * step_us, 1000000);
  const scratch_dir scratch{o.data_parent, "jobs_bench"};
  const std::string& tmp = scratch.path;
  const std::string fs_type = first_line_of_command("stat -f -c %T '" + tmp + "'");

  std::vector<std::string> args{"--data-dir", tmp + "/data"};
  for (const auto& a : o.daemon_args) args.push_back(a);
  const int64_t daemon_started_ms = wall_ms();
  daemon_under_test d{o.binary, args};
  const long rss_start = rss_kib(d.pid());
  progress(
      format("daemon pid %d on port %u, VmRSS %ld KiB; defining %zu jobs with %zu clients "
             "(@every %s, phase step %s)",
             d.pid(), d.port(), rss_start, o.jobs, o.clients, spell_us(period_us).c_str(),
             spell_us(step_us).c_str()));

  // ---- 1. definition
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> ok{0}, bad{0}, thrown{0};
  std::mutex mu;
  std::map<int, uint64_t> bad_status;
  std::string first_error;
  std::vector<double> define_ms;       // per answer
  std::vector<double> tenth_s(10, 0);  // seconds at which each tenth of the jobs was answered
  std::atomic<size_t> done{0};
  const auto def_t0 = clock_type::now();
  const double cpu_def0 = cpu_seconds(d.pid());
  std::vector<long> rss_by_tenth(10, -1);
  std::vector<std::thread> workers;
  for (size_t w = 0; w < o.clients; ++w) {
    workers.emplace_back([&] {
      http_client c{d.port(), 30s};
      std::vector<double> mine;
      for (size_t i; (i = next.fetch_add(1)) < o.jobs;) {
        const uint64_t phase = (i * step_us) % period_us;
        std::string sched = "@every " + spell_us(period_us);
        if (phase > 0) sched += "/" + spell_us(phase);
        const std::string body = format(
            "{\"id\":\"bench-%06zu\",\"schedule\":\"%s\",\"command\":{\"argv\":[\"/bin/true\"]}}",
            i, sched.c_str());
        const auto t0 = clock_type::now();
        try {
          const auto r = c.post("/v1/jobs", body);
          mine.push_back(seconds_since(t0) * 1000);
          if (r.status >= 200 && r.status < 300) {
            ++ok;
          } else {
            ++bad;
            std::lock_guard<std::mutex> g{mu};
            ++bad_status[r.status];
            if (first_error.empty())
              first_error = format("HTTP %d: %s", r.status, r.body.substr(0, 300).c_str());
          }
        } catch (const std::exception& e) {
          ++thrown;
          std::lock_guard<std::mutex> g{mu};
          if (first_error.empty()) first_error = e.what();
        }
        const size_t n = ++done;
        if (n % std::max<size_t>(1, o.jobs / 10) == 0 &&
            n / std::max<size_t>(1, o.jobs / 10) <= 10) {
          const size_t k = n / std::max<size_t>(1, o.jobs / 10) - 1;
          std::lock_guard<std::mutex> g{mu};
          tenth_s[k] = seconds_since(def_t0);
          rss_by_tenth[k] = rss_kib(d.pid());
          progress(format("  %zu jobs answered after %.1f s, VmRSS %.0f MiB", n, tenth_s[k],
                          mib(rss_by_tenth[k])));
        }
      }
      std::lock_guard<std::mutex> g{mu};
      define_ms.insert(define_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : workers) t.join();
  const double def_s = seconds_since(def_t0);
  const double cpu_def = cpu_seconds(d.pid()) - cpu_def0;
  http_client c{d.port(), 60s};
  const uint64_t seq_defined = last_seq(c);
  const long rss_defined = rss_kib(d.pid());
  const uint64_t data_defined = dir_bytes(tmp + "/data");
  const json jobs_defined = health_jobs(c);
  progress(format("defined: %" PRIu64 " ok, %" PRIu64 " refused, %" PRIu64 " failed in %.1f s "
                  "(%.0f/s); VmRSS %.0f MiB; log seq %" PRIu64,
                  ok.load(), bad.load(), thrown.load(), def_s, static_cast<double>(ok) / def_s,
                  mib(rss_defined), seq_defined));
  if (bad + thrown > 0)
    rep.failures.push_back(format("%" PRIu64 " definitions refused, %" PRIu64 " failed; first: %s",
                                  bad.load(), thrown.load(), first_error.c_str()));

  // ---- 2. warm-up, then the window
  progress(format("warm-up %d s", o.warmup_s));
  std::this_thread::sleep_for(std::chrono::seconds{o.warmup_s});  // the warm-up itself
  const uint64_t seq0 = last_seq(c);
  const int64_t wall0 = wall_ms();
  const json jobs0 = health_jobs(c);
  const double cpu0 = cpu_seconds(d.pid());
  const auto threads0 = thread_cpu(d.pid());
  const long rss0 = rss_kib(d.pid());
  const auto win_t0 = clock_type::now();
  progress(format("window %d s from seq %" PRIu64 ", VmRSS %.0f MiB", o.window_s, seq0, mib(rss0)));
  std::vector<double> health_ms;
  int health_bad = 0;
  long rss_peak = rss0;
  std::string timeline;  // every 5 s: VmRSS and the data dir's size
  {
    http_client h{d.port(), 10s};
    int k = 0;
    while (clock_type::now() < win_t0 + std::chrono::seconds{o.window_s}) {
      const long rss_now = rss_kib(d.pid());
      rss_peak = std::max(rss_peak, rss_now);
      if (k % 5 == 0)
        timeline += format("%s+%.0f s %.0f/%.0f", timeline.empty() ? "" : "; ",
                           static_cast<double>(wall_ms() - daemon_started_ms) / 1000.0,
                           mib(rss_now), static_cast<double>(dir_bytes(tmp + "/data")) / 1048576.0);
      const auto t0 = clock_type::now();
      try {
        const auto r = h.get("/health");
        health_ms.push_back(seconds_since(t0) * 1000);
        if (r.status != 200) ++health_bad;
      } catch (const std::exception&) {
        ++health_bad;
      }
      ++k;
      std::this_thread::sleep_until(win_t0 + std::chrono::seconds{k});  // the sampling period
    }
  }
  const double win_s = seconds_since(win_t0);
  const uint64_t seq1 = last_seq(c);
  const int64_t wall1 = wall_ms();
  const json jobs1 = health_jobs(c);
  const double cpu_win = cpu_seconds(d.pid()) - cpu0;
  const auto threads1 = thread_cpu(d.pid());
  const long rss_end = rss_kib(d.pid());
  const long hwm_end = hwm_kib(d.pid());
  const uint64_t data_end = dir_bytes(tmp + "/data");
  progress(format("window over: seq %" PRIu64 " → %" PRIu64 "; daemon CPU %.0f%%; reading the log",
                  seq0, seq1, 100 * cpu_win / win_s));

  // ---- 3. the decisions
  const decision_stats win = read_decisions(c, seq0, seq1);
  const decision_stats def = read_decisions(c, 0, seq0);
  progress(format("read %" PRIu64 " + %" PRIu64 " events in %.1f + %.1f s", win.events, def.events,
                  win.read_seconds, def.read_seconds));
  const auto t_stop = clock_type::now();
  const int code = d.stop(60s);
  const double stop_s = seconds_since(t_stop);
  if (code != 0)
    rep.failures.push_back(
        format("daemon exited %d on SIGTERM (%.1f s); output tail:\n\n```\n%s\n```", code, stop_s,
               d.output_tail(2000).c_str()));

  // ---- the report
  const double rate_ok = static_cast<double>(ok) / def_s;
  std::sort(define_ms.begin(), define_ms.end());
  const auto& L = win.lateness;
  const double p50 = percentile(L, 0.5), p99 = percentile(L, 0.99);
  const double decided_per_s = static_cast<double>(win.decided_nominals) / win_s;
  const uint64_t expected_nominals =
      win.min_nominal >= 0 ? static_cast<uint64_t>((win.max_nominal - win.min_nominal) * 1000 /
                                                   static_cast<int64_t>(step_us)) +
                                 1
                           : 0;
  const std::string setup = format(
      "%zu jobs, @every %s, phases step %s (%u nominal times/s), "
      "/bin/true; %d s window after %d s warm-up",
      o.jobs, spell_us(period_us).c_str(), spell_us(step_us).c_str(), o.rate, o.window_s,
      o.warmup_s);
  rep.row("fire lateness p50 (decision `at` − nominal)", format("%.0f ms", p50), "—", "—");
  rep.row("fire lateness p99", format("%.0f ms", p99), "≤ 10 ms", p99 <= 10 ? "yes" : "**no**");
  rep.row("fire lateness max", L.empty() ? "—" : format("%" PRId64 " ms", L.back()), "—", "—");
  rep.row("nominal times decided per second (window)",
          format("%.1f/s (%" PRIu64 " in %.1f s)", decided_per_s, win.decided_nominals, win_s),
          format("≈ %u/s", o.rate), "—");
  rep.row("missed / skipped decisions (window)",
          format("%" PRIu64 " / %" PRIu64, win.missed_nominals, win.skipped), "0",
          win.missed_nominals + win.skipped == 0 ? "yes" : "**no**");
  rep.row("daemon VmRSS after defining / at the end (peak)",
          format("%.0f / %.0f MiB (VmHWM %.0f MiB)", mib(rss_defined), mib(rss_end), mib(hwm_end)),
          "≤ 200 MB", static_cast<double>(hwm_end) * 1024 <= 200e6 ? "yes" : "**no**");
  rep.row("definition rate (durable 2xx answers)",
          format("%.0f jobs/s (%" PRIu64 " in %.1f s)", rate_ok, ok.load(), def_s), "—", "—");
  rep.row("daemon CPU in the window", format("%.0f%% of one core", 100 * cpu_win / win_s), "—",
          "—");

  std::string& x = rep.details;
  x += "### Setup\n\n";
  x += "- " + setup + "\n";
  x += format("- data dir on %s (%s); the daemon: `%s`\n", scratch.parent.c_str(), fs_type.c_str(),
              d.command().c_str());
  x += "- lateness = `at` − `nominal` of each `fire_decided` event with kind `fired` whose seq "
       "is in the window; both are RFC 3339 with **milliseconds**, and the daemon floors `at` to "
       "the millisecond, so each figure is whole ms and may read up to 1 ms low (0 ms = less "
       "than 1 ms late). `at` is when the cycle began deciding, before the batch's commit.\n\n";
  x += "### Definition\n\n";
  x += format("- %" PRIu64 " defined (2xx), %" PRIu64 " refused", ok.load(), bad.load());
  for (const auto& [st, n] : bad_status) x += format(" [%d: %" PRIu64 "]", st, n);
  x += format(", %" PRIu64
              " failed (timeout / connection) in %.1f s: **%.0f jobs/s** with %zu "
              "keep-alive clients\n",
              thrown.load(), def_s, rate_ok, o.clients);
  x += format("- answer latency ms: p50 %.1f, p99 %.1f, max %.1f\n", percentile_d(define_ms, 0.5),
              percentile_d(define_ms, 0.99), percentile_d(define_ms, 1.0));
  x += "- per tenth of the jobs (cumulative s → jobs/s in that tenth, VmRSS MiB): ";
  for (size_t k = 0; k < 10; ++k) {
    const double prev = k == 0 ? 0 : tenth_s[k - 1];
    x += format("%s%.1f s → %.0f/s, %.0f", k ? "; " : "", tenth_s[k],
                tenth_s[k] > prev ? static_cast<double>(o.jobs / 10) / (tenth_s[k] - prev) : 0.0,
                mib(rss_by_tenth[k]));
  }
  x += "\n";
  x += format("- daemon CPU while defining: %.0f%% of one core (%.1f s CPU, %.2f ms per job)\n",
              100 * cpu_def / def_s, cpu_def,
              1000 * cpu_def / static_cast<double>(std::max<uint64_t>(1, ok)));
  x += format(
      "- VmRSS: %.1f MiB at start, %.1f MiB after defining (%.2f KiB per job); data dir "
      "%.1f MiB after defining (%.0f bytes per job), %.1f MiB at the end\n",
      mib(rss_start), mib(rss_defined),
      static_cast<double>(rss_defined - rss_start) /
          static_cast<double>(std::max<size_t>(1, o.jobs)),
      static_cast<double>(data_defined) / 1048576.0,
      static_cast<double>(data_defined) / static_cast<double>(std::max<size_t>(1, o.jobs)),
      static_cast<double>(data_end) / 1048576.0);
  x += format("- /health after defining: jobs.total %" PRIu64 "\n",
              jobs_defined.value("total", uint64_t{0}));
  x += "- fires decided while defining (seq ≤ " + std::to_string(seq0) +
       ", incl. warm-up): lateness " + lateness_line(def.lateness) + "; missed " +
       std::to_string(def.missed_nominals) + ", skipped " + std::to_string(def.skipped) + "\n\n";

  x += "### Window\n\n";
  x += format("- seq %" PRIu64 " → %" PRIu64 " (%" PRIu64 " events, %.0f/s), wall %.1f s\n", seq0,
              seq1, seq1 - seq0, static_cast<double>(seq1 - seq0) / win_s,
              static_cast<double>(wall1 - wall0) / 1000.0);
  x += "- event types:";
  for (const auto& [t, n] : win.types) x += format(" %s %" PRIu64 ",", t.c_str(), n);
  if (!win.types.empty()) x.pop_back();
  x += "\n";
  x += format("- decisions: fired %" PRIu64 ", skipped %" PRIu64 ", missed %" PRIu64 " (%" PRIu64
              " nominal times), buffered %" PRIu64 "\n",
              win.fired, win.skipped, win.missed, win.missed_nominals, win.buffered);
  x += format(
      "- nominal times covered: %" PRIu64
      " decided between the first and last nominal "
      "(%" PRIu64 " slots of %s): %s\n",
      win.decided_nominals, expected_nominals, spell_us(step_us).c_str(),
      win.decided_nominals == expected_nominals
          ? "none missing"
          : format("%" PRId64 " missing or extra", static_cast<int64_t>(expected_nominals) -
                                                       static_cast<int64_t>(win.decided_nominals))
                .c_str());
  x += "- fire lateness ms: " + lateness_line(L) + "\n";
  x += "- fire lateness histogram (ms): " + histogram(L) + "\n";
  x += "- late stretches: " + late_stretches(win.by_nominal, daemon_started_ms) + "\n";
  x += "- run start lateness (run_started `at` − nominal, ms): " +
       lateness_line(win.start_lateness) + "\n";
  x += "- run outcomes logged in the window (run_finished):";
  for (const auto& [k, n] : win.outcomes) x += format(" %s %" PRIu64 ",", k.c_str(), n);
  if (!win.outcomes.empty()) x.pop_back();
  x += "\n";
  x += format(
      "- /health jobs counters over the window: fired +%" PRIu64 ", missed +%" PRIu64
      ", skipped +%" PRIu64 "; outcomes succeeded +%" PRIu64 ", failed +%" PRIu64
      ", failed_to_start +%" PRIu64 ", timed_out +%" PRIu64
      "; runs at the end: "
      "starting %" PRIu64 ", running %" PRIu64 "\n",
      counter(jobs1, "decisions", "fired") - counter(jobs0, "decisions", "fired"),
      counter(jobs1, "decisions", "missed") - counter(jobs0, "decisions", "missed"),
      counter(jobs1, "decisions", "skipped") - counter(jobs0, "decisions", "skipped"),
      counter(jobs1, "outcomes", "succeeded") - counter(jobs0, "outcomes", "succeeded"),
      counter(jobs1, "outcomes", "failed") - counter(jobs0, "outcomes", "failed"),
      counter(jobs1, "outcomes", "failed_to_start") - counter(jobs0, "outcomes", "failed_to_start"),
      counter(jobs1, "outcomes", "timed_out") - counter(jobs0, "outcomes", "timed_out"),
      jobs1.contains("runs") ? jobs1["runs"].value("starting", uint64_t{0}) : 0,
      jobs1.contains("runs") ? jobs1["runs"].value("running", uint64_t{0}) : 0);
  x += format(
      "- /health during the window: %zu samples (1/s), %d not 200; latency ms p50 %.1f, "
      "max %.1f\n",
      health_ms.size(), health_bad, percentile_d(health_ms, 0.5), percentile_d(health_ms, 1.0));
  x += format("- daemon: CPU %.0f%% of one core over the window; by thread name:",
              100 * cpu_win / win_s);
  for (const auto& [name, secs] : threads1) {
    const auto it = threads0.find(name);
    const double dlt = secs - (it == threads0.end() ? 0 : it->second);
    if (dlt >= 0.005 * win_s) x += format(" %s %.0f%%,", name.c_str(), 100 * dlt / win_s);
  }
  x.pop_back();
  x += "\n";
  x += format(
      "- VmRSS: %.1f MiB at the window's start, peak sampled %.1f MiB, %.1f MiB at the "
      "end, VmHWM %.1f MiB\n",
      mib(rss0), mib(rss_peak), mib(rss_end), mib(hwm_end));
  x += "- every 5 s (time since the daemon's start, VmRSS MiB / data dir MiB): " + timeline + "\n";
  x += format("- log read back: %" PRIu64 " + %" PRIu64
              " pages in %.1f + %.1f s; SIGTERM → exit "
              "%d in %.1f s; daemon output %" PRIu64 " lines\n\n",
              win.pages, def.pages, win.read_seconds, def.read_seconds, code, stop_s,
              d.output_lines());

  return rep.publish("vigil jobs bench: fire-decision lateness with many jobs",
                     "The bench and the daemon share the machine's CPUs; loopback "
                     "only. Figures from a shared VM vary from run to run.",
                     begun, command, "| measurement | result | goal | met |\n|---|---|---|---|\n",
                     o.results, "jobs", progress);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: jobs_bench <path to vigil> [--jobs N] [--rate R] [--clients C] "
               "[--window S] [--warmup S] [--data-parent DIR] [--daemon-arg ARG]... "
               "[--results DIR|-]\n");
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') usage();
  options o;
  o.binary = argv[1];
  auto env = [](const char* name, auto& into) {
    if (const char* v = std::getenv(name); v && *v)
      into = static_cast<std::decay_t<decltype(into)>>(std::stoul(v));
  };
  env("JOBS_BENCH_JOBS", o.jobs);
  env("JOBS_BENCH_WINDOW", o.window_s);
  env("JOBS_BENCH_WARMUP", o.warmup_s);
  env("JOBS_BENCH_CLIENTS", o.clients);
  for (int i = 2; i < argc; i += 2) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage();
    const std::string v = argv[i + 1];
    if (key == "--jobs")
      o.jobs = std::stoul(v);
    else if (key == "--rate")
      o.rate = static_cast<unsigned>(std::stoul(v));
    else if (key == "--clients")
      o.clients = std::stoul(v);
    else if (key == "--window")
      o.window_s = std::stoi(v);
    else if (key == "--warmup")
      o.warmup_s = std::stoi(v);
    else if (key == "--data-parent")
      o.data_parent = v;
    else if (key == "--daemon-arg")
      o.daemon_args.push_back(v);
    else if (key == "--results")
      o.results = v;
    else {
      std::fprintf(stderr, "jobs_bench: unknown option %s\n", key.c_str());
      usage();
    }
  }
  if (o.jobs == 0 || o.rate == 0 || o.rate > 1000000 || o.clients == 0 || o.window_s <= 0 ||
      o.warmup_s < 0)
    usage();
  return o;
}

}  // namespace

int main(int argc, char** argv) { return bench_main("jobs_bench", argc, argv, parse_options, run); }
