// CLI11 front end; `vigil serve` settings come from app/config's table, so that a bad value
// names its flag (or its key and file, or its environment variable).
#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <map>
#include <utility>
#include <vector>

#include "app/config.hpp"
#include "model/duration.hpp"

namespace vigil::app {
namespace {

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

}  // namespace

cli_result parse_cli(int argc, char** argv) {
  CLI::App app{"vigil: a job scheduler whose health endpoint tells the truth"};
  app.require_subcommand(1);
  auto* serve = app.add_subcommand("serve", "Run the daemon in the foreground");
  serve->footer(
      "Every setting can also come from a TOML file (--config, or VIGIL_CONFIG) under its flag's "
      "name in snake_case (tick_interval = \"1s\"), and from an environment variable VIGIL_ + "
      "that name in upper case (VIGIL_TICK_INTERVAL=250ms). A flag beats the environment, which "
      "beats the file, which beats the default.\n");
  std::string config_path;
  auto* config_flag = serve->add_option("--config", config_path,
                                        "TOML configuration file (default: $VIGIL_CONFIG, if set)")
                          ->type_name("FILE");
  bool print_config = false;
  serve->add_flag("--print-config", print_config,
                  "Print the effective configuration as TOML, each value's source in a comment, "
                  "and exit");
  const serve_options defaults;
  std::map<std::string, std::string> flag_text;  // every setting's flag, as given
  std::vector<std::pair<const setting*, CLI::Option*>> setting_flags;
  bool test_hooks = false;
  for (const auto& s : serve_settings()) {
    CLI::Option* opt = nullptr;
    if (s.type == setting_type::boolean) {
      opt = serve->add_flag(s.flag, test_hooks, s.help);
    } else {
      opt = serve->add_option(s.flag, flag_text[s.key], s.help)->type_name(s.type_name);
      const std::string def = s.text(defaults);
      if (!def.empty()) opt->default_str(def);
    }
    setting_flags.emplace_back(&s, opt);
  }

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
    std::map<std::string, std::string> given;
    for (const auto& [s, opt] : setting_flags) {
      if (opt->count() == 0) continue;
      given[s->key] = s->type == setting_type::boolean ? "true" : flag_text[s->key];
    }
    std::optional<std::string> path;
    if (config_flag->count() > 0)
      path = config_path;
    else if (const char* env = std::getenv("VIGIL_CONFIG"); env && *env)
      path = std::string{env};
    const auto config = resolve_config(path, given);
    if (print_config) {
      std::cout << render_config(config) << std::flush;
      return exit_now{0};
    }
    return config.opts;
  } catch (const CLI::ParseError& e) {
    // Help goes to stdout with 0; any other parse error is printed naming its flag, exit 2.
    const int code = app.exit(e);
    return exit_now{code == 0 ? 0 : 2};
  } catch (const bad_value& e) {
    std::cerr << "vigil: invalid value '" << e.value << "' for " << e.flag << ": expected "
              << e.expected << "\n";
    return exit_now{2};
  } catch (const config_error& e) {
    std::cerr << "vigil: " << e.message << "\n";
    return exit_now{2};
  }
}

}  // namespace vigil::app
