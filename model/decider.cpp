// Rules for the scheduler's commands and how each event changes the state.
#include "model/decider.hpp"
#include "model/overloaded.hpp"

#include "model/jobs.hpp"
#include "model/planner.hpp"

namespace vigil::model {
namespace {

std::optional<rejection> check_reason(const std::string& reason) {
  if (reason.size() > max_reason_bytes)
    return rejection{errc::invalid_argument,
                     "reason is longer than " + std::to_string(max_reason_bytes) + " bytes",
                     "/reason"};
  return std::nullopt;
}

}  // namespace

const char* to_string(errc code) {
  switch (code) {
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::not_found:
      return "not_found";
    case errc::conflict:
      return "conflict";
    case errc::unavailable:
      return "unavailable";
    case errc::timeout:
      return "timeout";
    case errc::payload_too_large:
      return "payload_too_large";
    case errc::unauthorized:
      return "unauthorized";
    case errc::not_leader:
      return "not_leader";
    case errc::internal:
      break;
  }
  return "internal";
}

std::string_view event_type(const event& e) {
  return std::visit(overloaded{[](const scheduler_paused&) { return "scheduler_paused"; },
                               [](const scheduler_resumed&) { return "scheduler_resumed"; },
                               [](const job_defined&) { return "job_defined"; },
                               [](const job_removed&) { return "job_removed"; },
                               [](const job_paused&) { return "job_paused"; },
                               [](const job_resumed&) { return "job_resumed"; },
                               [](const fire_decided&) { return "fire_decided"; },
                               [](const run_dispatched&) { return "run_dispatched"; },
                               [](const run_started&) { return "run_started"; },
                               [](const run_finished&) { return "run_finished"; },
                               [](const retry_scheduled&) { return "retry_scheduled"; },
                               [](const runs_compacted&) { return "runs_compacted"; }},
                    e);
}

std::string_view job_of(const event& e) {
  return std::visit(
      [](const auto& ev) -> std::string_view {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, scheduler_paused> || std::is_same_v<T, scheduler_resumed>)
          return {};
        else if constexpr (std::is_same_v<T, job_defined>)
          return ev.spec ? std::string_view{ev.spec->id} : std::string_view{};
        else if constexpr (std::is_same_v<T, job_removed> || std::is_same_v<T, job_paused> ||
                           std::is_same_v<T, job_resumed> || std::is_same_v<T, fire_decided> ||
                           std::is_same_v<T, runs_compacted>)
          return ev.job;
        else
          return job_of_run(ev.run_id);
      },
      e);
}

decision decide(const state& s, const command& c, wall_time now) {
  // Event times are kept at the millisecond precision the log stores, so replay is exact.
  now = std::chrono::floor<std::chrono::milliseconds>(now);
  return std::visit(
      overloaded{
          [&](const pause_scheduler& cmd) -> decision {
            if (auto bad = check_reason(cmd.reason)) return *bad;
            if (s.paused) return std::vector<event>{};  // idempotent: already paused
            return std::vector<event>{scheduler_paused{cmd.reason, now, cmd.by}};
          },
          [&](const resume_scheduler& cmd) -> decision {
            if (auto bad = check_reason(cmd.reason)) return *bad;
            if (!s.paused) return std::vector<event>{};  // idempotent: already running
            return std::vector<event>{scheduler_resumed{cmd.reason, now, cmd.by}};
          },
          [&](const define_job& cmd) -> decision {
            if (!cmd.spec) return rejection{errc::invalid_argument, "no job definition", ""};
            const job_spec& spec = *cmd.spec;
            if (!valid_job_id(spec.id))
              return rejection{errc::invalid_argument,
                               "id must be 1-128 characters of A-Z a-z 0-9 . _ - and not start "
                               "with '.'",
                               "/id"};
            if (!compile_job(spec))
              return rejection{errc::invalid_argument, "schedule or time zone cannot be evaluated",
                               "/schedule"};
            auto it = s.jobs.find(spec.id);
            if (it != s.jobs.end()) {
              if (cmd.create_only)
                return rejection{
                    errc::conflict,
                    "job '" + spec.id + "' exists; PUT /v1/jobs/" + spec.id + " replaces it",
                    "/id"};
              if (*it->second->spec == spec) return std::vector<event>{};  // unchanged
            }
            return std::vector<event>{job_defined{cmd.spec, it == s.jobs.end(), now, cmd.by}};
          },
          [&](const remove_job& cmd) -> decision {
            auto it = s.jobs.find(cmd.job);
            if (it == s.jobs.end())
              return rejection{errc::not_found, "no job '" + cmd.job + "'", ""};
            job_removed ev{cmd.job, now, cmd.by, {}};
            for (const auto& id : it->second->active) {
              auto r = s.runs.find(id);
              if (r != s.runs.end() && (r->second.status == run_status::starting ||
                                        r->second.status == run_status::running))
                ev.cancels.push_back(id);
            }
            return std::vector<event>{std::move(ev)};
          },
          [&](const pause_job& cmd) -> decision {
            if (auto bad = check_reason(cmd.reason)) return *bad;
            auto it = s.jobs.find(cmd.job);
            if (it == s.jobs.end())
              return rejection{errc::not_found, "no job '" + cmd.job + "'", ""};
            if (it->second->paused) return std::vector<event>{};
            return std::vector<event>{job_paused{cmd.job, cmd.reason, now, cmd.by}};
          },
          [&](const resume_job& cmd) -> decision {
            if (auto bad = check_reason(cmd.reason)) return *bad;
            auto it = s.jobs.find(cmd.job);
            if (it == s.jobs.end())
              return rejection{errc::not_found, "no job '" + cmd.job + "'", ""};
            if (!it->second->paused) return std::vector<event>{};
            return std::vector<event>{job_resumed{cmd.job, cmd.reason, now, cmd.by}};
          },
          [&](const run_job& cmd) -> decision {
            auto d = manual_decision(s, cmd.job, cmd.overlap, now);
            if (!d) return rejection{errc::not_found, "no job '" + cmd.job + "'", ""};
            if (!d->run_id.empty() && s.runs.count(d->run_id))
              return rejection{errc::conflict,
                               "a manual run of this job was decided in the same millisecond", ""};
            return std::vector<event>{std::move(*d)};
          },
          [&](const backfill_job& cmd) -> decision {
            auto plan = plan_backfill(s, cmd.job, cmd.from, cmd.to, now);
            if (auto* no = std::get_if<rejection>(&plan)) return std::move(*no);
            auto& decisions = std::get<std::vector<fire_decided>>(plan);
            return std::vector<event>(std::make_move_iterator(decisions.begin()),
                                      std::make_move_iterator(decisions.end()));
          }},
      c);
}

state apply(state s, const event& e) {
  std::visit(overloaded{[&](const scheduler_paused& ev) {
                          s.paused = true;
                          s.paused_since = ev.at;
                          s.pause_reason = ev.reason;
                          s.paused_by = ev.by;
                        },
                        [&](const scheduler_resumed& ev) {
                          s.held_from = s.paused_since;
                          s.held_until = ev.at;
                          s.paused = false;
                          s.paused_since.reset();
                          s.pause_reason.clear();
                          s.paused_by.clear();
                        },
                        [&](const auto&) { apply_job_event(s, e); }},
             e);
  return s;
}

state fold(const std::vector<event>& events, state initial) {
  for (const auto& e : events) {
    initial = apply(std::move(initial), e);
    ++initial.log_seq;
  }
  return initial;
}

scheduler_status status_of(phase p, const state& s) {
  switch (p) {
    case phase::starting:
      return scheduler_status::starting;
    case phase::running:
      return s.paused ? scheduler_status::paused : scheduler_status::running;
    case phase::draining:
      return scheduler_status::draining;
    case phase::stopped:
      break;
  }
  return scheduler_status::stopped;
}

const char* to_string(scheduler_status s) {
  switch (s) {
    case scheduler_status::starting:
      return "starting";
    case scheduler_status::running:
      return "running";
    case scheduler_status::paused:
      return "paused";
    case scheduler_status::draining:
      return "draining";
    case scheduler_status::stopped:
      break;
  }
  return "stopped";
}

void record_cycle(cycle_stats& stats, wall_time started, wall_time finished,
                  const std::string& error) {
  ++stats.total;
  stats.last_started = started;
  stats.last_finished = finished;
  if (error.empty()) {
    ++stats.succeeded;
    stats.consecutive_failures = 0;
    stats.last_success = finished;
  } else {
    ++stats.failed;
    ++stats.consecutive_failures;
    stats.last_error = error;
  }
}

}  // namespace vigil::model
