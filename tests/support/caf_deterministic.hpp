// An actor system on CAF's test coordinator: messages run one at a time on the test's thread
// and timers fire only when the test says so, so an actor test never waits on real time.
#pragma once

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <optional>
#include <utility>

namespace vigil::test {

/// `scheduler.policy = testing` (CAF 0.17). Actors spawned `detached` still get a thread of
/// their own, which would race the coordinator's queue: spawn none here. The journal asks the
/// scheduler (`detaches_utility_actors`, false here) and runs on the coordinator.
/// caf/test/dsl.hpp offers the same through `test_coordinator_fixture`, but it needs CAF's
/// unit-test engine, which Debian does not ship as a library.
class deterministic_system {
 public:
  deterministic_system() : sys_{configure(cfg_)}, sched_{coordinator(sys_)}, self_{sys_, true} {}
  deterministic_system(const deterministic_system&) = delete;
  deterministic_system& operator=(const deterministic_system&) = delete;
  /// Lets what is still queued (exit messages of the test's actors) run before teardown.
  ~deterministic_system() { run(); }

  caf::actor_system& sys() { return sys_; }
  caf::scheduler::test_coordinator& sched() { return sched_; }

  /// Runs messages until none is queued; a delayed message does not count until it fires.
  size_t run() { return sched_.run(); }
  /// Runs one queued message; false when none was.
  bool run_once() { return sched_.try_run_once(); }
  /// Fires the next pending timer (a `delayed_send`) regardless of its time; false if none.
  bool trigger_timeout() { return sched_.trigger_timeout(); }
  /// Fires the next timer, then runs what it set off: one turn of a timer-driven loop.
  void next_tick() {
    REQUIRE(trigger_timeout());
    run();
  }

  /// Sends `xs...` to `dest`, runs the system until it is quiet and returns the reply of type
  /// `T`; fails the test if none came.
  template <class T, class Handle, class... Ts>
  T ask(const Handle& dest, Ts&&... xs) {
    self_->send(dest, std::forward<Ts>(xs)...);
    run();
    std::optional<T> out;
    self_->receive([&](T& x) { out = std::move(x); }, caf::after(std::chrono::seconds{0}) >> [] {});
    REQUIRE(out);
    return std::move(*out);
  }

  /// The test's own actor: monitors, receives down messages.
  caf::scoped_actor& self() { return self_; }

 private:
  static caf::actor_system_config& configure(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    return cfg;
  }
  static caf::scheduler::test_coordinator& coordinator(caf::actor_system& sys) {
    return dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  caf::scoped_actor self_;
};

}  // namespace vigil::test
