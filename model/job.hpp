// A job definition: what to run, when, and under which policies. Plain data; validated by the
// codec (JSON pointer per field) and again by the decider (the only place that says no).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/schedule.hpp"
#include "model/time.hpp"

namespace vigil::model {

/// What to execute: an argv array, or a shell string for `/bin/sh -c` — exactly one of them.
struct command_spec {
  std::vector<std::string> argv;
  std::optional<std::string> shell;
  std::map<std::string, std::string> env;  ///< added to a minimal environment (PATH, HOME)
  std::string working_dir;                 ///< empty: the daemon's working directory
  friend bool operator==(const command_spec& a, const command_spec& b) {
    return a.argv == b.argv && a.shell == b.shell && a.env == b.env &&
           a.working_dir == b.working_dir;
  }
};

/// When a nominal time comes while a run of the same job is still going.
enum class overlap_policy { skip, buffer_one, buffer_all, cancel_other, allow };
/// What to do with nominal times that passed while the daemon was down or the job was paused.
enum class catchup_policy { none, latest, all };

/// At start-up, what to do with a run a previous daemon left whose processes still live:
/// wait for them to end, or stop them (TERM, KILL after the kill grace). Either way the run
/// stays active until they are gone, and only then is it abandoned.
enum class orphan_policy { wait, kill };

struct retry_policy {
  uint32_t max_attempts = 1;  ///< 1 = no retry
  duration initial_backoff = std::chrono::seconds(1);
  duration max_backoff = std::chrono::minutes(5);
  double multiplier = 2.0;
  double jitter = 0.2;  ///< +- this fraction of each backoff, deterministic per run
  friend bool operator==(const retry_policy& a, const retry_policy& b) {
    return a.max_attempts == b.max_attempts && a.initial_backoff == b.initial_backoff &&
           a.max_backoff == b.max_backoff && a.multiplier == b.multiplier && a.jitter == b.jitter;
  }
};

/// The bounds a job definition must stay within (the codec and the decider check the same).
namespace job_limits {
inline constexpr size_t max_id_bytes = 128;
inline constexpr size_t max_schedule_bytes = 256;
inline constexpr size_t max_argv = 256;
inline constexpr size_t max_arg_bytes = 4096;
inline constexpr size_t max_shell_bytes = 16 * 1024;
inline constexpr size_t max_env = 128;
inline constexpr size_t max_env_value_bytes = 4096;
inline constexpr size_t max_description_bytes = 1024;
inline constexpr size_t max_output_bytes = 1024 * 1024;
inline constexpr uint32_t max_attempts = 100;
inline constexpr uint32_t max_buffer = 1000;
}  // namespace job_limits

struct job_spec {
  std::string id;        ///< [A-Za-z0-9._-], 1..128 bytes, not starting with '.'
  std::string schedule;  ///< see parse_schedule
  std::string time_zone = "UTC";
  command_spec command;
  std::string description;
  bool enabled = true;
  duration timeout{0};                             ///< 0: no timeout
  duration kill_grace = std::chrono::seconds(10);  ///< SIGTERM -> SIGKILL on timeout or cancel
  size_t output_limit = 64 * 1024;                 ///< bytes of stdout+stderr tail kept per run
  overlap_policy overlap = overlap_policy::skip;
  uint32_t buffer_limit = 10;  ///< for buffer_all: how many may wait
  catchup_policy catchup = catchup_policy::none;
  duration catchup_window = std::chrono::hours(1);    ///< for all: how far back to run
  duration misfire_grace = std::chrono::seconds(60);  ///< later than this is a miss
  duration jitter{0};  ///< fires spread over [0, jitter), the same offset for the same id
  dst_policy dst;
  retry_policy retry;
  std::optional<orphan_policy> orphans;  ///< none: the daemon's `orphans` setting

  friend bool operator==(const job_spec& a, const job_spec& b) {
    return a.id == b.id && a.schedule == b.schedule && a.time_zone == b.time_zone &&
           a.command == b.command && a.description == b.description && a.enabled == b.enabled &&
           a.timeout == b.timeout && a.kill_grace == b.kill_grace &&
           a.output_limit == b.output_limit && a.overlap == b.overlap &&
           a.buffer_limit == b.buffer_limit && a.catchup == b.catchup &&
           a.catchup_window == b.catchup_window && a.misfire_grace == b.misfire_grace &&
           a.jitter == b.jitter && a.dst == b.dst && a.retry == b.retry && a.orphans == b.orphans;
  }
};

const char* to_string(overlap_policy p);
const char* to_string(catchup_policy p);
std::optional<overlap_policy> parse_overlap_policy(std::string_view text);
std::optional<catchup_policy> parse_catchup_policy(std::string_view text);
const char* to_string(orphan_policy p);
std::optional<orphan_policy> parse_orphan_policy(std::string_view text);

/// True for a well-formed job id.
bool valid_job_id(std::string_view id);

}  // namespace vigil::model
