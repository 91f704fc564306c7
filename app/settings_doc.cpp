// Renders the settings table of docs/operations.md from serve_settings(), with a few notes per
// setting that are too long for --help.
#include "app/settings_doc.hpp"

#include <map>
#include <stdexcept>

namespace vigil::app {
namespace {

/// What the documentation says beyond a setting's --help text (Markdown, by key). The facts a
/// reader relies on (flag, variable, key, default, accepted values) come from the table itself.
const std::map<std::string, std::string>& notes() {
  static const std::map<std::string, std::string> all = {
      {"listen",
       "Port `0` picks a free port (the start-up log line names it). `0.0.0.0:8080` accepts "
       "connections from outside the host. IPv6 is written without brackets (`::1:8080`)."},
      {"tick_interval",
       "`I` in the heartbeat thresholds: see "
       "[Tuning](#tuning---tick-interval-and---cycle-deadline)."},
      {"cycle_deadline", "The heartbeat fails beyond max(3I, I + this)."},
      {"health_deadline",
       "A probe is answered by 0.9 × this at the latest. Probes' `timeoutSeconds` must exceed it."},
      {"command_deadline",
       "Pause, resume and job commands get 503 `timeout` (outcome unknown) by 0.9 × this; "
       "`GET /v1/events` and job reads likewise when the journal or the scheduler is silent."},
      {"drain_timeout", "See [Signals and shutdown order](#signals-and-shutdown-order)."},
      {"job_shutdown_grace",
       "The daemon waits at most `drain_timeout` + this. See "
       "[Signals and shutdown order](#signals-and-shutdown-order)."},
      {"orphans", "See [Run containment and orphans](#run-containment-and-orphans)."},
      {"retain_runs",
       "Runs still going are never dropped; `0` keeps none once finished. See "
       "[scheduling.md](scheduling.md#retention)."},
      {"retain_for", "See [scheduling.md](scheduling.md#retention)."},
      {"retain_decisions", "See [scheduling.md](scheduling.md#retention)."},
      {"startup_grace",
       "Also covers no snapshot yet. Measured from the health actor's start, before recovery."},
      {"max_failed_cycles", "One failed cycle already warns."},
      {"data_dir",
       "The parent must exist; an existing directory keeps its mode. One daemon per "
       "directory. See [Data directory](#data-directory)."},
      {"store",
       "`--print-config` shows it with the password as `***`. See [cluster.md](cluster.md)."},
      {"lease_ttl", "See [cluster.md](cluster.md)."},
      {"advertise_url",
       "Where other nodes send clients (307) and what `/v1/cluster` shows; an `http://` or "
       "`https://` URL."},
      {"checkpoint_every",
       "Bounds the events replayed at start-up. See [Tuning checkpoints](#tuning-checkpoints)."},
      {"checkpoint_interval", "Checked on every tick and after every write."},
      {"node", "Also in `/health` and `/v1/version`."},
      {"workers", "Keep ≥ 2, so that one wedged actor leaves a thread for the deadline sweep."},
      {"max_body",
       "Larger bodies get 413; beyond 16 × this the connection is closed without an answer."},
      {"max_connections", "At the limit, new connections wait until one closes."},
      {"max_streams",
       "Snapshot, event and console streams together. The daemon raises its open-file limit to "
       "the hard limit at start."},
      {"stream_heartbeat",
       "Effective minimum 250 ms (the hub's timer); the console stream's heartbeat is every "
       "second regardless. A stream counts as one long request: RESTinio's request timeout is "
       "max(60 s, 4 × this)."},
      {"write_timeout",
       "Sockets get a 64 KiB send buffer, so a stalled client reaches this within about 64 KiB."},
      {"max_event_lag", "The stream's last event is `close` with reason `too_slow`."},
      {"metrics_per_job_limit", "See [Per-job metrics](#per-job-metrics)."},
      {"log_format", "See [Logs](#logs)."},
      {"auth_token",
       "`--auth-token` is refused with exit 2; `--print-config` shows `<redacted>`. See "
       "[Authentication](#authentication)."},
      {"auth_token_file", "See [Authentication](#authentication)."},
      {"show_details", "See [Authentication](#authentication)."},
      {"auth_open_livez", "The flag can only say `true`, the default."},
      {"auth_open_readyz", "The flag can only say `true`, the default."},
      {"auth_open_health", "The flag can only say `true`, the default."},
      {"auth_open_metrics", "The flag can only say `true`, the default."},
  };
  return all;
}

/// A table cell: '|' would end it, a newline the row.
std::string cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string code(const std::string& text) { return "`" + text + "`"; }

std::string flag_cell(const setting& s) {
  if (s.secret) return "none";
  return code(s.type_name.empty() ? s.flag : s.flag + " " + s.type_name);
}

/// The file key; an `auth_` setting can also be written in an `[auth]` table (apply_auth_table).
std::string key_cell(const setting& s) {
  const std::string prefix = "auth_";
  if (s.key.compare(0, prefix.size(), prefix) != 0) return code(s.key);
  return code(s.key) + ", or " + code(s.key.substr(prefix.size())) + " in `[auth]`";
}

/// As on a command line; an empty text (none, or worked out at start) as the file writes it.
std::string default_cell(const setting& s) {
  const std::string value = s.text(serve_options{});
  return code(value.empty() ? "\"\"" : value);
}

}  // namespace

std::string settings_markdown(const std::vector<setting>& settings) {
  for (const auto& [key, text] : notes()) {
    bool found = false;
    for (const auto& s : settings) found = found || s.key == key;
    if (!found) throw std::logic_error{"settings_doc.cpp: a note for '" + key + "', no setting"};
  }
  std::string out =
      "| flag | environment | file key | default | accepts | meaning |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& s : settings) {
    std::string meaning = s.help + ".";
    if (auto it = notes().find(s.key); it != notes().end()) meaning += " " + it->second;
    out += "| " + cell(flag_cell(s)) + " | " + code(env_name(s.key)) + " | " + key_cell(s) + " | " +
           cell(default_cell(s)) + " | " + cell(s.accepts) + " | " + cell(meaning) + " |\n";
  }
  return out;
}

}  // namespace vigil::app
