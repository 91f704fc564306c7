// Maps durable events to log lines: failed, timed-out, abandoned, cancelled and
// failed-to-start runs (warn), retries, pauses and resumes (info). A run is named with its job
// and attempt from the state it is applied to.
#include "actors/event_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <type_traits>
#include <vector>

namespace vigil::actors {
namespace {

/// ` reason "<text>"` when there is a reason, else nothing; quoted so a reason reads as data.
std::string reason_part(const std::string& reason) {
  return reason.empty() ? std::string{} : " reason \"" + reason + "\"";
}

std::string by_part(const std::string& by) { return by.empty() ? std::string{} : " by " + by; }

/// `run <id> of job <job> (attempt <n>)`, or just the run id when the state does not know it.
std::string run_part(const model::state& s, const std::string& run_id) {
  auto it = s.runs.find(run_id);
  if (it == s.runs.end()) return "run " + run_id;
  return "run " + run_id + " of job " + it->second.job + " (attempt " +
         std::to_string(it->second.attempt) + ")";
}

std::optional<event_log_line> finished_line(const model::state& s, const model::run_finished& f) {
  using model::run_outcome;
  if (f.outcome == run_outcome::succeeded) return std::nullopt;
  std::string text = run_part(s, f.run_id) + " " + model::to_string(f.outcome);
  if (f.exit_code) text += ": exit code " + std::to_string(*f.exit_code);
  if (f.signal)
    text += std::string{f.exit_code ? "," : ":"} + " signal " + std::to_string(*f.signal);
  if (!f.error.empty()) text += (f.exit_code || f.signal ? ", " : ": ") + f.error;
  char elapsed[40];
  std::snprintf(elapsed, sizeof elapsed, " after %.3fs", model::to_seconds(f.elapsed));
  text += elapsed;
  const auto level =
      f.outcome == run_outcome::cancelled ? event_log_line::info : event_log_line::warn;
  return event_log_line{level, std::move(text)};
}

}  // namespace

std::optional<event_log_line> describe_event(const model::state& before, const model::event& e) {
  return std::visit(
      [&](const auto& ev) -> std::optional<event_log_line> {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, model::scheduler_paused>) {
          return event_log_line{event_log_line::info,
                                "scheduler paused" + by_part(ev.by) + reason_part(ev.reason)};
        } else if constexpr (std::is_same_v<T, model::scheduler_resumed>) {
          return event_log_line{event_log_line::info,
                                "scheduler resumed" + by_part(ev.by) + reason_part(ev.reason)};
        } else if constexpr (std::is_same_v<T, model::job_paused>) {
          return event_log_line{event_log_line::info, "job " + ev.job + " paused" + by_part(ev.by) +
                                                          reason_part(ev.reason)};
        } else if constexpr (std::is_same_v<T, model::job_resumed>) {
          return event_log_line{event_log_line::info, "job " + ev.job + " resumed" +
                                                          by_part(ev.by) + reason_part(ev.reason)};
        } else if constexpr (std::is_same_v<T, model::run_finished>) {
          return finished_line(before, ev);
        } else if constexpr (std::is_same_v<T, model::retry_scheduled>) {
          return event_log_line{event_log_line::info, run_part(before, ev.run_id) +
                                                          " will be retried as attempt " +
                                                          std::to_string(ev.attempt) + " at " +
                                                          model::format_rfc3339(ev.due)};
        } else {
          return std::nullopt;
        }
      },
      e);
}

std::optional<event_log_line> describe_shutdown_wait(const model::state& s) {
  std::vector<std::string> runs;
  for (const auto& [id, run] : s.runs)
    if (run.status == model::run_status::starting || run.status == model::run_status::running)
      runs.push_back(id);
  if (runs.empty()) return std::nullopt;
  std::sort(runs.begin(), runs.end());
  std::string text = "shutdown: waiting for " + std::to_string(runs.size()) +
                     (runs.size() == 1 ? " run: " : " runs: ");
  const size_t shown = std::min<size_t>(runs.size(), 10);
  for (size_t i = 0; i < shown; ++i) {
    if (i) text += ", ";
    text += run_part(s, runs[i]);
  }
  if (shown < runs.size()) text += ", and " + std::to_string(runs.size() - shown) + " more";
  return event_log_line{event_log_line::warn, std::move(text)};
}

void write_log_line(const event_log_line& line) {
  // As an argument, never as the format string: a reason may contain braces.
  if (line.level == event_log_line::warn)
    spdlog::warn("{}", line.text);
  else
    spdlog::info("{}", line.text);
}

void log_durable_event(const model::state& before, const model::event& e) {
  if (!spdlog::default_logger_raw()->should_log(spdlog::level::info)) return;
  if (auto line = describe_event(before, e)) write_log_line(*line);
}

}  // namespace vigil::actors
