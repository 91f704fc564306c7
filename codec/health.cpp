// The snapshot, the /health report (one snapshot's parts written once, shared by probes) and
// the cluster view, all with json_writer: /health answers tens of thousands of probes a second.
#include "codec/health.hpp"

#include "codec/job_views.hpp"
#include "codec/json_writer.hpp"

namespace vigil::codec {
namespace {

using model::format_rfc3339;
using model::to_seconds;

/// The "scheduler" object, shared by snapshots, streams and /health.
void write_scheduler(json_writer& w, const model::snapshot& s) {
  const auto& c = s.cycles;
  w.begin_object();
  w.key("state").value(model::to_string(s.status));
  w.key("tick_interval_seconds").value(to_seconds(s.tick_interval));
  w.key("cycles").begin_object();
  w.key("total").value(c.total).key("succeeded").value(c.succeeded);
  w.key("failed").value(c.failed).end_object();
  w.key("consecutive_failures").value(uint64_t{c.consecutive_failures});
  w.key("last_cycle_started").time(c.last_started);
  w.key("last_cycle_finished").time(c.last_finished);
  w.key("last_success").time(c.last_success);
  w.key("last_error").text_or_null(c.last_error);
  w.key("paused").value(s.paused_since.has_value());
  w.key("paused_since").time(s.paused_since);
  w.key("pause_reason").text_or_null(s.pause_reason);
  w.key("paused_by").text_or_null(s.paused_by);
  w.end_object();
}

/// The "journal" object: whether the event log takes writes.
void write_journal(json_writer& w, const model::journal_status& j) {
  w.begin_object();
  w.key("writable").value(j.ok);
  w.key("error").text_or_null(j.error);
  w.key("failing_since").time(j.failing_since);
  w.end_object();
}

/// The "jobs" object: counts and counters, the same size however many jobs exist.
void write_jobs(json_writer& w, const model::jobs_summary& j) {
  w.begin_object();
  w.key("total").value(j.total).key("paused").value(j.paused).key("disabled").value(j.disabled);
  w.key("overdue").value(j.overdue).key("next_due").time(j.next_due);
  w.key("runs").begin_object();
  w.key("starting").value(j.runs_starting).key("running").value(j.runs_running);
  w.key("buffered").value(j.runs_buffered).key("retry_wait").value(j.runs_retry_wait);
  w.end_object();
  write_counter_members(w, j.totals);
  w.end_object();
}

/// The "cluster" object, on a shared log only: role, the leader followed, lag, the store.
void write_cluster(json_writer& w, const model::cluster_status& c) {
  w.begin_object();
  w.key("role").value(model::to_string(c.role)).key("term").value(c.term);
  w.key("leader");
  if (c.leader_node.empty()) {
    w.null();
  } else {
    w.begin_object();
    w.key("node").value(c.leader_node).key("url").text_or_null(c.leader_url);
    w.key("term").value(c.term).end_object();
  }
  w.key("leader_silent_seconds").value(model::to_seconds(c.leader_silent_for));
  w.key("lag").begin_object();
  w.key("events").value(c.lag_events).key("seconds").value(model::to_seconds(c.lag));
  w.end_object();
  w.key("store").begin_object();
  w.key("reachable").value(c.store_reachable).key("error").text_or_null(c.store_error);
  w.end_object();
  w.key("lease_ttl_seconds").value(model::to_seconds(c.lease_ttl));
  w.key("takeovers_total").value(c.takeovers_total);
  w.end_object();
}

void write_check(json_writer& w, const model::health_check& c, const std::string& time) {
  w.key(c.name).begin_array().begin_object();
  w.key("status").value(model::to_string(c.status));
  w.key("observedValue");
  if (c.observed_text.empty())
    w.value(c.observed_value);
  else
    w.value(c.observed_text);
  w.key("observedUnit").value(c.observed_unit);
  w.key("time").value(time);
  w.key("thresholds").begin_object();
  if (c.warn_threshold) w.key("warn").value(*c.warn_threshold);
  if (c.fail_threshold) w.key("fail").value(*c.fail_threshold);
  w.end_object();
  if (!c.output.empty()) w.key("output").value(c.output);
  w.end_object().end_array();
}

}  // namespace

std::string encode_snapshot(const model::snapshot& snap) {
  std::string out;
  out.reserve(640);
  json_writer w{out};
  w.begin_object();
  w.key("node").value(snap.node).key("epoch").value(snap.epoch);
  w.key("version").value(snap.version).key("log_seq").value(snap.log_seq);
  w.key("last_updated").value(format_rfc3339(snap.last_updated));
  w.key("started_at").value(format_rfc3339(snap.started_at));
  w.key("scheduler");
  write_scheduler(w, snap);
  w.key("journal");
  write_journal(w, snap.journal);
  w.key("jobs");
  write_jobs(w, snap.jobs);
  if (snap.cluster.enabled) {
    w.key("cluster");
    write_cluster(w, snap.cluster);
  }
  w.end_object();
  return out;
}

std::string health_encoder::encode(const model::health_report& r) {
  if (r.snap != cached_) {
    cached_ = r.snap;
    scheduler_.clear();
    journal_.clear();
    jobs_.clear();
    cluster_.clear();
    if (r.snap) {
      if (r.snap->cluster.enabled) {
        json_writer cw{cluster_};
        write_cluster(cw, r.snap->cluster);
      }
      json_writer sw{scheduler_};
      write_scheduler(sw, *r.snap);
      json_writer jw{journal_};
      write_journal(jw, r.snap->journal);
      json_writer bw{jobs_};
      write_jobs(bw, r.snap->jobs);
      last_updated_ = format_rfc3339(r.snap->last_updated);
      started_at_ = format_rfc3339(r.snap->started_at);
    }
  }
  const std::string time = format_rfc3339(r.time);
  std::string out;
  out.reserve(1400);
  json_writer w{out};
  w.begin_object();
  w.key("status").value(model::to_string(r.result.status));
  w.key("time").value(time);
  w.key("live").value(r.result.live).key("ready").value(r.result.ready);
  if (r.snap) {
    w.key("node").value(r.snap->node);
    w.key("last_updated").value(last_updated_);
    w.key("snapshot").begin_object();
    w.key("epoch").value(r.snap->epoch).key("version").value(r.snap->version);
    w.key("log_seq").value(r.snap->log_seq).key("taken_at").value(last_updated_);
    w.key("started_at").value(started_at_);
    w.key("age_seconds").value(to_seconds(r.age));
    w.end_object();
  } else {
    w.key("last_updated").null().key("snapshot").null();
  }
  w.key("checks").begin_object();
  for (const auto& c : r.result.checks) write_check(w, c, time);
  w.end_object();
  if (r.snap)
    w.key("scheduler").raw(scheduler_).key("journal").raw(journal_).key("jobs").raw(jobs_);
  if (!cluster_.empty()) w.key("cluster").raw(cluster_);
  w.end_object();
  return out;
}

std::string encode_health(const model::health_report& report) {
  return health_encoder{}.encode(report);
}

std::string encode_cluster_view(const model::cluster_view& v) {
  std::string out;
  json_writer w{out};
  w.begin_object();
  w.key("clustered").value(v.clustered).key("observer").value(v.observer);
  if (v.clustered) {
    w.key("term").value(v.term).key("leader");
    if (v.leader_node.empty()) {
      w.null();
    } else {
      w.begin_object().key("node").value(v.leader_node).key("url").text_or_null(v.leader_url);
      w.key("term").value(v.term).end_object();
    }
    w.key("log_end").value(v.log_end);
    w.key("lease_ttl_seconds").value(model::to_seconds(v.lease_ttl));
  }
  w.key("nodes").begin_array();
  for (const auto& member : v.nodes) {
    const auto& n = member.record;
    w.begin_object();
    w.key("node").value(n.node).key("role").value(n.role).key("epoch").value(n.epoch);
    w.key("url").value(n.url).key("version").value(n.version);
    w.key("log_seq").value(n.log_seq);
    w.key("lag_events").value(v.log_end > n.log_seq ? v.log_end - n.log_seq : uint64_t{0});
    w.key("last_seen_seconds").value(model::to_seconds(member.last_seen));
    w.key("clock_skew_ms").value(static_cast<double>(n.clock_skew_ms));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return out;
}

}  // namespace vigil::codec
