// apply is total, generated: every event type, with fields drawn at random (including ones
// decide never writes), applied to states that hold its job or run and to states that do not,
// never throws and leaves a consistent state; and the fold of any such log is the state.
#include "model/decider.hpp"
#include "model/jobs.hpp"
#include "model/planner.hpp"
#include "tests/support/unit_model.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace m = vigil::model;

const m::wall_time t0 = *m::parse_rfc3339("2026-03-28T23:00:00Z");  // the Berlin gap ahead

struct generator {
  std::mt19937_64 rng;

  uint64_t pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  template <class T>
  T one_of(const std::vector<T>& v) {
    return v[pick(v.size())];
  }
  m::wall_time time() { return t0 + std::chrono::milliseconds(pick(6 * 3600 * 1000)); }
  std::optional<m::wall_time> maybe_time() {
    if (chance(0.3)) return std::nullopt;
    return time();
  }

  std::shared_ptr<const m::job_spec> spec(const std::string& id) {
    auto s = std::make_shared<m::job_spec>();
    s->id = id;
    const auto sched = one_of<std::pair<const char*, const char*>>(
        {{"@every 1m", "UTC"},
         {"*/5 * * * *", "Europe/Berlin"},
         {"30 2 * * *", "Europe/Berlin"},
         {"@every 90s", "America/New_York"},
         {"@every 1m", "Mars/Olympus_Mons"},  // a zone this machine lacks: kept, never fired
         {"not a schedule", "UTC"}});         // only a crafted log holds this
    s->schedule = sched.first;
    s->time_zone = sched.second;
    s->command.argv = {"/bin/true"};
    s->enabled = !chance(0.2);
    s->overlap = static_cast<m::overlap_policy>(pick(5));
    s->catchup = static_cast<m::catchup_policy>(pick(3));
    s->retry.max_attempts = static_cast<uint32_t>(1 + pick(3));
    return s;
  }

  /// A job id: one the state holds when `known` (if it holds any), else one it does not.
  std::string job(const m::state& s, bool known) {
    if (known && !s.jobs.empty()) {
      auto it = s.jobs.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(pick(s.jobs.size())));
      return it->first;
    }
    return "ghost-" + std::to_string(pick(3));
  }
  std::string run(const m::state& s, bool known) {
    if (known && !s.runs.empty()) {
      auto it = s.runs.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(pick(s.runs.size())));
      return it->first;
    }
    return "ghost-" + std::to_string(pick(3)) + "@20260329T010000Z";
  }
  std::vector<std::string> runs(const m::state& s) {
    std::vector<std::string> out;
    for (uint64_t n = pick(4); n > 0; --n) out.push_back(run(s, chance(0.8)));
    return out;
  }

  /// An event of alternative `type` of m::event, about something `s` holds when `known`.
  m::event make(size_t type, const m::state& s, bool known) {
    const std::string by = "gen";
    switch (type) {
      case 0:
        return m::scheduler_paused{"r", time(), by};
      case 1:
        return m::scheduler_resumed{"r", time(), by};
      case 2:
        return m::job_defined{spec(job(s, known)), chance(0.5), time(), by};
      case 3:
        return m::job_removed{job(s, known), time(), by, runs(s)};
      case 4:
        return m::job_paused{job(s, known), "r", time(), by};
      case 5:
        return m::job_resumed{job(s, known), "", time(), by};
      case 6: {
        m::fire_decided d;
        d.job = job(s, known);
        d.nominal = time();
        d.last = chance(0.7) ? d.nominal : d.nominal + std::chrono::minutes(pick(100));
        d.count = 1 + pick(5);
        d.kind = static_cast<m::decision_kind>(pick(4));
        d.origin = static_cast<m::decision_origin>(pick(3));
        d.reason = static_cast<m::decision_reason>(pick(7));
        d.cursor = maybe_time();
        d.legacy_cursor = chance(0.2);
        d.run_id = chance(0.2) ? run(s, true) : m::make_run_id(d.job, d.nominal, chance(0.3));
        if (chance(0.3)) d.cancels = runs(s);
        d.at = time();
        return d;
      }
      case 7:
        return m::run_dispatched{run(s, known), static_cast<uint32_t>(1 + pick(3)),
                                 chance(0.5) ? "buffer" : "retry", time()};
      case 8:
        return m::run_started{run(s, known), static_cast<int>(pick(5000)), time()};
      case 9: {
        m::run_finished f;
        f.run_id = run(s, known);
        f.outcome = static_cast<m::run_outcome>(pick(6));
        f.exit_code = chance(0.5) ? std::optional<int>{static_cast<int>(pick(3))} : std::nullopt;
        f.at = time();
        if (chance(0.3)) f.output = std::make_shared<const std::string>("out\n");
        return f;
      }
      case 10:
        return m::retry_scheduled{run(s, known), static_cast<uint32_t>(2 + pick(3)), time(),
                                  time()};
      default:
        break;
    }
    return m::runs_compacted{job(s, known), runs(s), pick(4), time()};
  }
};

/// What must hold of any state apply produced, whatever it was fed: every derived count and
/// index agrees with the durable data, every reference resolves. Returns the first violation.
std::string inconsistency(const m::state& in) {
  m::state s = in;
  m::refresh_schedules(s);  // the look-ahead, as the planner would put it
  uint64_t starting = 0, running = 0, buffered = 0, retry_wait = 0, paused = 0, disabled = 0;
  std::set<std::pair<m::wall_time, std::string>> retries, timetable;
  for (const auto& [id, r] : s.runs) {
    if (r.id != id) return "run " + id + " under another id";
    starting += r.status == m::run_status::starting;
    running += r.status == m::run_status::running;
    buffered += r.status == m::run_status::buffered;
    retry_wait += r.status == m::run_status::retry_wait;
    if (r.status == m::run_status::retry_wait) {
      if (!r.retry_at) return "run " + id + " waits for a retry without a time";
      retries.insert({*r.retry_at, id});
    }
    auto j = s.jobs.find(r.job);
    if (j == s.jobs.end()) return "run " + id + " of a job that is gone";
    const auto& listed = j->second->runs;
    if (std::find(listed.begin(), listed.end(), id) == listed.end())
      return "run " + id + " not among its job's runs";
  }
  if (starting != s.runs_starting || running != s.runs_running || buffered != s.runs_buffered ||
      retry_wait != s.runs_retry_wait)
    return "the per-status counts differ from the runs";
  if (retries != s.retries) return "the retry index differs from the runs";
  for (const auto& [id, cell] : s.jobs) {
    const m::job_state& j = cell;
    if (j.spec->id != id) return "job " + id + " under another id";
    paused += j.paused;
    disabled += !j.spec->enabled;
    if (j.paused != j.paused_since.has_value()) return "job " + id + ": paused without a time";
    for (const auto* list : {&j.active, &j.buffer, &j.runs})
      for (const auto& r : *list) {
        auto it = s.runs.find(r);
        if (it == s.runs.end()) return "job " + id + " lists a run that is gone: " + r;
        if (it->second.job != id) return "job " + id + " lists a run of another job: " + r;
      }
    if (j.due) timetable.insert({*j.due, id});
    if (j.due.has_value() && !m::schedulable(j)) return "job " + id + " due but not schedulable";
  }
  if (paused != s.jobs_paused || disabled != s.jobs_disabled)
    return "the paused or disabled count differs from the jobs";
  if (timetable != s.timetable) return "the timetable differs from the jobs";
  if (!s.unscheduled.empty()) return "refresh_schedules left a job unscheduled";
  if (s.paused != s.paused_since.has_value()) return "paused without a time";
  return "";
}

/// States to apply events to: empty, and the states of a scheduler that defined jobs, fired,
/// buffered, ran, failed and retried them (so there are jobs and runs in every status).
std::vector<m::state> base_states() {
  std::vector<m::state> out{m::state{}};
  m::state s;
  auto define = [&](const std::string& id, const char* schedule, m::overlap_policy o,
                    uint32_t attempts) {
    auto spec = vigil::test::shared_spec(id, schedule);
    spec->overlap = o;
    spec->retry.max_attempts = attempts;
    spec->retry.initial_backoff = 1h;
    m::apply_in_place(s, m::job_defined{spec, true, t0, "t"});
  };
  define("a", "@every 1m", m::overlap_policy::buffer_all, 3);
  define("b", "@every 2m", m::overlap_policy::allow, 2);
  define("c", "@every 5m", m::overlap_policy::skip, 1);
  out.push_back(s);
  int pid = 100;
  bool fail = true;
  for (int minute = 1; minute <= 12; ++minute) {
    const m::wall_time now = t0 + std::chrono::minutes(minute);
    // What ran since the last minute ends, failing and succeeding in turn (failures retry).
    std::vector<std::string> ids;
    for (const auto& [id, r] : s.runs)
      if (r.status == m::run_status::running) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) {
      m::run_finished f;
      f.run_id = id;
      fail = !fail || s.runs.at(id).job == "c";  // c has no retries: its failures are final
      f.outcome = fail ? m::run_outcome::failed : m::run_outcome::succeeded;
      f.at = now;
      m::on_run_finished(s, f);
    }
    m::plan_cycle(s, now);
    ids.clear();
    for (const auto& [id, r] : s.runs)
      if (r.status == m::run_status::starting) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    if (minute % 4 != 0)  // every fourth minute, the runner has not reported yet
      for (const auto& id : ids) m::on_run_started(s, id, ++pid, now + 1s);
    if (minute == 7) m::apply_in_place(s, m::job_paused{"c", "r", now, "t"});
    if (minute % 2 == 0) out.push_back(s);
  }
  out.push_back(s);
  return out;
}

}  // namespace

TEST_CASE(
    "apply is total: every event type, with and without its job or run, keeps the state "
    "consistent",
    "[model][apply][random]") {
  const auto bases = base_states();
  // The scheduler's states had runs in each live status, so "with its run" means something.
  std::set<m::run_status> seen;
  for (const auto& b : bases)
    for (const auto& [id, r] : b.runs) seen.insert(r.status);
  for (auto st : {m::run_status::starting, m::run_status::running, m::run_status::buffered,
                  m::run_status::retry_wait, m::run_status::succeeded, m::run_status::failed}) {
    INFO(m::to_string(st));
    CHECK(seen.count(st) == 1);
  }
  for (const auto& b : bases) REQUIRE(inconsistency(b).empty());

  generator gen{std::mt19937_64{20260329}};
  constexpr size_t types = std::variant_size_v<m::event>;
  std::map<std::string, int> tried;
  for (size_t type = 0; type < types; ++type)
    for (const bool known : {true, false})
      for (const auto& base : bases)
        for (int i = 0; i < 40; ++i) {
          const m::event e = gen.make(type, base, known);
          REQUIRE(e.index() == type);
          INFO(m::event_type(e) << (known ? " about something held" : " about nothing held"));
          const m::state before = base;
          m::state after;
          REQUIRE_NOTHROW(after = m::apply(base, e));
          CHECK(base == before);  // the state it was given (copies share jobs) is untouched
          CHECK(after.log_seq == base.log_seq);
          const std::string bad = inconsistency(after);
          CHECK(bad == "");
          CHECK(m::apply(base, e) == after);  // deterministic
          ++tried[std::string(m::event_type(e))];
        }
  CHECK(tried.size() == types);
}

TEST_CASE("the fold of random logs of every event type is the state applied live",
          "[model][apply][random]") {
  generator gen{std::mt19937_64{7}};
  const auto bases = base_states();
  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    m::state live = bases[gen.pick(bases.size())];
    const m::state initial = live;
    std::vector<m::event> log;
    for (int i = 0; i < 300; ++i) {
      m::event e = gen.make(gen.pick(std::variant_size_v<m::event>), live, gen.chance(0.8));
      INFO("event " << i << ": " << m::event_type(e));
      REQUIRE_NOTHROW(m::apply_in_place(live, e));
      log.push_back(std::move(e));
      const std::string bad = inconsistency(live);
      REQUIRE(bad == "");
    }
    const m::state replayed = m::fold(log, initial);
    CHECK(replayed == live);
    CHECK(replayed.log_seq == initial.log_seq + log.size());
  }
}

TEST_CASE("a decision moves its job's cursor to what the event says, whatever the schedule",
          "[model][apply]") {
  auto spec = vigil::test::shared_spec("a", "@every 1m");
  const m::state s = m::fold({m::job_defined{spec, true, t0, "t"}});
  auto decision = [&](std::optional<m::wall_time> cursor, bool legacy, m::wall_time nominal) {
    m::fire_decided d;
    d.job = "a";
    d.nominal = d.last = nominal;
    d.kind = m::decision_kind::skipped;
    d.origin = m::decision_origin::manual;
    d.reason = m::decision_reason::overlap;
    d.cursor = cursor;
    d.legacy_cursor = legacy;
    d.at = nominal;
    return d;
  };
  auto decided = [&](std::optional<m::wall_time> cursor, bool legacy, m::wall_time nominal) {
    return m::apply(s, decision(cursor, legacy, nominal)).jobs.at("a")->cursor;
  };
  // v3: the event's cursor, even one the schedule would never give (@every 1m: whole minutes).
  CHECK(decided(t0 + 90s, false, t0 + 7s) == t0 + 90s);
  CHECK(decided(std::nullopt, false, t0 + 1min) == t0);  // manual: nothing moves
  CHECK(decided(t0 - 1h, false, t0 + 1min) == t0);       // never backwards
  // apply asks no schedule, not even for an upgraded v2 skip that cannot say: unsettled, it
  // moves nothing.
  CHECK(decided(std::nullopt, true, t0 + 1min) == t0);
  // settle_upgraded asks it before apply: moved as v2 did, only if it was the time owed next.
  auto settled = [&](m::wall_time nominal) {
    m::event e = decision(std::nullopt, true, nominal);
    m::settle_upgraded(s, e);
    const auto& d = std::get<m::fire_decided>(e);
    CHECK_FALSE(d.legacy_cursor);
    return m::apply(s, e).jobs.at("a")->cursor;
  };
  CHECK(settled(t0 + 1min) == t0 + 1min);
  CHECK(settled(t0 + 30s) == t0);
  // A v3 event, or one for a job the state lacks, is left as it is.
  m::event v3 = decision(t0 + 90s, false, t0 + 7s);
  const m::event before = v3;
  m::settle_upgraded(s, v3);
  CHECK(v3 == before);
  m::fire_decided other = decision(std::nullopt, true, t0 + 1min);
  other.job = "gone";
  m::event gone = other;
  m::settle_upgraded(s, gone);
  CHECK_FALSE(std::get<m::fire_decided>(gone).cursor);
}
