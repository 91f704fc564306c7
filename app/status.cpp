// GET /health once, within a bounded time; the verdict decides the exit code.
#include "app/status.hpp"
#include "app/json_text.hpp"
#include "app/times.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace vigil::app {
namespace {

using json = nlohmann::ordered_json;  // checks in the daemon's order

const json& member(const json& j, const char* key) {
  static const json none;
  if (!j.is_object() || !j.contains(key)) return none;
  return j[key];
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

/// "0.195s ago", "3m12s ago" from seconds.
std::string age_text(double seconds) {
  char buf[48];
  if (seconds < 60)
    std::snprintf(buf, sizeof buf, "%.3fs ago", seconds);
  else if (seconds < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds ago", static_cast<int>(seconds) / 60,
                  static_cast<int>(seconds) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm ago", static_cast<int>(seconds) / 3600,
                  (static_cast<int>(seconds) % 3600) / 60);
  return buf;
}

void print_checks(const json& checks, std::ostream& out) {
  if (!checks.is_object() || checks.empty()) {
    out << "checks: not shown (the daemon shows them only with a valid token: --token or "
           "VIGIL_TOKEN)\n";
    return;
  }
  size_t width = 0;
  for (const auto& [name, v] : checks.items()) width = std::max(width, name.size());
  out << "checks:\n";
  for (const auto& [name, v] : checks.items()) {
    const json& c = v.is_array() && !v.empty() ? v[0] : v;
    std::string observed = text(c, "observedValue", "");
    const std::string unit = text(c, "observedUnit", "");
    if (!observed.empty() && !unit.empty() && unit != "state") observed += " " + unit;
    std::string line = "  " + name + std::string(width - name.size(), ' ') + "  ";
    const std::string status = text(c, "status", "?");
    line += status + std::string(status.size() < 4 ? 4 - status.size() : 0, ' ');
    if (!observed.empty()) line += "  " + observed;
    if (c.is_object() && c.contains("output") && c["output"].is_string())
      line += "  (" + c["output"].get<std::string>() + ")";
    out << line << "\n";
  }
}

void print_scheduler(const json& s, const viewer_zone& viewer, std::ostream& out) {
  if (!s.is_object()) return;
  std::string line = "scheduler: " + text(s, "state", "?");
  if (member(s, "paused").is_boolean() && member(s, "paused").get<bool>()) {
    line += " (paused since " + show_time(text(s, "paused_since"), "", viewer) + " by " +
            text(s, "paused_by");
    if (!member(s, "pause_reason").is_null() && s.contains("pause_reason"))
      line += ": " + text(s, "pause_reason");
    line += ")";
  }
  const json& cycles = member(s, "cycles");
  line += ", tick " + text(s, "tick_interval_seconds", "?") + "s, cycles " +
          text(cycles, "total", "?") + " (" + text(cycles, "succeeded", "?") + " ok, " +
          text(cycles, "failed", "?") + " failed, " + text(s, "consecutive_failures", "?") +
          " in a row)";
  if (s.contains("last_error") && !s["last_error"].is_null())
    line += ", last error: " + text(s, "last_error");
  out << line << "\n";
}

void print_jobs(const json& j, const viewer_zone& viewer, std::ostream& out) {
  if (!j.is_object()) return;
  const json& runs = member(j, "runs");
  const json& outcomes = member(j, "outcomes");
  out << "jobs:      " << text(j, "total", "0") << " defined, " << text(j, "paused", "0")
      << " paused, " << text(j, "disabled", "0") << " disabled, " << text(j, "overdue", "0")
      << " overdue; next due " << show_time(text(j, "next_due", "none"), "", viewer) << "\n";
  out << "runs:      " << text(runs, "running", "0") << " running, " << text(runs, "starting", "0")
      << " starting, " << text(runs, "buffered", "0") << " buffered, "
      << text(runs, "retry_wait", "0")
      << " waiting to retry; finished: " << text(outcomes, "succeeded", "0") << " succeeded, "
      << text(outcomes, "failed", "0") << " failed, " << text(outcomes, "timed_out", "0")
      << " timed out, " << text(outcomes, "failed_to_start", "0") << " failed to start\n";
}

void print_journal(const json& j, const viewer_zone& viewer, std::ostream& out) {
  if (!j.is_object()) return;
  if (member(j, "writable").is_boolean() && member(j, "writable").get<bool>()) {
    out << "journal:   writable\n";
    return;
  }
  out << "journal:   NOT WRITABLE since " << show_time(text(j, "failing_since"), "", viewer) << ": "
      << text(j, "error") << "\n";
}

/// A cluster node: its role, the leader it follows, its lag.
void print_cluster(const json& c, std::ostream& out) {
  if (!c.is_object()) return;
  out << "cluster:   " << text(c, "role") << ", term " << text(c, "term");
  const json& leader = member(c, "leader");
  if (leader.is_object())
    out << ", leader " << text(leader, "node") << " at " << text(leader, "url");
  else
    out << ", NO LEADER";
  const json& lag = member(c, "lag");
  if (lag.is_object()) out << "; lag " << text(lag, "events", "0") << " events";
  const json& store = member(c, "store");
  if (store.is_object() && member(store, "reachable").is_boolean() &&
      !store["reachable"].get<bool>())
    out << "; STORE UNREACHABLE: " << text(store, "error");
  out << "\n";
}

/// GET /v1/cluster: one line per node.
void print_nodes(const std::string& body, std::ostream& out) {
  const json v = json::parse(body, nullptr, false);
  const json& nodes = member(v, "nodes");
  if (!nodes.is_array()) return;
  for (const auto& n : nodes) {
    char seen[32];
    std::snprintf(
        seen, sizeof seen, "%.1fs ago",
        member(n, "last_seen_seconds").is_number() ? n["last_seen_seconds"].get<double>() : 0.0);
    out << "  " << text(n, "node") << "  " << text(n, "role") << "  " << text(n, "url")
        << "  log_seq " << text(n, "log_seq") << " (lag " << text(n, "lag_events", "0")
        << ")  seen " << seen << "  clock skew " << text(n, "clock_skew_ms", "0") << " ms  v"
        << text(n, "version") << "\n";
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> client_options::auth_headers() const {
  if (!token || token->empty()) return {};
  return {{"Authorization", "Bearer " + *token}};
}

void print_health(const std::string& body, const http_url& url, const viewer_zone& viewer,
                  std::ostream& out) {
  const json h = json::parse(body, nullptr, false);
  out << "vigil " << url.text() << ": " << upper(text(h, "status", "?"));
  if (h.contains("node")) out << "  (node " << text(h, "node") << ")";
  out << "\n";
  const json& snap = member(h, "snapshot");
  if (snap.is_object()) {
    out << "last updated " << show_time(text(h, "last_updated"), "", viewer);
    if (member(snap, "age_seconds").is_number())
      out << " (" << age_text(snap["age_seconds"].get<double>()) << ")";
    out << "; epoch " << text(snap, "epoch") << ", snapshot v" << text(snap, "version")
        << ", log_seq " << text(snap, "log_seq") << "\n";
  } else if (h.contains("last_updated")) {
    out << "last updated: never (no snapshot yet)\n";
  }
  out << "live " << text(h, "live", "?") << ", ready " << text(h, "ready", "?") << "\n";
  print_checks(member(h, "checks"), out);
  print_scheduler(member(h, "scheduler"), viewer, out);
  print_jobs(member(h, "jobs"), viewer, out);
  print_journal(member(h, "journal"), viewer, out);
  print_cluster(member(h, "cluster"), out);
}

int run_status(const status_options& opts, std::ostream& out, std::ostream& err) {
  fetch_request req;
  req.url = opts.client.url;
  req.target = opts.client.url.prefix + "/health";
  req.headers = opts.client.auth_headers();
  req.timeout = opts.client.timeout;
  const fetch_response r = fetch(req);
  if (!r.answered) {
    err << "vigil: " << opts.client.url.text() << " is unreachable: " << r.error << "\n";
    return exit_unreachable;
  }
  if (r.status == 401 || r.status == 403) {
    const bool sent = opts.client.token && !opts.client.token->empty();
    err << "vigil: " << opts.client.url.text() << "/health answered HTTP " << r.status << ": "
        << (r.status == 403 ? "the token lacks the scope it needs"
            : sent          ? "the token was refused"
                            : "it needs a token; pass one with --token or VIGIL_TOKEN")
        << "\n";
    return exit_unauthorized;
  }
  const json h = json::parse(r.body, nullptr, false);
  const std::string status = h.is_object() && h.contains("status") && h["status"].is_string()
                                 ? h["status"].get<std::string>()
                                 : std::string{};
  int code = -1;
  if (status == "pass")
    code = 0;
  else if (status == "warn")
    code = 1;
  else if (status == "fail")
    code = 2;
  if (code < 0 || (r.status != 200 && r.status != 503)) {
    err << "vigil: " << opts.client.url.text() << "/health answered HTTP " << r.status
        << " without a health verdict; is this a vigil daemon?\n";
    return exit_unreachable;
  }
  if (opts.view.format == output_format::json)
    out << r.body << (r.body.empty() || r.body.back() != '\n' ? "\n" : "");
  else if (opts.view.format == output_format::yaml)
    print_document(out, nlohmann::json::parse(r.body), output_format::yaml);
  else
    print_health(r.body, opts.client.url, opts.view.viewer, out);
  if (opts.view.format == output_format::table && h.contains("cluster")) {
    // The nodes as this one sees them; best effort (the verdict above is the answer).
    fetch_request nodes = req;
    nodes.target = opts.client.url.prefix + "/v1/cluster";
    const fetch_response n = fetch(nodes);
    if (n.answered && n.status == 200) print_nodes(n.body, out);
  }
  out.flush();
  return code;
}

}  // namespace vigil::app
