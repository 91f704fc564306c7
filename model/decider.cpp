// Rules for the scheduler's commands and how each event changes the state.
#include "model/decider.hpp"

namespace vigil::model {
namespace {

template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

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
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::unavailable: return "unavailable";
    case errc::timeout: return "timeout";
    case errc::payload_too_large: return "payload_too_large";
    case errc::internal: break;
  }
  return "internal";
}

std::string_view event_type(const event& e) {
  return std::visit(overloaded{[](const scheduler_paused&) { return "scheduler_paused"; },
                               [](const scheduler_resumed&) { return "scheduler_resumed"; }},
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
                        [&](const scheduler_resumed&) {
                          s.paused = false;
                          s.paused_since.reset();
                          s.pause_reason.clear();
                          s.paused_by.clear();
                        }},
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
    case phase::starting: return scheduler_status::starting;
    case phase::running: return s.paused ? scheduler_status::paused : scheduler_status::running;
    case phase::draining: return scheduler_status::draining;
    case phase::stopped: break;
  }
  return scheduler_status::stopped;
}

const char* to_string(scheduler_status s) {
  switch (s) {
    case scheduler_status::starting: return "starting";
    case scheduler_status::running: return "running";
    case scheduler_status::paused: return "paused";
    case scheduler_status::draining: return "draining";
    case scheduler_status::stopped: break;
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
