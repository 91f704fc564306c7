// The decider for pause/resume, replay as a fold, cycle statistics, status and snapshots.
#include "model/decider.hpp"

#include "model/snapshot.hpp"
#include "model/state.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

namespace Catch {
template <>
struct StringMaker<vigil::model::state> {
  static std::string convert(const vigil::model::state& s) {
    return std::string{"{paused="} + (s.paused ? "true" : "false") + ", paused_since=" +
           (s.paused_since ? vigil::model::format_rfc3339(*s.paused_since) : "none") +
           ", reason=\"" + s.pause_reason + "\", log_seq=" + std::to_string(s.log_seq) + "}";
  }
};
}  // namespace Catch

namespace {

using namespace std::chrono_literals;
namespace m = vigil::model;

const m::wall_time t0 = m::wall_time{1'795'829'662'123ms};

/// A state as the scheduler holds it after a log of events (the "given").
m::state given(const std::vector<m::event>& log) { return m::fold(log); }

/// The events of an accepted decision; fails the test on a rejection.
std::vector<m::event> accepted(const m::decision& d) {
  REQUIRE(std::holds_alternative<std::vector<m::event>>(d));
  return std::get<std::vector<m::event>>(d);
}

/// The rejection of a refused decision; fails the test when events were returned.
m::rejection refused(const m::decision& d) {
  REQUIRE(std::holds_alternative<m::rejection>(d));
  return std::get<m::rejection>(d);
}

/// What the scheduler does live: apply each event and advance the sequence number.
void append(m::state& live, std::vector<m::event>& log, const std::vector<m::event>& events) {
  for (const auto& e : events) {
    live = m::apply(live, e);
    ++live.log_seq;
    log.push_back(e);
  }
}

}  // namespace

TEST_CASE(
    "pausing a running scheduler emits one scheduler_paused with the reason and the time "
    "floored to milliseconds",
    "[model][decider]") {
  const m::state s = given({});
  const auto events = accepted(m::decide(s, m::pause_scheduler{"maintenance"}, t0 + 999'999ns));
  REQUIRE(events.size() == 1);
  REQUIRE(std::holds_alternative<m::scheduler_paused>(events[0]));
  const auto& paused = std::get<m::scheduler_paused>(events[0]);
  CHECK(paused.reason == "maintenance");
  CHECK(paused.at == t0);
  CHECK(m::event_type(events[0]) == "scheduler_paused");
}

TEST_CASE("event times before 1970 are floored, not truncated toward zero", "[model][decider]") {
  const auto events = accepted(m::decide(given({}), m::pause_scheduler{""}, m::wall_time{-1ns}));
  REQUIRE(events.size() == 1);
  CHECK(std::get<m::scheduler_paused>(events[0]).at == m::wall_time{-1ms});
}

TEST_CASE("pausing a paused scheduler emits nothing", "[model][decider]") {
  const m::state s = given({m::scheduler_paused{"first", t0}});
  REQUIRE(s.paused);
  CHECK(accepted(m::decide(s, m::pause_scheduler{"second"}, t0 + 1s)).empty());
  CHECK(accepted(m::decide(s, m::pause_scheduler{"first"}, t0 + 1s)).empty());
}

TEST_CASE(
    "resuming a paused scheduler emits one scheduler_resumed with the reason and the time "
    "floored to milliseconds",
    "[model][decider]") {
  const m::state s = given({m::scheduler_paused{"maintenance", t0}});
  const auto events = accepted(m::decide(s, m::resume_scheduler{"done"}, t0 + 5s + 42'123'456ns));
  REQUIRE(events.size() == 1);
  REQUIRE(std::holds_alternative<m::scheduler_resumed>(events[0]));
  const auto& resumed = std::get<m::scheduler_resumed>(events[0]);
  CHECK(resumed.reason == "done");
  CHECK(resumed.at == t0 + 5s + 42ms);
  CHECK(m::event_type(events[0]) == "scheduler_resumed");
}

TEST_CASE("resuming a running scheduler emits nothing", "[model][decider]") {
  CHECK(accepted(m::decide(given({}), m::resume_scheduler{"x"}, t0)).empty());
  const m::state resumed =
      given({m::scheduler_paused{"a", t0}, m::scheduler_resumed{"b", t0 + 1s}});
  REQUIRE_FALSE(resumed.paused);
  CHECK(accepted(m::decide(resumed, m::resume_scheduler{"again"}, t0 + 2s)).empty());
}

TEST_CASE("a reason longer than max_reason_bytes is rejected on /reason and changes nothing",
          "[model][decider]") {
  const std::string too_long(m::max_reason_bytes + 1, 'x');
  const m::state running = given({});
  const m::state paused = given({m::scheduler_paused{"p", t0}});

  SECTION("pause") {
    const m::state before = running;
    const auto r = refused(m::decide(running, m::pause_scheduler{too_long}, t0));
    CHECK(r.code == m::errc::invalid_argument);
    CHECK(r.field == "/reason");
    CHECK_FALSE(r.detail.empty());
    CHECK(running == before);
  }
  SECTION("resume") {
    const m::state before = paused;
    const auto r = refused(m::decide(paused, m::resume_scheduler{too_long}, t0));
    CHECK(r.code == m::errc::invalid_argument);
    CHECK(r.field == "/reason");
    CHECK(paused == before);
  }
  SECTION("the command is validated before it is found to be already satisfied") {
    CHECK(refused(m::decide(paused, m::pause_scheduler{too_long}, t0)).field == "/reason");
    CHECK(refused(m::decide(running, m::resume_scheduler{too_long}, t0)).field == "/reason");
  }
}

TEST_CASE("a reason of exactly max_reason_bytes bytes is accepted: the limit counts bytes",
          "[model][decider]") {
  const std::string at_limit(m::max_reason_bytes, 'x');
  const auto events = accepted(m::decide(given({}), m::pause_scheduler{at_limit}, t0));
  REQUIRE(events.size() == 1);
  CHECK(std::get<m::scheduler_paused>(events[0]).reason == at_limit);

  // "é" is two bytes in UTF-8: half as many characters reach the same limit.
  std::string two_byte;
  for (size_t i = 0; i < m::max_reason_bytes / 2; ++i) two_byte += "\xc3\xa9";
  REQUIRE(two_byte.size() == m::max_reason_bytes);
  CHECK(accepted(m::decide(given({}), m::pause_scheduler{two_byte}, t0)).size() == 1);
  CHECK(refused(m::decide(given({}), m::pause_scheduler{two_byte + "\xc3\xa9"}, t0)).code ==
        m::errc::invalid_argument);
}

TEST_CASE("apply sets paused_since exactly when paused and leaves log_seq alone",
          "[model][decider]") {
  m::state s;
  s.log_seq = 7;
  s = m::apply(s, m::scheduler_paused{"why", t0});
  CHECK(s.paused);
  CHECK(s.paused_since == t0);
  CHECK(s.pause_reason == "why");
  CHECK(s.log_seq == 7);

  s = m::apply(s, m::scheduler_resumed{"back", t0 + 1s});
  CHECK_FALSE(s.paused);
  CHECK_FALSE(s.paused_since.has_value());
  CHECK(s.pause_reason.empty());
  CHECK(s.log_seq == 7);
}

TEST_CASE("apply is total: any event applies to any state", "[model][decider]") {
  // Replay cannot fail, even on a log decide would never have produced.
  const m::state running = m::apply(m::state{}, m::scheduler_resumed{"r", t0});
  CHECK_FALSE(running.paused);
  CHECK_FALSE(running.paused_since.has_value());

  const m::state twice = m::apply(m::apply(m::state{}, m::scheduler_paused{"a", t0}),
                                  m::scheduler_paused{"b", t0 + 1s});
  CHECK(twice.paused);
  CHECK(twice.paused_since == t0 + 1s);
  CHECK(twice.pause_reason == "b");
}

TEST_CASE("fold advances log_seq by one per event and continues from an initial state",
          "[model][decider]") {
  const std::vector<m::event> head{m::scheduler_paused{"a", t0},
                                   m::scheduler_resumed{"b", t0 + 1s}};
  const std::vector<m::event> tail{m::scheduler_paused{"c", t0 + 2s}};
  std::vector<m::event> all = head;
  all.insert(all.end(), tail.begin(), tail.end());

  CHECK(m::fold({}) == m::state{});
  CHECK(m::fold(head).log_seq == 2);
  const m::state whole = m::fold(all);
  CHECK(whole.log_seq == 3);
  CHECK(whole.paused);
  CHECK(whole.paused_since == t0 + 2s);
  CHECK(whole.pause_reason == "c");
  CHECK(m::fold(tail, m::fold(head)) == whole);
}

TEST_CASE("replaying the log equals the live state after thousands of random commands",
          "[model][decider]") {
  std::mt19937 rng{424242};
  std::uniform_int_distribution<int> coin{0, 1};
  std::uniform_int_distribution<int> reason_kind{0, 9};
  std::uniform_int_distribution<int64_t> step_ns{0, 5'000'000'000};

  m::state live;
  std::vector<m::event> log;
  m::wall_time now = t0;
  bool expect_paused = false;  // an independent reference of what the state should say
  int pauses = 0, resumes = 0, no_ops = 0, rejections = 0;

  for (int step = 0; step < 5000; ++step) {
    now += std::chrono::nanoseconds{step_ns(rng)};
    std::string reason;
    const int kind = reason_kind(rng);
    if (kind == 0)
      reason = std::string(m::max_reason_bytes + 1 + step % 7, 'r');
    else if (kind < 5)
      reason = "reason " + std::to_string(step);
    const bool pause = coin(rng) == 1;
    const m::command cmd =
        pause ? m::command{m::pause_scheduler{reason}} : m::command{m::resume_scheduler{reason}};
    INFO("step " << step << (pause ? " pause" : " resume") << " reason bytes " << reason.size());

    const m::state before = live;
    const m::decision d = m::decide(live, cmd, now);
    if (reason.size() > m::max_reason_bytes) {
      const auto r = refused(d);
      CHECK(r.field == "/reason");
      ++rejections;
    } else {
      const auto events = accepted(d);
      if (pause == expect_paused) {
        REQUIRE(events.empty());
        ++no_ops;
      } else {
        REQUIRE(events.size() == 1);
        const auto* paused = std::get_if<m::scheduler_paused>(&events[0]);
        const auto* resumed = std::get_if<m::scheduler_resumed>(&events[0]);
        REQUIRE((paused != nullptr) != (resumed != nullptr));
        const m::wall_time at = paused ? paused->at : resumed->at;
        const std::string why = paused ? paused->reason : resumed->reason;
        CHECK(at == std::chrono::floor<std::chrono::milliseconds>(now));
        CHECK(why == reason);
        CHECK(std::holds_alternative<m::scheduler_paused>(events[0]) == pause);
        expect_paused = pause;
        (pause ? pauses : resumes) += 1;
      }
      append(live, log, events);
    }
    if (log.size() == before.log_seq) REQUIRE(live == before);  // nothing appended, no change

    // Invariants after every step.
    REQUIRE(live.paused == expect_paused);
    REQUIRE(live.paused == live.paused_since.has_value());
    REQUIRE(live.log_seq == log.size());
    if (!live.paused) REQUIRE(live.pause_reason.empty());
    if (step % 250 == 0) REQUIRE(m::fold(log) == live);
  }
  CHECK(m::fold(log) == live);

  // The sequence exercised every branch, so the test above could have failed in each.
  CHECK(pauses > 100);
  CHECK(resumes > 100);
  CHECK(no_ops > 100);
  CHECK(rejections > 100);
}

TEST_CASE("record_cycle keeps total equal to succeeded plus failed", "[model][state]") {
  m::cycle_stats stats;
  std::mt19937 rng{7};
  std::uniform_int_distribution<int> fail{0, 2};
  m::wall_time now = t0;
  uint64_t expected_failed = 0;
  for (int i = 0; i < 1000; ++i) {
    const bool failed = fail(rng) == 0;
    m::record_cycle(stats, now, now + 3ms, failed ? "boom " + std::to_string(i) : "");
    expected_failed += failed;
    now += 1s;
    REQUIRE(stats.total == static_cast<uint64_t>(i + 1));
    REQUIRE(stats.total == stats.succeeded + stats.failed);
    REQUIRE(stats.failed == expected_failed);
  }
}

TEST_CASE("record_cycle counts consecutive failures and resets them on success", "[model][state]") {
  m::cycle_stats stats;
  m::record_cycle(stats, t0, t0 + 1ms, "disk full");
  m::record_cycle(stats, t0 + 1s, t0 + 1s + 1ms, "disk still full");
  CHECK(stats.consecutive_failures == 2);
  CHECK(stats.last_error == "disk still full");
  CHECK(stats.failed == 2);

  m::record_cycle(stats, t0 + 2s, t0 + 2s + 1ms, "");
  CHECK(stats.consecutive_failures == 0);
  CHECK(stats.succeeded == 1);

  m::record_cycle(stats, t0 + 3s, t0 + 3s + 1ms, "again");
  CHECK(stats.consecutive_failures == 1);
  CHECK(stats.last_error == "again");
}

TEST_CASE("record_cycle moves last_success only on success and always records start and finish",
          "[model][state]") {
  m::cycle_stats stats;
  m::record_cycle(stats, t0, t0 + 5ms, "boom");
  CHECK_FALSE(stats.last_success.has_value());
  CHECK(stats.last_started == t0);
  CHECK(stats.last_finished == t0 + 5ms);

  m::record_cycle(stats, t0 + 1s, t0 + 1s + 7ms, "");
  CHECK(stats.last_success == t0 + 1s + 7ms);
  CHECK(stats.last_started == t0 + 1s);
  CHECK(stats.last_finished == t0 + 1s + 7ms);

  m::record_cycle(stats, t0 + 2s, t0 + 2s + 9ms, "boom");
  CHECK(stats.last_success == t0 + 1s + 7ms);
  CHECK(stats.last_started == t0 + 2s);
  CHECK(stats.last_finished == t0 + 2s + 9ms);
}

TEST_CASE("status_of folds paused into running only", "[model][state]") {
  const m::state running = given({});
  const m::state paused = given({m::scheduler_paused{"p", t0}});
  using m::phase;
  using m::scheduler_status;

  CHECK(m::status_of(phase::starting, running) == scheduler_status::starting);
  CHECK(m::status_of(phase::starting, paused) == scheduler_status::starting);
  CHECK(m::status_of(phase::running, running) == scheduler_status::running);
  CHECK(m::status_of(phase::running, paused) == scheduler_status::paused);
  CHECK(m::status_of(phase::draining, running) == scheduler_status::draining);
  CHECK(m::status_of(phase::draining, paused) == scheduler_status::draining);
  CHECK(m::status_of(phase::stopped, running) == scheduler_status::stopped);
  CHECK(m::status_of(phase::stopped, paused) == scheduler_status::stopped);

  CHECK(std::string{m::to_string(scheduler_status::starting)} == "starting");
  CHECK(std::string{m::to_string(scheduler_status::running)} == "running");
  CHECK(std::string{m::to_string(scheduler_status::paused)} == "paused");
  CHECK(std::string{m::to_string(scheduler_status::draining)} == "draining");
  CHECK(std::string{m::to_string(scheduler_status::stopped)} == "stopped");
}

TEST_CASE("make_snapshot copies every part of one moment", "[model][snapshot]") {
  const m::state s =
      given({m::scheduler_paused{"maintenance", t0}, m::scheduler_resumed{"", t0 + 1s},
             m::scheduler_paused{"again", t0 + 2s}});
  m::cycle_stats cycles;
  m::record_cycle(cycles, t0, t0 + 1ms, "");
  m::record_cycle(cycles, t0 + 1s, t0 + 1s + 1ms, "boom");
  const m::wall_time started = t0 - 1h;
  const m::wall_time now = t0 + 3s + 456'789ns;

  m::journal_status failing;
  failing.ok = false;
  failing.error = "disk full";
  failing.failing_since = t0 + 1s;
  const m::snapshot_ptr snap = m::make_snapshot({"node-a", "epoch-1"}, 42, m::phase::running, s,
                                                cycles, failing, 250ms, started, now);
  REQUIRE(snap != nullptr);
  CHECK(snap->node == "node-a");
  CHECK(snap->epoch == "epoch-1");
  CHECK(snap->version == 42);
  CHECK(snap->log_seq == 3);
  CHECK(snap->last_updated == now);
  CHECK(snap->started_at == started);
  CHECK(snap->status == m::scheduler_status::paused);
  CHECK(snap->tick_interval == 250ms);
  CHECK(snap->cycles.total == 2);
  CHECK(snap->cycles.succeeded == 1);
  CHECK(snap->cycles.failed == 1);
  CHECK(snap->cycles.consecutive_failures == 1);
  CHECK(snap->cycles.last_error == "boom");
  CHECK(snap->paused_since == t0 + 2s);
  CHECK(snap->pause_reason == "again");
  CHECK_FALSE(snap->journal.ok);
  CHECK(snap->journal.error == "disk full");
  CHECK(snap->journal.failing_since == t0 + 1s);

  const m::snapshot_ptr draining = m::make_snapshot({"node-a", "epoch-1"}, 43, m::phase::draining,
                                                    given({}), cycles, {}, 250ms, started, now);
  CHECK(draining->status == m::scheduler_status::draining);
  CHECK_FALSE(draining->paused_since.has_value());
  CHECK(draining->pause_reason.empty());
  CHECK(draining->log_seq == 0);
}
