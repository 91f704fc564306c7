// The jobs and runs part of a checkpoint: streamed out with json_writer, read back with
// nlohmann, every field checked; derived indexes are left to the caller to rebuild.
#include "codec/checkpoint_jobs.hpp"

#include "codec/job_json_internal.hpp"
#include "codec/stored_fields.hpp"
#include "model/job_status.hpp"

namespace vigil::codec {
namespace {

using model::format_rfc3339;
using nlohmann::json;

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
    w.number_or_null(a.exit_code);
    w.key("signal");
    w.number_or_null(a.signal);
    w.key("elapsed_ns").raw(std::to_string(a.elapsed.count()));
    w.key("error").value(a.error).end_object();
  }
  w.end_array();
}

void write_status(json_writer& w, const model::job_status& st) {
  w.begin_object();
  w.key("consecutive_failures").value(st.consecutive_failures);
  w.key("last_duration_ns");
  w.number_or_null(st.last_duration ? std::optional<int64_t>{st.last_duration->count()}
                                    : std::nullopt);
  write_opt_time(w, "last_failure", st.last_failure);
  write_opt_time(w, "last_finished", st.last_finished);
  w.key("last_outcome");
  if (st.last_outcome)
    w.value(model::to_string(*st.last_outcome));
  else
    w.null();
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
    w.number_or_null(r.pid);
    if (r.contained) {
      w.key("containment");
      write_containment(w, *r.contained);
    }
    w.key("exit_code");
    w.number_or_null(r.exit_code);
    w.key("signal");
    w.number_or_null(r.signal);
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
  for (auto st :
       {model::run_status::buffered, model::run_status::starting, model::run_status::running,
        model::run_status::retry_wait, model::run_status::succeeded, model::run_status::failed,
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

std::optional<model::state> decode_jobs_part(const json& in, model::state s) {
  if (!in.contains("jobs")) return s;  // a checkpoint from before jobs existed
  if (!get(in, "held_from", s.held_from) || !get(in, "held_until", s.held_until))
    return std::nullopt;
  if (!in.contains("totals") || !read_counters(in["totals"], s.totals)) return std::nullopt;
  const auto& jobs = in["jobs"];
  if (!jobs.is_array()) return std::nullopt;
  std::vector<std::string> without_status;
  for (const auto& x : jobs) {
    if (!x.is_object()) return std::nullopt;
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
      return std::nullopt;
    j.active = std::move(active);
    // A checkpoint from before job_status has none: rebuilt from its runs below.
    const auto st = x.find("status");
    if (st != x.end()) {
      if (!read_status(*st, j.status)) return std::nullopt;
    } else {
      without_status.push_back(j.spec->id);
    }
    const auto& ds = x.find("decisions");
    if (ds == x.end() || !ds->is_array()) return std::nullopt;
    for (const auto& d : *ds) {
      model::decision_record r;
      std::string kind;
      if (!d.is_object() || !get_uint(d, "seq", r.seq) || !get(d, "at", r.at) ||
          !get(d, "nominal", r.nominal) || !get(d, "last", r.last) ||
          !get_uint(d, "count", r.count) || !get(d, "kind", kind) || !get(d, "reason", r.reason) ||
          !get(d, "run_id", r.run_id))
        return std::nullopt;
      auto k = model::parse_decision_kind(kind);
      if (!k) return std::nullopt;
      r.kind = *k;
      j.decisions.push_back(std::move(r));
    }
    if (!get_ranges(x, "backfilled", j.backfilled)) return std::nullopt;
    const std::string id = j.spec->id;
    s.jobs.emplace(id, model::job_cell{std::move(j)});
  }
  const auto& runs = in.find("runs");
  if (runs == in.end() || !runs->is_array()) return std::nullopt;
  for (const auto& x : *runs) {
    model::run_record r;
    std::string status;
    bool ok = true;
    r.elapsed = model::duration{get_ns(x, "elapsed_ns", ok)};
    if (!ok || !x.is_object() || !get(x, "id", r.id) || !get(x, "job", r.job) ||
        !get(x, "nominal", r.nominal) || !get(x, "reason", r.reason) || !get(x, "status", status) ||
        !get_uint(x, "attempt", r.attempt) || !get(x, "decided_at", r.decided_at) ||
        !get(x, "started_at", r.started_at) || !get(x, "finished_at", r.finished_at) ||
        !get(x, "retry_at", r.retry_at) || !get(x, "exit_code", r.exit_code) ||
        !get(x, "signal", r.signal) || !get_output(x, r.output) ||
        !get(x, "truncated", r.truncated) || !get_uint(x, "output_bytes", r.output_bytes) ||
        !get(x, "error", r.error) || !get(x, "cancelling", r.cancelling) ||
        !get_containment(x, r.contained))
      return std::nullopt;
    auto it = x.find("pid");
    if (it == x.end() || !it->is_number_integer()) return std::nullopt;
    r.pid = it->get<int>();
    auto st = parse_status(status);
    if (!st || !get_earlier(x, r.earlier)) return std::nullopt;
    r.status = *st;
    s.runs.emplace(r.id, std::move(r));
  }
  for (const auto& id : without_status) {
    auto& cell = s.jobs.at(id);
    cell.mut().status = model::status_from_runs(s, cell);
  }
  return s;
}

}  // namespace vigil::codec
