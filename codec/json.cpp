// JSON encoding and decoding of model types with nlohmann/json.
#include "codec/json.hpp"

#include <nlohmann/json.hpp>

#include "codec/event_body.hpp"
#include "codec/job_events.hpp"
#include "codec/job_views.hpp"
#include "codec/json_writer.hpp"
#include "model/jobs.hpp"

namespace vigil::codec {
namespace {

using nlohmann::json;
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
  if (c.observed_text.empty()) w.value(c.observed_value);
  else w.value(c.observed_text);
  w.key("observedUnit").value(c.observed_unit);
  w.key("time").value(time);
  w.key("thresholds").begin_object();
  if (c.warn_threshold) w.key("warn").value(*c.warn_threshold);
  if (c.fail_threshold) w.key("fail").value(*c.fail_threshold);
  w.end_object();
  if (!c.output.empty()) w.key("output").value(c.output);
  w.end_object().end_array();
}

std::optional<model::wall_time> time_field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return model::parse_rfc3339(it->get<std::string>());
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

/// Brings an event body of an older schema version up to the current one, step by step.
/// Both event types share their history so far.
void upgrade_event(json& body, int schema_version) {
  if (schema_version < 2) body["by"] = "unknown";  // v1 did not record who asked
}

/// The scheduler's own events share one shape: {at, by, reason}.
template <class E>
constexpr bool is_scheduler_event =
    std::is_same_v<E, model::scheduler_paused> || std::is_same_v<E, model::scheduler_resumed>;

std::string encode_event(const model::event& e) {
  std::string job_body;
  if (encode_job_event(e, job_body)) return job_body;
  // Keys in sorted order, as nlohmann wrote them when the log began: bodies stay byte-stable.
  return std::visit(
      [](const auto& ev) -> std::string {
        if constexpr (!is_scheduler_event<std::decay_t<decltype(ev)>>) {
          return {};
        } else {
        std::string out;
        out.reserve(48 + ev.reason.size() + ev.by.size());
        json_writer w{out};
        w.begin_object();
        w.key("at").value(format_rfc3339(ev.at));
        w.key("by").value(ev.by);
        w.key("reason").value(ev.reason);
        w.end_object();
        return out;
        }
      },
      e);
}

std::optional<model::event> decode_event(std::string_view type, int schema_version,
                                         std::string_view body) {
  if (schema_version < 1 || schema_version > model::event_schema_version) return std::nullopt;
  if (type != "scheduler_paused" && type != "scheduler_resumed")
    return decode_event_reference(type, schema_version, body);
  thread_local flat_body fields;
  if (!parse_flat_body(body, fields)) return decode_event_reference(type, schema_version, body);
  if (schema_version < 2) {  // as upgrade_event
    fields.by = "unknown";
    fields.has_by = true;
  }
  if (!fields.has_reason || !fields.has_by || !fields.has_at) return std::nullopt;
  const auto at = model::parse_rfc3339(fields.at);
  if (!at) return std::nullopt;
  if (type == "scheduler_paused") return model::scheduler_paused{fields.reason, *at, fields.by};
  if (type == "scheduler_resumed") return model::scheduler_resumed{fields.reason, *at, fields.by};
  return std::nullopt;
}

std::optional<model::event> decode_event_reference(std::string_view type, int schema_version,
                                                   std::string_view body) {
  if (schema_version < 1 || schema_version > model::event_schema_version) return std::nullopt;
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  if (type != "scheduler_paused" && type != "scheduler_resumed")
    return decode_job_event(type, schema_version, j);
  upgrade_event(j, schema_version);
  if (!j.contains("reason") || !j["reason"].is_string() || !j.contains("by") ||
      !j["by"].is_string())
    return std::nullopt;
  const auto at = time_field(j, "at");
  if (!at) return std::nullopt;
  std::string reason = j["reason"].get<std::string>();
  std::string by = j["by"].get<std::string>();
  if (type == "scheduler_paused") return model::scheduler_paused{std::move(reason), *at, std::move(by)};
  if (type == "scheduler_resumed")
    return model::scheduler_resumed{std::move(reason), *at, std::move(by)};
  return std::nullopt;
}

std::string encode_state(const model::state& s) {
  std::string out;
  out.reserve(256 + s.jobs.size() * 1024 + s.runs.size() * 320);
  json_writer w{out};
  w.begin_object();
  w.key("paused").value(s.paused).key("paused_since").time(s.paused_since);
  w.key("pause_reason").value(s.pause_reason).key("paused_by").value(s.paused_by);
  w.key("log_seq").value(s.log_seq);
  // Retried runs keep their earlier attempts from this format on; before it, they did not.
  w.key("attempts_kept").value(true);
  write_jobs_part(w, s);
  w.end_object();
  return out;
}

std::optional<model::state> decode_state(std::string_view body, std::string* why) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  model::state s;
  auto paused = j.find("paused");
  auto reason = j.find("pause_reason");
  auto seq = j.find("log_seq");
  if (paused == j.end() || !paused->is_boolean() || reason == j.end() || !reason->is_string() ||
      seq == j.end() || !seq->is_number_unsigned())
    return std::nullopt;
  s.paused = paused->get<bool>();
  s.pause_reason = reason->get<std::string>();
  s.log_seq = seq->get<uint64_t>();
  // Checkpoints written before `by` existed (event schema v1) read like v1 events.
  auto by = j.find("paused_by");
  if (by != j.end() && !by->is_string()) return std::nullopt;
  s.paused_by = by != j.end() ? by->get<std::string>() : (s.paused ? "unknown" : "");
  auto since = j.find("paused_since");
  if (since != j.end() && !since->is_null()) {
    s.paused_since = time_field(j, "paused_since");
    if (!s.paused_since) return std::nullopt;  // present but unreadable
  }
  // Only states that apply() can produce: paused <=> paused_since, no reason unless paused.
  if (s.paused != s.paused_since.has_value()) return std::nullopt;
  if (!s.paused && (!s.pause_reason.empty() || !s.paused_by.empty())) return std::nullopt;
  if (!decode_jobs_part(j, s)) return std::nullopt;
  if (!j.contains("attempts_kept")) {
    // Written before retried runs kept their earlier attempts: with a retried run in it, it
    // holds less than the log (checkpoint + tail would differ from a full replay).
    for (const auto& [id, r] : s.runs)
      if (r.attempt > 1) {
        if (why) *why = "written before earlier attempts were kept, and run " + id + " was retried";
        return std::nullopt;
      }
  }
  model::rebuild_derived(s);
  return s;
}

}  // namespace vigil::codec
