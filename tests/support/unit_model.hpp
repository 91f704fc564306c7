// Builders shared by the model and codec unit tests: a job definition, a run's report, the runs
// still going, and the scheduler as the actor drives it (one state, one log, every event
// applied once), which the planner and status tests extend with what they drive.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "model/decider.hpp"
#include "model/jobs.hpp"
#include "model/planner.hpp"

namespace vigil::test {

/// A job that runs /bin/true on `schedule`, every other field at its default.
inline model::job_spec base_spec(const std::string& id, const std::string& schedule = "@every 1m") {
  model::job_spec s;
  s.id = id;
  s.schedule = schedule;
  s.command.argv = {"/bin/true"};
  return s;
}

/// base_spec as the events carry it.
inline std::shared_ptr<model::job_spec> shared_spec(const std::string& id,
                                                    const std::string& schedule = "@every 1m") {
  return std::make_shared<model::job_spec>(base_spec(id, schedule));
}

/// The id of a scheduled (not manual) run.
inline std::string rid(const std::string& job, model::wall_time nominal) {
  return model::make_run_id(job, nominal, false);
}

/// The runner's report that `run` ended with `outcome` at `at`, nothing more said.
inline model::run_finished report(const std::string& run, model::run_outcome outcome,
                                  model::wall_time at) {
  model::run_finished f;
  f.run_id = run;
  f.outcome = outcome;
  f.at = at;
  return f;
}

/// The starting and running runs, in id order, with their status.
inline std::vector<std::pair<std::string, model::run_status>> going_runs(const model::state& s) {
  std::vector<std::pair<std::string, model::run_status>> going;
  for (const auto& [id, r] : s.runs)
    if (r.status == model::run_status::starting || r.status == model::run_status::running)
      going.emplace_back(id, r.status);
  std::sort(going.begin(), going.end());
  return going;
}

/// The events of one kind among `events`, in order.
template <class T>
std::vector<T> all_of(const std::vector<model::event>& events) {
  std::vector<T> out;
  for (const auto& e : events)
    if (const auto* x = std::get_if<T>(&e)) out.push_back(*x);
  return out;
}

/// The scheduler as the actor drives it: one state, one log, every event applied once.
struct model_world {
  model::state s;
  std::vector<model::event> log;

  void take(const std::vector<model::event>& events) {
    log.insert(log.end(), events.begin(), events.end());
  }
  /// A command the decider must accept: its events are applied and logged.
  std::vector<model::event> accept(const model::command& c, model::wall_time now) {
    auto d = model::decide(s, c, now);
    REQUIRE(std::holds_alternative<std::vector<model::event>>(d));
    auto events = std::get<std::vector<model::event>>(d);
    for (const auto& e : events) {
      model::apply_in_place(s, e);
      log.push_back(e);
    }
    return events;
  }
  /// A command the decider must refuse.
  model::rejection refuse(const model::command& c, model::wall_time now) {
    auto d = model::decide(s, c, now);
    REQUIRE(std::holds_alternative<model::rejection>(d));
    return std::get<model::rejection>(d);
  }
  void define(const model::job_spec& spec, model::wall_time now, bool create_only = true) {
    accept(model::define_job{std::make_shared<const model::job_spec>(spec), create_only, "test"},
           now);
  }
  std::vector<model::event> cycle(model::wall_time now, const model::cycle_limits& lim = {}) {
    auto events = model::plan_cycle(s, now, lim);
    take(events);
    return events;
  }
  std::vector<model::event> start(const std::string& run, model::wall_time now, int pid = 100) {
    auto events = model::on_run_started(s, run, pid, now);
    take(events);
    return events;
  }
  std::vector<model::event> finish(const model::run_finished& f) {
    auto events = model::on_run_finished(s, f);
    take(events);
    return events;
  }
  const model::job_state& job(const std::string& id) const {
    auto it = s.jobs.find(id);
    REQUIRE(it != s.jobs.end());
    return it->second;
  }
  const model::run_record& run(const std::string& id) const {
    auto it = s.runs.find(id);
    REQUIRE(it != s.runs.end());
    return it->second;
  }
  /// The state is the fold of the log: checked at the end of every scenario.
  void check_replay() const {
    const model::state replayed = model::fold(log);
    CHECK(replayed == s);
  }
};

}  // namespace vigil::test
