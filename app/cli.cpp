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
  std::string token;  ///< never printed, not even as a default
};

struct raw_client {
  std::string url = "http://127.0.0.1:8080";
  std::string token;  ///< never printed, not even as a default
  std::string timeout = "5s";
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
  w.token = raw.token;
  return w;
}

client_options parse_client(const raw_client& raw) {
  client_options c;
  std::string why;
  auto url = parse_http_url(raw.url, why);
  if (!url) throw bad_value{"--url", raw.url, why};
  c.url = *url;
  if (!raw.token.empty()) c.token = raw.token;
  c.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      duration_flag("--timeout", raw.timeout, true));
  return c;
}

/// --token (or VIGIL_TOKEN): the bearer token a client subcommand sends.
void add_token_flag(CLI::App* cmd, std::string& token) {
  cmd->add_option("--token", token,
                  "Bearer token for a daemon with tokens configured; prefer the environment "
                  "variable, as every local user can read a command line")
      ->type_name("TOKEN")
      ->envname("VIGIL_TOKEN");
}

/// --url, --token (or VIGIL_TOKEN) and --timeout, on a client subcommand.
void add_client_flags(CLI::App* cmd, raw_client& raw) {
  cmd->add_option("--url", raw.url,
                  "The daemon's base URL, http://HOST:PORT (an IPv4 address or a host name)")
      ->type_name("URL")
      ->capture_default_str();
  add_token_flag(cmd, raw.token);
  cmd->add_option("--timeout", raw.timeout,
                  "Give up (exit 3) when connecting, or then the whole answer, takes longer")
      ->type_name("DURATION")
      ->capture_default_str();
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
  add_token_flag(watch, wraw.token);

  raw_client craw;
  status_options status_opts;
  auto* status = app.add_subcommand(
      "status", "Print a daemon's health for a human; the exit code is the verdict");
  status->footer(
      "Reads GET /health once. Exit codes: 0 pass, 1 warn (e.g. the scheduler is paused), "
      "2 fail (e.g. a stalled loop, a log that refuses writes), 3 unreachable (no connection, "
      "no answer within --timeout, or an answer that is not a health verdict), 4 the daemon "
      "wants a token or refused the one sent (401/403).\n");
  add_client_flags(status, craw);
  status->add_flag("--json", status_opts.json, "Print the /health body as received");

  migrate_options migrate_opts;
  auto* migrate = app.add_subcommand(
      "migrate", "Copy a stopped single node's log into an empty shared PostgreSQL store");
  migrate->footer(
      "Copies every event and the newest checkpoint, then verifies that the copy holds the same "
      "events and folds to the same state. The target must be empty. Exit codes: 0 migrated "
      "and verified; 1 refused (see the message); 2 a bad command line.\n");
  migrate->add_option("--from", migrate_opts.from, "The data directory (the daemon stopped)")
      ->type_name("DIR")
      ->required();
  migrate->add_option("--to", migrate_opts.to,
                      "postgresql:// URL or conninfo (default: $VIGIL_STORE; prefer the "
                      "variable: a password on the command line is visible to other users)")
      ->type_name("URL");

  jobs_options jobs_opts;
  auto* jobs = app.add_subcommand("jobs", "Define, inspect, run, pause and remove jobs");
  jobs->require_subcommand(1);
  jobs->footer(
      "Exit codes: 0 done; 1 refused by the server (its error, detail and field are printed) or "
      "an unreadable apply file; 2 a bad command line; 3 the daemon is unreachable or does not "
      "answer with its API.\n");
  using act = jobs_options::action;
  std::vector<std::pair<CLI::App*, act>> actions;
  auto action = [&](const char* name, const char* help, act a, bool takes_id) {
    auto* cmd = jobs->add_subcommand(name, help);
    if (takes_id) cmd->add_option("id", jobs_opts.id, "The job's id")->required();
    add_client_flags(cmd, craw);
    actions.emplace_back(cmd, a);
    return cmd;
  };
  auto* list = action("list", "A table of jobs: schedule, zone, state, next due, last decision",
                      act::list, false);
  list->add_flag("--all", jobs_opts.all, "Every job, page after page (default: the first page)");
  list->add_option("--limit", jobs_opts.limit, "Jobs per page (default 100)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));
  action("get", "A job's definition and state, as pretty JSON", act::get, true);
  auto* apply = action("apply",
                       "Create or replace the jobs of a file (PUT /v1/jobs/{id} for each); prints "
                       "created, updated or unchanged",
                       act::apply, false);
  apply->add_option("-f,--file", jobs_opts.file,
                    "A job JSON object, or an array of them; - reads stdin")
      ->type_name("FILE")
      ->required();
  action("rm", "Remove a job (its running processes are cancelled)", act::rm, true);
  auto* run = action("run", "Run a job now; prints the decision (fired, skipped, buffered)",
                     act::run, true);
  run->add_option("--overlap", jobs_opts.overlap,
                  "Overlap policy for this run instead of the job's")
      ->type_name("POLICY")
      ->check(CLI::IsMember({"skip", "buffer_one", "buffer_all", "cancel_other", "allow"}));
  auto* pause = action("pause", "Pause a job: it is not fired until resumed", act::pause, true);
  pause->add_option("--reason", jobs_opts.reason, "Why; recorded in the event log")
      ->type_name("TEXT");
  auto* resume = action("resume", "Resume a paused job", act::resume, true);
  resume->add_option("--reason", jobs_opts.reason, "Why; recorded in the event log")
      ->type_name("TEXT");
  auto* runs = action("runs", "A job's runs, newest first", act::runs, true);
  runs->add_option("--limit", jobs_opts.limit, "How many (server default 20)")
      ->type_name("N")
      ->check(CLI::Range(1, 100));
  auto* decisions =
      action("decisions", "A job's scheduling decisions, newest first", act::decisions, true);
  decisions->add_option("--limit", jobs_opts.limit, "How many (server default 50)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));

  try {
    app.parse(argc, argv);
    if (watch->parsed()) return parse_watch(wraw, watch_events);
    if (status->parsed()) {
      status_opts.client = parse_client(craw);
      return status_opts;
    }
    if (migrate->parsed()) {
      if (migrate_opts.to.empty())
        if (const char* env = std::getenv("VIGIL_STORE"); env && *env) migrate_opts.to = env;
      return migrate_opts;
    }
    if (jobs->parsed()) {
      jobs_opts.client = parse_client(craw);
      for (const auto& [cmd, a] : actions)
        if (cmd->parsed()) jobs_opts.act = a;
      return jobs_opts;
    }
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
