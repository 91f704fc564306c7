// Job, run and decision views (json_writer; the spec through the job codec's canonical form).
#include "codec/job_views.hpp"

#include <algorithm>

#include "codec/job_json_internal.hpp"
#include "codec/json_writer.hpp"
#include "model/job_status.hpp"
#include "model/jobs.hpp"

namespace vigil::codec {

void write_counter_members(json_writer& w, const model::job_counters& c) {
  w.key("decisions").begin_object();
  w.key("fired").value(c.fired).key("skipped").value(c.skipped);
  w.key("buffered").value(c.buffered).key("missed").value(c.missed).end_object();
  w.key("outcomes").begin_object();
  w.key("succeeded").value(c.succeeded).key("failed").value(c.failed);
  w.key("timed_out").value(c.timed_out).key("cancelled").value(c.cancelled);
  w.key("failed_to_start").value(c.failed_to_start).key("abandoned").value(c.abandoned);
  w.end_object();
  w.key("retries").value(c.retries);
}

namespace {

using model::format_rfc3339;

void write_counters(json_writer& w, const model::job_counters& c) {
  w.begin_object();
  write_counter_members(w, c);
  w.end_object();
}

void write_decision(json_writer& w, const model::decision_record& d) {
  w.begin_object();
  w.key("seq").value(d.seq).key("at").value(format_rfc3339(d.at));
  w.key("kind").value(model::to_string(d.kind)).key("reason").value(d.reason);
  w.key("nominal").value(format_rfc3339(d.nominal));
  w.key("last").value(format_rfc3339(d.last)).key("count").value(d.count);
  w.key("run_id").text_or_null(d.run_id);
  w.end_object();
}

void write_strings(json_writer& w, const std::vector<std::string>& v) {
  w.begin_array();
  for (const auto& x : v) w.value(x);
  w.end_array();
}

/// How long the run's process has taken: so far while it runs, else the last attempt's.
model::duration run_duration(const model::run_record& r, model::wall_time now) {
  if (r.status != model::run_status::running || !r.started_at) return r.elapsed;
  return std::max(model::duration{0}, now - *r.started_at);
}

void write_attempt(json_writer& w, const model::attempt_record& a) {
  w.begin_object().key("attempt").value(uint64_t{a.attempt});
  w.key("outcome").value(model::to_string(a.ended));
  w.key("started_at").time(a.started_at).key("finished_at").time(a.finished_at);
  w.key("exit_code");
  w.number_or_null(a.exit_code);
  w.key("signal");
  w.number_or_null(a.signal);
  w.key("duration_seconds").value(model::to_seconds(a.elapsed));
  w.key("error").text_or_null(a.error).end_object();
}

/// Every attempt that has ended, oldest first: the earlier ones and, once it has ended, the
/// latest (whose fields are the run's own).
void write_attempts(json_writer& w, const model::run_record& r) {
  w.key("attempts").begin_array();
  for (const auto& a : r.earlier) write_attempt(w, a);
  if (model::latest_attempt_ended(r)) write_attempt(w, model::latest_attempt(r));
  w.end_array();
}

void write_run(json_writer& w, const model::run_record& r, bool with_output, model::wall_time now) {
  w.begin_object();
  w.key("run_id").value(r.id).key("job").value(r.job);
  w.key("nominal").value(format_rfc3339(r.nominal)).key("reason").value(r.reason);
  w.key("status").value(model::to_string(r.status)).key("attempt").value(uint64_t{r.attempt});
  w.key("decided_at").value(format_rfc3339(r.decided_at));
  w.key("started_at").time(r.started_at).key("finished_at").time(r.finished_at);
  w.key("retry_at").time(r.retry_at);
  w.key("pid");
  if (r.pid > 0)
    w.value(static_cast<uint64_t>(r.pid));
  else
    w.null();
  w.key("exit_code");
  w.number_or_null(r.exit_code);
  w.key("signal");
  w.number_or_null(r.signal);
  w.key("duration_seconds").value(model::to_seconds(run_duration(r, now)));
  w.key("output_bytes").value(r.output_bytes).key("truncated").value(r.truncated);
  w.key("error").text_or_null(r.error);
  w.key("cancelling").value(r.cancelling);
  write_attempts(w, r);
  if (with_output) w.key("output").value(r.output ? std::string_view{*r.output} : "");
  w.end_object();
}

/// How the job's attempts have been ending: the same object in the job and in its summary.
void write_status(json_writer& w, const model::job_state& j) {
  const model::job_status& st = j.status;
  w.begin_object();
  w.key("failing").value(model::failing(j));
  w.key("last_outcome");
  if (st.last_outcome)
    w.value(model::to_string(*st.last_outcome));
  else
    w.null();
  w.key("last_finished_at").time(st.last_finished);
  w.key("last_success_at").time(st.last_success);
  w.key("last_failure_at").time(st.last_failure);
  w.key("consecutive_failures").value(st.consecutive_failures);
  w.key("last_duration_seconds");
  if (st.last_duration)
    w.value(model::to_seconds(*st.last_duration));
  else
    w.null();
  w.key("next_due").time(j.due);
  w.end_object();
}

/// `next_due` on the job's own wall clock, with its UTC offset ("2026-03-29T03:30:00+02:00"):
/// the console shows it as is, so that the zone rules are the daemon's, not the browser's.
void write_local_due(json_writer& w, const model::job_state& j) {
  w.key("next_due_local");
  if (j.due && j.compiled)
    w.value(model::format_rfc3339_in(*j.due, j.compiled->tz));
  else
    w.null();
}

void write_job_summary(json_writer& w, const model::job_state& j) {
  w.begin_object();
  w.key("id").value(j.spec->id).key("schedule").value(j.spec->schedule);
  w.key("time_zone").value(j.spec->time_zone).key("enabled").value(j.spec->enabled);
  w.key("paused").value(j.paused).key("completed").value(model::completed(j));
  w.key("next_due").time(j.due);
  write_local_due(w, j);
  w.key("running").value(static_cast<uint64_t>(j.active.size()));
  w.key("status");
  write_status(w, j);
  w.key("last_decision");
  if (j.decisions.empty())
    w.null();
  else
    write_decision(w, j.decisions.back());
  w.end_object();
}

void write_job(json_writer& w, const model::job_state& j) {
  w.begin_object();
  w.key("id").value(j.spec->id).key("spec");
  write_job_spec(w, *j.spec);
  w.key("revision").value(j.revision);
  w.key("created_at").value(format_rfc3339(j.created_at));
  w.key("updated_at").value(format_rfc3339(j.updated_at));
  w.key("paused").value(j.paused).key("paused_since").time(j.paused_since);
  w.key("pause_reason").text_or_null(j.pause_reason).key("paused_by").text_or_null(j.paused_by);
  w.key("schedulable").value(model::schedulable(j));
  w.key("completed").value(model::completed(j));
  w.key("decided_through").value(format_rfc3339(j.cursor));
  w.key("next_due").time(j.due);
  write_local_due(w, j);
  w.key("jitter_offset_seconds")
      .value(j.compiled ? model::to_seconds(j.compiled->jitter_offset) : 0.0);
  w.key("period_seconds");
  if (j.period)
    w.value(model::to_seconds(*j.period));
  else
    w.null();
  w.key("status");
  write_status(w, j);
  w.key("active_runs");
  write_strings(w, j.active);
  w.key("buffered_runs");
  write_strings(w, j.buffer);
  w.key("counters");
  write_counters(w, j.counters);
  w.key("last_decision");
  if (j.decisions.empty())
    w.null();
  else
    write_decision(w, j.decisions.back());
  w.end_object();
}

}  // namespace

std::string render_job(const model::job_state& j) {
  return written([&](json_writer& w) { write_job(w, j); });
}

std::string render_define_answer(std::string job_view,
                                 const std::vector<model::definition_warning>& warnings,
                                 bool dry_run) {
  if (job_view.empty() || job_view.back() != '}') return job_view;
  job_view.pop_back();
  json_writer w{job_view};
  job_view += ",";
  w.key("warnings").begin_array();
  for (const auto& x : warnings)
    w.begin_object().key("field").value(x.field).key("message").value(x.message).end_object();
  w.end_array();
  w.key("dry_run").value(dry_run);
  job_view += "}";
  return job_view;
}

std::string render_job_page(const model::job_page& page, bool full) {
  std::string out;
  json_writer w{out};
  w.begin_object().key("jobs").begin_array();
  for (const auto& j : page.jobs) {
    if (full)
      write_job(w, j);
    else
      write_job_summary(w, j);
  }
  w.end_array();
  w.key("total").value(page.total);
  w.key("next");
  if (page.next)
    w.value(*page.next);
  else
    w.null();
  w.end_object();
  return out;
}

std::string render_run(const model::run_record& r, bool with_output, model::wall_time now) {
  return written([&](json_writer& w) { write_run(w, r, with_output, now); });
}

std::string render_run_page(const model::run_page& page, model::wall_time now) {
  std::string out;
  json_writer w{out};
  w.begin_object().key("runs").begin_array();
  for (const auto& r : page.runs) write_run(w, r, false, now);
  w.end_array().key("next");
  if (page.next)
    w.value(*page.next);
  else
    w.null();
  w.end_object();
  return out;
}

std::string render_decisions(const model::job_state& j, uint64_t before, size_t limit) {
  std::string out;
  json_writer w{out};
  w.begin_object().key("decisions").begin_array();
  auto end = j.decisions.end();
  if (before > 0)
    end =
        std::lower_bound(j.decisions.begin(), j.decisions.end(), before,
                         [](const model::decision_record& d, uint64_t seq) { return d.seq < seq; });
  size_t n = 0;
  auto it = end;
  while (it != j.decisions.begin() && n < limit) {
    --it;
    write_decision(w, *it);
    ++n;
  }
  w.end_array().key("next");
  if (it != j.decisions.begin() && n > 0)
    w.value(it->seq);
  else
    w.null();
  w.end_object();
  return out;
}

std::string render_next(const model::job_state& j, const std::vector<model::wall_time>& fires) {
  std::string out;
  json_writer w{out};
  w.begin_object().key("job").value(j.spec->id).key("time_zone").value(j.spec->time_zone);
  w.key("jitter_offset_seconds")
      .value(j.compiled ? model::to_seconds(j.compiled->jitter_offset) : 0.0);
  w.key("fires").begin_array();
  for (const auto t : fires) w.value(model::format_rfc3339_in(t, j.compiled->tz));
  w.end_array().end_object();
  return out;
}

namespace {

void write_fire_decided(json_writer& w, const model::fire_decided& d) {
  w.begin_object();
  w.key("job").value(d.job).key("kind").value(model::to_string(d.kind));
  w.key("reason").value(model::to_string(d.reason));
  w.key("nominal").value(format_rfc3339(d.nominal));
  w.key("run_id").text_or_null(d.run_id);
  w.key("cancels");
  write_strings(w, d.cancels);
  w.end_object();
}

}  // namespace

std::string render_decision(const model::fire_decided& d) {
  return written([&](json_writer& w) { write_fire_decided(w, d); });
}

std::string render_backfill(const model::backfill_job& b, size_t nominal_times,
                            const std::vector<model::event>& events) {
  std::string out;
  json_writer w{out};
  w.begin_object().key("job").value(b.job);
  w.key("from").value(format_rfc3339(b.from)).key("to").value(format_rfc3339(b.to));
  size_t decided = 0;
  w.key("decisions").begin_array();
  for (const auto& e : events)
    if (const auto* d = std::get_if<model::fire_decided>(&e)) {
      write_fire_decided(w, *d);
      ++decided;
    }
  w.end_array();
  w.key("nominal_times").value(static_cast<uint64_t>(nominal_times));
  w.key("decided").value(static_cast<uint64_t>(decided));
  w.key("already_decided")
      .value(static_cast<uint64_t>(nominal_times > decided ? nominal_times - decided : 0));
  w.end_object();
  return out;
}

}  // namespace vigil::codec
