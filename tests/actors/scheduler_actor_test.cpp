// The scheduler actor: decide -> append -> apply -> publish -> reply, coalesced publication,
// replay equals live state, refusal when the log cannot write, drain.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <optional>
#include <random>

#include "actors/journal.hpp"
#include "actors/scheduler.hpp"
#include "actors/system.hpp"
#include "codec/events.hpp"
#include "model/decider.hpp"
#include "model/planner.hpp"
#include "store/forwarding_store.hpp"
#include "store/memory_store.hpp"
#include "tests/support/caf_deterministic.hpp"

namespace {

using namespace std::chrono_literals;
namespace actors = vigil::actors;
namespace model = vigil::model;
namespace vs = vigil::store;

/// A store whose appends can be made to fail, as a full disk would.
class flaky_store final : public vs::forwarding_store {
 public:
  flaky_store() : forwarding_store(std::make_shared<vs::memory_store>()) {}
  bool failing = false;
  uint64_t append(uint64_t expected_next, std::vector<vs::stored_event> batch) override {
    if (failing) throw vs::store_error("disk full");
    return forwarding_store::append(expected_next, std::move(batch));
  }
};

/// A sink that records what it receives and acknowledges only when told to.
using probe_sink = caf::typed_actor<
    caf::replies_to<actors::snapshot_atom, model::snapshot_ptr>::with<caf::ok_atom>,
    caf::reacts_to<caf::ok_atom>,
    caf::replies_to<caf::get_atom>::with<std::vector<model::snapshot_ptr>>>;

struct probe_state {
  bool auto_ack = true;
  std::vector<model::snapshot_ptr> received;
  std::vector<caf::typed_response_promise<caf::ok_atom>> held;
};

probe_sink::behavior_type probe(probe_sink::stateful_pointer<probe_state> self, bool auto_ack) {
  self->state.auto_ack = auto_ack;
  return {
      [self](actors::snapshot_atom, model::snapshot_ptr& s) {
        self->state.received.push_back(s);
        auto p = self->make_response_promise<caf::ok_atom>();
        if (self->state.auto_ack)
          p.deliver(caf::ok_atom::value);
        else
          self->state.held.push_back(p);
        return p;
      },
      [self](caf::ok_atom) {
        for (auto& p : self->state.held) p.deliver(caf::ok_atom::value);
        self->state.held.clear();
      },
      [self](caf::get_atom) { return self->state.received; },
  };
}

}  // namespace
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<vigil::model::snapshot_ptr>)
namespace {

/// A scheduler, its journal and its sinks on CAF's test coordinator: every message runs on
/// the test's thread, and a tick happens only when the test fires its timer.
struct fixture {
  vigil::test::deterministic_system d;
  std::shared_ptr<flaky_store> log = std::make_shared<flaky_store>();
  actors::journal_actor journal;
  actors::scheduler_actor scheduler;
  probe_sink fast;
  probe_sink slow;

  explicit fixture(bool with_slow = false) {
    journal = actors::spawn_journal(d.sys(), {log, "epoch-1"});
    fast = d.sys().spawn(probe, true);
    std::vector<actors::snapshot_sink> sinks{fast};
    if (with_slow) {
      slow = d.sys().spawn(probe, false);
      sinks.push_back(slow);
    }
    actors::scheduler_config sc;
    sc.id = {"node-a", "epoch-1"};
    sc.tick_interval = 1s;  // never waited for: the test fires each tick's timer
    sc.wall_clock = actors::system_wall_clock;
    sc.journal = journal;
    sc.sinks = sinks;
    scheduler = actors::spawn_scheduler(d.sys(), std::move(sc));
    d.run();  // the first cycle runs at once; the next waits for its timer
  }
  ~fixture() {
    for (auto a : {caf::actor_cast<caf::actor>(scheduler), caf::actor_cast<caf::actor>(journal),
                   caf::actor_cast<caf::actor>(fast), caf::actor_cast<caf::actor>(slow)})
      if (a) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    d.run();
  }

  std::vector<model::snapshot_ptr> received(const probe_sink& sink) {
    return d.ask<std::vector<model::snapshot_ptr>>(sink, caf::get_atom::value);
  }
  model::snapshot_ptr latest() {
    auto all = received(fast);
    REQUIRE_FALSE(all.empty());
    return all.back();
  }
  /// Runs `n` more cycles of the loop, one timer at a time.
  void cycles(int n) {
    for (int i = 0; i < n; ++i) d.next_tick();
  }

  actors::command_result command(model::command c) {
    return d.ask<actors::command_result>(scheduler, actors::command_atom::value, std::move(c));
  }
};

bool running(const model::snapshot& s) { return s.status == model::scheduler_status::running; }

model::state replay(const vs::store& log) {
  model::state s;
  for (const auto& e : log.read_after(0, 1u << 20)) {
    auto decoded = vigil::codec::decode_event(e.type, e.schema_version, e.body);
    REQUIRE(decoded);
    model::fold_stored(s, std::move(*decoded), e.seq);
  }
  return s;
}

}  // namespace

TEST_CASE("a command is acknowledged only once its event is in the log", "[actors][scheduler]") {
  fixture f;
  REQUIRE(running(*f.latest()));
  // One message at a time: at the moment the answer arrives, its event is already stored.
  f.d.self()->send(f.scheduler, actors::command_atom::value,
                   model::command{model::pause_scheduler{"deploy"}});
  std::optional<actors::command_result> answer;
  uint64_t stored_when_answered = 0;
  while (!answer) {
    f.d.self()->receive(
        [&](actors::command_result& got) {
          answer = std::move(got);
          stored_when_answered = f.log->last_seq();
        },
        caf::after(std::chrono::seconds{0}) >> [] {});
    if (!answer && !f.d.run_once()) break;
  }
  REQUIRE(answer);
  CHECK(stored_when_answered == 1);
  auto r = std::move(*answer);
  REQUIRE(r.accepted);
  CHECK(r.changed);
  REQUIRE(r.snapshot);
  CHECK(r.snapshot->status == model::scheduler_status::paused);
  CHECK(r.snapshot->log_seq == 1);
  REQUIRE(f.log->last_seq() == 1);
  const auto stored = f.log->read_after(0, 10);
  CHECK(stored[0].type == "scheduler_paused");
  CHECK(stored[0].epoch == "epoch-1");
  r = f.command(model::pause_scheduler{"again"});
  CHECK(r.accepted);
  CHECK_FALSE(r.changed);
  CHECK(f.log->last_seq() == 1);
  r = f.command(model::pause_scheduler{std::string(model::max_reason_bytes + 1, 'x')});
  CHECK_FALSE(r.accepted);
  CHECK(r.rejected.code == model::errc::invalid_argument);
  CHECK(r.rejected.field == "/reason");
}

TEST_CASE("a log that cannot write refuses the command and loses nothing", "[actors][scheduler]") {
  fixture f;
  REQUIRE(running(*f.latest()));
  f.log->failing = true;
  auto r = f.command(model::pause_scheduler{"while the disk is full"});
  CHECK_FALSE(r.accepted);
  CHECK(r.rejected.code == model::errc::unavailable);
  CHECK(r.rejected.detail.find("disk full") != std::string::npos);
  // The refused pause never shows: the next snapshots are still running.
  f.cycles(5);
  auto later = f.latest();
  CHECK(later->cycles.total > 5);
  CHECK(later->status == model::scheduler_status::running);
  f.log->failing = false;
  r = f.command(model::pause_scheduler{"disk is back"});
  REQUIRE(r.accepted);
  CHECK(r.snapshot->log_seq == 1);  // no gap left by the refused attempt
}

TEST_CASE("replaying the log after a long random run reproduces the live state",
          "[actors][scheduler]") {
  fixture f;
  REQUIRE(running(*f.latest()));
  std::mt19937 rng{20261128};
  model::snapshot_ptr last;
  for (int i = 0; i < 400; ++i) {
    const std::string reason = "r" + std::to_string(rng() % 1000);
    auto r = (rng() % 2) ? f.command(model::pause_scheduler{reason})
                         : f.command(model::resume_scheduler{reason});
    REQUIRE(r.accepted);
    last = r.snapshot;
    if (i % 10 == 9) f.cycles(1);  // the loop runs between commands, as it does live
  }
  const model::state replayed = replay(*f.log);
  CHECK(replayed.log_seq == last->log_seq);
  CHECK(replayed.paused == (last->status == model::scheduler_status::paused));
  CHECK(replayed.paused_since == last->paused_since);
  CHECK(replayed.pause_reason == last->pause_reason);
}

TEST_CASE("a slow sink gets one snapshot in flight and then the newest, not a backlog",
          "[actors][scheduler][coalescing]") {
  fixture f{true};
  REQUIRE(running(*f.latest()));
  auto first = f.received(f.slow);
  REQUIRE(first.size() == 1);
  const uint64_t held_version = first[0]->version;
  // The scheduler publishes 50 more while the slow sink holds its acknowledgement.
  f.cycles(50);
  CHECK(f.latest()->version > held_version + 50);
  CHECK(f.received(f.slow).size() == 1);
  caf::anon_send(f.slow, caf::ok_atom::value);
  f.d.run();
  const auto after = f.received(f.slow);
  REQUIRE(after.size() == 2);
  CHECK(after[1]->version > held_version + 50);  // the newest, the rest coalesced away
}

TEST_CASE("draining stops the loop and refuses new commands", "[actors][scheduler]") {
  fixture f;
  REQUIRE(running(*f.latest()));
  f.d.ask<caf::ok_atom>(f.scheduler, actors::drain_atom::value);
  CHECK(f.latest()->status == model::scheduler_status::stopped);
  auto r = f.command(model::pause_scheduler{"too late"});
  CHECK_FALSE(r.accepted);
  CHECK(r.rejected.code == model::errc::unavailable);
  // Every snapshot the sink saw had a strictly larger version than the one before.
  auto all = f.received(f.fast);
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i]->version > all[i - 1]->version);
}
