// A long randomized run of the scheduler core: random jobs, commands, cycles and runner reports
// over simulated days, checked at every step against the model's invariants, then replayed:
// the fold of every event is the live state, also after each event went through the codec, and
// a checkpoint of the live state reads back equal. Seeded: the same run every time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "codec/checkpoint.hpp"
#include "codec/events.hpp"
#include "model/decider.hpp"
#include "model/jobs.hpp"
#include "model/planner.hpp"
#include "tests/support/unit_model.hpp"

namespace codec = vigil::codec;
namespace m = vigil::model;

namespace {
/// The jobs as plain values (the state holds them copy-on-write), for reading in loops.
std::map<std::string, vigil::model::job_state> plain_jobs(const vigil::model::state& s) {
  std::map<std::string, vigil::model::job_state> out;
  for (const auto& [id, cell] : s.jobs) out.emplace(id, *cell);
  return out;
}
}  // namespace

namespace {

using namespace std::chrono_literals;

/// Names the fields of two states that differ: which job, which run, which field.
std::string describe_difference(const m::state& a, const m::state& b) {
  std::ostringstream out;
#define VIGIL_FIELD(prefix, x, y, f) \
  if (!((x).f == (y).f)) out << prefix << #f << " differs\n"
  VIGIL_FIELD("state.", a, b, paused);
  VIGIL_FIELD("state.", a, b, paused_since);
  VIGIL_FIELD("state.", a, b, pause_reason);
  VIGIL_FIELD("state.", a, b, paused_by);
  VIGIL_FIELD("state.", a, b, held_from);
  VIGIL_FIELD("state.", a, b, held_until);
  VIGIL_FIELD("state.", a, b, log_seq);
  VIGIL_FIELD("state.", a, b, totals);
  VIGIL_FIELD("state.", a, b, jobs_paused);
  VIGIL_FIELD("state.", a, b, jobs_disabled);
  VIGIL_FIELD("state.", a, b, runs_starting);
  VIGIL_FIELD("state.", a, b, runs_running);
  VIGIL_FIELD("state.", a, b, runs_buffered);
  VIGIL_FIELD("state.", a, b, runs_retry_wait);
  for (const auto& [id, ja] : plain_jobs(a)) {
    auto it = b.jobs.find(id);
    if (it == b.jobs.end()) {
      out << "job " << id << " only on the left\n";
      continue;
    }
    const m::job_state& jb = it->second;
    if (ja == jb) continue;
    const std::string p = "job " + id + ": ";
    if (!(*ja.spec == *jb.spec)) out << p << "spec differs\n";
    VIGIL_FIELD(p, ja, jb, revision);
    VIGIL_FIELD(p, ja, jb, created_at);
    VIGIL_FIELD(p, ja, jb, updated_at);
    VIGIL_FIELD(p, ja, jb, paused);
    VIGIL_FIELD(p, ja, jb, pause_reason);
    VIGIL_FIELD(p, ja, jb, paused_by);
    VIGIL_FIELD(p, ja, jb, paused_since);
    VIGIL_FIELD(p, ja, jb, held_from);
    VIGIL_FIELD(p, ja, jb, held_until);
    VIGIL_FIELD(p, ja, jb, cursor);
    VIGIL_FIELD(p, ja, jb, active);
    VIGIL_FIELD(p, ja, jb, buffer);
    VIGIL_FIELD(p, ja, jb, runs);
    VIGIL_FIELD(p, ja, jb, decisions);
    VIGIL_FIELD(p, ja, jb, counters);
  }
  for (const auto& [id, jb] : plain_jobs(b))
    if (!a.jobs.count(id)) out << "job " << id << " only on the right\n";
  for (const auto& [id, ra] : a.runs) {
    auto it = b.runs.find(id);
    if (it == b.runs.end()) {
      out << "run " << id << " only on the left\n";
      continue;
    }
    const auto& rb = it->second;
    if (ra == rb) continue;
    const std::string p = "run " + id + ": ";
    VIGIL_FIELD(p, ra, rb, job);
    VIGIL_FIELD(p, ra, rb, nominal);
    VIGIL_FIELD(p, ra, rb, reason);
    VIGIL_FIELD(p, ra, rb, status);
    VIGIL_FIELD(p, ra, rb, attempt);
    VIGIL_FIELD(p, ra, rb, decided_at);
    VIGIL_FIELD(p, ra, rb, started_at);
    VIGIL_FIELD(p, ra, rb, finished_at);
    VIGIL_FIELD(p, ra, rb, retry_at);
    VIGIL_FIELD(p, ra, rb, pid);
    VIGIL_FIELD(p, ra, rb, exit_code);
    VIGIL_FIELD(p, ra, rb, signal);
    VIGIL_FIELD(p, ra, rb, elapsed);
    VIGIL_FIELD(p, ra, rb, truncated);
    VIGIL_FIELD(p, ra, rb, output_bytes);
    VIGIL_FIELD(p, ra, rb, error);
    VIGIL_FIELD(p, ra, rb, cancelling);
    if ((ra.output ? *ra.output : "") != (rb.output ? *rb.output : ""))
      out << p << "output differs\n";
  }
  for (const auto& [id, rb] : b.runs)
    if (!a.runs.count(id)) out << "run " << id << " only on the right\n";
#undef VIGIL_FIELD
  return out.str();
}

struct simulation {
  std::mt19937_64 rng;
  m::state live;
  std::vector<m::event> log;
  m::wall_time now;
  std::vector<std::string> ids;  ///< the job ids in play (each exists or not at any time)
  std::map<std::string, std::set<m::wall_time>> decided;  ///< scheduled nominal times, per job
  std::set<std::string> removed_runs;  ///< cancelled by a removal: the runner reports them later
  size_t steps = 0, cycles = 0, commands = 0, rejections = 0, restarts = 0, compactions = 0;
  size_t violations = 0;

  explicit simulation(uint64_t seed, m::wall_time start) : rng(seed), now(start) {
    for (int i = 0; i < 7; ++i) ids.push_back("job-" + std::to_string(i));
  }

  uint64_t pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  template <class T>
  const T& one_of(const std::vector<T>& v) {
    return v[pick(v.size())];
  }
  /// Times from outside come with sub-millisecond noise: the model keeps milliseconds.
  m::wall_time noisy(m::wall_time t) { return t + std::chrono::nanoseconds(pick(1'000'000)); }

  void violation(const std::string& what) {
    ++violations;
    if (violations <= 20) FAIL_CHECK("step " << steps << ": " << what);
  }

  m::job_spec random_spec(const std::string& id) {
    static const std::vector<std::pair<std::string, std::string>> schedules = {
        {"@every 1m", "UTC"},
        {"@every 2m", "UTC"},
        {"@every 5m/30s", "UTC"},
        {"@every 7m", "America/New_York"},
        {"@every 90s", "UTC"},
        {"*/3 * * * *", "Europe/Berlin"},
        {"30 2 * * *", "Europe/Berlin"},
        {"* 2 * * *", "Europe/Berlin"},
        {"*/10 1-3 * * *", "America/New_York"},
        {"0 * * * *", "Australia/Lord_Howe"},
        {"*/20 * * * * *", "UTC"},
        {"15 */2 * * *", "Asia/Kolkata"},
    };
    m::job_spec s;
    s.id = id;
    const auto& [sched, zone] = one_of(schedules);
    s.schedule = sched;
    s.time_zone = zone;
    s.command.argv = {"/bin/echo", id};
    s.enabled = !chance(0.1);
    s.overlap = static_cast<m::overlap_policy>(pick(5));
    s.buffer_limit = static_cast<uint32_t>(1 + pick(3));
    s.catchup = static_cast<m::catchup_policy>(pick(3));
    s.catchup_window = one_of(std::vector<m::duration>{2min, 10min, 1h, 6h});
    s.misfire_grace = one_of(std::vector<m::duration>{0s, 10s, 60s, 5min});
    s.jitter = one_of(std::vector<m::duration>{0s, 0s, 10s, 45s});
    s.dst.gap = chance(0.5) ? m::dst_gap::run_at_end : m::dst_gap::skip;
    s.dst.fold = chance(0.5) ? m::dst_fold::once : m::dst_fold::both;
    s.retry.max_attempts = static_cast<uint32_t>(1 + pick(4));
    s.retry.initial_backoff = one_of(std::vector<m::duration>{1s, 5s, 30s, 2min});
    s.retry.max_backoff = s.retry.initial_backoff * (1 + pick(8));
    s.retry.multiplier = one_of(std::vector<double>{1.0, 1.5, 2.0, 3.7});
    s.retry.jitter = one_of(std::vector<double>{0.0, 0.2, 0.5, 1.0});
    return s;
  }

  /// Checks a batch of new events against the exactly-once rule: a scheduled decision is for
  /// the next nominal time owed (given the cursors before the batch) and no nominal time of a
  /// job is decided twice; a manual decision leaves what is owed as it was.
  void record(const std::vector<m::event>& events,
              const std::map<std::string, m::wall_time>& before, bool manual) {
    std::map<std::string, m::wall_time> cursor = before;
    std::set<std::string> moved;
    for (const auto& e : events) {
      log.push_back(e);
      const auto* d = std::get_if<m::fire_decided>(&e);
      if (!d) continue;
      auto j = live.jobs.find(d->job);
      if (j == live.jobs.end() || !j->second->compiled) {
        violation("a decision for job " + d->job + " that has no schedule");
        continue;
      }
      const auto& c = *j->second->compiled;
      const auto& spec = *j->second->spec;
      const auto owed = m::next_nominal(c, spec, cursor.at(d->job));
      if (manual) {
        if (d->reason != m::decision_reason::manual && d->kind != m::decision_kind::skipped)
          violation(std::string("a manual decision with reason ") + m::to_string(d->reason));
        if (d->origin != m::decision_origin::manual || d->cursor)
          violation("a manual decision that is not manual or moves the cursor");
        if (owed && *owed != d->nominal && m::next_nominal(c, spec, j->second->cursor) != owed)
          violation("a manual decision of " + d->job + " changed the nominal time owed");
        continue;
      }
      if (!owed || *owed != d->nominal)
        violation("decision of " + d->job + " at " + m::format_rfc3339(d->nominal) +
                  " is not for the next nominal time owed");
      // What replay moves the cursor by: the event, not the schedule.
      if (d->origin == m::decision_origin::manual || d->cursor != d->last)
        violation("a scheduled decision of " + d->job + " that does not carry its cursor");
      uint64_t n = 0;
      for (auto t = std::optional<m::wall_time>{d->nominal}; t && *t <= d->last;
           t = m::next_nominal(c, spec, *t)) {
        ++n;
        if (!decided[d->job].insert(*t).second)
          violation(d->job + " nominal " + m::format_rfc3339(*t) + " decided twice");
      }
      if (n != d->count) violation("a range whose count is not its nominal times");
      cursor[d->job] = d->last;
      moved.insert(d->job);
    }
    for (const auto& id : moved)
      if (live.jobs.count(id) && live.jobs.at(id)->cursor != cursor.at(id))
        violation("the cursor of " + id + " is not where its last decision put it");
  }

  std::map<std::string, m::wall_time> cursors() const {
    std::map<std::string, m::wall_time> c;
    for (const auto& [id, j] : plain_jobs(live)) c[id] = j.cursor;
    return c;
  }

  void submit(const m::command& c, bool manual = false) {
    ++commands;
    const auto before = cursors();
    auto d = m::decide(live, c, noisy(now));
    if (auto* r = std::get_if<m::rejection>(&d)) {
      ++rejections;
      if (r->code != m::errc::not_found && r->code != m::errc::conflict)
        violation("unexpected rejection: " + r->detail);
      return;
    }
    const auto& events = std::get<std::vector<m::event>>(d);
    for (const auto& e : events) {
      if (const auto* rm = std::get_if<m::job_removed>(&e))
        for (const auto& id : rm->cancels) removed_runs.insert(id);
      m::apply_in_place(live, e);
    }
    record(events, before, manual);
  }

  void cycle() {
    ++cycles;
    const auto before = cursors();
    auto events = m::plan_cycle(live, noisy(now));
    record(events, before, false);
    if (m::count_overdue(live, now, 0s) != 0) violation("overdue right after a cycle");
    if (!live.paused)
      for (const auto& [id, j] : plain_jobs(live))
        if (j.due && *j.due <= std::chrono::floor<std::chrono::milliseconds>(now))
          violation("job " + id + " still due after a cycle");
  }

  void runner() {
    // Reports for runs a removal cancelled: their job is gone, so they change nothing.
    for (const auto& id : removed_runs) {
      auto f = vigil::test::report(id, m::run_outcome::cancelled, noisy(now));
      if (!m::on_run_finished(live, f).empty() && !live.runs.count(id))
        violation("a report for a removed run produced events");
    }
    removed_runs.clear();
    for (const auto& [id, status] : vigil::test::going_runs(live)) {
      if (status == m::run_status::starting) {
        if (chance(0.05)) {
          finish(id, m::run_outcome::failed_to_start);
        } else if (chance(0.6)) {
          auto e = m::on_run_started(live, id, static_cast<int>(1000 + pick(30000)), noisy(now));
          if (e.size() != 1) violation("a start of a starting run was not logged");
          log.insert(log.end(), e.begin(), e.end());
        }
      } else if (chance(0.35)) {
        const auto& r = live.runs.at(id);
        m::run_outcome o;
        if (r.cancelling) {
          o = chance(0.9) ? m::run_outcome::cancelled : m::run_outcome::failed;
        } else {
          const auto k = pick(100);
          o = k < 55   ? m::run_outcome::succeeded
              : k < 80 ? m::run_outcome::failed
              : k < 90 ? m::run_outcome::timed_out
              : k < 95 ? m::run_outcome::abandoned
                       : m::run_outcome::cancelled;
        }
        finish(id, o);
      }
    }
  }

  void finish(const std::string& id, m::run_outcome o) {
    const auto& r = live.runs.at(id);
    auto f = vigil::test::report(id, o, noisy(now));
    if (r.started_at)
      f.elapsed = std::chrono::floor<std::chrono::milliseconds>(now) - *r.started_at;
    if (o == m::run_outcome::succeeded) f.exit_code = 0;
    if (o == m::run_outcome::failed) {
      if (chance(0.5))
        f.exit_code = static_cast<int>(1 + pick(254));
      else
        f.signal = 9;
    }
    if (o == m::run_outcome::failed_to_start) f.error = "no such file: \"/bin/x\"\n\ttab";
    if (chance(0.5)) {
      std::string out = "line " + std::to_string(pick(1000)) + "\n";
      if (chance(0.2)) out += "ünïcode \x01 \\ \"q\"";
      f.output_bytes = out.size() + pick(3);
      f.truncated = f.output_bytes > out.size();
      f.output = std::make_shared<const std::string>(std::move(out));
    }
    const auto before = cursors();
    auto e = m::on_run_finished(live, f);
    if (e.empty()) violation("the end of a going run was not logged");
    const uint32_t attempt = r.attempt;  // r is still valid: runs are not erased on finish
    bool retried = false;
    for (const auto& x : e)
      if (const auto* rs = std::get_if<m::retry_scheduled>(&x)) {
        retried = true;
        if (rs->attempt != attempt + 1) violation("a retry's attempt is not the next one");
      }
    const auto& spec = *live.jobs.at(r.job)->spec;
    const bool should = o != m::run_outcome::succeeded && o != m::run_outcome::cancelled &&
                        !r.cancelling && attempt < spec.retry.max_attempts;
    if (retried != should) violation("retry decision differs from the policy for " + id);
    record(e, before, false);
  }

  void restart() {
    ++restarts;
    const std::string body = codec::encode_state(live);
    auto back = codec::decode_state(body);
    if (!back) {
      violation("a checkpoint did not read back");
      return;
    }
    if (!(*back == live)) violation("checkpoint differs:\n" + describe_difference(*back, live));
    if (back->timetable != live.timetable) violation("checkpoint timetable differs");
    if (back->retries != live.retries) violation("checkpoint retry index differs");
    live = std::move(*back);  // carry on from the checkpoint, as a restarted daemon does
    const auto before = cursors();
    auto e = m::abandon_orphans(live, noisy(now));
    record(e, before, false);
  }

  void compact() {
    const auto& id = one_of(ids);
    auto j = live.jobs.find(id);
    if (j == live.jobs.end()) return;
    m::runs_compacted c;
    c.job = id;
    c.at = std::chrono::floor<std::chrono::milliseconds>(now);
    const auto& runs = j->second->runs;
    for (size_t i = 0; i + 5 < runs.size(); ++i)
      if (m::is_final(live.runs.at(runs[i]).status)) c.run_ids.push_back(runs[i]);
    if (j->second->decisions.size() > 30) c.decisions_dropped = j->second->decisions.size() - 30;
    if (c.run_ids.empty() && c.decisions_dropped == 0) return;
    ++compactions;
    m::apply_in_place(live, c);
    log.push_back(c);
  }

  void command() {
    const std::string id = one_of(ids);
    const bool exists = live.jobs.count(id) > 0;
    const auto k = pick(100);
    if (!exists) {
      if (k < 30)
        submit(m::define_job{std::make_shared<const m::job_spec>(random_spec(id)), chance(0.5),
                             "sim"});
      else if (k < 33)
        submit(m::run_job{id, std::nullopt, "sim"});  // not found
      return;
    }
    if (k < 12)
      submit(m::pause_job{id, "r" + std::to_string(pick(10)), "sim"});
    else if (k < 26)
      submit(m::resume_job{id, "", "sim"});
    else if (k < 31)
      submit(m::pause_scheduler{"deploy", "sim"});
    else if (k < 41)
      submit(m::resume_scheduler{"", "sim"});
    else if (k < 51) {
      auto spec = chance(0.2) ? *live.jobs.at(id)->spec : random_spec(id);
      submit(m::define_job{std::make_shared<const m::job_spec>(spec), false, "sim"});
    } else if (k < 80) {
      std::optional<m::overlap_policy> o;
      if (chance(0.6)) o = static_cast<m::overlap_policy>(pick(5));
      submit(m::run_job{id, o, "sim"}, true);
    } else if (k < 86) {
      submit(m::remove_job{id, "sim"});
    }
  }

  void check_invariants() {
    uint64_t by[4] = {0, 0, 0, 0};  // the runs of each status in `counted`
    const m::run_status counted[4] = {m::run_status::starting, m::run_status::running,
                                      m::run_status::buffered, m::run_status::retry_wait};
    std::set<std::pair<m::wall_time, std::string>> retries;
    std::map<std::string, std::set<std::string>> active, buffer, runs;
    for (const auto& [id, j] : plain_jobs(live)) {
      active[id] = {j.active.begin(), j.active.end()};
      buffer[id] = {j.buffer.begin(), j.buffer.end()};
      runs[id] = {j.runs.begin(), j.runs.end()};
      if (active[id].size() != j.active.size()) violation("job " + id + ": an active run twice");
      if (buffer[id].size() != j.buffer.size()) violation("job " + id + ": a buffered run twice");
      for (const auto& r : j.active) {
        auto it = live.runs.find(r);
        if (it == live.runs.end())
          violation("job " + id + ": active run " + r + " unknown");
        else if (!m::is_active(it->second.status) || it->second.cancelling || it->second.job != id)
          violation("job " + id + ": active run " + r + " is " + m::to_string(it->second.status));
      }
      for (const auto& r : j.buffer) {
        auto it = live.runs.find(r);
        if (it == live.runs.end() || it->second.status != m::run_status::buffered)
          violation("job " + id + ": buffered run " + r + " is not buffered");
      }
    }
    for (const auto& [id, r] : live.runs) {
      if (r.id != id) violation("run " + id + " under another id");
      for (size_t k = 0; k < 4; ++k) by[k] += r.status == counted[k];
      if (r.status == m::run_status::retry_wait) {
        if (!r.retry_at)
          violation("run " + id + " waits for a retry without a time");
        else
          retries.insert({*r.retry_at, id});
      }
      if (!live.jobs.count(r.job)) {
        violation("run " + id + " of a job that is gone");
        continue;
      }
      if (!runs[r.job].count(id)) violation("run " + id + " not in its job's runs");
      if (m::is_active(r.status) && !r.cancelling && !active[r.job].count(id))
        violation("run " + id + " is " + m::to_string(r.status) + " but not active in its job");
      if (r.status == m::run_status::buffered && !buffer[r.job].count(id))
        violation("run " + id + " is buffered but not in its job's buffer");
      if (m::is_final(r.status) && active[r.job].count(id))
        violation("final run " + id + " active");
    }
    if (by[0] != live.runs_starting || by[1] != live.runs_running || by[2] != live.runs_buffered ||
        by[3] != live.runs_retry_wait)
      violation("per-status counters differ from the runs");
    if (retries != live.retries) violation("the retry index differs from the runs");
    uint64_t paused = 0, disabled = 0;
    std::set<std::pair<m::wall_time, std::string>> timetable;
    for (const auto& [id, j] : plain_jobs(live)) {
      paused += j.paused;
      disabled += !j.spec->enabled;
      if (j.due) timetable.insert({*j.due, id});
      if (m::schedulable(j) != j.due.has_value() && m::next_nominal(*j.compiled, *j.spec, j.cursor))
        violation("job " + id + ": in the timetable unless schedulable, and only then");
    }
    if (paused != live.jobs_paused || disabled != live.jobs_disabled)
      violation("job counters differ from the jobs");
    if (timetable != live.timetable) violation("the timetable differs from the jobs");
    if (!live.unscheduled.empty())
      violation("a job left out of the timetable after apply_in_place");
  }

  void step() {
    ++steps;
    const auto k = pick(1000);
    const int64_t ms = k < 900   ? 1000 + static_cast<int64_t>(pick(89'000))
                       : k < 990 ? 60'000 + static_cast<int64_t>(pick(840'000))
                                 : 900'000 + static_cast<int64_t>(pick(13'500'000));
    now += std::chrono::milliseconds(ms);
    const auto n = pick(4);
    for (uint64_t i = 0; i < n; ++i)
      if (chance(0.5)) command();
    cycle();
    runner();
    if (chance(0.3)) cycle();  // retries due at once (zero backoff after rounding) and such
    if (chance(0.01)) restart();
    if (chance(0.05)) compact();
    check_invariants();
  }
};

}  // namespace

TEST_CASE("a long random run: fold of the log == live state, through the codec too",
          "[codec][replay][random]") {
  const auto started = std::chrono::steady_clock::now();
  size_t total_events = 0, total_steps = 0;
  std::ostringstream summary;
  for (const uint64_t seed : {20260329ull, 7ull, 424242ull}) {
    INFO("seed " << seed);
    simulation sim(seed, *m::parse_rfc3339("2026-03-26T18:00:00Z"));
    const auto end = *m::parse_rfc3339("2026-04-02T00:00:00Z");  // 6 days, the Berlin gap in it
    while (sim.now < end) sim.step();
    total_events += sim.log.size();
    total_steps += sim.steps;
    CHECK(sim.violations == 0);

    // The run did what it is meant to exercise.
    const auto& t = sim.live.totals;
    CHECK(t.fired > 500);
    CHECK(t.skipped > 0);
    CHECK(t.buffered > 0);
    CHECK(t.missed > 0);
    CHECK(t.retries > 0);
    CHECK(t.cancelled > 0);
    CHECK(t.abandoned > 0);
    CHECK(sim.restarts > 0);
    CHECK(sim.compactions > 0);
    std::map<std::string, size_t> by_type;
    for (const auto& e : sim.log) ++by_type[std::string(m::event_type(e))];
    for (const char* type : {"scheduler_paused", "scheduler_resumed", "job_defined", "job_removed",
                             "job_paused", "job_resumed", "fire_decided", "run_dispatched",
                             "run_started", "run_finished", "retry_scheduled", "runs_compacted"})
      CHECK(by_type[type] > 0);
    std::set<std::string> reasons;
    for (const auto& e : sim.log)
      if (const auto* d = std::get_if<m::fire_decided>(&e)) reasons.insert(m::to_string(d->reason));
    for (const char* reason :
         {"schedule", "manual", "catchup", "overlap", "buffer_full", "paused", "misfire"}) {
      INFO(reason);
      CHECK(reasons.count(reason) == 1);
    }
    summary << "seed " << seed << ": " << sim.log.size() << " events, " << sim.steps << " steps, "
            << sim.cycles << " cycles, " << sim.commands << " commands (" << sim.rejections
            << " refused), " << sim.restarts << " restarts, " << sim.compactions << " compactions, "
            << sim.live.jobs.size() << " jobs at the end\n";

    // Replay: the fold of the log is the live state. The fold evaluates no schedule, so the
    // timetable waits for the look-ahead; then it is the live one too.
    m::state replayed = m::fold(sim.log);
    INFO(describe_difference(replayed, sim.live));
    CHECK(replayed == sim.live);
    CHECK(replayed.retries == sim.live.retries);
    CHECK(replayed.log_seq == sim.log.size());
    CHECK(replayed.timetable.empty());
    for (const auto& [id, j] : replayed.jobs) CHECK_FALSE(j->compiled);
    m::refresh_schedules(replayed);
    CHECK(replayed.timetable == sim.live.timetable);
    CHECK(replayed.unscheduled.empty());

    // Through the codec: each event encoded and decoded is the same event; the fold of the
    // decoded log is the live state.
    std::vector<m::event> decoded;
    decoded.reserve(sim.log.size());
    size_t bad = 0;
    for (const auto& e : sim.log) {
      const std::string body = codec::encode_event(e);
      auto back = codec::decode_event(m::event_type(e), m::event_schema_version, body);
      if (!back || !(*back == e)) {
        if (++bad <= 5) FAIL_CHECK(m::event_type(e) << " does not round-trip: " << body);
        if (!back) continue;
      }
      decoded.push_back(std::move(*back));
    }
    CHECK(bad == 0);
    const m::state from_codec = m::fold(decoded);
    INFO(describe_difference(from_codec, sim.live));
    CHECK(from_codec == sim.live);

    // The checkpoint path.
    auto ckpt = codec::decode_state(codec::encode_state(sim.live));
    REQUIRE(ckpt);
    INFO(describe_difference(*ckpt, sim.live));
    CHECK(*ckpt == sim.live);
    CHECK(ckpt->timetable == sim.live.timetable);
    CHECK(ckpt->retries == sim.live.retries);
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  WARN(summary.str() << "random run: " << total_events << " events, " << total_steps << " steps, "
                     << secs.count() << " s");
}
