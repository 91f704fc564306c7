// The planner: overlap and catch-up policies, misfires, retries, orphans, redefinition,
// removal, DST and the exactly-once rule, driven through plan_cycle and the runner reports
// with events built by hand. Every expectation is derived from the documented semantics.
#include "model/planner.hpp"
#include "model/decider.hpp"
#include "model/jobs.hpp"
#include "tests/support/unit_model.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace m = vigil::model;

/// 2026-01-01T00:00:00Z: a whole minute, so "@every 1m" nominal times are t0 + k minutes.
const m::wall_time t0 = *m::parse_rfc3339("2026-01-01T00:00:00Z");

m::wall_time at(m::duration d) { return t0 + d; }

using namespace vigil::test;

/// Job `id` every minute under the overlap policy `o`.
m::job_spec overlapping(const std::string& id, m::overlap_policy o) {
  auto spec = base_spec(id);
  spec.overlap = o;
  return spec;
}

/// The scheduler as the actor drives it, with the runner's exit codes and manual runs marked.
struct world : model_world {
  std::set<size_t> manual_at;  ///< log positions of manual decisions

  using model_world::finish;
  std::vector<m::event> finish(const std::string& run, m::run_outcome o, m::wall_time now) {
    auto f = report(run, o, now);
    if (o == m::run_outcome::succeeded) f.exit_code = 0;
    if (o == m::run_outcome::failed) f.exit_code = 1;
    return finish(f);
  }
  std::optional<m::fire_decided> manual(const std::string& job,
                                        std::optional<m::overlap_policy> overlap,
                                        m::wall_time now) {
    auto events = accept(m::run_job{job, overlap, "test"}, now);
    REQUIRE(events.size() == 1);
    manual_at.insert(log.size() - 1);
    REQUIRE(std::holds_alternative<m::fire_decided>(events[0]));
    return std::get<m::fire_decided>(events[0]);
  }
};

std::vector<m::fire_decided> decisions_in(const std::vector<m::event>& events) {
  return all_of<m::fire_decided>(events);
}

/// A decision covering `first` to `last`, `count` nominal times in all, of this kind.
void check_range(const m::fire_decided& d, m::decision_kind kind, m::wall_time first,
                 m::wall_time last, uint64_t count) {
  CHECK(d.kind == kind);
  CHECK(d.nominal == first);
  CHECK(d.last == last);
  CHECK(d.count == count);
}

/// The nominal times `first` to `last` missed, for `reason`.
void check_missed(const m::fire_decided& d, m::decision_reason reason, m::wall_time first,
                  m::wall_time last, uint64_t count) {
  check_range(d, m::decision_kind::missed, first, last, count);
  CHECK(d.reason == reason);
}

/// One nominal time fired, for `reason`.
void check_fired(const m::fire_decided& d, m::decision_reason reason, m::wall_time nominal) {
  CHECK(d.kind == m::decision_kind::fired);
  CHECK(d.reason == reason);
  CHECK(d.nominal == nominal);
}

/// A fire has been decided and the runner reports it running.
void fire_and_start(world& w, const std::string& job, m::wall_time nominal) {
  auto d = decisions_in(w.cycle(nominal));
  REQUIRE(d.size() == 1);
  REQUIRE(d[0].kind == m::decision_kind::fired);
  REQUIRE(d[0].run_id == rid(job, nominal));
  REQUIRE(w.start(d[0].run_id, nominal + 1s).size() == 1);
}

/// Job `spec` defined at 00:00, its 00:01 run fired and reported running.
world running(const m::job_spec& spec) {
  world w;
  w.define(spec, t0);
  fire_and_start(w, spec.id, at(1min));
  return w;
}

/// Every nominal time covered by a job's scheduled (non-manual) decisions, with multiplicity.
std::map<m::wall_time, int> covered(const world& w, const std::string& job,
                                    std::vector<std::string>* errors = nullptr) {
  std::map<m::wall_time, int> n;
  const auto& j = w.job(job);
  for (size_t i = 0; i < w.log.size(); ++i) {
    const auto* dp = std::get_if<m::fire_decided>(&w.log[i]);
    if (!dp || dp->job != job || w.manual_at.count(i)) continue;
    const auto& d = *dp;
    uint64_t count = 0;
    for (std::optional<m::wall_time> t = d.nominal; t && *t <= d.last;
         t = m::next_nominal(*j.compiled, *j.spec, *t)) {
      ++n[*t];
      ++count;
    }
    if (count != d.count && errors)
      errors->push_back("range count mismatch at " + m::format_rfc3339(d.nominal));
  }
  return n;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Run ids

TEST_CASE("run ids name the job and the nominal time, manual ones marked", "[planner][ids]") {
  CHECK(m::make_run_id("backup", at(1min), false) == "backup@20260101T000100Z");
  CHECK(m::make_run_id("backup", at(1min + 250ms), true) == "backup@manual-20260101T000100.250Z");
  world w;
  w.define(base_spec("a"), t0);
  auto d = decisions_in(w.cycle(at(1min)));
  REQUIRE(d.size() == 1);
  CHECK(d[0].run_id == "a@20260101T000100Z");
  CHECK(w.run(d[0].run_id).nominal == at(1min));
  CHECK(w.run(d[0].run_id).job == "a");
  CHECK(w.run(d[0].run_id).reason == "schedule");
  w.check_replay();
}

// ---------------------------------------------------------------------------------------------
// Overlap policies on scheduled fires

SCENARIO("overlap skip: a nominal time that comes while a run is going is skipped",
         "[planner][overlap]") {
  GIVEN("a skip job whose 00:01 run is still running") {
    world w = running(base_spec("a"));
    WHEN("00:02 comes") {
      auto d = decisions_in(w.cycle(at(2min)));
      THEN("it is skipped for overlap, with no run") {
        REQUIRE(d.size() == 1);
        CHECK(d[0].kind == m::decision_kind::skipped);
        CHECK(d[0].reason == m::decision_reason::overlap);
        CHECK(d[0].run_id.empty());
        CHECK(d[0].nominal == at(2min));
        CHECK(w.s.runs.size() == 1);
        CHECK(w.job("a").counters.skipped == 1);
        CHECK(w.s.totals.skipped == 1);
        CHECK(w.job("a").cursor == at(2min));
      }
      AND_WHEN("the run finishes and 00:03 comes") {
        w.finish(rid("a", at(1min)), m::run_outcome::succeeded, at(2min + 30s));
        auto d3 = decisions_in(w.cycle(at(3min)));
        THEN("00:03 fires") {
          REQUIRE(d3.size() == 1);
          CHECK(d3[0].kind == m::decision_kind::fired);
          CHECK(d3[0].reason == m::decision_reason::schedule);
          CHECK(d3[0].run_id == rid("a", at(3min)));
        }
      }
    }
    w.check_replay();
  }
  GIVEN("a skip job whose run was decided but not yet reported started") {
    world w;
    w.define(base_spec("a"), t0);
    w.cycle(at(1min));
    THEN("a starting run occupies the job too") {
      auto d = decisions_in(w.cycle(at(2min)));
      REQUIRE(d.size() == 1);
      CHECK(d[0].kind == m::decision_kind::skipped);
    }
    w.check_replay();
  }
}

SCENARIO("overlap buffer_one: one waits, the next is skipped as buffer_full",
         "[planner][overlap]") {
  GIVEN("a buffer_one job with its 00:01 run going") {
    auto spec = overlapping("a", m::overlap_policy::buffer_one);
    spec.buffer_limit = 5;  // ignored by buffer_one
    world w = running(spec);
    WHEN("00:02 and 00:03 come") {
      auto d2 = decisions_in(w.cycle(at(2min)));
      auto d3 = decisions_in(w.cycle(at(3min)));
      THEN("00:02 is buffered and 00:03 skipped") {
        REQUIRE(d2.size() == 1);
        CHECK(d2[0].kind == m::decision_kind::buffered);
        CHECK(d2[0].run_id == rid("a", at(2min)));
        CHECK(w.run(rid("a", at(2min))).status == m::run_status::buffered);
        CHECK(w.s.runs_buffered == 1);
        REQUIRE(d3.size() == 1);
        CHECK(d3[0].kind == m::decision_kind::skipped);
        CHECK(d3[0].reason == m::decision_reason::buffer_full);
        CHECK(w.job("a").buffer == std::vector<std::string>{rid("a", at(2min))});
      }
      AND_WHEN("the 00:01 run finishes") {
        auto ev = w.finish(rid("a", at(1min)), m::run_outcome::succeeded, at(3min + 10s));
        THEN("the buffered run is dispatched") {
          auto disp = all_of<m::run_dispatched>(ev);
          REQUIRE(disp.size() == 1);
          CHECK(disp[0].run_id == rid("a", at(2min)));
          CHECK(disp[0].attempt == 1);
          CHECK(disp[0].reason == "buffer");
          CHECK(w.run(rid("a", at(2min))).status == m::run_status::starting);
          CHECK(w.job("a").buffer.empty());
          CHECK(w.job("a").active == std::vector<std::string>{rid("a", at(2min))});
          CHECK(w.s.runs_buffered == 0);
          CHECK(w.s.runs_starting == 1);
        }
      }
    }
    w.check_replay();
  }
}

SCENARIO("overlap buffer_all: up to buffer_limit wait, in order", "[planner][overlap]") {
  GIVEN("a buffer_all job with buffer_limit 3 and its 00:01 run going") {
    auto spec = overlapping("a", m::overlap_policy::buffer_all);
    spec.buffer_limit = 3;
    world w = running(spec);
    WHEN("00:02 to 00:05 come, one cycle each") {
      std::vector<m::fire_decided> d;
      for (int k = 2; k <= 5; ++k)
        for (auto& x : decisions_in(w.cycle(at(k * 1min)))) d.push_back(x);
      THEN("three are buffered and the fourth is skipped as buffer_full") {
        REQUIRE(d.size() == 4);
        for (int k = 0; k < 3; ++k) CHECK(d[k].kind == m::decision_kind::buffered);
        CHECK(d[3].kind == m::decision_kind::skipped);
        CHECK(d[3].reason == m::decision_reason::buffer_full);
        CHECK(w.job("a").buffer.size() == 3);
        CHECK(w.s.runs_buffered == 3);
      }
      AND_WHEN("runs finish one after another") {
        auto e1 = all_of<m::run_dispatched>(
            w.finish(rid("a", at(1min)), m::run_outcome::succeeded, at(5min + 1s)));
        w.start(rid("a", at(2min)), at(5min + 2s));
        auto e2 = all_of<m::run_dispatched>(
            w.finish(rid("a", at(2min)), m::run_outcome::failed, at(5min + 3s)));
        THEN("the oldest buffered run goes first") {
          REQUIRE(e1.size() == 1);
          CHECK(e1[0].run_id == rid("a", at(2min)));
          REQUIRE(e2.size() == 1);
          CHECK(e2[0].run_id == rid("a", at(3min)));
          CHECK(w.job("a").buffer == std::vector<std::string>{rid("a", at(4min))});
        }
      }
    }
    w.check_replay();
  }
  GIVEN("a buffer_all job whose backlog comes in one cycle") {
    world w;
    auto spec = overlapping("a", m::overlap_policy::buffer_all);
    spec.buffer_limit = 2;
    spec.misfire_grace = 10min;
    w.define(spec, t0);
    WHEN("the first cycle is at 00:04") {
      auto d = decisions_in(w.cycle(at(4min)));
      THEN("00:01 fires, 00:02 and 00:03 buffer, 00:04 is skipped as buffer_full") {
        REQUIRE(d.size() == 4);
        CHECK(d[0].kind == m::decision_kind::fired);
        CHECK(d[1].kind == m::decision_kind::buffered);
        CHECK(d[2].kind == m::decision_kind::buffered);
        CHECK(d[3].kind == m::decision_kind::skipped);
        CHECK(d[3].reason == m::decision_reason::buffer_full);
      }
    }
    w.check_replay();
  }
}

SCENARIO("overlap cancel_other: the new run fires and the running one is cancelled",
         "[planner][overlap]") {
  GIVEN("a cancel_other job with retries and its 00:01 run going") {
    auto spec = overlapping("a", m::overlap_policy::cancel_other);
    spec.retry.max_attempts = 3;
    world w = running(spec);
    WHEN("00:02 comes") {
      auto d = decisions_in(w.cycle(at(2min)));
      THEN("it fires, naming the 00:01 run as cancelled") {
        REQUIRE(d.size() == 1);
        CHECK(d[0].kind == m::decision_kind::fired);
        CHECK(d[0].run_id == rid("a", at(2min)));
        CHECK(d[0].cancels == std::vector<std::string>{rid("a", at(1min))});
        CHECK(w.run(rid("a", at(1min))).cancelling);
        CHECK(w.job("a").active == std::vector<std::string>{rid("a", at(2min))});
      }
      AND_WHEN("00:03 comes while the 00:01 run is still being stopped") {
        auto d3 = decisions_in(w.cycle(at(3min)));
        THEN("only the 00:02 run is cancelled: one being cancelled no longer occupies") {
          REQUIRE(d3.size() == 1);
          CHECK(d3[0].cancels == std::vector<std::string>{rid("a", at(2min))});
        }
      }
      AND_WHEN("the cancelled run ends (as cancelled, or as failed)") {
        auto e = w.finish(rid("a", at(1min)), m::run_outcome::failed, at(2min + 5s));
        THEN("it is not retried: it was cancelled by the policy") {
          REQUIRE(e.size() == 1);
          CHECK(std::holds_alternative<m::run_finished>(e[0]));
          CHECK(w.run(rid("a", at(1min))).status == m::run_status::failed);
          CHECK(w.s.retries.empty());
        }
      }
    }
    w.check_replay();
  }
  GIVEN("a cancel_other job whose run waits for a retry") {
    auto spec = overlapping("a", m::overlap_policy::cancel_other);
    spec.retry.max_attempts = 3;
    spec.retry.initial_backoff = 5min;
    world w = running(spec);
    w.finish(rid("a", at(1min)), m::run_outcome::failed, at(1min + 10s));
    REQUIRE(w.run(rid("a", at(1min))).status == m::run_status::retry_wait);
    WHEN("00:02 comes") {
      auto d = decisions_in(w.cycle(at(2min)));
      THEN("the waiting retry is cancelled at once and never dispatched") {
        REQUIRE(d.size() == 1);
        CHECK(d[0].cancels == std::vector<std::string>{rid("a", at(1min))});
        CHECK(w.run(rid("a", at(1min))).status == m::run_status::cancelled);
        CHECK(w.s.runs_retry_wait == 0);
        CHECK(w.s.retries.empty());
        CHECK(w.job("a").counters.cancelled == 1);
        CHECK(all_of<m::run_dispatched>(w.cycle(at(20min))).empty());
      }
    }
    w.check_replay();
  }
}

SCENARIO("overlap allow: runs of the same job run side by side", "[planner][overlap]") {
  GIVEN("an allow job with its 00:01 run going") {
    auto spec = overlapping("a", m::overlap_policy::allow);
    world w = running(spec);
    WHEN("00:02 comes") {
      auto d = decisions_in(w.cycle(at(2min)));
      THEN("it fires and nothing is cancelled") {
        REQUIRE(d.size() == 1);
        CHECK(d[0].kind == m::decision_kind::fired);
        CHECK(d[0].cancels.empty());
        CHECK(w.job("a").active.size() == 2);
        CHECK(w.s.runs_running == 1);
        CHECK(w.s.runs_starting == 1);
      }
    }
    w.check_replay();
  }
}

// ---------------------------------------------------------------------------------------------
// Manual runs

TEST_CASE("a manual run under each overlap policy, with and without an override",
          "[planner][manual]") {
  using P = m::overlap_policy;
  const std::vector<P> all = {P::skip, P::buffer_one, P::buffer_all, P::cancel_other, P::allow};
  for (const P job_policy : all) {
    for (const std::optional<P> override_ :
         {std::optional<P>{}, std::optional<P>{P::skip}, std::optional<P>{P::buffer_one},
          std::optional<P>{P::buffer_all}, std::optional<P>{P::cancel_other},
          std::optional<P>{P::allow}}) {
      const P effective = override_.value_or(job_policy);
      INFO("job " << m::to_string(job_policy) << ", override "
                  << (override_ ? m::to_string(*override_) : "none"));
      world w;
      auto spec = base_spec("a", "@every 1h");
      spec.overlap = job_policy;
      spec.buffer_limit = 2;
      w.define(spec, t0);

      // A free job: the manual run fires whatever the policy.
      auto free = w.manual("a", override_, at(1s));
      REQUIRE(free);
      CHECK(free->kind == m::decision_kind::fired);
      CHECK(free->reason == m::decision_reason::manual);
      CHECK(free->nominal == at(1s));
      CHECK(free->run_id == m::make_run_id("a", at(1s), true));
      CHECK(free->cancels.empty());
      CHECK(w.job("a").cursor == t0);  // a manual run decides no nominal time
      w.start(free->run_id, at(2s));

      // A busy job: the (effective) policy decides, twice in a row.
      auto d1 = w.manual("a", override_, at(3s));
      auto d2 = w.manual("a", override_, at(4s));
      const std::string id1 = m::make_run_id("a", at(3s), true);
      const std::string id2 = m::make_run_id("a", at(4s), true);
      switch (effective) {
        case P::skip:
          CHECK(d1->kind == m::decision_kind::skipped);
          CHECK(d1->reason == m::decision_reason::overlap);
          CHECK(d1->run_id.empty());
          CHECK(d2->kind == m::decision_kind::skipped);
          break;
        case P::buffer_one:
          CHECK(d1->kind == m::decision_kind::buffered);
          CHECK(d1->reason == m::decision_reason::manual);
          CHECK(d1->run_id == id1);
          CHECK(w.run(id1).status == m::run_status::buffered);
          CHECK(d2->kind == m::decision_kind::skipped);
          CHECK(d2->reason == m::decision_reason::buffer_full);
          break;
        case P::buffer_all:  // the job's buffer_limit (2) applies
          CHECK(d1->kind == m::decision_kind::buffered);
          CHECK(d2->kind == m::decision_kind::buffered);
          CHECK(w.manual("a", override_, at(5s))->reason == m::decision_reason::buffer_full);
          break;
        case P::cancel_other:
          CHECK(d1->kind == m::decision_kind::fired);
          CHECK(d1->cancels == std::vector<std::string>{free->run_id});
          CHECK(d2->kind == m::decision_kind::fired);
          CHECK(d2->cancels == std::vector<std::string>{id1});
          CHECK(w.run(free->run_id).cancelling);
          break;
        case P::allow:
          CHECK(d1->kind == m::decision_kind::fired);
          CHECK(d2->kind == m::decision_kind::fired);
          CHECK(d1->cancels.empty());
          CHECK(w.job("a").active.size() == 3);
          break;
      }
      CHECK(w.job("a").cursor == t0);
      CHECK(w.job("a").due == at(1h));
      w.check_replay();
    }
  }
}

TEST_CASE("two manual runs in the same millisecond: the second is a conflict",
          "[planner][manual]") {
  world w;
  auto spec = overlapping("a", m::overlap_policy::allow);
  w.define(spec, t0);
  w.manual("a", std::nullopt, at(1s + 200us));
  auto r = w.refuse(m::run_job{"a", std::nullopt, "test"}, at(1s + 900us));
  CHECK(r.code == m::errc::conflict);
  CHECK(w.refuse(m::run_job{"nope", std::nullopt, "test"}, at(2s)).code == m::errc::not_found);
  CHECK_FALSE(m::manual_decision(w.s, "nope", std::nullopt, at(2s)));
}

SCENARIO("a skipped manual run does not swallow nominal times still owed", "[planner][manual]") {
  GIVEN("a skip job running its 00:01 run, the 00:02 time due but no cycle yet") {
    world w = running(base_spec("a"));
    WHEN("a manual run is asked at 00:02:30 and skipped, then the cycle runs") {
      auto d = w.manual("a", std::nullopt, at(2min + 30s));
      REQUIRE(d->kind == m::decision_kind::skipped);
      auto c = decisions_in(w.cycle(at(2min + 30s)));
      THEN("00:02 is still decided, by the schedule") {
        REQUIRE(c.size() == 1);
        CHECK(c[0].nominal == at(2min));
        CHECK(c[0].kind == m::decision_kind::skipped);
        CHECK(c[0].reason == m::decision_reason::overlap);
        CHECK(w.job("a").cursor == at(2min));
      }
    }
    w.check_replay();
  }
  GIVEN("a paused skip job with a run going") {
    world w = running(base_spec("a"));
    w.accept(m::pause_job{"a", "maintenance", "op"}, at(1min + 30s));
    WHEN("a manual run is skipped during the pause and the job resumes") {
      w.manual("a", std::nullopt, at(5min + 30s));
      w.accept(m::resume_job{"a", "", "op"}, at(6min + 30s));
      auto c = decisions_in(w.cycle(at(6min + 30s)));
      THEN("the nominal times of the pause are reported as paused") {
        REQUIRE(c.size() == 2);
        check_missed(c[0], m::decision_reason::paused, at(2min), at(5min), 4);
        CHECK(c[1].nominal == at(6min));
      }
    }
    w.check_replay();
  }
}

// ---------------------------------------------------------------------------------------------
// Catch-up after downtime

SCENARIO("catch-up after downtime", "[planner][catchup]") {
  // @every 1m defined at 00:00, grace 60s; the first cycle after the daemon was down.
  auto make = [](m::catchup_policy c, m::overlap_policy o = m::overlap_policy::allow) {
    auto spec = base_spec("a");
    spec.catchup = c;
    spec.overlap = o;
    spec.catchup_window = 5min;
    return spec;
  };
  GIVEN("catchup none, down from 00:00 to 00:10:30") {
    world w;
    w.define(make(m::catchup_policy::none), t0);
    auto d = decisions_in(w.cycle(at(10min + 30s)));
    THEN("00:01-00:09 are one missed range (misfire) and 00:10 fires on schedule") {
      REQUIRE(d.size() == 2);
      check_missed(d[0], m::decision_reason::misfire, at(1min), at(9min), 9);
      CHECK(d[0].run_id.empty());
      check_fired(d[1], m::decision_reason::schedule, at(10min));
      CHECK(w.job("a").counters.missed == 9);
      CHECK(w.job("a").counters.fired == 1);
      CHECK(w.job("a").cursor == at(10min));
    }
    w.check_replay();
  }
  GIVEN("catchup latest with an on-time nominal after the late ones") {
    world w;
    w.define(make(m::catchup_policy::latest), t0);
    auto d = decisions_in(w.cycle(at(10min + 30s)));
    THEN("no late one runs: the on-time one is newer") {
      REQUIRE(d.size() == 2);
      CHECK(d[0].kind == m::decision_kind::missed);
      CHECK(d[0].count == 9);
      CHECK(d[1].reason == m::decision_reason::schedule);
      CHECK(d[1].nominal == at(10min));
    }
    w.check_replay();
  }
  GIVEN("catchup latest with every nominal late") {
    world w;
    auto spec = make(m::catchup_policy::latest);
    spec.misfire_grace = 30s;  // so that 00:10 is late before 00:11 is due
    w.define(spec, t0);
    auto d = decisions_in(w.cycle(at(10min + 45s)));
    THEN("the newest late one runs as catchup, the others are missed") {
      REQUIRE(d.size() == 2);
      check_missed(d[0], m::decision_reason::misfire, at(1min), at(9min), 9);
      check_fired(d[1], m::decision_reason::catchup, at(10min));
      CHECK(w.run(d[1].run_id).reason == "catchup");
    }
    w.check_replay();
  }
  GIVEN("catchup all with a 5m window") {
    world w;
    w.define(make(m::catchup_policy::all), t0);
    auto d = decisions_in(w.cycle(at(10min + 30s)));
    THEN("late ones within 5m run (00:06-00:09), older ones are missed, 00:10 on schedule") {
      REQUIRE(d.size() == 6);
      check_range(d[0], m::decision_kind::missed, at(1min), at(5min), 5);
      for (int k = 1; k <= 4; ++k) {
        CHECK(d[k].kind == m::decision_kind::fired);
        CHECK(d[k].reason == m::decision_reason::catchup);
        CHECK(d[k].nominal == at((5 + k) * 1min));
      }
      CHECK(d[5].reason == m::decision_reason::schedule);
    }
    w.check_replay();
  }
  GIVEN("catchup all with the window boundary exactly on a nominal time") {
    world w;
    w.define(make(m::catchup_policy::all), t0);
    auto d = decisions_in(w.cycle(at(10min)));  // 00:05 is exactly 5m late
    THEN("a nominal exactly catchup_window late still runs") {
      REQUIRE(d.size() == 7);
      CHECK(d[0].last == at(4min));
      CHECK(d[1].nominal == at(5min));
      CHECK(d[1].reason == m::decision_reason::catchup);
    }
    w.check_replay();
  }
  GIVEN("catchup all under overlap skip") {
    world w;
    w.define(make(m::catchup_policy::all, m::overlap_policy::skip), t0);
    auto d = decisions_in(w.cycle(at(10min + 30s)));
    THEN("the first catch-up run occupies the job and the rest are skipped") {
      REQUIRE(d.size() == 6);
      CHECK(d[1].kind == m::decision_kind::fired);
      CHECK(d[1].reason == m::decision_reason::catchup);
      for (int k = 2; k <= 5; ++k) {
        CHECK(d[k].kind == m::decision_kind::skipped);
        CHECK(d[k].reason == m::decision_reason::overlap);
      }
    }
    w.check_replay();
  }
  GIVEN("catchup all with more late nominal times than the cap (100)") {
    world w;
    auto spec = make(m::catchup_policy::all);
    spec.catchup_window = 10h;
    w.define(spec, t0);
    auto d = decisions_in(w.cycle(at(200min + 30s)));
    THEN("the newest 100 late ones run, the 99 older are missed") {
      REQUIRE(d.size() == 102);
      check_range(d[0], m::decision_kind::missed, at(1min), at(99min), 99);
      CHECK(d[1].nominal == at(100min));
      CHECK(d[100].nominal == at(199min));
      for (size_t k = 1; k <= 100; ++k) CHECK(d[k].reason == m::decision_reason::catchup);
      CHECK(d[101].reason == m::decision_reason::schedule);
    }
    w.check_replay();
  }
  GIVEN("catchup all with a smaller cap in the cycle limits") {
    world w;
    w.define(make(m::catchup_policy::all), t0);
    m::cycle_limits lim;
    lim.max_catchup_runs = 2;
    auto d = decisions_in(w.cycle(at(10min + 30s), lim));
    THEN("only the newest 2 late ones run") {
      REQUIRE(d.size() == 4);
      CHECK(d[0].last == at(7min));
      CHECK(d[0].count == 7);
      CHECK(d[1].nominal == at(8min));
      CHECK(d[2].nominal == at(9min));
    }
    w.check_replay();
  }
}

// ---------------------------------------------------------------------------------------------
// Pauses

SCENARIO("a job pause: its nominal times are decided on resume, as paused",
         "[planner][pause][catchup]") {
  GIVEN("a job that ran 00:01, paused at 00:01:30") {
    world w;
    auto spec = overlapping("a", m::overlap_policy::allow);
    w.define(spec, t0);
    w.cycle(at(1min));
    w.accept(m::pause_job{"a", "maint", "op"}, at(1min + 30s));
    THEN("while paused nothing is decided and nothing is overdue") {
      CHECK(w.cycle(at(5min)).empty());
      CHECK(m::count_overdue(w.s, at(5min), 0s) == 0);
      CHECK(w.job("a").due == std::nullopt);
      CHECK(w.s.jobs_paused == 1);
    }
    WHEN("it resumes at 00:10:30 (catchup none)") {
      w.accept(m::resume_job{"a", "", "op"}, at(10min + 30s));
      auto d = decisions_in(w.cycle(at(10min + 30s)));
      THEN("00:02-00:09 are missed as paused and 00:10 fires") {
        REQUIRE(d.size() == 2);
        check_missed(d[0], m::decision_reason::paused, at(2min), at(9min), 8);
        CHECK(d[1].reason == m::decision_reason::schedule);
        CHECK(w.job("a").held_from == at(1min + 30s));
        CHECK(w.job("a").held_until == at(10min + 30s));
        CHECK(w.s.jobs_paused == 0);
      }
    }
    WHEN("a PUT during the pause sets catchup latest and grace 30s; resumed at 00:10:45") {
      auto s2 = spec;
      s2.catchup = m::catchup_policy::latest;
      s2.misfire_grace = 30s;
      w.define(s2, at(1min + 40s), false);  // a PUT during the pause keeps it paused
      REQUIRE(w.job("a").paused);
      w.accept(m::resume_job{"a", "", "op"}, at(10min + 45s));
      auto d = decisions_in(w.cycle(at(10min + 45s)));
      THEN("every nominal is late: the newest runs as catchup, the rest are missed as paused") {
        REQUIRE(d.size() == 2);
        check_missed(d[0], m::decision_reason::paused, at(2min), at(9min), 8);
        check_fired(d[1], m::decision_reason::catchup, at(10min));
      }
    }
    w.check_replay();
  }
  GIVEN("a job whose due nominal was not decided before the pause") {
    world w;
    w.define(base_spec("a"), t0);
    w.accept(m::pause_job{"a", "", "op"}, at(1min + 30s));  // 00:01 owed, no cycle ran
    w.accept(m::resume_job{"a", "", "op"}, at(5min + 30s));
    auto d = decisions_in(w.cycle(at(5min + 30s)));
    THEN("the one before the pause is a misfire, those inside it are paused") {
      REQUIRE(d.size() == 3);
      CHECK(d[0].reason == m::decision_reason::misfire);
      CHECK(d[0].nominal == at(1min));
      CHECK(d[0].count == 1);
      CHECK(d[1].reason == m::decision_reason::paused);
      CHECK(d[1].nominal == at(2min));
      CHECK(d[1].last == at(4min));
      CHECK(d[1].count == 3);
      CHECK(d[2].nominal == at(5min));
      CHECK(d[2].reason == m::decision_reason::schedule);
    }
    w.check_replay();
  }
}

SCENARIO("a scheduler pause: no new decisions, retries still go, paused on resume",
         "[planner][pause][catchup]") {
  GIVEN("a job that ran 00:01 and a job whose run waits for a retry at 00:03:10") {
    world w;
    auto a = overlapping("a", m::overlap_policy::allow);
    auto b = base_spec("b", "@every 1h");
    b.retry.max_attempts = 2;
    b.retry.initial_backoff = 2min;
    b.retry.jitter = 0;
    w.define(a, t0);
    w.define(b, t0);
    w.cycle(at(1min));
    const std::string b1 = w.manual("b", std::nullopt, at(1min))->run_id;
    w.finish(b1, m::run_outcome::failed, at(1min + 10s));
    REQUIRE(w.run(b1).retry_at == at(3min + 10s));
    w.accept(m::pause_scheduler{"deploy", "op"}, at(1min + 30s));
    WHEN("cycles run during the pause") {
      auto e = w.cycle(at(5min));
      THEN("nothing is decided, the retry is dispatched, nothing is overdue") {
        CHECK(decisions_in(e).empty());
        auto disp = all_of<m::run_dispatched>(e);
        REQUIRE(disp.size() == 1);
        CHECK(disp[0].run_id == b1);
        CHECK(disp[0].attempt == 2);
        CHECK(disp[0].reason == "retry");
        CHECK(m::count_overdue(w.s, at(5min), 0s) == 0);
        CHECK(m::next_wake(w.s) == std::nullopt);
      }
      AND_WHEN("the scheduler resumes at 00:10:30") {
        w.accept(m::resume_scheduler{"", "op"}, at(10min + 30s));
        auto d = decisions_in(w.cycle(at(10min + 30s)));
        THEN("00:02-00:09 are missed as paused, 00:10 fires") {
          REQUIRE(d.size() == 2);
          CHECK(d[0].job == "a");
          CHECK(d[0].reason == m::decision_reason::paused);
          CHECK(d[0].nominal == at(2min));
          CHECK(d[0].last == at(9min));
          CHECK(d[0].count == 8);
          CHECK(d[1].nominal == at(10min));
          CHECK(d[1].reason == m::decision_reason::schedule);
          CHECK(w.s.held_from == at(1min + 30s));
          CHECK(w.s.held_until == at(10min + 30s));
        }
      }
    }
    WHEN("the pause has nothing due but the retry") {
      THEN("next_wake is the retry") { CHECK(m::next_wake(w.s) == at(3min + 10s)); }
    }
    w.check_replay();
  }
}

// ---------------------------------------------------------------------------------------------
// Misfire grace

TEST_CASE("misfire grace: exactly grace late is on time, a millisecond more is a miss",
          "[planner][misfire]") {
  for (const m::duration grace : {m::duration{0}, m::duration{10s}, m::duration{60s}}) {
    for (const m::duration jitter : {m::duration{0}, m::duration{30s}}) {
      INFO("grace " << grace.count() << "ns, jitter " << jitter.count() << "ns");
      auto spec = base_spec("grace-job", "@every 1h");
      spec.misfire_grace = grace;
      spec.jitter = jitter;
      const m::duration off = m::jitter_offset(spec.id, jitter);
      CHECK(off >= m::duration{0});
      CHECK((jitter == m::duration{0} ? off == m::duration{0} : off < jitter));
      CHECK(off == std::chrono::floor<std::chrono::milliseconds>(off));
      CHECK(m::jitter_offset(spec.id, jitter) == off);
      const m::wall_time due = at(1h) + off;
      {
        world w;
        w.define(spec, t0);
        CHECK(w.job("grace-job").due == due);
        CHECK(m::next_wake(w.s) == due);
        CHECK(w.cycle(due - 1ms).empty());
        auto d = decisions_in(w.cycle(due + grace));
        REQUIRE(d.size() == 1);
        CHECK(d[0].kind == m::decision_kind::fired);
        CHECK(d[0].nominal == at(1h));  // the run id names the nominal, not the jittered time
        CHECK(d[0].run_id == rid("grace-job", at(1h)));
        CHECK(d[0].reason == m::decision_reason::schedule);
        w.check_replay();
      }
      {
        world w;
        w.define(spec, t0);
        auto d = decisions_in(w.cycle(due + grace + 1ms));
        REQUIRE(d.size() == 1);
        CHECK(d[0].kind == m::decision_kind::missed);
        CHECK(d[0].reason == m::decision_reason::misfire);
        w.check_replay();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Retries

TEST_CASE("retry backoff: exponential from the initial, capped, deterministic jitter",
          "[planner][retry]") {
  m::retry_policy p;
  p.initial_backoff = 10s;
  p.multiplier = 2;
  p.max_backoff = 25s;
  p.jitter = 0;
  CHECK(m::retry_backoff(p, "a@x", 2) == 10s);
  CHECK(m::retry_backoff(p, "a@x", 3) == 20s);
  CHECK(m::retry_backoff(p, "a@x", 4) == 25s);
  CHECK(m::retry_backoff(p, "a@x", 9) == 25s);
  p.multiplier = 1.5;
  p.max_backoff = 1h;
  CHECK(m::retry_backoff(p, "a@x", 4) == 22500ms);

  p.jitter = 0.5;
  p.multiplier = 2;
  p.max_backoff = 25s;
  std::set<m::duration> seen2;
  for (int i = 0; i < 200; ++i) {
    const std::string id = "job@" + std::to_string(i);
    const auto b2 = m::retry_backoff(p, id, 2);
    CHECK(b2 == m::retry_backoff(p, id, 2));  // the same after a replay or a restart
    CHECK(b2 >= 5s);
    CHECK(b2 <= 15s);
    CHECK(b2 == std::chrono::floor<std::chrono::milliseconds>(b2));
    const auto b9 = m::retry_backoff(p, id, 9);  // capped at 25s, then +-50%
    CHECK(b9 >= 12500ms);
    CHECK(b9 <= 37500ms);
    seen2.insert(b2);
  }
  CHECK(seen2.size() > 100);  // the jitter does spread retries
}

SCENARIO("retries: attempts, backoff growth, the cap, exhaustion, then the buffer",
         "[planner][retry]") {
  GIVEN("a buffer_one job with 4 attempts, backoff 10s x2 capped at 25s, no jitter") {
    auto spec = overlapping("a", m::overlap_policy::buffer_one);
    spec.retry.max_attempts = 4;
    spec.retry.initial_backoff = 10s;
    spec.retry.max_backoff = 25s;
    spec.retry.multiplier = 2;
    spec.retry.jitter = 0;
    world w = running(spec);
    const std::string r = rid("a", at(1min));

    WHEN("attempt 1 fails") {
      auto e = w.finish(r, m::run_outcome::failed, at(1min + 5s));
      THEN("attempt 2 is scheduled 10s later") {
        auto rs = all_of<m::retry_scheduled>(e);
        REQUIRE(e.size() == 2);
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].run_id == r);
        CHECK(rs[0].attempt == 2);
        CHECK(rs[0].due == at(1min + 15s));
        CHECK(rs[0].at == at(1min + 5s));
        CHECK(w.run(r).status == m::run_status::retry_wait);
        CHECK(w.run(r).retry_at == at(1min + 15s));
        CHECK(w.s.runs_retry_wait == 1);
        CHECK(w.job("a").active == std::vector<std::string>{r});
        CHECK(m::next_wake(w.s) == at(1min + 15s));
      }
      AND_WHEN("the retry comes due") {
        CHECK(w.cycle(at(1min + 15s) - 1ms).empty());
        auto d = w.cycle(at(1min + 15s));
        THEN("it is dispatched as attempt 2") {
          REQUIRE(d.size() == 1);
          auto disp = std::get<m::run_dispatched>(d[0]);
          CHECK(disp.run_id == r);
          CHECK(disp.attempt == 2);
          CHECK(disp.reason == "retry");
          CHECK(w.run(r).attempt == 2);
          CHECK(w.run(r).status == m::run_status::starting);
          CHECK_FALSE(w.run(r).retry_at);
          CHECK(w.s.retries.empty());
        }
        AND_WHEN("attempts 2 and 3 fail too, and 00:02 comes meanwhile") {
          w.start(r, at(1min + 16s));
          auto e2 =
              all_of<m::retry_scheduled>(w.finish(r, m::run_outcome::timed_out, at(1min + 20s)));
          auto c2 = w.cycle(at(2min));  // the 00:02 nominal and the retry due at 00:01:40
          auto e3 = all_of<m::retry_scheduled>(
              w.finish(r, m::run_outcome::failed_to_start, at(2min + 1s)));
          THEN("the backoff doubles, then is capped; 00:02 waits in the buffer") {
            REQUIRE(e2.size() == 1);
            CHECK(e2[0].attempt == 3);
            CHECK(e2[0].due == at(1min + 40s));
            REQUIRE(c2.size() == 2);
            auto d2 = std::get<m::fire_decided>(c2[0]);
            CHECK(d2.kind == m::decision_kind::buffered);  // a retry_wait run occupies
            CHECK(std::get<m::run_dispatched>(c2[1]).attempt == 3);
            REQUIRE(e3.size() == 1);
            CHECK(e3[0].attempt == 4);
            CHECK(e3[0].due == at(2min + 26s));  // 40s capped at 25s
          }
          AND_WHEN("attempt 4, the last, fails") {
            w.cycle(at(2min + 26s));
            REQUIRE(w.run(r).attempt == 4);
            auto e4 = w.finish(r, m::run_outcome::abandoned, at(2min + 30s));
            THEN("the run is final and the buffered 00:02 run is dispatched") {
              REQUIRE(e4.size() == 2);
              CHECK(std::get<m::run_finished>(e4[0]).run_id == r);
              auto disp = std::get<m::run_dispatched>(e4[1]);
              CHECK(disp.run_id == rid("a", at(2min)));
              CHECK(disp.reason == "buffer");
              CHECK(disp.attempt == 1);
              CHECK(w.run(r).status == m::run_status::abandoned);
              CHECK(w.run(r).attempt == 4);
              CHECK(w.job("a").counters.retries == 3);
              CHECK(w.job("a").counters.failed == 1);
              CHECK(w.job("a").counters.timed_out == 1);
              CHECK(w.job("a").counters.failed_to_start == 1);
              CHECK(w.job("a").counters.abandoned == 1);
              CHECK(w.s.totals.retries == 3);
            }
          }
        }
      }
    }
    w.check_replay();
  }
}

TEST_CASE("which outcomes are retried", "[planner][retry]") {
  using O = m::run_outcome;
  for (const O o :
       {O::succeeded, O::failed, O::timed_out, O::cancelled, O::failed_to_start, O::abandoned}) {
    INFO(m::to_string(o));
    auto spec = base_spec("a");
    spec.retry.max_attempts = 3;
    world w = running(spec);
    auto e = w.finish(rid("a", at(1min)), o, at(1min + 5s));
    const bool retried = o != O::succeeded && o != O::cancelled;
    CHECK(all_of<m::retry_scheduled>(e).size() == (retried ? 1u : 0u));
    CHECK(w.run(rid("a", at(1min))).status ==
          (retried ? m::run_status::retry_wait : m::status_of(o)));
    // A second report of the same end changes nothing.
    if (!retried) CHECK(w.finish(rid("a", at(1min)), O::failed, at(1min + 6s)).empty());
    w.check_replay();
  }
}

SCENARIO("a retry that succeeds ends the run", "[planner][retry]") {
  GIVEN("a job with 3 attempts whose first attempt failed") {
    world w;
    auto spec = base_spec("a", "@every 1h");
    spec.retry.max_attempts = 3;
    spec.retry.jitter = 0.3;
    w.define(spec, t0);
    fire_and_start(w, "a", at(1h));
    const std::string r = rid("a", at(1h));
    auto e = all_of<m::retry_scheduled>(w.finish(r, m::run_outcome::failed, at(1h + 1s)));
    REQUIRE(e.size() == 1);
    THEN("the due time carries the deterministic jitter of the run") {
      CHECK(e[0].due == at(1h + 1s) + m::retry_backoff(spec.retry, r, 2));
    }
    WHEN("the retry runs and succeeds") {
      w.cycle(e[0].due);
      w.start(r, e[0].due + 1s);
      auto f = w.finish(r, m::run_outcome::succeeded, e[0].due + 2s);
      THEN("nothing follows and the run is succeeded on attempt 2") {
        CHECK(f.size() == 1);
        CHECK(w.run(r).status == m::run_status::succeeded);
        CHECK(w.run(r).attempt == 2);
        CHECK(w.job("a").counters.failed == 1);
        CHECK(w.job("a").counters.succeeded == 1);
        CHECK(w.job("a").active.empty());
        CHECK(w.s.retries.empty());
      }
    }
    w.check_replay();
  }
}

// ---------------------------------------------------------------------------------------------
// Orphans after a restart

SCENARIO("abandon_orphans finishes runs a previous process left going", "[planner][orphans]") {
  GIVEN(
      "a retried allow job with one running and one starting run, a buffer_one job with a "
      "running and a buffered run, a skip job with a run waiting for its retry") {
    world w;
    auto a = overlapping("a", m::overlap_policy::allow);
    a.retry.max_attempts = 2;
    a.retry.initial_backoff = 30s;
    a.retry.jitter = 0;
    auto b = overlapping("b", m::overlap_policy::buffer_one);
    auto c = base_spec("c", "@every 1h");
    c.retry.max_attempts = 2;
    c.retry.initial_backoff = 10min;
    w.define(a, t0);
    w.define(b, t0);
    w.define(c, t0);
    w.cycle(at(1min));
    w.start(rid("a", at(1min)), at(1min + 1s));
    w.start(rid("b", at(1min)), at(1min + 1s));
    w.cycle(at(2min));  // a@00:02 starting, b@00:02 buffered
    const std::string c1 = w.manual("c", std::nullopt, at(2min + 5s))->run_id;
    w.finish(c1, m::run_outcome::failed, at(2min + 10s));
    REQUIRE(w.run(c1).status == m::run_status::retry_wait);
    WHEN("the daemon restarts at 00:03") {
      auto e = m::abandon_orphans(w.s, at(3min));
      w.take(e);
      THEN("each running or starting run is abandoned, in id order, and followed per policy") {
        auto fin = all_of<m::run_finished>(e);
        REQUIRE(fin.size() == 3);
        CHECK(fin[0].run_id == rid("a", at(1min)));
        CHECK(fin[1].run_id == rid("a", at(2min)));
        CHECK(fin[2].run_id == rid("b", at(1min)));
        for (const auto& f : fin) {
          CHECK(f.outcome == m::run_outcome::abandoned);
          CHECK(f.at == at(3min));
        }
        CHECK(fin[0].error.find("running") != std::string::npos);
        CHECK(fin[1].error.find("starting") != std::string::npos);
        auto rs = all_of<m::retry_scheduled>(e);
        REQUIRE(rs.size() == 2);
        CHECK(rs[0].run_id == rid("a", at(1min)));
        CHECK(rs[0].due == at(3min + 30s));
        CHECK(rs[1].run_id == rid("a", at(2min)));
        auto disp = all_of<m::run_dispatched>(e);
        REQUIRE(disp.size() == 1);
        CHECK(disp[0].run_id == rid("b", at(2min)));
        CHECK(w.run(c1).status == m::run_status::retry_wait);  // not an orphan
        CHECK(w.job("b").counters.abandoned == 1);
        CHECK(w.s.totals.abandoned == 3);
        CHECK(w.s.runs_running == 0);
        CHECK(w.s.runs_starting == 1);  // the dispatched buffered run: ordered now
      }
    }
    w.check_replay();
  }
}

SCENARIO("an orphan whose processes still live stays active until the runner says it is gone",
         "[planner][orphans]") {
  GIVEN(
      "a skip job retried once, running with its containment recorded, and a second job "
      "whose run was left starting") {
    world w;
    auto a = base_spec("a");
    a.retry.max_attempts = 2;
    a.retry.initial_backoff = 30s;
    a.retry.jitter = 0;
    w.define(a, t0);
    w.define(base_spec("b"), t0);
    w.cycle(at(1min));
    const std::string ra = rid("a", at(1min)), rb = rid("b", at(1min));
    const m::containment cg{"/sys/fs/cgroup/vigil-1/run-a-1", 100, 4242};
    w.take(m::on_run_started(w.s, ra, 100, at(1min + 1s), cg));
    REQUIRE(w.run(ra).contained == cg);
    WHEN("the daemon restarts at 00:03 and the runner found a's processes alive") {
      auto e = m::abandon_orphans(w.s, at(3min), std::vector<std::string>{rb});
      w.take(e);
      THEN("only b is abandoned; a stays running, occupies its job and is not retried") {
        auto fin = all_of<m::run_finished>(e);
        REQUIRE(fin.size() == 1);
        CHECK(fin[0].run_id == rb);
        CHECK(w.run(ra).status == m::run_status::running);
        CHECK(all_of<m::retry_scheduled>(e).empty());
        auto next = w.cycle(at(4min));
        size_t decided_a = 0;
        for (const auto& d : all_of<m::fire_decided>(next)) {
          if (d.job != "a") continue;
          ++decided_a;
          CHECK(d.kind != m::decision_kind::fired);  // overlap skip: the orphan counts
        }
        CHECK(decided_a > 0);
      }
      AND_WHEN("the runner reports it gone") {
        auto f = report(ra, m::run_outcome::abandoned, at(5min));
        f.error = "waited until they ended";
        auto later = w.finish(f);
        THEN("only then is it abandoned and its retry scheduled") {
          CHECK(w.run(ra).status == m::run_status::retry_wait);
          auto rs = all_of<m::retry_scheduled>(later);
          REQUIRE(rs.size() == 1);
          CHECK(rs[0].due == at(5min + 30s));
        }
      }
    }
    w.check_replay();
  }
}

// ---------------------------------------------------------------------------------------------
// Disabled jobs, redefinition, removal

SCENARIO("a disabled job is kept but never decided, enabling it starts from the PUT",
         "[planner][define]") {
  GIVEN("a disabled job defined at 00:00") {
    world w;
    auto spec = base_spec("a");
    spec.enabled = false;
    w.define(spec, t0);
    THEN("it is not in the timetable and nothing is owed") {
      CHECK(w.s.jobs_disabled == 1);
      CHECK(w.s.timetable.empty());
      CHECK(w.cycle(at(5min)).empty());
      CHECK(m::count_overdue(w.s, at(5min), 0s) == 0);
      CHECK(m::next_wake(w.s) == std::nullopt);
    }
    WHEN("a PUT enables it at 00:05:20") {
      spec.enabled = true;
      w.define(spec, at(5min + 20s), false);
      THEN("the times while it was disabled are not owed; 00:06 is the first") {
        CHECK(w.s.jobs_disabled == 0);
        CHECK(w.job("a").cursor == at(5min + 20s));
        CHECK(w.job("a").revision == 2);
        CHECK(w.cycle(at(5min + 59s)).empty());
        auto d = decisions_in(w.cycle(at(6min)));
        REQUIRE(d.size() == 1);
        CHECK(d[0].nominal == at(6min));
        CHECK(d[0].kind == m::decision_kind::fired);
      }
    }
    w.check_replay();
  }
  GIVEN("a job whose cycles have not run since 00:00") {
    world w;
    w.define(base_spec("a"), t0);
    WHEN("a PUT at 00:10:30 changes the schedule to @every 2m") {
      auto s2 = base_spec("a", "@every 2m");
      w.define(s2, at(10min + 30s), false);
      THEN("the new schedule starts from the PUT: nothing before it is decided") {
        CHECK(w.job("a").cursor == at(10min + 30s));
        CHECK(w.job("a").due == at(12min));
        CHECK(w.job("a").updated_at == at(10min + 30s));
        CHECK(w.job("a").created_at == t0);
        CHECK(w.cycle(at(11min)).empty());
        auto d = decisions_in(w.cycle(at(12min)));
        REQUIRE(d.size() == 1);
        CHECK(d[0].nominal == at(12min));
      }
      AND_WHEN("the same definition is PUT again") {
        auto e =
            w.accept(m::define_job{std::make_shared<const m::job_spec>(s2), false, "t"}, at(13min));
        THEN("nothing changes") {
          CHECK(e.empty());
          CHECK(w.job("a").revision == 2);
        }
      }
    }
    w.check_replay();
  }
}

SCENARIO("removing a job with runs going cancels them and drops its runs", "[planner][remove]") {
  GIVEN("an allow job with a running, a starting, a retry_wait and a buffered run") {
    world w;
    auto spec = overlapping("a", m::overlap_policy::allow);
    spec.retry.max_attempts = 3;
    spec.retry.initial_backoff = 10min;
    w.define(spec, t0);
    w.define(base_spec("other", "@every 1h"), t0);
    w.cycle(at(1min));
    w.start(rid("a", at(1min)), at(1min + 1s));
    w.cycle(at(2min));
    w.cycle(at(3min));
    w.finish(rid("a", at(3min)), m::run_outcome::failed, at(3min + 10s));
    auto buf = w.manual("a", m::overlap_policy::buffer_one, at(3min + 30s));
    REQUIRE(buf->kind == m::decision_kind::buffered);
    REQUIRE(w.s.runs_retry_wait == 1);
    WHEN("it is removed") {
      auto e = w.accept(m::remove_job{"a", "op"}, at(4min));
      THEN("the running and starting runs are named as cancelled, the rest go with it") {
        REQUIRE(e.size() == 1);
        auto rm = std::get<m::job_removed>(e[0]);
        CHECK(rm.cancels == std::vector<std::string>{rid("a", at(1min)), rid("a", at(2min))});
        CHECK(w.s.jobs.count("a") == 0);
        CHECK(w.s.runs.empty());
        CHECK(w.s.runs_starting == 0);
        CHECK(w.s.runs_running == 0);
        CHECK(w.s.runs_buffered == 0);
        CHECK(w.s.runs_retry_wait == 0);
        CHECK(w.s.retries.empty());
        CHECK(w.s.timetable.size() == 1);  // "other" only
        CHECK(m::next_wake(w.s) == at(1h));
      }
      AND_WHEN("the runner reports the cancelled runs afterwards") {
        THEN("the reports are ignored") {
          CHECK(w.finish(rid("a", at(1min)), m::run_outcome::cancelled, at(4min + 1s)).empty());
          CHECK(w.start(rid("a", at(2min)), at(4min + 1s)).empty());
        }
      }
      AND_WHEN("a job of the same id is created again") {
        w.define(base_spec("a"), at(4min + 30s));
        THEN("it starts afresh from its creation") {
          CHECK(w.job("a").revision == 1);
          CHECK(w.job("a").cursor == at(4min + 30s));
          CHECK(w.job("a").runs.empty());
          auto d = decisions_in(w.cycle(at(5min)));
          REQUIRE(d.size() == 1);
          CHECK(d[0].nominal == at(5min));
          CHECK(d[0].kind == m::decision_kind::fired);
        }
      }
    }
    w.check_replay();
  }
  GIVEN("no such job") {
    world w;
    THEN("removal is not found") {
      CHECK(w.refuse(m::remove_job{"nope", "op"}, t0).code == m::errc::not_found);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// DST

TEST_CASE("30 2 * * * in Europe/Berlin across the 2026-03-29 gap", "[planner][dst]") {
  for (const m::dst_gap gap : {m::dst_gap::run_at_end, m::dst_gap::skip}) {
    INFO(m::to_string(gap));
    world w;
    auto spec = base_spec("nightly", "30 2 * * *");
    spec.time_zone = "Europe/Berlin";
    spec.dst.gap = gap;
    spec.misfire_grace = 15min;  // cycles every 7 minutes are never late
    const m::wall_time from = *m::parse_rfc3339("2026-03-27T12:00:00Z");
    const m::wall_time to = *m::parse_rfc3339("2026-03-31T00:00:00Z");
    w.define(spec, from);
    std::vector<m::wall_time> fired;
    for (m::wall_time t = from; t <= to; t += 7min)
      for (const auto& d : decisions_in(w.cycle(t))) {
        CHECK(d.kind == m::decision_kind::fired);
        fired.push_back(d.nominal);
        w.finish(d.run_id, m::run_outcome::succeeded, t + 1s);
      }
    const auto berlin = *m::load_zone("Europe/Berlin");
    std::vector<std::string> local;
    for (auto t : fired) local.push_back(m::format_rfc3339_in(t, berlin));
    if (gap == m::dst_gap::run_at_end)
      CHECK(local == std::vector<std::string>{"2026-03-28T02:30:00+01:00",
                                              "2026-03-29T03:00:00+02:00",
                                              "2026-03-30T02:30:00+02:00"});
    else
      CHECK(local ==
            std::vector<std::string>{"2026-03-28T02:30:00+01:00", "2026-03-30T02:30:00+02:00"});
    w.check_replay();
  }
}

// ---------------------------------------------------------------------------------------------
// Exactly once

TEST_CASE("each (job, nominal time) is decided exactly once over many cycles", "[planner][once]") {
  world w;
  using P = m::overlap_policy;
  using C = m::catchup_policy;
  struct def {
    const char* id;
    const char* sched;
    P overlap;
    C catchup;
    m::duration grace;
    m::duration jitter;
  };
  const std::vector<def> defs = {
      {"every1", "@every 1m", P::skip, C::none, 60s, 0s},
      {"every90", "@every 90s/15s", P::buffer_all, C::all, 20s, 7s},
      {"cron5", "*/5 * * * *", P::cancel_other, C::latest, 30s, 0s},
      {"sec", "*/20 * * * * *", P::allow, C::all, 0s, 3s},
      {"berlin", "*/7 1-3 * * *", P::buffer_one, C::latest, 2min, 0s},
  };
  for (const auto& d : defs) {
    auto spec = base_spec(d.id, d.sched);
    spec.overlap = d.overlap;
    spec.catchup = d.catchup;
    spec.misfire_grace = d.grace;
    spec.jitter = d.jitter;
    spec.catchup_window = 3min;
    spec.buffer_limit = 2;
    if (std::string(d.id) == "berlin") spec.time_zone = "Europe/Berlin";
    w.define(spec, t0);
  }
  // Cycles at irregular, increasing times (an LCG: deterministic), with runs finishing,
  // manual runs, and job and scheduler pauses in between.
  uint64_t x = 12345;
  auto next = [&x](uint64_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % n;
  };
  m::wall_time now = t0;
  for (int step = 0; step < 1500; ++step) {
    now += std::chrono::milliseconds(1 + next(next(10) == 0 ? 900'000 : 40'000));
    w.cycle(now);
    CHECK(m::count_overdue(w.s, now, 0s) == 0);
    for (const auto& [id, status] : going_runs(w.s))
      if (next(3) == 0)
        w.finish(id, next(2) ? m::run_outcome::succeeded : m::run_outcome::failed, now);
    const std::string job = defs[next(defs.size())].id;
    switch (next(12)) {
      case 0:
        w.manual(job, std::nullopt, now);
        break;
      case 1:
        w.accept(m::pause_job{job, "", "t"}, now);
        break;
      case 2:
        w.accept(m::resume_job{job, "", "t"}, now);
        break;
      case 3:
        w.accept(m::pause_scheduler{"", "t"}, now);
        break;
      case 4:
      case 5:
        w.accept(m::resume_scheduler{"", "t"}, now);
        break;
      default:
        break;
    }
  }
  w.accept(m::resume_scheduler{"", "t"}, now);
  for (const auto& d : defs) w.accept(m::resume_job{d.id, "", "t"}, now);
  w.cycle(now);
  for (const auto& d : defs) {
    INFO(d.id);
    std::vector<std::string> errors;
    const auto n = covered(w, d.id, &errors);
    CHECK(errors.empty());
    // Every nominal time from the definition to the cursor is covered, exactly once.
    const auto& j = w.job(d.id);
    size_t expected = 0;
    for (auto t = m::next_nominal(*j.compiled, *j.spec, t0); t && *t <= j.cursor;
         t = m::next_nominal(*j.compiled, *j.spec, *t)) {
      ++expected;
      CHECK(n.count(*t) == 1);
    }
    CHECK(n.size() == expected);
    for (const auto& [t, k] : n) CHECK(k == 1);
    REQUIRE(j.due);
    CHECK(*j.due > now);  // everything due was decided
    CHECK(expected > 10);
  }
  w.check_replay();
}

// ---------------------------------------------------------------------------------------------
// Overdue

TEST_CASE("count_overdue: nothing after a cycle, the late ones when cycles do not run",
          "[planner][overdue]") {
  world w;
  auto a = base_spec("a");
  a.misfire_grace = 60s;
  auto b = base_spec("b");
  b.misfire_grace = 10s;
  auto c = base_spec("c");
  c.misfire_grace = 5min;
  w.define(a, t0);
  w.define(b, t0);
  w.define(c, t0);
  w.cycle(at(1min));
  CHECK(m::count_overdue(w.s, at(1min), 0s) == 0);
  // No cycle after 00:01: the 00:02 time of each job is due and undecided.
  CHECK(m::count_overdue(w.s, at(2min + 10s), 0s) == 0);        // b is exactly 10s late
  CHECK(m::count_overdue(w.s, at(2min + 10s + 1ms), 0s) == 1);  // b
  CHECK(m::count_overdue(w.s, at(2min + 30s), 40s) == 0);       // the scheduler's own slack
  CHECK(m::count_overdue(w.s, at(3min + 30s), 0s) == 2);        // a and b, not c
  CHECK(m::count_overdue(w.s, at(3min + 30s), 0s, 1) == 1);     // capped
  CHECK(m::count_overdue(w.s, at(8min), 0s) == 3);
  w.cycle(at(8min));
  CHECK(m::count_overdue(w.s, at(8min), 0s) == 0);
  w.accept(m::pause_scheduler{"", "t"}, at(8min));
  CHECK(m::count_overdue(w.s, at(20min), 0s) == 0);
  w.check_replay();
}

SCENARIO("every attempt of a retried run is kept, not only the last", "[planner][retry]") {
  GIVEN("a job with 3 attempts whose first attempt fails with exit 1") {
    auto spec = base_spec("a");
    spec.retry.max_attempts = 3;
    spec.retry.initial_backoff = 10s;
    spec.retry.jitter = 0;
    world w = running(spec);
    const std::string r = rid("a", at(1min));
    w.finish(r, m::run_outcome::failed, at(1min + 5s));

    THEN("the failed attempt is kept as it ended while the retry waits") {
      REQUIRE(w.run(r).earlier.size() == 1);
      const auto& a1 = w.run(r).earlier[0];
      CHECK(a1.attempt == 1);
      CHECK(a1.ended == m::run_status::failed);
      CHECK(a1.exit_code == 1);
      CHECK(a1.started_at == at(1min + 1s));
      CHECK(a1.finished_at == at(1min + 5s));
      CHECK_FALSE(m::latest_attempt_ended(w.run(r)));  // attempt 1 is not listed twice
      w.check_replay();
    }
    WHEN("attempt 2 succeeds") {
      w.cycle(at(1min + 15s));
      w.start(r, at(1min + 16s));
      w.finish(r, m::run_outcome::succeeded, at(1min + 20s));
      THEN("attempt 1 stays as it was and the run's own fields are attempt 2") {
        REQUIRE(w.run(r).earlier.size() == 1);
        CHECK(w.run(r).earlier[0].attempt == 1);
        CHECK(w.run(r).earlier[0].exit_code == 1);
        CHECK(w.run(r).attempt == 2);
        CHECK(w.run(r).exit_code == 0);
        CHECK(w.run(r).started_at == at(1min + 16s));
        CHECK(m::latest_attempt_ended(w.run(r)));
        w.check_replay();
      }
    }
    WHEN("a cancel_other fire cancels it while the retry waits") {
      auto other = spec;
      other.overlap = m::overlap_policy::cancel_other;
      other.retry.initial_backoff = 5min;
      world w2 = running(other);
      w2.finish(r, m::run_outcome::failed, at(1min + 5s));
      w2.cycle(at(2min));
      THEN("the run is cancelled and attempt 1 is still the only attempt that ran") {
        CHECK(w2.run(r).status == m::run_status::cancelled);
        REQUIRE(w2.run(r).earlier.size() == 1);
        CHECK(w2.run(r).earlier[0].ended == m::run_status::failed);
        CHECK_FALSE(m::latest_attempt_ended(w2.run(r)));
        w2.check_replay();
      }
    }
  }
}

SCENARIO("backfill decides the past nominal times nothing decided, once, under the overlap policy",
         "[planner][backfill]") {
  GIVEN("an allow job every minute, created at 00:00, whose daemon was down until 00:10") {
    world w;
    auto spec = overlapping("a", m::overlap_policy::allow);
    w.define(spec, t0);
    // 00:01 on missed (one range); those within the misfire grace of 00:10 fired.
    std::vector<m::wall_time> owed{t0};  // the creation instant: no decision covers it
    size_t fired = 0;
    for (const auto& d : all_of<m::fire_decided>(w.cycle(at(10min)))) {
      if (d.kind == m::decision_kind::fired) ++fired;
      if (d.kind != m::decision_kind::missed) continue;
      for (auto t = d.nominal; t <= d.last; t += 1min) owed.push_back(t);
    }
    REQUIRE(owed.size() > 5);
    REQUIRE(fired >= 1);
    REQUIRE(owed.size() + fired == 11);
    const m::backfill_job b{"a", t0, at(10min), "op"};

    WHEN("00:00-00:10 is backfilled") {
      const auto e = w.accept(b, at(10min) + 1s);
      THEN("00:00 (the job's creation) and the missed times fire; the fired had their runs") {
        const auto d = all_of<m::fire_decided>(e);
        REQUIRE(d.size() == owed.size());
        for (size_t i = 0; i < d.size(); ++i) {
          CHECK(d[i].nominal == owed[i]);
          CHECK(d[i].kind == m::decision_kind::fired);
          CHECK(d[i].origin == m::decision_origin::backfill);
          CHECK(d[i].reason == m::decision_reason::backfill);
          CHECK(d[i].run_id == rid("a", owed[i]));
          CHECK_FALSE(d[i].cursor);  // the schedule's cursor is not the backfill's business
        }
        CHECK(w.job("a").cursor == at(10min));
        // One range for the request, not a point per time.
        REQUIRE(w.job("a").backfilled.size() == 1);
        CHECK(w.job("a").backfilled[0] == std::pair{t0, at(10min)});
        w.check_replay();
      }
      AND_WHEN("the same range is backfilled again, after retention dropped the runs' records") {
        THEN("nothing is decided a second time") {
          CHECK(w.accept(b, at(10min) + 2s).empty());
          m::state dropped = w.s;
          dropped.runs.clear();
          CHECK(std::get<std::vector<m::fire_decided>>(
                    m::plan_backfill(dropped, "a", t0, at(10min), at(10min) + 3s))
                    .empty());
        }
      }
    }
  }
  GIVEN("a skip job created at 01:00") {
    world w;
    w.define(base_spec("a"), at(1h));
    WHEN("00:00-00:05 is backfilled") {
      const auto d =
          all_of<m::fire_decided>(w.accept(m::backfill_job{"a", t0, at(5min), "op"}, at(1h) + 1s));
      THEN("00:00 fires and the others are skipped: the first still runs (overlap skip)") {
        REQUIRE(d.size() == 6);
        CHECK(d[0].kind == m::decision_kind::fired);
        for (size_t i = 1; i < d.size(); ++i) {
          CHECK(d[i].kind == m::decision_kind::skipped);
          CHECK(d[i].reason == m::decision_reason::overlap);
          CHECK(d[i].run_id.empty());
        }
        CHECK(w.job("a").active == std::vector<std::string>{rid("a", t0)});
        w.check_replay();
      }
    }
    WHEN("a range is bad") {
      THEN("it is refused naming the field, and nothing is decided") {
        const auto now = at(1h) + 1s;
        auto future = w.refuse(m::backfill_job{"a", t0, at(2h), "op"}, now);
        CHECK(future.code == m::errc::invalid_argument);
        CHECK(future.field == "/to");
        auto reversed = w.refuse(m::backfill_job{"a", at(5min), t0, "op"}, now);
        CHECK(reversed.field == "/from");
        // @every 1m over a day is 1441 nominal times, over the limit of 1000.
        w.define(base_spec("b"), at(48h));
        auto many = w.refuse(m::backfill_job{"b", t0, at(24h), "op"}, at(48h) + 1s);
        CHECK(many.field == "/to");
        CHECK(many.detail.find("1000") != std::string::npos);
        CHECK(w.refuse(m::backfill_job{"nope", t0, at(5min), "op"}, now).code ==
              m::errc::not_found);
        // cancel_other would have each backfilled time cancel the one before it.
        auto cancelling = overlapping("c", m::overlap_policy::cancel_other);
        w.define(cancelling, now);
        CHECK(w.refuse(m::backfill_job{"c", t0, at(5min), "op"}, now).code == m::errc::conflict);
        CHECK(w.job("a").decisions.empty());
      }
    }
  }
}

SCENARIO("a job keeps at most 1000 separate backfilled ranges, and requests that join them",
         "[planner][backfill]") {
  GIVEN("an allow job every minute created at 01:00, backfilled minute by minute, apart") {
    world w;
    auto spec = overlapping("a", m::overlap_policy::allow);
    w.define(spec, at(std::chrono::hours(48)));
    const auto now = at(std::chrono::hours(48)) + 1s;
    for (int i = 0; i < 1000; ++i) {
      const auto t = at(std::chrono::minutes(2 * i));
      w.accept(m::backfill_job{"a", t, t, "op"}, now);
    }
    REQUIRE(w.job("a").backfilled.size() == 1000);
    THEN("a range apart from them is refused, naming /from; one that joins two is taken") {
      const auto far = at(std::chrono::minutes(2 * 1000 + 10));
      CHECK(w.refuse(m::backfill_job{"a", far, far, "op"}, now).field == "/from");
      const auto e = w.accept(m::backfill_job{"a", t0, at(2min), "op"}, now);
      const auto d = all_of<m::fire_decided>(e);
      REQUIRE(d.size() == 1);  // 00:00 and 00:02 were backfilled: only 00:01 is new
      CHECK(d[0].nominal == at(1min));
      CHECK(w.job("a").backfilled.size() == 999);  // 00:00-00:02 merged into one
      w.check_replay();
    }
  }
}

TEST_CASE(
    "next_nominals: the job's next times after its cursor or a later instant, none when "
    "its schedule cannot be compiled here",
    "[model][planner][next]") {
  auto spec = std::make_shared<m::job_spec>(base_spec("a"));  // @every 1m, defined at t0
  m::state s = m::fold({m::job_defined{spec, true, t0, "t"}});
  m::refresh_schedules(s);
  const m::job_state& j = *s.jobs.at("a");
  CHECK(m::next_nominals(j, t0, 3) == std::vector<m::wall_time>{at(1min), at(2min), at(3min)});
  CHECK(m::next_nominals(j, at(90s), 2) == std::vector<m::wall_time>{at(2min), at(3min)});
  CHECK(m::next_nominals(j, t0, 0).empty());
  // The cursor wins when it is later than the instant asked about.
  m::job_state moved = j;
  moved.cursor = at(10min);
  CHECK(m::next_nominals(moved, t0, 1) == std::vector<m::wall_time>{at(11min)});
  // A zone this machine lacks: kept, never fired, and no next times.
  auto lost = std::make_shared<m::job_spec>(base_spec("b"));
  lost->time_zone = "No/Such_Zone";
  m::state t = m::fold({m::job_defined{lost, true, t0, "t"}});
  m::refresh_schedules(t);
  CHECK(m::next_nominals(*t.jobs.at("b"), t0, 3).empty());
}
