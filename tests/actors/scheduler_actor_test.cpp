// The scheduler actor: decide -> append -> apply -> publish -> reply, coalesced publication,
// replay equals live state, refusal when the log cannot write, drain.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <atomic>
#include <random>

#include "actors/journal.hpp"
#include "actors/scheduler.hpp"
#include "actors/system.hpp"
#include "codec/events.hpp"
#include "model/decider.hpp"
#include "model/planner.hpp"
#include "store/memory_store.hpp"

namespace {

using namespace std::chrono_literals;
namespace actors = vigil::actors;
namespace model = vigil::model;
namespace vs = vigil::store;

/// A store whose appends can be made to fail, as a full disk would.
class flaky_store final : public vs::store {
 public:
  std::atomic<bool> failing{false};
  uint64_t append(uint64_t expected_next, std::vector<vs::stored_event> batch) override {
    if (failing) throw vs::store_error("disk full");
    return inner_.append(expected_next, std::move(batch));
  }
  std::vector<vs::stored_event> read_after(uint64_t after, size_t limit) const override {
    return inner_.read_after(after, limit);
  }
  uint64_t last_seq() const override { return inner_.last_seq(); }
  void save_checkpoint(const vs::checkpoint& c) override { inner_.save_checkpoint(c); }
  std::optional<vs::checkpoint> load_checkpoint() const override {
    return inner_.load_checkpoint();
  }

 private:
  vs::memory_store inner_;
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

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<flaky_store> log = std::make_shared<flaky_store>();
  actors::journal_actor journal;
  actors::scheduler_actor scheduler;
  probe_sink fast;
  probe_sink slow;

  explicit fixture(model::duration tick = 2ms, bool with_slow = false) {
    actors::configure(cfg, 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    journal = actors::spawn_journal(*sys, {log, "epoch-1"});
    fast = sys->spawn(probe, true);
    std::vector<actors::snapshot_sink> sinks{fast};
    if (with_slow) {
      slow = sys->spawn(probe, false);
      sinks.push_back(slow);
    }
    actors::scheduler_config sc;
    sc.id = {"node-a", "epoch-1"};
    sc.tick_interval = tick;
    sc.wall_clock = actors::system_wall_clock;
    sc.journal = journal;
    sc.sinks = sinks;
    scheduler = actors::spawn_scheduler(*sys, std::move(sc));
  }
  ~fixture() {
    for (auto a : {caf::actor_cast<caf::actor>(scheduler), caf::actor_cast<caf::actor>(journal),
                   caf::actor_cast<caf::actor>(fast), caf::actor_cast<caf::actor>(slow)})
      if (a) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  std::vector<model::snapshot_ptr> received(const probe_sink& sink) {
    caf::scoped_actor self{*sys};
    std::vector<model::snapshot_ptr> out;
    self->request(sink, caf::infinite, caf::get_atom::value)
        .receive([&](std::vector<model::snapshot_ptr>& r) { out = std::move(r); },
                 [](caf::error&) {});
    return out;
  }

  /// Asks the fast sink until a snapshot satisfies `pred` (bounded); returns it or null.
  template <class Pred>
  model::snapshot_ptr await(Pred pred) {
    for (int i = 0; i < 200000; ++i) {
      auto all = received(fast);
      if (!all.empty() && pred(*all.back())) return all.back();
    }
    return nullptr;
  }

  actors::command_result command(model::command c) {
    caf::scoped_actor self{*sys};
    actors::command_result out;
    self->request(scheduler, caf::infinite, actors::command_atom::value, std::move(c))
        .receive([&](actors::command_result& r) { out = std::move(r); },
                 [](caf::error& e) { FAIL("no reply: " << to_string(e)); });
    return out;
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
  REQUIRE(f.await(running));
  auto r = f.command(model::pause_scheduler{"deploy"});
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
  REQUIRE(f.await(running));
  f.log->failing = true;
  auto r = f.command(model::pause_scheduler{"while the disk is full"});
  CHECK_FALSE(r.accepted);
  CHECK(r.rejected.code == model::errc::unavailable);
  CHECK(r.rejected.detail.find("disk full") != std::string::npos);
  // The refused pause never shows: the next snapshots are still running.
  auto later = f.await([&](const model::snapshot& s) { return s.cycles.total > 5; });
  REQUIRE(later);
  CHECK(later->status == model::scheduler_status::running);
  f.log->failing = false;
  r = f.command(model::pause_scheduler{"disk is back"});
  REQUIRE(r.accepted);
  CHECK(r.snapshot->log_seq == 1);  // no gap left by the refused attempt
}

TEST_CASE("replaying the log after a long random run reproduces the live state",
          "[actors][scheduler]") {
  fixture f{1ms};
  REQUIRE(f.await(running));
  std::mt19937 rng{20261128};
  model::snapshot_ptr last;
  for (int i = 0; i < 400; ++i) {
    const std::string reason = "r" + std::to_string(rng() % 1000);
    auto r = (rng() % 2) ? f.command(model::pause_scheduler{reason})
                         : f.command(model::resume_scheduler{reason});
    REQUIRE(r.accepted);
    last = r.snapshot;
  }
  const model::state replayed = replay(*f.log);
  CHECK(replayed.log_seq == last->log_seq);
  CHECK(replayed.paused == (last->status == model::scheduler_status::paused));
  CHECK(replayed.paused_since == last->paused_since);
  CHECK(replayed.pause_reason == last->pause_reason);
}

TEST_CASE("a slow sink gets one snapshot in flight and then the newest, not a backlog",
          "[actors][scheduler][coalescing]") {
  fixture f{1ms, true};
  REQUIRE(f.await(running));
  auto first = f.received(f.slow);
  REQUIRE(first.size() == 1);
  const uint64_t held_version = first[0]->version;
  // Let the scheduler publish 50 more while the slow sink holds its acknowledgement.
  REQUIRE(f.await([&](const model::snapshot& s) { return s.version > held_version + 50; }));
  CHECK(f.received(f.slow).size() == 1);
  caf::anon_send(f.slow, caf::ok_atom::value);
  std::vector<model::snapshot_ptr> after;
  for (int i = 0; i < 200000 && after.size() < 2; ++i) after = f.received(f.slow);
  REQUIRE(after.size() == 2);
  CHECK(after[1]->version > held_version + 50);  // the newest, the rest coalesced away
}

TEST_CASE("draining stops the loop and refuses new commands", "[actors][scheduler]") {
  fixture f;
  REQUIRE(f.await(running));
  caf::scoped_actor self{*f.sys};
  bool drained = false;
  self->request(f.scheduler, caf::infinite, actors::drain_atom::value)
      .receive([&](caf::ok_atom) { drained = true; }, [](caf::error&) {});
  REQUIRE(drained);
  auto stopped = f.await(
      [](const model::snapshot& s) { return s.status == model::scheduler_status::stopped; });
  REQUIRE(stopped);
  auto r = f.command(model::pause_scheduler{"too late"});
  CHECK_FALSE(r.accepted);
  CHECK(r.rejected.code == model::errc::unavailable);
  // Every snapshot the sink saw had a strictly larger version than the one before.
  auto all = f.received(f.fast);
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i]->version > all[i - 1]->version);
}
