// The daemon's log of what happened to jobs: one line (info or warn) for a durable event worth
// an operator's attention, so a journal tells the story without the API. Never the job's
// environment or output.
#pragma once

#include <optional>
#include <string>

#include "model/events.hpp"
#include "model/state.hpp"

namespace vigil::actors {

/// One line of the daemon's log.
struct event_log_line {
  enum level_type { info, warn } level = info;
  std::string text;
};

/// The line for `e`, read against `before` (the durable state the event is applied to, which
/// names a run's job and attempt), or nothing for an event not worth a line (a run that
/// succeeded, a decision, a definition). Pure.
std::optional<event_log_line> describe_event(const model::state& before, const model::event& e);

/// Writes describe_event(before, e), if any, through spdlog's default logger.
void log_durable_event(const model::state& before, const model::event& e);

/// The warn line of a shutdown that waits on the runs still starting or running in `s`:
/// "shutdown: waiting for 2 runs: run a of job x (attempt 1), …", naming at most the first 10
/// (by run id). Nothing when no run is going.
std::optional<event_log_line> describe_shutdown_wait(const model::state& s);

/// Writes an event_log_line at its level through spdlog's default logger.
void write_log_line(const event_log_line& line);

}  // namespace vigil::actors
