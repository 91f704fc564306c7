// The runner's orders and the checkpoint policy, as pure functions of the durable state.
#include "model/orders.hpp"
#include "model/decider.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace m = vigil::model;

const m::wall_time t0 = *m::parse_rfc3339("2026-01-01T00:00:00Z");

m::event define(const std::string& id) {
  auto spec = std::make_shared<m::job_spec>();
  spec->id = id;
  spec->schedule = "@every 1m";
  spec->command.argv = {"/bin/echo", id};
  spec->command.env = {{"X", "1"}};
  spec->timeout = 30s;
  spec->kill_grace = 2s;
  spec->output_limit = 1234;
  return m::job_defined{spec, true, t0, "t"};
}

m::fire_decided fired(const std::string& job, m::wall_time nominal,
                      m::decision_kind kind = m::decision_kind::fired) {
  m::fire_decided d;
  d.job = job;
  d.nominal = d.last = nominal;
  d.kind = kind;
  d.cursor = nominal;
  d.run_id = kind == m::decision_kind::skipped ? "" : m::make_run_id(job, nominal, false);
  d.at = nominal;
  return d;
}

/// The orders of `batch`, applied to the state `before` them, as the scheduler sends them
/// after the batch is durable.
std::vector<m::order> orders_after(const std::vector<m::event>& before,
                                   const std::vector<m::event>& batch) {
  return m::orders_for(m::fold(batch, m::fold(before)), batch);
}

}  // namespace

TEST_CASE("a fired decision orders its run started, with what the definition says",
          "[model][orders]") {
  const auto d = fired("a", t0 + 1min);
  const auto orders = orders_after({define("a")}, {d});
  REQUIRE(orders.size() == 1);
  const auto& o = std::get<m::run_order>(orders[0]);
  CHECK(o.run_id == d.run_id);
  CHECK(o.job == "a");
  CHECK(o.attempt == 1);
  CHECK(o.nominal == t0 + 1min);
  CHECK(o.command.argv == std::vector<std::string>{"/bin/echo", "a"});
  CHECK(o.command.env == std::map<std::string, std::string>{{"X", "1"}});
  CHECK(o.timeout == 30s);
  CHECK(o.kill_grace == 2s);
  CHECK(o.output_limit == 1234);
}

TEST_CASE("skips and buffered decisions order nothing, and a dispatched run is started",
          "[model][orders]") {
  CHECK(orders_after({define("a")}, {fired("a", t0 + 1min, m::decision_kind::skipped)}).empty());
  const auto buffered = fired("a", t0 + 1min, m::decision_kind::buffered);
  CHECK(orders_after({define("a")}, {buffered}).empty());
  const auto orders = orders_after({define("a"), buffered},
                                   {m::run_dispatched{buffered.run_id, 1, "buffer", t0 + 2min}});
  REQUIRE(orders.size() == 1);
  CHECK(std::get<m::run_order>(orders[0]).run_id == buffered.run_id);
}

TEST_CASE(
    "a run that a later event of the same batch started, or whose job it removed, gets "
    "no start",
    "[model][orders]") {
  const auto d = fired("a", t0 + 1min);
  CHECK(orders_after({define("a")}, {d, m::run_started{d.run_id, 42, t0 + 1min}}).empty());
  const auto removed =
      orders_after({define("a")}, {d, m::job_removed{"a", t0 + 1min, "t", {d.run_id}}});
  // The removal's cancel, and no start for a run of a job that is gone.
  REQUIRE(removed.size() == 1);
  CHECK(std::get<m::cancel_order>(removed[0]).run_id == d.run_id);
}

TEST_CASE("cancels come before the start of the decision that cancels them, in event order",
          "[model][orders]") {
  const auto first = fired("a", t0 + 1min);
  auto second = fired("a", t0 + 2min);
  second.cancels = {first.run_id};
  const auto orders = orders_after({define("a"), first}, {second});
  REQUIRE(orders.size() == 2);
  CHECK(std::get<m::cancel_order>(orders[0]).run_id == first.run_id);
  CHECK(std::get<m::run_order>(orders[1]).run_id == second.run_id);
}

TEST_CASE("a checkpoint is due after N events or T with new events, N and T growing with the jobs",
          "[model][checkpoint]") {
  const m::checkpoint_policy p{1000, 60s};
  CHECK_FALSE(m::checkpoint_due(p, 0, 10, 1h));  // nothing new: never
  CHECK_FALSE(m::checkpoint_due(p, 999, 10, 59s));
  CHECK(m::checkpoint_due(p, 1000, 10, 0s));
  CHECK(m::checkpoint_due(p, 1, 10, 60s));
  // 100,000 jobs: at least 4 events per job, and 11 intervals.
  CHECK_FALSE(m::checkpoint_due(p, 399'999, 100'000, 10min));
  CHECK(m::checkpoint_due(p, 400'000, 100'000, 0s));
  CHECK_FALSE(m::checkpoint_due(p, 1, 100'000, 10min + 59s));
  CHECK(m::checkpoint_due(p, 1, 100'000, 11min));
  // Either trigger can be turned off.
  CHECK_FALSE(m::checkpoint_due({0, 60s}, 1'000'000, 10, 59s));
  CHECK(m::checkpoint_due({0, 60s}, 1, 10, 60s));
  CHECK_FALSE(m::checkpoint_due({1000, 0s}, 999, 10, 24h));
  CHECK(m::checkpoint_due({1000, 0s}, 1000, 10, 0s));
}
