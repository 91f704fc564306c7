// CLI11 front end; `vigil serve` settings come from app/config's table, so that a bad value
// names its flag (or its key and file, or its environment variable).
#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <map>
#include <utility>
#include <vector>

#include "app/completion.hpp"
#include "app/config.hpp"
#include "app/settings_doc.hpp"
#include "app/version.hpp"
#include "model/duration.hpp"
#include "model/number.hpp"

namespace vigil::app {
namespace {

constexpr const char* default_url = "http://127.0.0.1:8080";

struct raw_watch {
  std::string url;  ///< empty: VIGIL_URL, else default_url
  std::string after = "0";
  std::string idle_timeout = "60s";
  std::string token;  ///< never printed, not even as a default
};

struct raw_client {
  std::string url;    ///< empty: VIGIL_URL, else default_url
  std::string token;  ///< never printed, not even as a default
  std::string timeout = "5s";
  std::string output = "table";
  std::string tz;  ///< the viewer's zone; empty: TZ, else the system's
  std::string colour = "auto";
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
  const auto n = model::parse_uint(value);
  if (!n) throw bad_value{flag, value, "a sequence number (0 or more)"};
  return *n;
}

/// --url, else VIGIL_URL, else the default; a bad value names where it came from.
http_url url_setting(const std::string& flag_value) {
  std::string name = "--url";
  std::string text = flag_value;
  if (text.empty()) {
    const char* env = std::getenv("VIGIL_URL");
    name = env && *env ? "VIGIL_URL" : "--url";
    text = env && *env ? env : default_url;
  }
  std::string why;
  auto url = parse_http_url(text, why);
  if (!url) throw bad_value{name, text, why};
  return *url;
}

watch_options parse_watch(const raw_watch& raw, bool events) {
  watch_options w;
  w.url = url_setting(raw.url);
  w.events = events;
  w.after = sequence_flag("--after", raw.after);
  w.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      duration_flag("--idle-timeout", raw.idle_timeout, false));
  w.token = raw.token;
  return w;
}

client_options parse_client(const raw_client& raw) {
  client_options c;
  c.url = url_setting(raw.url);
  if (!raw.token.empty()) c.token = raw.token;
  c.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      duration_flag("--timeout", raw.timeout, true));
  return c;
}

view_options parse_view(const raw_client& raw) {
  view_options v;
  v.format = raw.output == "json"   ? output_format::json
             : raw.output == "yaml" ? output_format::yaml
                                    : output_format::table;
  if (!raw.tz.empty()) {
    auto zone = load_viewer_zone(raw.tz);
    if (!zone) throw bad_value{"--tz", raw.tz, "an IANA time zone, e.g. Europe/Berlin or UTC"};
    v.viewer = *zone;
  }
  v.colour = raw.colour == "always"  ? colour_mode::always
             : raw.colour == "never" ? colour_mode::never
                                     : colour_mode::automatic;
  return v;
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
                  "The daemon's base URL, http://HOST:PORT (an IPv4 address or a host name); "
                  "default $VIGIL_URL, else http://127.0.0.1:8080")
      ->type_name("URL");
  add_token_flag(cmd, raw.token);
  cmd->add_option("--timeout", raw.timeout,
                  "Give up (exit 3) when connecting, or then the whole answer, takes longer")
      ->type_name("DURATION")
      ->capture_default_str();
}

/// -o, and how times and colour are shown, on a read command. `viewer_tz`: false when --tz
/// means something else there (preview: the schedule's zone), so TZ alone sets the viewer's.
void add_view_flags(CLI::App* cmd, raw_client& raw, bool viewer_tz = true) {
  cmd->add_option("-o,--output", raw.output,
                  "table for a human; json or yaml for a script (the shapes are in docs/cli.md)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"table", "json", "yaml"}))
      ->capture_default_str();
  if (viewer_tz)
    cmd->add_option("--tz", raw.tz,
                    "Show times in this IANA zone besides the job's (default: $TZ, else the "
                    "system's zone)")
        ->type_name("ZONE");
  cmd->add_option("--color", raw.colour,
                  "Colour results: auto (only on a terminal, unless NO_COLOR is set), always, "
                  "never")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
}

std::string version_text() {
  std::string v = std::string{"vigil "} + version;
  if (*git_describe) v += std::string{" (git "} + git_describe + ")";
  return v;
}

/// "vigil foo": CLI11 reports only that a subcommand is required; name the word it did not know.
bool unknown_command(const CLI::App& app) {
  const CLI::App* at = &app;
  std::string path = "vigil";
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (const CLI::App* sub : at->get_subcommands()) {
      at = sub;
      path += " " + sub->get_name();
      deeper = true;
      break;
    }
  }
  const auto rest = at->remaining();
  if (rest.empty() || rest.front().empty() || rest.front().front() == '-') return false;
  std::string known;
  for (const CLI::App* sub : at->get_subcommands([](const CLI::App*) { return true; }))
    if (!sub->get_name().empty()) known += (known.empty() ? "" : ", ") + sub->get_name();
  if (known.empty()) return false;
  std::cerr << "vigil: unknown command '" << rest.front() << "' for '" << path
            << "'; expected one of: " << known << "\n";
  return true;
}

/// --help-all: every command's own help, however deep (CLI11 expands one level only, which
/// left the man page without `jobs runs --limit` and the like).
void print_all_help(const CLI::App& cmd, const std::string& path, std::ostream& out) {
  for (const CLI::App* sub :
       cmd.get_subcommands([](const CLI::App* a) { return !a->get_name().empty(); })) {
    const std::string name = path + " " + sub->get_name();
    out << "\n" << sub->get_formatter()->make_help(sub, name, CLI::AppFormatMode::Normal);
    print_all_help(*sub, name, out);
  }
}

}  // namespace

cli_result parse_cli(int argc, char** argv) {
  CLI::App app{"vigil: a job scheduler whose health endpoint tells the truth"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_text(),
                       "Print the version (and git describe) and exit");
  app.set_help_all_flag("--help-all", "Print the help of every command and exit");
  auto* serve = app.add_subcommand("serve", "Run the daemon in the foreground");
  serve->footer(
      "Every setting can also come from a TOML file (--config, or VIGIL_CONFIG) under its flag's "
      "name in snake_case (tick_interval = \"1s\"), and from an environment variable VIGIL_ + "
      "that name in upper case (VIGIL_TICK_INTERVAL=250ms). A flag beats the environment, which "
      "beats the file, which beats the default.\n");
  std::string config_path;
  auto* config_flag = serve
                          ->add_option("--config", config_path,
                                       "TOML configuration file (default: $VIGIL_CONFIG, if set)")
                          ->type_name("FILE");
  bool print_config = false;
  serve->add_flag("--print-config", print_config,
                  "Print the effective configuration as TOML, each value's source in a comment, "
                  "and exit");
  // Hidden: docs/operations.md's settings table is this output (make docs, tests/docs_settings.py).
  bool print_settings = false;
  serve
      ->add_flag("--print-settings-markdown", print_settings,
                 "Print the settings as the Markdown table of docs/operations.md and exit")
      ->group("");
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
  auto* events_flag =
      watch->add_flag("--events", watch_events,
                      "Follow the durable event log (/v1/stream/events) instead of the snapshots");
  watch
      ->add_option("--after", wraw.after,
                   "With --events: start strictly after this sequence number (0: from the "
                   "first event)")
      ->type_name("SEQ")
      ->capture_default_str()
      ->needs(events_flag);
  watch
      ->add_option("--url", wraw.url,
                   "The daemon's base URL, http://HOST:PORT (an IPv4 address or a host name); "
                   "default $VIGIL_URL, else http://127.0.0.1:8080")
      ->type_name("URL");
  watch
      ->add_option("--idle-timeout", wraw.idle_timeout,
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
  add_view_flags(status, craw);
  bool status_json = false;
  status->add_flag("--json", status_json, "Print the /health body as received (as -o json)");

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
  migrate
      ->add_option("--to", migrate_opts.to,
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
  auto* list = action("list",
                      "A table of jobs: schedule, zone, state, last result, last success, next "
                      "due, last decision; a banner when the scheduler is paused",
                      act::list, false);
  add_view_flags(list, craw);
  list->add_flag("--all", jobs_opts.all, "Every job, page after page (default: the first page)");
  list->add_option("--limit", jobs_opts.limit, "Jobs per page (default 100)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));
  add_view_flags(
      action("get", "A job's definition and state, as pretty JSON (or YAML)", act::get, true),
      craw);
  auto* apply = action("apply",
                       "Make the daemon's jobs those of a file or directory: each is checked by "
                       "the server first (nothing is written unless all pass), then created or "
                       "replaced; prints created, changed (which fields), unchanged and, with "
                       "--prune, deleted, and the server's warnings",
                       act::apply, false);
  apply
      ->add_option("-f,--file", jobs_opts.file,
                   "A job JSON object or an array of them, a directory of such *.json files, or "
                   "- for stdin")
      ->type_name("FILE|DIR")
      ->required();
  apply->add_flag("--prune", jobs_opts.prune,
                  "Also remove the daemon's jobs that the input does not define");
  apply->add_flag("--dry-run", jobs_opts.dry_run,
                  "Print what would change (the server validates every job) and write nothing");
  add_view_flags(apply, craw, false);
  add_view_flags(
      action("export", "Every job's definition as a JSON array (or YAML), as `apply -f` reads it",
             act::export_, false),
      craw, false);
  action("rm", "Remove a job (its running processes are cancelled)", act::rm, true);
  auto* run = action("run",
                     "Run a job now; prints the decision (fired, skipped, buffered); exits 5 "
                     "when it was skipped",
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
  add_view_flags(runs, craw);
  auto* decisions =
      action("decisions", "A job's scheduling decisions, newest first", act::decisions, true);
  decisions->add_option("--limit", jobs_opts.limit, "How many (server default 50)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));
  add_view_flags(decisions, craw);
  auto* next =
      action("next", "A job's next nominal fire times, in its zone and yours", act::next, true);
  next->add_option("-n,--count", jobs_opts.count, "How many (server default 10)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));
  add_view_flags(next, craw);
  auto* backfill = action("backfill",
                          "Decide the job's past nominal times in a range that nothing decided "
                          "(before the job existed, or missed), once; under its overlap policy",
                          act::backfill, true);
  backfill->add_option("--from", jobs_opts.from, "The range's start, RFC 3339 (inclusive)")
      ->type_name("TIME")
      ->required();
  backfill->add_option("--to", jobs_opts.to, "The range's end, RFC 3339 (inclusive; not future)")
      ->type_name("TIME")
      ->required();
  add_view_flags(backfill, craw);
  auto* logs = action("logs",
                      "What a run printed: the newest run's output, or the named run's; the "
                      "bytes alone on stdout, the run's status on stderr",
                      act::logs, true);
  logs->add_option("run", jobs_opts.run, "The run's id (default: the job's newest run)")
      ->type_name("RUN");
  logs->add_flag("-f,--follow", jobs_opts.follow,
                 "Print the output as the run writes it, until its attempt ends (resumes "
                 "after a dropped connection without repeating a byte)");
  add_view_flags(logs, craw);

  scheduler_options scheduler_opts;
  auto* scheduler = app.add_subcommand("scheduler", "Pause or resume the whole scheduler");
  scheduler->require_subcommand(1);
  scheduler->footer(
      "A paused scheduler fires no job (each missed time is decided `missed`, reason paused) "
      "but keeps its heartbeat, so /health is warn, not fail. Exit codes as `vigil jobs`.\n");
  std::vector<std::pair<CLI::App*, bool>> scheduler_actions;
  for (const bool pause : {true, false}) {
    auto* cmd = scheduler->add_subcommand(pause ? "pause" : "resume",
                                          pause ? "Pause scheduling (POST /v1/scheduler/pause)"
                                                : "Resume scheduling (POST /v1/scheduler/resume)");
    cmd->add_option("--reason", scheduler_opts.reason, "Why; recorded in the event log")
        ->type_name("TEXT");
    add_client_flags(cmd, craw);
    scheduler_actions.emplace_back(cmd, pause);
  }

  preview_options preview_opts;
  auto* preview = app.add_subcommand(
      "preview", "The next fire times of a schedule, before any job uses it (GET /v1/preview)");
  preview->footer(
      "Times are shown in the schedule's zone (--tz) and in yours (TZ, else the system's "
      "zone). Exit codes as `vigil jobs`: a schedule the daemon refuses is 1, naming the field.\n");
  preview
      ->add_option("schedule", preview_opts.schedule,
                   "A schedule as a job would hold it: cron, @every 5m, @at 2030-01-01T00:00:00Z")
      ->required();
  preview->add_option("--tz", preview_opts.tz, "The schedule's IANA zone (default UTC)")
      ->type_name("ZONE");
  preview->add_option("-n,--count", preview_opts.count, "How many (server default 10)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000));
  add_client_flags(preview, craw);
  add_view_flags(preview, craw, false);

  auto* completion = app.add_subcommand(
      "completion", "Print a shell completion script, made from this command line's definition");
  completion->footer(
      "bash: source <(vigil completion bash), or save it under "
      "/usr/share/bash-completion/completions/vigil. zsh: save it as _vigil in a directory on "
      "$fpath.\n");
  std::string shell;
  completion->add_option("shell", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));

  try {
    app.parse(argc, argv);
    if (watch->parsed()) return parse_watch(wraw, watch_events);
    if (status->parsed()) {
      status_opts.client = parse_client(craw);
      status_opts.view = parse_view(craw);
      if (status_json) status_opts.view.format = output_format::json;
      return status_opts;
    }
    if (scheduler->parsed()) {
      scheduler_opts.client = parse_client(craw);
      for (const auto& [cmd, pause] : scheduler_actions)
        if (cmd->parsed()) scheduler_opts.pause = pause;
      return scheduler_opts;
    }
    if (preview->parsed()) {
      preview_opts.client = parse_client(craw);
      preview_opts.view = parse_view(craw);
      return preview_opts;
    }
    if (completion->parsed()) {
      std::cout << (shell == "zsh" ? zsh_completion(app) : bash_completion(app)) << std::flush;
      return exit_now{0};
    }
    if (migrate->parsed()) {
      if (migrate_opts.to.empty())
        if (const char* env = std::getenv("VIGIL_STORE"); env && *env) migrate_opts.to = env;
      return migrate_opts;
    }
    if (jobs->parsed()) {
      jobs_opts.client = parse_client(craw);
      jobs_opts.view = parse_view(craw);
      for (const auto& [cmd, a] : actions)
        if (cmd->parsed()) jobs_opts.act = a;
      return jobs_opts;
    }
    if (print_settings) {
      std::cout << settings_markdown(serve_settings()) << std::flush;
      return exit_now{0};
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
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.get_formatter()->make_help(&app, "vigil", CLI::AppFormatMode::Normal);
    print_all_help(app, "vigil", std::cout);
    std::cout << std::flush;
    return exit_now{0};
  } catch (const CLI::ParseError& e) {
    // Help goes to stdout with 0; any other parse error is printed naming its flag, exit 2.
    if (e.get_exit_code() != 0 && unknown_command(app)) return exit_now{2};
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
