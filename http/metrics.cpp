// The Prometheus text writer and the HTTP request counters.
#include "http/metrics.hpp"

#include <charconv>
#include <chrono>
#include <initializer_list>
#include <limits>
#include <optional>
#include <utility>

namespace vigil::http {
namespace {

using label = std::pair<const char*, std::string>;

/// Shortest round-trip form of a double, in plain notation where it fits ("0.0005",
/// "1795926113.123"), else scientific; +Inf for infinity.
std::string number(double v) {
  if (v == std::numeric_limits<double>::infinity()) return "+Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (r.ec != std::errc{}) r = std::to_chars(buf, buf + sizeof buf, v);
  if (r.ec != std::errc{}) return "NaN";
  return std::string(buf, r.ptr);
}

std::string number(uint64_t v) { return std::to_string(v); }

std::string escape_label(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

/// One exposition: each family's HELP and TYPE once, then its samples.
class writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(const std::string& name, std::initializer_list<label> labels,
              const std::string& value) {
    out_ += name;
    if (labels.size() != 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += k;
        out_ += "=\"";
        out_ += escape_label(v);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

  void histogram(const char* name, const char* help, const model::histogram& h) {
    family(name, "histogram", help);
    const std::string base = name;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.bounds.size(); ++i) {
      cumulative += h.counts[i];
      sample(base + "_bucket", {{"le", number(h.bounds[i])}}, number(cumulative));
    }
    sample(base + "_bucket", {{"le", "+Inf"}}, number(h.count));
    sample(base + "_sum", {}, number(h.sum));
    sample(base + "_count", {}, number(h.count));
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

double unix_seconds(model::wall_time t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

double unix_seconds(const std::optional<model::wall_time>& t) { return t ? unix_seconds(*t) : 0.0; }

/// The per-job families: each family's samples together, one per job (six for the outcome).
void write_per_job(writer& w, const model::job_metrics& m) {
  w.family("vigil_job_metrics_enabled", "gauge",
           "1 while per-job series are exported (at most vigil_job_metrics_limit jobs), else 0.");
  w.sample("vigil_job_metrics_enabled", {}, m.enabled ? "1" : "0");
  w.family("vigil_job_metrics_limit", "gauge",
           "The most jobs for which per-job series are exported (metrics_per_job_limit).");
  w.sample("vigil_job_metrics_limit", {}, number(m.limit));

  w.family("vigil_job_last_success_timestamp_seconds", "gauge",
           "When the job's last successful attempt finished, in unix seconds (0: never).");
  for (const auto& r : m.rows)
    w.sample("vigil_job_last_success_timestamp_seconds", {{"job", r.job}},
             number(unix_seconds(r.status.last_success)));
  w.family("vigil_job_last_outcome", "gauge",
           "1 for the outcome of the job's last finished attempt, 0 for the others (all 0 "
           "before its first).");
  for (const auto& r : m.rows)
    for (auto o : {model::run_outcome::succeeded, model::run_outcome::failed,
                   model::run_outcome::timed_out, model::run_outcome::cancelled,
                   model::run_outcome::failed_to_start, model::run_outcome::abandoned})
      w.sample("vigil_job_last_outcome", {{"job", r.job}, {"outcome", model::to_string(o)}},
               r.status.last_outcome == o ? "1" : "0");
  w.family("vigil_job_consecutive_failures", "gauge",
           "Attempts of the job that failed since its last success (cancels do not count).");
  for (const auto& r : m.rows)
    w.sample("vigil_job_consecutive_failures", {{"job", r.job}},
             number(r.status.consecutive_failures));
  w.family("vigil_job_next_fire_timestamp_seconds", "gauge",
           "The job's next due time (nominal time plus jitter), in unix seconds (0: none, e.g. "
           "paused, disabled or no more fires).");
  for (const auto& r : m.rows)
    w.sample("vigil_job_next_fire_timestamp_seconds", {{"job", r.job}},
             number(unix_seconds(r.next_due)));
  w.family("vigil_job_period_seconds", "gauge",
           "The longest gap between the job's nominal times, sampled when it was defined "
           "(absent for a one-shot @at).");
  for (const auto& r : m.rows)
    if (r.period)
      w.sample("vigil_job_period_seconds", {{"job", r.job}},
               number(std::chrono::duration<double>(*r.period).count()));
  w.family("vigil_job_defined_timestamp_seconds", "gauge",
           "When the job was last defined (created or replaced), in unix seconds.");
  for (const auto& r : m.rows)
    w.sample("vigil_job_defined_timestamp_seconds", {{"job", r.job}},
             number(unix_seconds(r.defined_at)));
}

int status_value(model::health_status s) {
  switch (s) {
    case model::health_status::pass:
      return 0;
    case model::health_status::warn:
      return 1;
    case model::health_status::fail:
      break;
  }
  return 2;
}

}  // namespace

request_counters::request_counters(std::vector<std::string> templates)
    : routes_(std::move(templates)) {
  routes_.push_back("other");
  const size_t n = routes_.size() * (codes.size() + 1);
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(n);
  for (size_t i = 0; i < n; ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void request_counters::count(std::string_view path, int status) noexcept {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t route = routes_.size() - 1;
  for (size_t i = 0; i + 1 < routes_.size(); ++i) {
    if (path == routes_[i]) {
      route = i;
      break;
    }
  }
  size_t code = codes.size();
  for (size_t j = 0; j < codes.size(); ++j) {
    if (codes[j] == status) {
      code = j;
      break;
    }
  }
  counts_[route * (codes.size() + 1) + code].fetch_add(1, std::memory_order_relaxed);
}

std::string request_counters::code_label(size_t j) {
  return j < codes.size() ? std::to_string(codes[j]) : "other";
}

uint64_t request_counters::value(size_t route, size_t code) const {
  return counts_[route * (codes.size() + 1) + code].load(std::memory_order_relaxed);
}

std::string render_metrics(const metrics_parts& parts, const request_counters& http) {
  writer w;
  w.family("vigil_build_info", "gauge", "Build information; always 1.");
  w.sample("vigil_build_info", {{"version", VIGIL_VERSION}, {"compiler", VIGIL_COMPILER}}, "1");
  w.family("vigil_up", "gauge", "1 while the daemon answers scrapes.");
  w.sample("vigil_up", {}, "1");

  // Health: the same verdict function as /health, from the health actor's report.
  const auto& v = parts.health.result;
  w.family("vigil_health_status", "gauge",
           "Health verdict per check and overall: 0 pass, 1 warn, 2 fail.");
  for (const auto& c : v.checks)
    w.sample("vigil_health_status", {{"check", c.name}}, number(uint64_t(status_value(c.status))));
  w.sample("vigil_health_status", {{"check", "overall"}}, number(uint64_t(status_value(v.status))));

  const model::snapshot* snap = parts.health.snap.get();
  w.family("vigil_heartbeat_timestamp_seconds", "gauge",
           "When the latest snapshot was taken, in unix seconds (0 before the first).");
  w.sample("vigil_heartbeat_timestamp_seconds", {},
           number(snap ? unix_seconds(snap->last_updated) : 0.0));
  w.family("vigil_tick_interval_seconds", "gauge", "The scheduler's tick interval in seconds.");
  w.sample("vigil_tick_interval_seconds", {},
           number(snap ? std::chrono::duration<double>(snap->tick_interval).count() : 0.0));
  w.family("vigil_snapshot_version", "gauge", "Version of the latest snapshot in this epoch.");
  w.sample("vigil_snapshot_version", {}, number(snap ? snap->version : 0));
  w.family("vigil_log_seq", "gauge", "Sequence number of the last durable event applied.");
  w.sample("vigil_log_seq", {}, number(snap ? snap->log_seq : 0));

  w.family("vigil_scheduler_state", "gauge",
           "1 for the scheduler's current state, 0 for the others.");
  for (auto s : {model::scheduler_status::starting, model::scheduler_status::running,
                 model::scheduler_status::paused, model::scheduler_status::draining,
                 model::scheduler_status::stopped}) {
    w.sample("vigil_scheduler_state", {{"state", model::to_string(s)}},
             snap && snap->status == s ? "1" : "0");
  }
  w.family("vigil_cycles_total", "counter", "Scheduling cycles finished, by outcome.");
  w.sample("vigil_cycles_total", {{"outcome", "succeeded"}},
           number(snap ? snap->cycles.succeeded : 0));
  w.sample("vigil_cycles_total", {{"outcome", "failed"}}, number(snap ? snap->cycles.failed : 0));
  w.family("vigil_journal_writable", "gauge", "1 while the event log takes writes, else 0.");
  w.sample("vigil_journal_writable", {}, snap && snap->journal.ok ? "1" : "0");

  // A cluster node (shared log) only: its role and the lease as it sees them.
  if (snap && snap->cluster.enabled) {
    const auto& cl = snap->cluster;
    w.family("vigil_cluster_role", "gauge",
             "1 for this node's role in the cluster, 0 for the other.");
    for (auto r : {model::cluster_role::leader, model::cluster_role::follower})
      w.sample("vigil_cluster_role", {{"role", model::to_string(r)}}, cl.role == r ? "1" : "0");
    w.family("vigil_cluster_term", "gauge", "The lease's term as this node last read it.");
    w.sample("vigil_cluster_term", {}, number(cl.term));
    w.family("vigil_cluster_lag_events", "gauge",
             "Events in the shared log this node has not folded yet.");
    w.sample("vigil_cluster_lag_events", {}, number(cl.lag_events));
    w.family("vigil_cluster_lag_seconds", "gauge",
             "How long since this node was last at the end of the shared log.");
    w.sample("vigil_cluster_lag_seconds", {}, number(model::to_seconds(cl.lag)));
    w.family("vigil_cluster_leader_silent_seconds", "gauge",
             "How long the lease row has stayed unchanged as this node saw it (0 on the leader).");
    w.sample("vigil_cluster_leader_silent_seconds", {},
             number(model::to_seconds(cl.leader_silent_for)));
    w.family("vigil_cluster_store_reachable", "gauge", "1 while the shared log answers, else 0.");
    w.sample("vigil_cluster_store_reachable", {}, cl.store_reachable ? "1" : "0");
    w.family("vigil_lease_round_trip_seconds", "gauge",
             "The last lease round trip (a renewal on the leader, a read on a follower).");
    w.sample("vigil_lease_round_trip_seconds", {}, number(cl.renew_seconds));
    w.family("vigil_lease_takeovers_total", "counter", "Terms this process took the lease for.");
    w.sample("vigil_lease_takeovers_total", {}, number(cl.takeovers_total));
  }

  // Jobs: counts and counters from the snapshot (O(1) however many jobs exist).
  const model::jobs_summary none;
  const auto& jobs = snap ? snap->jobs : none;
  w.family("vigil_jobs", "gauge", "Jobs defined, and how many of them are paused or disabled.");
  w.sample("vigil_jobs", {{"state", "defined"}}, number(jobs.total));
  w.sample("vigil_jobs", {{"state", "paused"}}, number(jobs.paused));
  w.sample("vigil_jobs", {{"state", "disabled"}}, number(jobs.disabled));
  w.family("vigil_jobs_overdue", "gauge",
           "Jobs due beyond their misfire grace with no decision recorded (fails /health).");
  w.sample("vigil_jobs_overdue", {}, number(jobs.overdue));
  w.family("vigil_runs", "gauge", "Runs not finished, by status.");
  w.sample("vigil_runs", {{"status", "starting"}}, number(jobs.runs_starting));
  w.sample("vigil_runs", {{"status", "running"}}, number(jobs.runs_running));
  w.sample("vigil_runs", {{"status", "buffered"}}, number(jobs.runs_buffered));
  w.sample("vigil_runs", {{"status", "retry_wait"}}, number(jobs.runs_retry_wait));
  w.family("vigil_decisions_total", "counter",
           "Nominal times decided, by kind (a range decision counts each time it covers).");
  w.sample("vigil_decisions_total", {{"kind", "fired"}}, number(jobs.totals.fired));
  w.sample("vigil_decisions_total", {{"kind", "skipped"}}, number(jobs.totals.skipped));
  w.sample("vigil_decisions_total", {{"kind", "buffered"}}, number(jobs.totals.buffered));
  w.sample("vigil_decisions_total", {{"kind", "missed"}}, number(jobs.totals.missed));
  w.family("vigil_runs_total", "counter", "Run attempts finished, by outcome.");
  w.sample("vigil_runs_total", {{"outcome", "succeeded"}}, number(jobs.totals.succeeded));
  w.sample("vigil_runs_total", {{"outcome", "failed"}}, number(jobs.totals.failed));
  w.sample("vigil_runs_total", {{"outcome", "timed_out"}}, number(jobs.totals.timed_out));
  w.sample("vigil_runs_total", {{"outcome", "cancelled"}}, number(jobs.totals.cancelled));
  w.sample("vigil_runs_total", {{"outcome", "failed_to_start"}},
           number(jobs.totals.failed_to_start));
  w.sample("vigil_runs_total", {{"outcome", "abandoned"}}, number(jobs.totals.abandoned));
  w.family("vigil_run_retries_total", "counter", "Retries scheduled after failed attempts.");
  w.sample("vigil_run_retries_total", {}, number(jobs.totals.retries));
  w.histogram("vigil_run_duration_seconds",
              "How long finished run attempts ran (since this process started).", jobs.durations);
  // Per job, bounded: every job's series while at most the cap exist, none beyond it.
  write_per_job(w, parts.jobs);

  // Journal: its own counters.
  w.histogram("vigil_journal_append_seconds", "Duration of one commit to the event log.",
              parts.journal.append_seconds);
  w.histogram("vigil_journal_batch_events", "Events written per commit (group commit size).",
              parts.journal.batch_events);
  w.family("vigil_journal_append_errors_total", "counter", "Commits to the event log that failed.");
  w.sample("vigil_journal_append_errors_total", {}, number(parts.journal.append_errors_total));

  // Streams: the hub's counters.
  const auto& s = parts.streams;
  w.family("vigil_stream_clients", "gauge", "Connected stream clients, by stream.");
  w.sample("vigil_stream_clients", {{"stream", "snapshots"}}, number(s.snapshot_clients));
  w.sample("vigil_stream_clients", {{"stream", "events"}}, number(s.event_clients));
  w.sample("vigil_stream_clients", {{"stream", "console"}}, number(s.console_clients));
  w.family("vigil_stream_coalesced_total", "counter",
           "Snapshots replaced before delivery, over all stream clients.");
  w.sample("vigil_stream_coalesced_total", {}, number(s.coalesced_total));
  w.family("vigil_stream_refused_total", "counter", "Streams refused at the client cap.");
  w.sample("vigil_stream_refused_total", {}, number(s.refused_total));
  w.family("vigil_stream_disconnects_total", "counter", "Stream clients disconnected, by reason.");
  w.sample("vigil_stream_disconnects_total", {{"reason", "write_failed"}},
           number(s.disconnected_write_failed));
  w.sample("vigil_stream_disconnects_total", {{"reason", "too_slow"}},
           number(s.disconnected_too_slow));
  w.sample("vigil_stream_disconnects_total", {{"reason", "shutdown"}},
           number(s.disconnected_shutdown));

  // HTTP: the fixed table.
  w.family("vigil_http_requests_total", "counter",
           "HTTP responses sent, by route template and status code.");
  for (size_t r = 0; r < http.route_count(); ++r)
    for (size_t c = 0; c <= request_counters::codes.size(); ++c)
      w.sample("vigil_http_requests_total",
               {{"route", http.route(r)}, {"code", request_counters::code_label(c)}},
               number(http.value(r, c)));
  return w.take();
}

}  // namespace vigil::http
