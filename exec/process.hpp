// The process supervisor: runs job commands as child processes, watched from a thread of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "exec/live_output.hpp"
#include "model/job.hpp"
#include "model/run.hpp"
#include "model/time.hpp"

namespace vigil::exec {

/// One run to execute. The child gets a minimal environment: PATH=/usr/local/bin:/usr/bin:/bin,
/// HOME, LANG and TZ copied from the daemon (when set), then command.env, then extra_env (later
/// wins). Nothing else of the daemon's environment is inherited.
struct process_request {
  std::string run_id;                            ///< unique among queued and running requests
  model::command_spec command;                   ///< shell wins when both forms are given
  std::map<std::string, std::string> extra_env;  ///< e.g. VIGIL_JOB_ID, VIGIL_RUN_ID
  model::duration timeout{0};                    ///< 0: none
  model::duration kill_grace{std::chrono::seconds(10)};  ///< SIGTERM -> SIGKILL of the group
  size_t output_limit = 64 * 1024;  ///< bytes of the combined stdout+stderr tail kept
  /// Where its output goes while it runs (made here with output_limit when not given): readers
  /// follow it; the result's output is its text at the end.
  live_output_ptr live;
  /// The cgroup v2 directory to run it in (made if missing, removed once empty after the run);
  /// empty, or when no process can be started in it: its process group contains it.
  std::string cgroup;
};

/// A run a previous daemon left, whose processes may still live (see adopt).
struct orphan_request {
  std::string run_id;
  model::containment contained;
  model::orphan_policy policy = model::orphan_policy::kill;
  model::duration timeout{0};  ///< what is left of the job's timeout; 0: none
  model::duration kill_grace{std::chrono::seconds(10)};
};

enum class process_outcome { exited, signaled, timed_out, cancelled, failed_to_start };
const char* to_string(process_outcome o);

/// How a run ended. For timed_out and cancelled, exit_code or signal tell how the leader died.
struct process_result {
  std::string run_id;
  process_outcome outcome = process_outcome::failed_to_start;
  int pid = 0;  ///< 0 when the process never started
  std::optional<int> exit_code;
  std::optional<int> signal;
  model::wall_time started_at{}, finished_at{};
  model::duration duration{};  ///< measured on the steady clock
  std::string output;  ///< the tail, at most output_limit bytes, after the marker when truncated
  bool truncated = false;
  uint64_t output_bytes = 0;  ///< total bytes the process group wrote to the pipe
  std::string error;          ///< clear text: why it failed to start, or what else went wrong
  live_output_ptr live;       ///< the output as it was read (none when no process started)
  /// An adopted orphan's end (see adopt): exited means it ended by itself (its exit status is
  /// unknown), cancelled that the orphan policy stopped it, timed_out that its timeout did.
  bool orphan = false;
};

struct process_limits {
  size_t max_running = 256;    ///< children alive at once; more requests wait in FIFO order
  size_t max_queued = 100000;  ///< waiting requests; beyond this "runner queue full"
};

/// Runs processes with posix_spawn, each in a process group of its own, and supervises them from
/// one thread (epoll over the output pipes, a pidfd per child and an eventfd for requests).
///
/// - start/cancel/shutdown/running are thread-safe and never wait for a process (shutdown does,
///   by design). Callbacks run on the supervisor thread, never under an internal lock, so they
///   may call start and cancel; they must not call shutdown or destroy the supervisor, and
///   should not throw (an exception from a callback is caught and dropped).
/// - Every request gets exactly one `finished`; `started` comes first when a process started.
/// - Containment: a request with a cgroup starts its process in that cgroup (clone3 with
///   CLONE_INTO_CGROUP), so every descendant is in it, setsid or not; without one, or when the
///   kernel refuses, the process group alone contains it. `started` says which.
/// - Timeout and cancel: SIGTERM to the group (and to every process of the cgroup), SIGKILL
///   after kill_grace (cgroup.kill: the whole tree). The run is reported once the leader is
///   reaped and the cgroup is empty, or without a cgroup the group is empty or has been
///   SIGKILLed, so nothing of it is left running. A normal exit of the leader finishes the run at
///   once, even when a background grandchild still holds the pipe: leftovers of a normal exit are
///   not killed (their cgroup is removed once they have ended).
/// - argv[0] without '/' is searched in the PATH the child gets (posix_spawnp would search the
///   daemon's own PATH); relative PATH entries are skipped.
/// - The child starts with stdin from /dev/null, default signal dispositions, an empty signal
///   mask and no fd beyond 0-2.
class process_supervisor {
 public:
  struct callbacks {
    std::function<void(const std::string& run_id, int pid, model::wall_time at,
                       const model::containment& contained)>
        started;
    std::function<void(process_result)> finished;
  };

  /// `wall_clock` (default: the system clock) stamps started_at/finished_at; it is called from
  /// the supervisor thread and, for refusals, from the caller of start.
  explicit process_supervisor(callbacks cb, process_limits limits = {},
                              std::function<model::wall_time()> wall_clock = {});
  /// shutdown(0): SIGTERM whatever still runs, SIGKILL after its kill_grace, join the thread.
  ~process_supervisor();
  process_supervisor(const process_supervisor&) = delete;
  process_supervisor& operator=(const process_supervisor&) = delete;

  /// Queues the request. Refusals (queue full, duplicate run id, shutting down) come back as a
  /// failed_to_start `finished`; after shutdown has returned, that callback runs on the caller.
  void start(process_request r);
  /// SIGTERM the group, SIGKILL after kill_grace; outcome cancelled. A queued request is
  /// dropped and reported cancelled with pid 0. Unknown run ids are ignored.
  void cancel(const std::string& run_id);
  /// Looks (on the caller's thread, without waiting) whether an orphan's processes still live.
  /// False: nothing of it is left. True: it is watched from now on (its run id counts as
  /// active): under `wait` until it ends, its timeout stopping it as any run's; under `kill` it
  /// is stopped at once (TERM, KILL after kill_grace). Once nothing of it lives, `finished`
  /// reports it with `orphan` set. Shutdown leaves orphans as they are, unreported: the next
  /// start finds them again.
  bool adopt(const orphan_request& o);
  /// Starts nothing more (queued requests are reported cancelled), lets running processes finish
  /// for up to `grace`, then cancels the rest as above. Returns when every child is reaped and
  /// every callback delivered. May be called again, from any thread: the earliest deadline wins.
  void shutdown(model::duration grace);
  /// Children currently alive (started and not yet reported).
  size_t running() const;
  /// Requests waiting for a free slot.
  size_t queued() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace vigil::exec
