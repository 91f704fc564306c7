// Where a run's processes live: a cgroup v2 per run when the daemon can make one, else the
// process group. Finding, signalling and watching either, also for runs of a previous daemon.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/run.hpp"

namespace vigil::exec {

/// The directory run cgroups are made in, or why there is none.
struct containment_root {
  std::string path;  ///< <cgroup2 mount><own cgroup>/vigil-<hash>; empty: process groups only
  std::string why;   ///< when path is empty: why no cgroup could be had
};

/// Finds cgroup2 in /proc/self/mountinfo and the daemon's own cgroup in /proc/self/cgroup, and
/// makes (or reuses) `vigil-<hash of key>` there, probing with a real mkdir of a child. `key`
/// names the daemon's data, so a restart on the same data dir finds the same subtree.
containment_root prepare_containment_root(const std::string& key);

/// The cgroup of one attempt of a run under `root`: run-<sanitized run id>-<attempt>. The same
/// run and attempt always get the same path, so a restart can look for it.
std::string run_cgroup_path(const std::string& root, const std::string& run_id, uint32_t attempt);

/// The start time of a process in clock ticks since boot (/proc/<pid>/stat field 22); 0 when
/// there is no such process.
uint64_t process_start_time(int pid);

/// Whether a cgroup still holds a process (cgroup.events says populated). A missing cgroup is
/// empty.
bool cgroup_populated(const std::string& path);

/// Sends `sig` to every process listed in the cgroup's cgroup.procs.
void signal_cgroup(const std::string& path, int sig);

/// SIGKILLs the whole cgroup: cgroup.kill where the kernel has it (5.14+), else every pid in
/// cgroup.procs once (call again while it is populated: a fork may have raced the read).
void kill_cgroup(const std::string& path);

/// Removes an empty cgroup; a populated or missing one is left as it is.
void remove_cgroup(const std::string& path);

/// Whether anything of a contained run still lives, zombies not counted. A process group
/// counts as gone when its leader's pid now belongs to a process started at another time.
bool contained_alive(const model::containment& c);

/// Sends `sig` to everything of a contained run (KILL: the whole cgroup, cgroup.kill).
void signal_contained(const model::containment& c, int sig);

}  // namespace vigil::exec
