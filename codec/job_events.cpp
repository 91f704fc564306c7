// Encoding of job and run events (json_writer, keys sorted for byte-stable bodies) and their
// decoding with nlohmann; the jobs part of checkpoints.
#include "codec/job_events.hpp"
#include "model/overloaded.hpp"

#include "codec/job_json_internal.hpp"
#include "codec/json_writer.hpp"
#include "model/job_status.hpp"

namespace vigil::codec {
namespace {

using nlohmann::json;
using model::format_rfc3339;
using model::overloaded;

/// The job a run belongs to: its id up to '@' (job ids cannot contain '@'). Written into run
/// event bodies so that stream filters by job see them; never read back.

void write_strings(json_writer& w, const std::vector<std::string>& v) {
  w.begin_array();
  for (const auto& s : v) w.value(s);
  w.end_array();
}

void write_opt_int(json_writer& w, const std::optional<int>& v) {
  if (!v) {
    w.null();
  } else if (*v < 0) {
    w.raw(std::to_string(*v));
  } else {
    w.value(static_cast<uint64_t>(*v));
  }
}

void write_containment(json_writer& w, const model::containment& c) {
  w.begin_object().key("cgroup").value(c.cgroup);
  w.key("pgid").value(static_cast<uint64_t>(c.pgid < 0 ? 0 : c.pgid));
  w.key("start_time").value(c.start_time).end_object();
}

// ---- reading helpers: every field checked, nothing thrown ----

bool get(const json& j, const char* k, std::string& out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool get(const json& j, const char* k, model::wall_time& out) {
  std::string s;
  if (!get(j, k, s)) return false;
  auto t = model::parse_rfc3339(s);
  if (!t) return false;
  out = *t;
  return true;
}

bool get(const json& j, const char* k, std::optional<model::wall_time>& out) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) {
    out.reset();
    return true;
  }
  model::wall_time t;
  if (!get(j, k, t)) return false;
  out = t;
  return true;
}

template <class N>
bool get_uint(const json& j, const char* k, N& out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number_unsigned()) return false;
  out = static_cast<N>(it->get<uint64_t>());
  return true;
}

bool get(const json& j, const char* k, bool& out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_boolean()) return false;
  out = it->get<bool>();
  return true;
}

/// Optional: bodies and checkpoints from before containment was recorded have none.
bool get_containment(const json& j, std::optional<model::containment>& out) {
  auto it = j.find("containment");
  if (it == j.end() || it->is_null()) {
    out.reset();
    return true;
  }
  model::containment c;
  if (!it->is_object() || !get(*it, "cgroup", c.cgroup) || !get_uint(*it, "pgid", c.pgid) ||
      !get_uint(*it, "start_time", c.start_time))
    return false;
  out = std::move(c);
  return true;
}

bool get(const json& j, const char* k, std::optional<int>& out) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) {
    out.reset();
    return true;
  }
  if (!it->is_number_integer()) return false;
  out = it->get<int>();
  return true;
}

bool get(const json& j, const char* k, std::vector<std::string>& out) {
  auto it = j.find(k);
  if (it == j.end()) {
    out.clear();
    return true;
  }
  if (!it->is_array()) return false;
  out.clear();
  for (const auto& x : *it) {
    if (!x.is_string()) return false;
    out.push_back(x.get<std::string>());
  }
  return true;
}

/// A [first, last] pair of times, first not after last.
bool get_range(const json& r, std::pair<model::wall_time, model::wall_time>& out) {
  if (!r.is_array() || r.size() != 2 || !r[0].is_string() || !r[1].is_string()) return false;
  const auto first = model::parse_rfc3339(r[0].get<std::string>());
  const auto last = model::parse_rfc3339(r[1].get<std::string>());
  if (!first || !last || *last < *first) return false;
  out = {*first, *last};
  return true;
}

/// Optional: checkpoints from before backfill, and jobs never backfilled, have none. Sorted
/// and disjoint, as apply keeps them, or refused.
bool get_ranges(const json& x, const char* k,
                std::vector<std::pair<model::wall_time, model::wall_time>>& out) {
  out.clear();
  auto it = x.find(k);
  if (it == x.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& r : *it) {
    std::pair<model::wall_time, model::wall_time> range;
    if (!get_range(r, range) || (!out.empty() && range.first <= out.back().second)) return false;
    out.push_back(range);
  }
  return true;
}

bool get_spec(const json& j, const char* k, std::shared_ptr<const model::job_spec>& out) {
  auto it = j.find(k);
  if (it == j.end()) return false;
  auto spec = decode_job_spec_value(*it, "/spec");
  if (!std::holds_alternative<model::job_spec>(spec)) return false;
  out = std::make_shared<const model::job_spec>(std::get<model::job_spec>(std::move(spec)));
  return true;
}

bool get_output(const json& j, std::shared_ptr<const std::string>& out) {
  std::string s;
  if (!get(j, "output", s)) return false;
  out = s.empty() ? nullptr : std::make_shared<const std::string>(std::move(s));
  return true;
}

/// A v2 decision in v3 terms. v2 bodies had a reason string and no origin or cursor; v2's
/// apply moved the cursor to `last` when the decision was for the next nominal time owed,
/// which the schedule's own decisions always were when they were made. From the reason:
/// manual is a manual run (no cursor); schedule, catchup, paused and misfire are the
/// schedule's (cursor to last). A skip (overlap, buffer_full) is the schedule's unless it was
/// decided at its own nominal time, as a manual one always is: then the body cannot tell, and
/// model::settle_upgraded decides as v2 did, before apply (legacy_cursor).
void upgrade_decision_v2(model::fire_decided& ev) {
  using model::decision_origin;
  using model::decision_reason;
  switch (ev.reason) {
    case decision_reason::manual:
    case decision_reason::backfill:  // no v2 body has it; a crafted one owes no cursor either
      ev.origin = ev.reason == decision_reason::manual ? decision_origin::manual
                                                        : decision_origin::backfill;
      return;
    case decision_reason::catchup:
      ev.origin = decision_origin::catchup;
      break;
    case decision_reason::overlap:
    case decision_reason::buffer_full:
      if (ev.nominal == ev.at) {
        ev.origin = decision_origin::manual;
        ev.legacy_cursor = true;
        return;
      }
      ev.origin = decision_origin::schedule;
      break;
    case decision_reason::schedule:
    case decision_reason::paused:
    case decision_reason::misfire:
      ev.origin = decision_origin::schedule;
      break;
  }
  ev.cursor = ev.last;
}

int64_t get_ns(const json& j, const char* k, bool& ok) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number_integer()) {
    ok = false;
    return 0;
  }
  return it->get<int64_t>();
}

}  // namespace

bool encode_job_event(const model::event& e, std::string& out) {
  json_writer w{out};
  return std::visit(
      overloaded{
          [](const model::scheduler_paused&) { return false; },
          [](const model::scheduler_resumed&) { return false; },
          [&](const model::job_defined& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at)).key("by").value(ev.by);
            w.key("created").value(ev.created).key("spec");
            write_job_spec(w, *ev.spec);
            w.end_object();
            return true;
          },
          [&](const model::job_removed& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at)).key("by").value(ev.by);
            w.key("cancels");
            write_strings(w, ev.cancels);
            w.key("job").value(ev.job).end_object();
            return true;
          },
          [&](const model::job_paused& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at)).key("by").value(ev.by);
            w.key("job").value(ev.job).key("reason").value(ev.reason).end_object();
            return true;
          },
          [&](const model::job_resumed& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at)).key("by").value(ev.by);
            w.key("job").value(ev.job).key("reason").value(ev.reason).end_object();
            return true;
          },
          [&](const model::fire_decided& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("cancels");
            write_strings(w, ev.cancels);
            w.key("count").value(ev.count);
            if (ev.covers)
              w.key("covers").begin_array().value(format_rfc3339(ev.covers->first))
                  .value(format_rfc3339(ev.covers->second)).end_array();
            w.key("cursor").time(ev.cursor).key("job").value(ev.job);
            w.key("kind").value(model::to_string(ev.kind));
            w.key("last").value(format_rfc3339(ev.last));
            w.key("nominal").value(format_rfc3339(ev.nominal));
            w.key("origin").value(model::to_string(ev.origin));
            w.key("reason").value(model::to_string(ev.reason));
            w.key("run_id").value(ev.run_id).end_object();
            return true;
          },
          [&](const model::run_dispatched& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("attempt").value(uint64_t{ev.attempt}).key("job").value(model::job_of_run(ev.run_id));
            w.key("reason").value(ev.reason).key("run_id").value(ev.run_id).end_object();
            return true;
          },
          [&](const model::run_started& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            if (ev.contained) {
              w.key("containment");
              write_containment(w, *ev.contained);
            }
            w.key("job").value(model::job_of_run(ev.run_id));
            w.key("pid").value(static_cast<uint64_t>(ev.pid < 0 ? 0 : ev.pid));
            w.key("run_id").value(ev.run_id).end_object();
            return true;
          },
          [&](const model::run_finished& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("elapsed_ns").value(static_cast<uint64_t>(ev.elapsed.count() < 0 ? 0 : ev.elapsed.count()));
            w.key("error").value(ev.error).key("exit_code");
            write_opt_int(w, ev.exit_code);
            w.key("job").value(model::job_of_run(ev.run_id));
            w.key("outcome").value(model::to_string(ev.outcome));
            w.key("output").value(ev.output ? std::string_view{*ev.output} : std::string_view{});
            w.key("output_bytes").value(ev.output_bytes).key("run_id").value(ev.run_id);
            w.key("signal");
            write_opt_int(w, ev.signal);
            w.key("truncated").value(ev.truncated).end_object();
            return true;
          },
          [&](const model::retry_scheduled& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("attempt").value(uint64_t{ev.attempt});
            w.key("due").value(format_rfc3339(ev.due)).key("job").value(model::job_of_run(ev.run_id));
            w.key("run_id").value(ev.run_id).end_object();
            return true;
          },
          [&](const model::runs_compacted& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("decisions_dropped").value(ev.decisions_dropped).key("job").value(ev.job);
            w.key("run_ids");
            write_strings(w, ev.run_ids);
            w.end_object();
            return true;
          }},
      e);
}

std::optional<model::event> decode_job_event(std::string_view type, int schema_version,
                                             const json& j) {
  if (!j.is_object()) return std::nullopt;
  if (type == "job_defined") {
    model::job_defined ev;
    if (get(j, "at", ev.at) && get(j, "by", ev.by) && get(j, "created", ev.created) &&
        get_spec(j, "spec", ev.spec))
      return ev;
  } else if (type == "job_removed") {
    model::job_removed ev;
    if (get(j, "at", ev.at) && get(j, "by", ev.by) && get(j, "job", ev.job) &&
        get(j, "cancels", ev.cancels))
      return ev;
  } else if (type == "job_paused" || type == "job_resumed") {
    std::string job, reason, by;
    model::wall_time at;
    if (!(get(j, "at", at) && get(j, "by", by) && get(j, "job", job) && get(j, "reason", reason)))
      return std::nullopt;
    if (type == "job_paused") return model::job_paused{job, reason, at, by};
    return model::job_resumed{job, reason, at, by};
  } else if (type == "fire_decided") {
    model::fire_decided ev;
    std::string kind, reason;
    if (!(get(j, "at", ev.at) && get(j, "cancels", ev.cancels) && get_uint(j, "count", ev.count) &&
          get(j, "job", ev.job) && get(j, "kind", kind) && get(j, "last", ev.last) &&
          get(j, "nominal", ev.nominal) && get(j, "reason", reason) && get(j, "run_id", ev.run_id)))
      return std::nullopt;
    auto k = model::parse_decision_kind(kind);
    auto r = model::parse_decision_reason(reason);
    if (!k || !r) return std::nullopt;
    ev.kind = *k;
    ev.reason = *r;
    if (schema_version < 3) {
      upgrade_decision_v2(ev);
      return ev;
    }
    std::string origin;
    if (!j.contains("cursor") || !get(j, "cursor", ev.cursor) || !get(j, "origin", origin))
      return std::nullopt;
    auto o = model::parse_decision_origin(origin);
    if (!o) return std::nullopt;
    ev.origin = *o;
    if (auto c = j.find("covers"); c != j.end()) {
      std::pair<model::wall_time, model::wall_time> range;
      if (!get_range(*c, range)) return std::nullopt;
      ev.covers = range;
    }
    return ev;
  } else if (type == "run_dispatched") {
    model::run_dispatched ev;
    if (get(j, "at", ev.at) && get_uint(j, "attempt", ev.attempt) && get(j, "reason", ev.reason) &&
        get(j, "run_id", ev.run_id))
      return ev;
  } else if (type == "run_started") {
    model::run_started ev;
    if (get(j, "at", ev.at) && get_uint(j, "pid", ev.pid) && get(j, "run_id", ev.run_id) &&
        get_containment(j, ev.contained))
      return ev;
  } else if (type == "run_finished") {
    model::run_finished ev;
    std::string outcome;
    bool ok = true;
    ev.elapsed = model::duration{get_ns(j, "elapsed_ns", ok)};
    if (ok && get(j, "at", ev.at) && get(j, "error", ev.error) &&
        get(j, "exit_code", ev.exit_code) && get(j, "outcome", outcome) && get_output(j, ev.output) &&
        get_uint(j, "output_bytes", ev.output_bytes) && get(j, "run_id", ev.run_id) &&
        get(j, "signal", ev.signal) && get(j, "truncated", ev.truncated)) {
      auto o = model::parse_run_outcome(outcome);
      if (!o) return std::nullopt;
      ev.outcome = *o;
      return ev;
    }
  } else if (type == "retry_scheduled") {
    model::retry_scheduled ev;
    if (get(j, "at", ev.at) && get_uint(j, "attempt", ev.attempt) && get(j, "due", ev.due) &&
        get(j, "run_id", ev.run_id))
      return ev;
  } else if (type == "runs_compacted") {
    model::runs_compacted ev;
    if (get(j, "at", ev.at) && get_uint(j, "decisions_dropped", ev.decisions_dropped) &&
        get(j, "job", ev.job) && get(j, "run_ids", ev.run_ids))
      return ev;
  }
  return std::nullopt;
}

// ---- checkpoints ----

namespace {



bool read_counters(const json& j, model::job_counters& c) {
  return j.is_object() && get_uint(j, "fired", c.fired) && get_uint(j, "skipped", c.skipped) &&
         get_uint(j, "buffered", c.buffered) && get_uint(j, "missed", c.missed) &&
         get_uint(j, "succeeded", c.succeeded) && get_uint(j, "failed", c.failed) &&
         get_uint(j, "timed_out", c.timed_out) && get_uint(j, "cancelled", c.cancelled) &&
         get_uint(j, "failed_to_start", c.failed_to_start) &&
         get_uint(j, "abandoned", c.abandoned) && get_uint(j, "retries", c.retries);
}

bool read_strings(const json& j, const char* k, std::vector<std::string>& out) {
  return j.contains(k) && get(j, k, out);
}

bool read_status(const json& j, model::job_status& st) {
  if (!j.is_object() || !get(j, "last_finished", st.last_finished) ||
      !get(j, "last_success", st.last_success) || !get(j, "last_failure", st.last_failure) ||
      !get_uint(j, "consecutive_failures", st.consecutive_failures))
    return false;
  std::string outcome;
  auto o = j.find("last_outcome");
  if (o != j.end() && !o->is_null()) {
    if (!get(j, "last_outcome", outcome)) return false;
    st.last_outcome = model::parse_run_outcome(outcome);
    if (!st.last_outcome) return false;
  }
  auto d = j.find("last_duration_ns");
  if (d != j.end() && !d->is_null()) {
    bool ok = true;
    st.last_duration = model::duration{get_ns(j, "last_duration_ns", ok)};
    if (!ok) return false;
  }
  return true;
}

}  // namespace

namespace {

void write_counters(json_writer& w, const model::job_counters& c) {
  w.begin_object();
  w.key("fired").value(c.fired).key("skipped").value(c.skipped);
  w.key("buffered").value(c.buffered).key("missed").value(c.missed);
  w.key("succeeded").value(c.succeeded).key("failed").value(c.failed);
  w.key("timed_out").value(c.timed_out).key("cancelled").value(c.cancelled);
  w.key("failed_to_start").value(c.failed_to_start).key("abandoned").value(c.abandoned);
  w.key("retries").value(c.retries);
  w.end_object();
}

void write_opt_time(json_writer& w, const char* k, const std::optional<model::wall_time>& t) {
  w.key(k).time(t);
}

/// A retried run's earlier attempts, in a checkpoint (absent when there are none).
void write_earlier(json_writer& w, const std::vector<model::attempt_record>& earlier) {
  w.key("earlier").begin_array();
  for (const auto& a : earlier) {
    w.begin_object().key("attempt").value(uint64_t{a.attempt});
    w.key("status").value(model::to_string(a.ended));
    write_opt_time(w, "started_at", a.started_at);
    write_opt_time(w, "finished_at", a.finished_at);
    w.key("exit_code");
    write_opt_int(w, a.exit_code);
    w.key("signal");
    write_opt_int(w, a.signal);
    w.key("elapsed_ns").raw(std::to_string(a.elapsed.count()));
    w.key("error").value(a.error).end_object();
  }
  w.end_array();
}

void write_status(json_writer& w, const model::job_status& st) {
  w.begin_object();
  w.key("consecutive_failures").value(st.consecutive_failures);
  w.key("last_duration_ns");
  if (st.last_duration) w.raw(std::to_string(st.last_duration->count()));
  else w.null();
  write_opt_time(w, "last_failure", st.last_failure);
  write_opt_time(w, "last_finished", st.last_finished);
  w.key("last_outcome");
  if (st.last_outcome) w.value(model::to_string(*st.last_outcome));
  else w.null();
  write_opt_time(w, "last_success", st.last_success);
  w.end_object();
}

}  // namespace

void write_jobs_part(json_writer& w, const model::state& s) {
  // Streamed, not built as a tree: a checkpoint of 100k jobs is tens of megabytes.
  write_opt_time(w, "held_from", s.held_from);
  write_opt_time(w, "held_until", s.held_until);
  w.key("totals");
  write_counters(w, s.totals);
  w.key("jobs").begin_array();
  for (const auto& [id, cell] : s.jobs) {
    const model::job_state& j = cell;
    w.begin_object();
    w.key("spec");
    write_job_spec(w, *j.spec);
    w.key("revision").value(j.revision);
    w.key("created_at").value(format_rfc3339(j.created_at));
    w.key("updated_at").value(format_rfc3339(j.updated_at));
    w.key("paused").value(j.paused).key("pause_reason").value(j.pause_reason);
    w.key("paused_by").value(j.paused_by);
    write_opt_time(w, "paused_since", j.paused_since);
    write_opt_time(w, "held_from", j.held_from);
    write_opt_time(w, "held_until", j.held_until);
    w.key("cursor").value(format_rfc3339(j.cursor));
    w.key("active");
    write_strings(w, j.active);
    w.key("buffer");
    write_strings(w, j.buffer);
    w.key("runs");
    write_strings(w, j.runs);
    w.key("decisions").begin_array();
    for (const auto& d : j.decisions) {
      w.begin_object();
      w.key("seq").value(d.seq).key("at").value(format_rfc3339(d.at));
      w.key("nominal").value(format_rfc3339(d.nominal));
      w.key("last").value(format_rfc3339(d.last)).key("count").value(d.count);
      w.key("kind").value(model::to_string(d.kind)).key("reason").value(d.reason);
      w.key("run_id").value(d.run_id);
      w.end_object();
    }
    w.end_array();
    if (!j.backfilled.empty()) {
      w.key("backfilled").begin_array();
      for (const auto& [first, last] : j.backfilled)
        w.begin_array().value(format_rfc3339(first)).value(format_rfc3339(last)).end_array();
      w.end_array();
    }
    w.key("counters");
    write_counters(w, j.counters);
    w.key("status");
    write_status(w, j.status);
    w.end_object();
  }
  w.end_array();
  w.key("runs").begin_array();
  for (const auto& [id, r] : s.runs) {
    w.begin_object();
    w.key("id").value(r.id).key("job").value(r.job);
    w.key("nominal").value(format_rfc3339(r.nominal)).key("reason").value(r.reason);
    w.key("status").value(model::to_string(r.status)).key("attempt").value(uint64_t{r.attempt});
    w.key("decided_at").value(format_rfc3339(r.decided_at));
    write_opt_time(w, "started_at", r.started_at);
    write_opt_time(w, "finished_at", r.finished_at);
    write_opt_time(w, "retry_at", r.retry_at);
    w.key("pid");
    write_opt_int(w, r.pid);
    if (r.contained) {
      w.key("containment");
      write_containment(w, *r.contained);
    }
    w.key("exit_code");
    write_opt_int(w, r.exit_code);
    w.key("signal");
    write_opt_int(w, r.signal);
    w.key("elapsed_ns").raw(std::to_string(r.elapsed.count()));
    w.key("output").value(r.output ? std::string_view{*r.output} : std::string_view{});
    w.key("truncated").value(r.truncated).key("output_bytes").value(r.output_bytes);
    w.key("error").value(r.error).key("cancelling").value(r.cancelling);
    if (!r.earlier.empty()) write_earlier(w, r.earlier);
    w.end_object();
  }
  w.end_array();
}

namespace {

std::optional<model::run_status> parse_status(std::string_view s) {
  for (auto st : {model::run_status::buffered, model::run_status::starting,
                  model::run_status::running, model::run_status::retry_wait,
                  model::run_status::succeeded, model::run_status::failed,
                  model::run_status::timed_out, model::run_status::cancelled,
                  model::run_status::failed_to_start, model::run_status::abandoned})
    if (s == model::to_string(st)) return st;
  return std::nullopt;
}

/// Optional: checkpoints from before attempts were kept, and runs never retried, have none.
bool get_earlier(const json& x, std::vector<model::attempt_record>& out) {
  out.clear();
  auto it = x.find("earlier");
  if (it == x.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& a : *it) {
    model::attempt_record rec;
    std::string status;
    bool ok = true;
    rec.elapsed = model::duration{get_ns(a, "elapsed_ns", ok)};
    if (!ok || !a.is_object() || !get_uint(a, "attempt", rec.attempt) ||
        !get(a, "status", status) || !get(a, "started_at", rec.started_at) ||
        !get(a, "finished_at", rec.finished_at) || !get(a, "exit_code", rec.exit_code) ||
        !get(a, "signal", rec.signal) || !get(a, "error", rec.error))
      return false;
    const auto st = parse_status(status);
    if (!st || !model::is_final(*st)) return false;
    rec.ended = *st;
    out.push_back(std::move(rec));
  }
  return true;
}

}  // namespace

bool decode_jobs_part(const json& in, model::state& s) {
  if (!in.contains("jobs")) return true;  // a checkpoint from before jobs existed
  if (!get(in, "held_from", s.held_from) || !get(in, "held_until", s.held_until)) return false;
  if (!in.contains("totals") || !read_counters(in["totals"], s.totals)) return false;
  const auto& jobs = in["jobs"];
  if (!jobs.is_array()) return false;
  std::vector<std::string> without_status;
  for (const auto& x : jobs) {
    if (!x.is_object()) return false;
    model::job_state j;
    std::vector<std::string> active;
    if (!get_spec(x, "spec", j.spec) || !get_uint(x, "revision", j.revision) ||
        !get(x, "created_at", j.created_at) || !get(x, "updated_at", j.updated_at) ||
        !get(x, "paused", j.paused) || !get(x, "pause_reason", j.pause_reason) ||
        !get(x, "paused_by", j.paused_by) || !get(x, "paused_since", j.paused_since) ||
        !get(x, "held_from", j.held_from) || !get(x, "held_until", j.held_until) ||
        !get(x, "cursor", j.cursor) || !x.contains("active") || !get(x, "active", active) ||
        !read_strings(x, "buffer", j.buffer) || !read_strings(x, "runs", j.runs) ||
        !x.contains("counters") || !read_counters(x["counters"], j.counters))
      return false;
    j.active = std::move(active);
    // A checkpoint from before job_status has none: rebuilt from its runs below.
    const auto st = x.find("status");
    if (st != x.end()) {
      if (!read_status(*st, j.status)) return false;
    } else {
      without_status.push_back(j.spec->id);
    }
    const auto& ds = x.find("decisions");
    if (ds == x.end() || !ds->is_array()) return false;
    for (const auto& d : *ds) {
      model::decision_record r;
      std::string kind;
      if (!d.is_object() || !get_uint(d, "seq", r.seq) || !get(d, "at", r.at) ||
          !get(d, "nominal", r.nominal) || !get(d, "last", r.last) ||
          !get_uint(d, "count", r.count) || !get(d, "kind", kind) ||
          !get(d, "reason", r.reason) || !get(d, "run_id", r.run_id))
        return false;
      auto k = model::parse_decision_kind(kind);
      if (!k) return false;
      r.kind = *k;
      j.decisions.push_back(std::move(r));
    }
    if (!get_ranges(x, "backfilled", j.backfilled)) return false;
    const std::string id = j.spec->id;
    s.jobs.emplace(id, model::job_cell{std::move(j)});
  }
  const auto& runs = in.find("runs");
  if (runs == in.end() || !runs->is_array()) return false;
  for (const auto& x : *runs) {
    model::run_record r;
    std::string status;
    bool ok = true;
    r.elapsed = model::duration{get_ns(x, "elapsed_ns", ok)};
    if (!ok || !x.is_object() || !get(x, "id", r.id) || !get(x, "job", r.job) ||
        !get(x, "nominal", r.nominal) || !get(x, "reason", r.reason) ||
        !get(x, "status", status) || !get_uint(x, "attempt", r.attempt) ||
        !get(x, "decided_at", r.decided_at) || !get(x, "started_at", r.started_at) ||
        !get(x, "finished_at", r.finished_at) || !get(x, "retry_at", r.retry_at) ||
        !get(x, "exit_code", r.exit_code) || !get(x, "signal", r.signal) ||
        !get_output(x, r.output) || !get(x, "truncated", r.truncated) ||
        !get_uint(x, "output_bytes", r.output_bytes) || !get(x, "error", r.error) ||
        !get(x, "cancelling", r.cancelling) || !get_containment(x, r.contained))
      return false;
    auto it = x.find("pid");
    if (it == x.end() || !it->is_number_integer()) return false;
    r.pid = it->get<int>();
    auto st = parse_status(status);
    if (!st || !get_earlier(x, r.earlier)) return false;
    r.status = *st;
    s.runs.emplace(r.id, std::move(r));
  }
  for (const auto& id : without_status) {
    auto& cell = s.jobs.at(id);
    cell.mut().status = model::status_from_runs(s, cell);
  }
  return true;
}

}  // namespace vigil::codec
