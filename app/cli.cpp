// CLI11 front end; values are validated here so that a bad one names its flag.
#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <iostream>

#include "model/duration.hpp"

namespace vigil::app {
namespace {

struct raw_serve {
  std::string listen = "127.0.0.1:8080";
  std::string tick_interval = "1s";
  std::string cycle_deadline = "5s";
  std::string health_deadline = "1s";
  std::string command_deadline = "5s";
  std::string drain_timeout = "10s";
  std::string startup_grace = "30s";
  std::string checkpoint_interval = "60s";
  std::string stream_heartbeat = "15s";
  std::string write_timeout = "10s";
};

struct raw_watch {
  std::string url = "http://127.0.0.1:8080";
  std::string after = "0";
  std::string idle_timeout = "60s";
};

struct bad_value {
  std::string flag;
  std::string value;
  std::string expected;
};

model::duration duration_flag(const std::string& flag, const std::string& value, bool positive) {
  auto d = model::parse_duration(value);
  if (!d || (positive && d->count() == 0))
    throw bad_value{flag, value, "a duration with a unit, e.g. 500ms, 1s, 2m"};
  return *d;
}

void parse_listen(const std::string& text, serve_options& out) {
  const auto colon = text.rfind(':');
  const std::string expected = "HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)";
  if (colon == std::string::npos || colon == 0) throw bad_value{"--listen", text, expected};
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    throw bad_value{"--listen", text, expected};
  out.host = text.substr(0, colon);
  out.port = static_cast<uint16_t>(std::stoul(port));
}

uint64_t sequence_flag(const std::string& flag, const std::string& value) {
  if (value.empty() || value.size() > 20 ||
      value.find_first_not_of("0123456789") != std::string::npos ||
      (value.size() == 20 && value > "18446744073709551615"))
    throw bad_value{flag, value, "a sequence number (0 or more)"};
  return std::stoull(value);
}

watch_options parse_watch(const raw_watch& raw, bool events) {
  watch_options w;
  std::string why;
  auto url = parse_http_url(raw.url, why);
  if (!url) throw bad_value{"--url", raw.url, why};
  w.url = *url;
  w.events = events;
  w.after = sequence_flag("--after", raw.after);
  w.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      duration_flag("--idle-timeout", raw.idle_timeout, false));
  return w;
}

std::string default_node() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "vigil";
  return name;
}

}  // namespace

cli_result parse_cli(int argc, char** argv) {
  CLI::App app{"vigil: a job scheduler whose health endpoint tells the truth"};
  app.require_subcommand(1);
  serve_options opts;
  raw_serve raw;
  auto* serve = app.add_subcommand("serve", "Run the daemon in the foreground");
  serve->add_option("--listen", raw.listen, "Address to listen on, HOST:PORT")
      ->capture_default_str();
  serve->add_option("--tick-interval", raw.tick_interval,
                    "Scheduling cycle period; also the heartbeat (ms, s, m units)")
      ->capture_default_str();
  serve->add_option("--cycle-deadline", raw.cycle_deadline,
                    "How late a heartbeat may be before /health fails, beyond one tick")
      ->capture_default_str();
  serve->add_option("--health-deadline", raw.health_deadline,
                    "A health probe answers 503 by then if the health actor is silent")
      ->capture_default_str();
  serve->add_option("--command-deadline", raw.command_deadline,
                    "A command answers 503 by then if the scheduler is silent")
      ->capture_default_str();
  serve->add_option("--drain-timeout", raw.drain_timeout,
                    "On SIGTERM/SIGINT, how long to wait for the scheduler to drain")
      ->capture_default_str();
  serve->add_option("--startup-grace", raw.startup_grace,
                    "How long 'starting' is a warning before it is a failure")
      ->capture_default_str();
  serve->add_option("--max-failed-cycles", opts.max_consecutive_failures,
                    "Consecutive failed cycles that turn /health to fail")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000u));
  serve->add_option("--data-dir", opts.data_dir,
                    "Directory of the durable event log (created 0700, locked). Without it the "
                    "log lives in memory and nothing survives a restart");
  serve->add_option("--checkpoint-every", opts.checkpoint_every,
                    "Checkpoint the state after this many events (0: never by count)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 40));
  serve->add_option("--checkpoint-interval", raw.checkpoint_interval,
                    "Checkpoint when this long has passed with new events (0s: never by time)")
      ->capture_default_str();
  serve->add_option("--node", opts.node, "Node name reported in snapshots (default: hostname)");
  serve->add_option("--http-threads", opts.http_threads, "Threads serving HTTP")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  serve->add_option("--workers", opts.workers, "Actor worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  serve->add_option("--max-body", opts.max_body_bytes, "Largest accepted request body, bytes")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{64} << 20));
  serve->add_option("--max-connections", opts.max_connections, "Concurrent HTTP connections")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  serve->add_option("--max-streams", opts.max_streams,
                    "Concurrent stream clients; beyond it a stream gets 503 with Retry-After")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  serve->add_option("--stream-heartbeat", raw.stream_heartbeat,
                    "How often streams get a heartbeat event with the verdict")
      ->capture_default_str();
  serve->add_option("--write-timeout", raw.write_timeout,
                    "A response or stream write that cannot complete by then closes the "
                    "connection")
      ->capture_default_str();
  serve->add_option("--max-event-lag", opts.max_event_lag,
                    "An event stream further behind the log than this many events is closed "
                    "with a reason (it resumes by id)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  serve->add_flag("--test-hooks", opts.test_hooks,
                  "Enable POST /v1/debug/stall for fault-injection tests. Never in production");

  raw_watch wraw;
  bool watch_events = false;
  auto* watch = app.add_subcommand(
      "watch", "Print a daemon's snapshot or event stream for a human; reconnects, shows gaps");
  watch->footer(
      "One line per event, prefixed with the local time it arrived. When the stream ends or the "
      "daemon is unreachable, reconnects after the server's retry hint (2s by default, doubling "
      "up to 30s while unreachable) and sends Last-Event-ID, so a snapshot after a daemon "
      "restart is marked RESYNC and the event stream resumes strictly after the last sequence "
      "number seen (or prints RESET, or GAP if one is ever skipped). Ends with 0 on SIGINT or "
      "SIGTERM, with 1 when the server refuses the stream for good (e.g. 404).\n");
  auto* events_flag = watch->add_flag(
      "--events", watch_events,
      "Follow the durable event log (/v1/stream/events) instead of the snapshots");
  watch->add_option("--after", wraw.after,
                    "With --events: start strictly after this sequence number (0: from the "
                    "first event)")
      ->type_name("SEQ")
      ->capture_default_str()
      ->needs(events_flag);
  watch->add_option("--url", wraw.url,
                    "The daemon's base URL, http://HOST:PORT (an IPv4 address or a host name)")
      ->type_name("URL")
      ->capture_default_str();
  watch->add_option("--idle-timeout", wraw.idle_timeout,
                    "Reconnect when nothing, not even a heartbeat, arrives for this long (0s: "
                    "never)")
      ->type_name("DURATION")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
    if (watch->parsed()) return parse_watch(wraw, watch_events);
    parse_listen(raw.listen, opts);
    opts.tick_interval = duration_flag("--tick-interval", raw.tick_interval, true);
    opts.cycle_deadline = duration_flag("--cycle-deadline", raw.cycle_deadline, false);
    opts.health_deadline = duration_flag("--health-deadline", raw.health_deadline, true);
    opts.command_deadline = duration_flag("--command-deadline", raw.command_deadline, true);
    opts.drain_timeout = duration_flag("--drain-timeout", raw.drain_timeout, false);
    opts.startup_grace = duration_flag("--startup-grace", raw.startup_grace, false);
    opts.checkpoint_interval =
        duration_flag("--checkpoint-interval", raw.checkpoint_interval, false);
    opts.stream_heartbeat = duration_flag("--stream-heartbeat", raw.stream_heartbeat, true);
    opts.write_timeout = duration_flag("--write-timeout", raw.write_timeout, true);
  } catch (const CLI::ParseError& e) {
    // Help goes to stdout with 0; any other parse error is printed naming its flag, exit 2.
    const int code = app.exit(e);
    return exit_now{code == 0 ? 0 : 2};
  } catch (const bad_value& e) {
    std::cerr << "vigil: invalid value '" << e.value << "' for " << e.flag << ": expected "
              << e.expected << "\n";
    return exit_now{2};
  }
  if (opts.node.empty()) opts.node = default_node();
  return opts;
}

}  // namespace vigil::app
