// A job's status, folded by apply from the run events: last outcome and its times, consecutive
// failures (reset by a success, untouched by a cancel), the last attempt's duration; the
// GET /v1/jobs filters over it, the schedule's period and the bounded per-job metrics. Driven
// through the planner, as the scheduler drives it; every scenario ends with a replay.
#include "model/job_status.hpp"
#include "model/decider.hpp"
#include "model/jobs.hpp"
#include "model/planner.hpp"
#include "tests/support/unit_model.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace m = vigil::model;

/// 2026-01-05T00:00:00Z, a Monday: "@every 1m" nominal times are t0 + k minutes.
const m::wall_time t0 = *m::parse_rfc3339("2026-01-05T00:00:00Z");

m::wall_time at(m::duration d) { return t0 + d; }

using namespace vigil::test;

/// The scheduler as the actor drives it, the schedules refreshed as the actor does after a PUT.
struct world : model_world {
  void define(const m::job_spec& spec, m::wall_time now, bool create_only = true) {
    model_world::define(spec, now, create_only);
    m::refresh_schedules(s);
  }
  using model_world::finish;
  std::vector<m::event> finish(const std::string& run, m::run_outcome o, m::wall_time now,
                               m::duration elapsed = 2s) {
    auto f = report(run, o, now);
    f.elapsed = elapsed;
    return finish(f);
  }
  /// The 00:0N run of `job` fires and is reported running a second later.
  std::string fire_and_start(const std::string& job, m::wall_time nominal) {
    cycle(nominal);
    const std::string id = rid(job, nominal);
    REQUIRE(s.runs.count(id) == 1);
    start(id, nominal + 1s);
    return id;
  }
  const m::job_status& status(const std::string& id) const { return job(id).status; }
  bool selects(const std::string& id, m::job_filter f) const { return m::matches(s, job(id), f); }
  /// The state is the fold of the log: checked at the end of every scenario.
  void check_replay() const {
    model_world::check_replay();
    CHECK(m::fold(log).jobs.at("a")->status == s.jobs.at("a")->status);
  }
};

template <class T>
size_t count_of(const std::vector<m::event>& events) {
  return all_of<T>(events).size();
}

}  // namespace

SCENARIO("a job's status before any run, after a success, and after failures", "[model][status]") {
  GIVEN("a job that has not run yet") {
    world w;
    w.define(base_spec("a"), t0);
    THEN("it has no outcome, no times, no failures, and is neither failing nor running") {
      const auto& st = w.status("a");
      CHECK_FALSE(st.last_outcome);
      CHECK_FALSE(st.last_finished);
      CHECK_FALSE(st.last_success);
      CHECK_FALSE(st.last_failure);
      CHECK_FALSE(st.last_duration);
      CHECK(st.consecutive_failures == 0);
      CHECK_FALSE(m::failing(w.job("a")));
      CHECK(w.selects("a", m::job_filter::all));
      CHECK_FALSE(w.selects("a", m::job_filter::failing));
      CHECK_FALSE(w.selects("a", m::job_filter::running));
      CHECK_FALSE(w.selects("a", m::job_filter::paused));
    }
    WHEN("its 00:01 run starts") {
      const auto id = w.fire_and_start("a", at(1min));
      THEN("it is running") { CHECK(w.selects("a", m::job_filter::running)); }
      AND_WHEN("it succeeds after 3 s") {
        w.finish(id, m::run_outcome::succeeded, at(1min + 4s), 3s);
        THEN("the success is its last outcome, with its time and duration") {
          const auto& st = w.status("a");
          CHECK(st.last_outcome == m::run_outcome::succeeded);
          CHECK(st.last_finished == at(1min + 4s));
          CHECK(st.last_success == at(1min + 4s));
          CHECK_FALSE(st.last_failure);
          CHECK(st.last_duration == m::duration{3s});
          CHECK(st.consecutive_failures == 0);
          CHECK_FALSE(w.selects("a", m::job_filter::running));
          CHECK_FALSE(w.selects("a", m::job_filter::failing));
        }
      }
    }
    WHEN("two runs fail, one times out and one cannot start, then one succeeds") {
      w.finish(w.fire_and_start("a", at(1min)), m::run_outcome::failed, at(1min + 5s));
      w.finish(w.fire_and_start("a", at(2min)), m::run_outcome::failed, at(2min + 5s));
      w.finish(w.fire_and_start("a", at(3min)), m::run_outcome::timed_out, at(3min + 30s));
      w.finish(w.fire_and_start("a", at(4min)), m::run_outcome::failed_to_start, at(4min + 1s), 0s);
      THEN("each failure kind adds one to consecutive failures and the job is failing") {
        const auto& st = w.status("a");
        CHECK(st.consecutive_failures == 4);
        CHECK(st.last_outcome == m::run_outcome::failed_to_start);
        CHECK(st.last_failure == at(4min + 1s));
        CHECK_FALSE(st.last_success);
        CHECK(st.last_duration == m::duration{0s});
        CHECK(m::failing(w.job("a")));
        CHECK(w.selects("a", m::job_filter::failing));
      }
      AND_WHEN("the 00:05 run succeeds") {
        w.finish(w.fire_and_start("a", at(5min)), m::run_outcome::succeeded, at(5min + 2s));
        THEN("the count resets; the last failure's time is kept") {
          const auto& st = w.status("a");
          CHECK(st.consecutive_failures == 0);
          CHECK(st.last_success == at(5min + 2s));
          CHECK(st.last_failure == at(4min + 1s));
          CHECK_FALSE(w.selects("a", m::job_filter::failing));
        }
      }
    }
    w.check_replay();
  }
}

SCENARIO("a failed attempt with a retry pending counts as a failure", "[model][status]") {
  GIVEN("a job with three attempts whose first attempt fails") {
    world w;
    auto spec = base_spec("a", "@every 1h");
    spec.retry.max_attempts = 3;
    spec.retry.initial_backoff = 10s;
    spec.retry.jitter = 0;
    w.define(spec, t0);
    const auto id = w.fire_and_start("a", at(1h));
    REQUIRE(count_of<m::retry_scheduled>(w.finish(id, m::run_outcome::failed, at(1h + 2s))) == 1);
    THEN("it is failing while the retry waits, and not running") {
      CHECK(w.s.runs.at(id).status == m::run_status::retry_wait);
      CHECK(w.status("a").consecutive_failures == 1);
      CHECK(w.status("a").last_outcome == m::run_outcome::failed);
      CHECK(w.selects("a", m::job_filter::failing));
      CHECK_FALSE(w.selects("a", m::job_filter::running));
    }
    WHEN("the retry is dispatched, fails again, and the third attempt succeeds") {
      REQUIRE(count_of<m::run_dispatched>(w.cycle(at(1h + 20s))) == 1);
      w.start(id, at(1h + 21s));
      CHECK(w.selects("a", m::job_filter::running));
      w.finish(id, m::run_outcome::failed, at(1h + 22s));
      CHECK(w.status("a").consecutive_failures == 2);
      REQUIRE(count_of<m::run_dispatched>(w.cycle(at(1h + 60s))) == 1);
      w.start(id, at(1h + 61s));
      w.finish(id, m::run_outcome::succeeded, at(1h + 63s), 2s);
      THEN("each attempt counted, and the success reset the count") {
        const auto& st = w.status("a");
        CHECK(st.consecutive_failures == 0);
        CHECK(st.last_success == at(1h + 63s));
        CHECK(st.last_failure == at(1h + 22s));
        CHECK(w.job("a").counters.failed == 2);
        CHECK(w.job("a").counters.succeeded == 1);
      }
    }
    w.check_replay();
  }
}

SCENARIO("cancels change neither the failure count nor failing, abandoned is a failure",
         "[model][status]") {
  GIVEN("a cancel_other job whose 00:01 run failed, and whose 00:02 run is running") {
    world w;
    auto spec = base_spec("a");
    spec.overlap = m::overlap_policy::cancel_other;
    w.define(spec, t0);
    w.finish(w.fire_and_start("a", at(1min)), m::run_outcome::failed, at(1min + 5s), 4s);
    const auto second = w.fire_and_start("a", at(2min));
    WHEN("00:03 cancels it and it ends as cancelled") {
      w.cycle(at(3min));
      w.finish(second, m::run_outcome::cancelled, at(3min + 1s), 61s);
      THEN("the cancel is the last outcome, but the job is still failing once") {
        const auto& st = w.status("a");
        CHECK(st.last_outcome == m::run_outcome::cancelled);
        CHECK(st.last_finished == at(3min + 1s));
        CHECK(st.last_duration == m::duration{61s});
        CHECK(st.consecutive_failures == 1);
        CHECK(st.last_failure == at(1min + 5s));
        CHECK(w.selects("a", m::job_filter::failing));
      }
    }
    WHEN("the daemon stopped under the 00:02 run and it is found abandoned") {
      w.finish(second, m::run_outcome::abandoned, at(2min + 30s), 0s);
      THEN("that counts as a second failure") {
        CHECK(w.status("a").consecutive_failures == 2);
        CHECK(w.status("a").last_outcome == m::run_outcome::abandoned);
        CHECK(w.status("a").last_failure == at(2min + 30s));
      }
    }
    w.check_replay();
  }
  GIVEN("a cancel_other job whose run waits for a retry") {
    world w;
    auto spec = base_spec("a");
    spec.overlap = m::overlap_policy::cancel_other;
    spec.retry.max_attempts = 3;
    spec.retry.initial_backoff = 5min;
    w.define(spec, t0);
    const auto id = w.fire_and_start("a", at(1min));
    w.finish(id, m::run_outcome::failed, at(1min + 10s), 9s);
    REQUIRE(w.s.runs.at(id).status == m::run_status::retry_wait);
    WHEN("00:02 cancels the waiting retry") {
      w.cycle(at(2min));
      THEN("the cancel is recorded at its decision time; the failure and duration stay") {
        REQUIRE(w.s.runs.at(id).status == m::run_status::cancelled);
        const auto& st = w.status("a");
        CHECK(st.last_outcome == m::run_outcome::cancelled);
        CHECK(st.last_finished == at(2min));
        CHECK(st.last_duration == m::duration{9s});
        CHECK(st.consecutive_failures == 1);
      }
    }
    w.check_replay();
  }
}

SCENARIO("the status outlives compaction and redefinition, paused is a filter", "[model][status]") {
  GIVEN("a job that failed twice") {
    world w;
    w.define(base_spec("a"), t0);
    const auto r1 = w.fire_and_start("a", at(1min));
    w.finish(r1, m::run_outcome::failed, at(1min + 5s));
    const auto r2 = w.fire_and_start("a", at(2min));
    w.finish(r2, m::run_outcome::failed, at(2min + 5s));
    WHEN("both runs are compacted and the job is redefined and paused") {
      m::runs_compacted c;
      c.job = "a";
      c.run_ids = {r1, r2};
      c.at = at(3min);
      m::apply_in_place(w.s, c);
      w.log.push_back(c);
      auto spec = base_spec("a", "@every 2m");
      w.define(spec, at(3min), false);
      w.accept(m::pause_job{"a", "maintenance", "test"}, at(4min));
      THEN("the status is unchanged, and the job is both failing and paused") {
        CHECK(w.job("a").runs.empty());
        CHECK(w.job("a").revision == 2);
        CHECK(w.status("a").consecutive_failures == 2);
        CHECK(w.status("a").last_failure == at(2min + 5s));
        CHECK(w.selects("a", m::job_filter::failing));
        CHECK(w.selects("a", m::job_filter::paused));
        CHECK_FALSE(w.selects("a", m::job_filter::running));
      }
    }
    w.check_replay();
  }
}

TEST_CASE("the filter names are failing, running and paused, nothing else", "[model][status]") {
  CHECK(m::parse_job_filter("failing") == m::job_filter::failing);
  CHECK(m::parse_job_filter("running") == m::job_filter::running);
  CHECK(m::parse_job_filter("paused") == m::job_filter::paused);
  for (const char* bad : {"", "all", "FAILING", "failing,paused", "ok", " paused"})
    CHECK_FALSE(m::parse_job_filter(bad));
}

TEST_CASE("a status rebuilt from retained runs equals the fold when nothing was compacted",
          "[model][status][checkpoint]") {
  world w;
  auto spec = base_spec("a");
  spec.retry.max_attempts = 2;
  spec.retry.initial_backoff = 1s;
  spec.retry.jitter = 0;
  w.define(spec, t0);
  // The nominal run fails after 4 s, is retried 10 s in and ends as `then`, `took` long,
  // `ends` after the nominal time: two failures in a row, and the status rebuilt agrees.
  auto fails_twice = [&w](m::wall_time nominal, m::run_outcome then, m::duration ends,
                          m::duration took) {
    const auto r = w.fire_and_start("a", nominal);
    w.finish(r, m::run_outcome::failed, nominal + 5s, 4s);
    REQUIRE(count_of<m::run_dispatched>(w.cycle(nominal + 10s)) == 1);
    w.start(r, nominal + 11s);
    w.finish(r, then, nominal + ends, took);
    CHECK(w.status("a").consecutive_failures == 2);
    CHECK(m::status_from_runs(w.s, w.job("a")) == w.status("a"));
  };
  // 00:01 fails twice (a retry), 00:02 succeeds, 00:03 fails then times out, 00:04 fails and
  // waits for its retry.
  fails_twice(at(1min), m::run_outcome::failed, 13s, 2s);
  w.finish(w.fire_and_start("a", at(2min)), m::run_outcome::succeeded, at(2min + 3s), 2s);
  fails_twice(at(3min), m::run_outcome::timed_out, 20s, 9s);
  const auto r4 = w.fire_and_start("a", at(4min));
  w.finish(r4, m::run_outcome::failed, at(4min + 5s), 3s);
  REQUIRE(w.s.runs.at(r4).status == m::run_status::retry_wait);
  CHECK(w.status("a").consecutive_failures == 3);
  CHECK(m::status_from_runs(w.s, w.job("a")) == w.status("a"));
  w.check_replay();
}

TEST_CASE("a schedule's period is its longest gap, sampled from its definition time",
          "[model][status][period]") {
  struct example {
    const char* schedule;
    std::optional<m::duration> period;
  };
  const std::vector<example> examples = {
      {"@every 90s", m::duration{90s}},
      {"*/5 * * * *", m::duration{5min}},
      {"@daily", m::duration{24h}},
      {"0 9 * * 1-5", m::duration{72h}},  // Friday to Monday
      {"@at 2026-02-01T00:00:00Z", std::nullopt},
  };
  for (const auto& e : examples) {
    INFO(e.schedule);
    const auto spec = base_spec("a", e.schedule);
    const auto c = m::compile_job(spec);
    REQUIRE(c);
    CHECK(m::schedule_period(*c, spec, t0) == e.period);
    // The derived field: set when the definition is compiled, from the definition time.
    world w;
    w.define(spec, t0);
    CHECK(w.job("a").period == e.period);
  }
  // Nor has a one-shot that already passed.
  const auto spec = base_spec("a", "@at 2025-01-01T00:00:00Z");
  CHECK_FALSE(m::schedule_period(*m::compile_job(spec), spec, t0));
}

TEST_CASE("per-job metrics: every job up to the limit, none beyond it", "[model][status]") {
  world w;
  w.define(base_spec("a"), t0);
  w.define(base_spec("b", "@every 1h"), t0);
  w.define(base_spec("c", "@at 2026-02-01T00:00:00Z"), t0);
  w.finish(w.fire_and_start("a", at(1min)), m::run_outcome::failed, at(1min + 5s));

  const auto all = m::collect_job_metrics(w.s, 3);
  CHECK(all.enabled);
  CHECK(all.jobs == 3);
  CHECK(all.limit == 3);
  REQUIRE(all.rows.size() == 3);
  CHECK(all.rows[0].job == "a");
  CHECK(all.rows[0].status == w.status("a"));
  CHECK(all.rows[0].status.consecutive_failures == 1);
  CHECK(all.rows[0].defined_at == t0);
  CHECK(all.rows[0].next_due == w.job("a").due);
  CHECK(all.rows[1].job == "b");
  CHECK(all.rows[1].period == m::duration{1h});
  CHECK(all.rows[2].job == "c");
  CHECK_FALSE(all.rows[2].period);

  const auto over = m::collect_job_metrics(w.s, 2);
  CHECK_FALSE(over.enabled);
  CHECK(over.jobs == 3);
  CHECK(over.rows.empty());
  const auto off = m::collect_job_metrics(w.s, 0);
  CHECK_FALSE(off.enabled);
  CHECK(off.rows.empty());
  CHECK(m::collect_job_metrics(m::state{}, 1).enabled);
}
