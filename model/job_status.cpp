// The job status rules: what a finished attempt changes, what failing and running mean, the
// schedule's period, and the bounded per-job metrics.
#include "model/job_status.hpp"

#include <algorithm>
#include <utility>

#include "model/jobs.hpp"

namespace vigil::model {

bool is_failure(run_outcome o) {
  switch (o) {
    case run_outcome::failed:
    case run_outcome::timed_out:
    case run_outcome::failed_to_start:
    case run_outcome::abandoned:
      return true;
    case run_outcome::succeeded:
    case run_outcome::cancelled:
      break;
  }
  return false;
}

void record_attempt(job_status& st, run_outcome o, wall_time at, std::optional<duration> elapsed) {
  st.last_outcome = o;
  st.last_finished = at;
  if (elapsed) st.last_duration = *elapsed;
  if (o == run_outcome::succeeded) {
    st.last_success = at;
    st.consecutive_failures = 0;
  } else if (is_failure(o)) {
    st.last_failure = at;
    ++st.consecutive_failures;
  }
}

bool failing(const job_state& j) { return j.status.consecutive_failures > 0; }

bool running(const state& s, const job_state& j) {
  return std::any_of(j.active.begin(), j.active.end(), [&](const std::string& id) {
    auto r = s.runs.find(id);
    return r != s.runs.end() &&
           (r->second.status == run_status::starting || r->second.status == run_status::running);
  });
}

bool completed(const job_state& j) {
  // Manual runs and backfills do not count: only whether the schedule had a time to decide.
  if (!j.compiled || j.due || !j.active.empty() || !j.buffer.empty() || !j.timed_after_definition)
    return false;
  return !next_nominal(*j.compiled, *j.spec, j.cursor);
}

std::optional<job_filter> parse_job_filter(std::string_view text) {
  if (text == "completed") return job_filter::completed;
  if (text == "failing") return job_filter::failing;
  if (text == "running") return job_filter::running;
  if (text == "paused") return job_filter::paused;
  return std::nullopt;
}

bool matches(const state& s, const job_state& j, job_filter f) {
  switch (f) {
    case job_filter::all:
      return true;
    case job_filter::failing:
      return failing(j);
    case job_filter::running:
      return running(s, j);
    case job_filter::paused:
      return j.paused;
    case job_filter::completed:
      return completed(j);
  }
  return false;
}

std::optional<duration> schedule_period(const compiled_job& c, const job_spec& spec, wall_time from,
                                        int samples) {
  if (c.sched.type() == schedule::kind::at) return std::nullopt;
  std::optional<duration> longest;
  std::optional<wall_time> prev = next_nominal(c, spec, from);
  for (int i = 1; prev && i < samples; ++i) {
    const auto next = next_nominal(c, spec, *prev);
    if (!next) break;
    const duration gap = *next - *prev;
    if (!longest || gap > *longest) longest = gap;
    prev = next;
  }
  return longest;
}

job_status status_from_runs(const state& s, const job_state& j) {
  std::vector<const run_record*> finished;
  for (const auto& id : j.runs) {
    auto r = s.runs.find(id);
    if (r != s.runs.end() && r->second.finished_at &&
        (is_final(r->second.status) || r->second.status == run_status::retry_wait))
      finished.push_back(&r->second);
  }
  std::stable_sort(finished.begin(), finished.end(), [](const run_record* a, const run_record* b) {
    return *a->finished_at < *b->finished_at;
  });
  job_status st;
  for (const run_record* r : finished) {
    // A retry follows only a failed attempt: the attempts before the last one all failed.
    for (uint32_t a = 1; a < r->attempt; ++a) ++st.consecutive_failures;
    // A run waiting for a retry keeps no outcome of its failed attempt: "failed" stands for it.
    const run_outcome o = r->status == run_status::retry_wait        ? run_outcome::failed
                          : r->status == run_status::succeeded       ? run_outcome::succeeded
                          : r->status == run_status::failed          ? run_outcome::failed
                          : r->status == run_status::timed_out       ? run_outcome::timed_out
                          : r->status == run_status::failed_to_start ? run_outcome::failed_to_start
                          : r->status == run_status::abandoned       ? run_outcome::abandoned
                                                                     : run_outcome::cancelled;
    record_attempt(st, o, *r->finished_at, r->elapsed);
  }
  return st;
}

job_metrics collect_job_metrics(const state& s, uint64_t limit) {
  job_metrics m;
  m.jobs = s.jobs.size();
  m.limit = limit;
  m.enabled = limit > 0 && m.jobs <= limit;
  if (!m.enabled) return m;
  m.rows.reserve(s.jobs.size());
  for (const auto& [id, cell] : s.jobs) {
    const job_state& j = cell;
    m.rows.push_back({id, j.status, j.updated_at, j.due, j.period});
  }
  return m;
}

}  // namespace vigil::model
