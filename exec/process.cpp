// The process supervisor: posix_spawn into a group of its own, one epoll loop over the output
// pipes and pidfds, timeouts and kill graces as deadlines on the steady clock.
#include "exec/process.hpp"

#include "exec/containment.hpp"
#include "model/duration.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace vigil::exec {

const char* to_string(process_outcome o) {
  switch (o) {
    case process_outcome::exited:
      return "exited";
    case process_outcome::signaled:
      return "signaled";
    case process_outcome::timed_out:
      return "timed_out";
    case process_outcome::cancelled:
      return "cancelled";
    case process_outcome::failed_to_start:
      return "failed_to_start";
  }
  return "unknown";
}

namespace {

using model::duration;
using model::mono_time;
using model::wall_time;

constexpr const char* default_path = "/usr/local/bin:/usr/bin:/bin";
constexpr size_t read_chunk = 64 * 1024;
// Reads per pipe per wakeup: a chatty child cannot starve the others.
constexpr int reads_per_wakeup = 16;
// Spawns per loop iteration: a long queue cannot starve the pipes.
constexpr size_t spawns_per_iteration = 64;
// While a terminated leader's group still has members, how often to look whether it emptied.
constexpr duration group_poll = std::chrono::milliseconds(20);
// How often to look whether an adopted orphan's processes are gone.
constexpr duration orphan_poll = std::chrono::milliseconds(100);

mono_time mono_now() {
  return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
}

std::string errno_text(int e) { return std::strerror(e); }

class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Not glibc's pidfd_open: its 2.36 <sys/pidfd.h> lacks extern "C", so C++ cannot link to it.
// A pidfd is always close-on-exec.
int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// ---- spawning ----------------------------------------------------------------------------------

struct spawned {
  pid_t pid = 0;
  unique_fd pidfd;
  unique_fd out;
  std::string cgroup;  ///< the cgroup it runs in; empty: its process group only
  std::string error;   ///< set when nothing runs
};

// ---- starting in a cgroup ----

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/// struct clone_args of clone3 up to `cgroup` (Linux 5.7); glibc 2.36 has no wrapper.
struct clone_args_v2 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

/// What a child that could not exec writes to the error pipe before it exits.
struct exec_failure {
  int step;  ///< 0: set up the descriptors, 1: change directory, 2: exec
  int error;
};

enum class clone_outcome { started, exec_failed, unsupported };

/// Everything the child needs, prepared before the clone: it may not allocate.
struct exec_plan {
  const char* exe;
  char* const* argv;
  char* const* envp;
  const char* dir;  ///< nullptr: stay
  int out_fd;
};

[[noreturn]] void child_failed(int fd, int step) {
  const exec_failure f{step, errno};
  [[maybe_unused]] ssize_t n = ::write(fd, &f, sizeof f);
  ::_exit(127);
}

// Starts the child directly inside the cgroup (clone3 with CLONE_INTO_CGROUP), so that nothing
// of the run ever runs outside it. From the clone to the exec only async-signal-safe calls:
// other threads of the daemon may hold locks (malloc's) that the child's copy keeps held.
clone_outcome clone_into_cgroup(int cgroup_fd, const exec_plan& plan, pid_t& pid, int& pidfd,
                                exec_failure& failure) {
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) return clone_outcome::unsupported;
  unique_fd err_read(err[0]), err_write(err[1]);
  sigset_t none;
  sigemptyset(&none);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  clone_args_v2 args{};
  args.flags = CLONE_INTO_CGROUP | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd);
  const long rc = ::syscall(SYS_clone3, &args, sizeof args);
  if (rc < 0) return clone_outcome::unsupported;
  if (rc == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(plan.out_fd, 1) < 0 ||
        ::dup2(plan.out_fd, 2) < 0)
      child_failed(err_write.get(), 0);
    // As posix_spawn does for the other path: own group, clean signals, no fd beyond 0-2
    // (the error pipe is close-on-exec already, so it tells the parent the exec happened).
    ::setpgid(0, 0);
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
    if (plan.dir && ::chdir(plan.dir) != 0) child_failed(err_write.get(), 1);
    ::execve(plan.exe, plan.argv, plan.envp);
    child_failed(err_write.get(), 2);
  }
  pid = static_cast<pid_t>(rc);
  err_write.reset();
  ssize_t n;
  do {
    n = ::read(err_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof failure)) return clone_outcome::started;  // exec'd
  ::waitpid(pid, nullptr, 0);
  ::close(pidfd);
  return clone_outcome::exec_failed;
}

std::map<std::string, std::string> daemon_base_env() {
  std::map<std::string, std::string> env{{"PATH", default_path}};
  for (const char* name : {"HOME", "LANG", "TZ"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  return env;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// posix_spawnp would search the daemon's PATH, not the one the child gets: search it here.
// Relative entries are skipped: they would resolve against the daemon's directory.
std::optional<std::string> search_path(const std::string& name, const std::string& path) {
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    if (end > begin && path[begin] == '/') {
      std::string candidate = path.substr(begin, end - begin) + "/" + name;
      if (is_executable_file(candidate)) return candidate;
    }
    begin = end + 1;
  }
  return std::nullopt;
}

// glibc's posix_spawn returns the child's chdir/exec errno without saying which step failed:
// look at the working directory first, then at the executable, to name the culprit.
std::string explain_spawn_failure(int e, const std::string& exe, const std::string& dir) {
  if (!dir.empty()) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return "working directory " + dir + ": " + errno_text(errno);
    if (!S_ISDIR(st.st_mode)) return "working directory " + dir + ": " + errno_text(ENOTDIR);
    if (::access(dir.c_str(), X_OK) != 0) {
      return "working directory " + dir + ": " + errno_text(errno);
    }
  }
  std::string seen = exe;
  if (!dir.empty() && !exe.empty() && exe[0] != '/') seen = dir + "/" + exe;
  struct stat st {};
  switch (e) {
    case ENOENT:
      if (::stat(seen.c_str(), &st) == 0) {
        return "cannot execute " + exe + ": its interpreter was not found";
      }
      return "executable not found: " + exe;
    case EACCES:
      return "not executable: " + exe + " (" + errno_text(e) + ")";
    default:
      return "cannot execute " + exe + ": " + errno_text(e);
  }
}

spawned spawn_child(const process_request& r, const std::map<std::string, std::string>& base) {
  spawned s;
  std::vector<std::string> args;
  if (r.command.shell) {
    args = {"/bin/sh", "-c", *r.command.shell};
  } else if (r.command.argv.empty() || r.command.argv[0].empty()) {
    s.error = "empty command: neither argv nor shell given";
    return s;
  } else {
    args = r.command.argv;
  }

  std::map<std::string, std::string> env = base;
  for (const auto& [k, v] : r.command.env) env[k] = v;
  for (const auto& [k, v] : r.extra_env) env[k] = v;
  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (const auto& [k, v] : env) {
    if (!k.empty() && k.find('=') == std::string::npos) env_strings.push_back(k + "=" + v);
  }

  std::string exe = args[0];
  if (exe.find('/') == std::string::npos) {
    const std::string& path = env["PATH"];
    auto found = search_path(exe, path);
    if (!found) {
      s.error = "executable not found in PATH (" + path + "): " + exe;
      return s;
    }
    exe = *found;
  }

  std::vector<char*> argv_ptrs;
  for (auto& a : args) argv_ptrs.push_back(a.data());
  argv_ptrs.push_back(nullptr);
  std::vector<char*> env_ptrs;
  for (auto& e : env_strings) env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    s.error = "cannot create the output pipe: " + errno_text(errno);
    return s;
  }
  unique_fd read_end(fds[0]), write_end(fds[1]);
  // Only our end is non-blocking: the flag lives on the open file, which the child shares.
  ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);

  if (!r.cgroup.empty()) {
    // A cgroup that cannot be had (or a kernel without CLONE_INTO_CGROUP) leaves the process
    // group as the run's containment: posix_spawn below.
    unique_fd dir;
    if (::mkdir(r.cgroup.c_str(), 0755) == 0 || errno == EEXIST)
      dir = unique_fd(::open(r.cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) {
      const exec_plan plan{exe.c_str(), argv_ptrs.data(), env_ptrs.data(),
                           r.command.working_dir.empty() ? nullptr : r.command.working_dir.c_str(),
                           write_end.get()};
      pid_t pid = 0;
      int pidfd = -1;
      exec_failure failure{};
      switch (clone_into_cgroup(dir.get(), plan, pid, pidfd, failure)) {
        case clone_outcome::started:
          s.pid = pid;
          s.pidfd = unique_fd(pidfd);
          s.out = std::move(read_end);
          s.cgroup = r.cgroup;
          return s;
        case clone_outcome::exec_failed:
          remove_cgroup(r.cgroup);
          if (failure.step == 0) {
            s.error = "cannot set up the child's descriptors: " + errno_text(failure.error);
          } else {
            s.error = explain_spawn_failure(failure.error, exe, r.command.working_dir);
          }
          return s;
        case clone_outcome::unsupported:
          break;
      }
    }
    remove_cgroup(r.cgroup);
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  if (::posix_spawn_file_actions_init(&actions) != 0) {
    s.error = "cannot start: out of memory";
    return s;
  }
  if (::posix_spawnattr_init(&attr) != 0) {
    ::posix_spawn_file_actions_destroy(&actions);
    s.error = "cannot start: out of memory";
    return s;
  }
  int rc = ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  // Descriptors leaked without O_CLOEXEC by other code in the daemon must not reach the job.
  if (rc == 0) rc = ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (rc == 0 && !r.command.working_dir.empty()) {
    rc = ::posix_spawn_file_actions_addchdir_np(&actions, r.command.working_dir.c_str());
  }
  // Blocked or ignored signals (SIGPIPE in a server) survive exec: give the job a clean slate.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  if (rc == 0) {
    rc = ::posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  if (rc == 0) rc = ::posix_spawnattr_setpgroup(&attr, 0);
  if (rc == 0) rc = ::posix_spawnattr_setsigmask(&attr, &none);
  if (rc == 0) rc = ::posix_spawnattr_setsigdefault(&attr, &all);

  pid_t pid = 0;
  if (rc != 0) {
    s.error = "cannot prepare the spawn: " + errno_text(rc);
  } else {
    rc = ::posix_spawn(&pid, exe.c_str(), &actions, &attr, argv_ptrs.data(), env_ptrs.data());
    if (rc != 0) s.error = explain_spawn_failure(rc, exe, r.command.working_dir);
  }
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) return s;

  int pidfd = open_pidfd(pid);
  if (pidfd < 0) {
    int e = errno;
    // Unwatchable: take it down again rather than lose track of it.
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    s.error = "cannot watch the process: pidfd_open: " + errno_text(e);
    return s;
  }
  s.pid = pid;
  s.pidfd = unique_fd(pidfd);
  s.out = std::move(read_end);
  return s;
}

// ---- supervision -------------------------------------------------------------------------------

struct child {
  uint64_t serial = 0;
  process_request req;
  pid_t pid = 0;
  unique_fd pidfd;
  unique_fd out;
  live_output_ptr live;  ///< what it printed: the tail, readable while it runs
  mono_time started_mono{};
  wall_time started_at{};
  std::optional<mono_time> timeout_at;      ///< SIGTERM for the timeout
  std::optional<mono_time> kill_at;         ///< SIGKILL after the grace
  std::optional<mono_time> group_check_at;  ///< leader reaped after SIGTERM: is the group empty?
  bool timed_out = false;
  bool cancelled = false;
  bool terminating = false;  ///< SIGTERM sent to the group
  bool killed = false;       ///< SIGKILL sent to the group
  bool reaped = false;
  int status = 0;
  std::string note;
  model::containment contained;
};

/// A previous daemon's run whose processes still live, watched by polling (they are not our
/// children: no pidfd, no reaping).
struct orphan {
  orphan_request req;
  mono_time found_mono{};
  wall_time found_at{};
  mono_time check_at{};
  std::optional<mono_time> timeout_at;
  std::optional<mono_time> kill_at;
  bool terminating = false;
  bool timed_out = false;
};

/// A callback to deliver once the lock is released.
struct event {
  bool is_started = false;
  std::string run_id;
  int pid = 0;
  wall_time at{};
  model::containment contained;
  process_result result;
  bool release_id = false;  ///< the run id leaves the active set before delivery
};

enum class fd_kind : uint64_t { wake = 0, pipe = 1, pidfd = 2 };
uint64_t tag(uint64_t serial, fd_kind k) { return serial << 2 | static_cast<uint64_t>(k); }

}  // namespace

struct process_supervisor::impl {
  callbacks cb;
  process_limits limits;
  std::function<wall_time()> clock;
  std::map<std::string, std::string> base_env = daemon_base_env();
  unique_fd epoll_fd;
  unique_fd wake_fd;

  // Shared with the callers, under mu.
  mutable std::mutex mu;
  std::condition_variable done_cv;
  std::deque<process_request> queue;
  std::unordered_set<std::string> active;  ///< run ids queued or running
  std::vector<std::string> cancels;
  std::vector<process_result> refusals;
  std::vector<orphan_request> adoptions;
  bool shutting_down = false;
  mono_time shutdown_at{};
  bool loop_done = false;
  std::atomic<size_t> running_count{0};

  // Owned by the loop thread.
  std::unordered_map<uint64_t, child> children;
  std::vector<orphan> orphans;
  std::vector<std::string> leftovers;  ///< cgroups of finished runs that background processes hold
  std::optional<mono_time> leftover_check_at;
  uint64_t next_serial = 1;
  bool shutdown_applied = false;
  std::vector<char> buffer = std::vector<char>(read_chunk);
  std::thread thread;

  impl(callbacks c, process_limits l, std::function<wall_time()> wc)
      : cb(std::move(c)), limits(l), clock(std::move(wc)) {
    if (!clock) {
      clock = [] {
        return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
      };
    }
    if (limits.max_running == 0) limits.max_running = 1;
    epoll_fd = unique_fd(::epoll_create1(EPOLL_CLOEXEC));
    wake_fd = unique_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!epoll_fd || !wake_fd || !watch(wake_fd.get(), tag(0, fd_kind::wake))) {
      throw std::system_error(errno, std::generic_category(), "process supervisor: epoll");
    }
    thread = std::thread([this] { run(); });
  }

  bool watch(int fd, uint64_t data) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = data;
    return ::epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
  }
  void unwatch(unique_fd& fd) {
    if (!fd) return;
    ::epoll_ctl(epoll_fd.get(), EPOLL_CTL_DEL, fd.get(), nullptr);
    fd.reset();
  }
  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd.get(), &one, sizeof one);
  }

  process_result refusal(const process_request& r, std::string why, process_outcome o) {
    process_result res;
    res.run_id = r.run_id;
    res.outcome = o;
    res.started_at = res.finished_at = clock();
    res.error = std::move(why);
    res.live = r.live;  // its readers learn that nothing will come
    return res;
  }

  // ---- the loop ----

  void run() {
    std::vector<epoll_event> ready(64);
    std::vector<event> events;
    while (true) {
      int n = ::epoll_wait(epoll_fd.get(), ready.data(), static_cast<int>(ready.size()),
                           wait_ms(mono_now()));
      for (int i = 0; i < n; ++i) dispatch(ready[i]);
      events.clear();
      bool stop = take_requests(events);
      fire_timers(mono_now());
      collect_finished(events);
      deliver(events);
      if (stop && children.empty() && orphans.empty()) {
        std::lock_guard lk(mu);
        // Requests that slipped in while this iteration ran are answered before stopping.
        if (queue.empty() && refusals.empty()) {
          loop_done = true;
          done_cv.notify_all();
          return;
        }
      }
    }
  }

  int wait_ms(mono_time now) {
    std::optional<mono_time> next;
    auto consider = [&](const std::optional<mono_time>& t) {
      if (t && (!next || *t < *next)) next = t;
    };
    for (auto& [serial, c] : children) {
      if (!c.terminating) consider(c.timeout_at);
      consider(c.kill_at);
      consider(c.group_check_at);
    }
    consider(leftover_check_at);
    for (auto& o : orphans) {
      consider(o.check_at);
      if (!o.terminating) consider(o.timeout_at);
      consider(o.kill_at);
    }
    {
      std::lock_guard lk(mu);
      // A slot freed in this iteration (or the per-iteration spawn cap) leaves work queued.
      if (!shutting_down && !queue.empty() && children.size() < limits.max_running) return 0;
      if (shutting_down && !shutdown_applied) consider(shutdown_at);
    }
    if (!next) return -1;
    if (*next <= now) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
    return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
  }

  void dispatch(const epoll_event& ev) {
    auto kind = static_cast<fd_kind>(ev.data.u64 & 3);
    if (kind == fd_kind::wake) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = ::read(wake_fd.get(), &count, sizeof count);
      return;
    }
    auto it = children.find(ev.data.u64 >> 2);
    if (it == children.end()) return;
    child& c = it->second;
    if (kind == fd_kind::pipe) {
      read_output(c, reads_per_wakeup);
    } else if (kind == fd_kind::pidfd && c.pidfd) {
      reap(c);
    }
  }

  void read_output(child& c, int max_reads) {
    for (int i = 0; c.out && i < max_reads; ++i) {
      ssize_t n = ::read(c.out.get(), buffer.data(), buffer.size());
      if (n > 0) {
        c.live->append(buffer.data(), static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        return;
      } else {  // end of file: every writer closed it; the process may still run
        unwatch(c.out);
      }
    }
  }

  void reap(child& c) {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(c.pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return;  // not yet: the pidfd will say so again
    if (r < 0) {
      // Someone else reaped it (SIGCHLD ignored, or a waitpid(-1) elsewhere).
      c.note = "exit status lost: " + errno_text(errno);
      status = -1;
    }
    c.reaped = true;
    c.status = status;
    unwatch(c.pidfd);
    // What the leader wrote is in the pipe by now; a bounded read keeps a grandchild that
    // writes forever from holding the result back.
    read_output(c, 32);
  }

  // Takes queued requests into free slots, applies cancels and shutdown. True once stopping.
  bool take_requests(std::vector<event>& events) {
    std::vector<process_request> to_start;
    std::vector<std::string> to_cancel;
    std::vector<orphan_request> to_adopt;
    bool stopping;
    {
      std::lock_guard lk(mu);
      for (auto& r : refusals) events.push_back(finished_event(std::move(r), false));
      refusals.clear();
      to_adopt.swap(adoptions);
      to_cancel.swap(cancels);
      for (auto& id : to_cancel) {
        auto it = std::find_if(queue.begin(), queue.end(),
                               [&](const process_request& r) { return r.run_id == id; });
        if (it == queue.end()) continue;
        events.push_back(finished_event(
            refusal(*it, "cancelled before it started", process_outcome::cancelled), true));
        queue.erase(it);
      }
      stopping = shutting_down;
      if (stopping) {
        for (auto& r : queue) {
          events.push_back(finished_event(
              refusal(r, "supervisor shut down before the run started", process_outcome::cancelled),
              true));
        }
        queue.clear();
      }
      size_t room = limits.max_running > children.size() ? limits.max_running - children.size() : 0;
      room = std::min(room, spawns_per_iteration);
      while (room-- > 0 && !queue.empty()) {
        to_start.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    for (auto& r : to_start) launch(std::move(r), events);
    mono_time now = mono_now();
    for (auto& r : to_adopt) take_orphan(std::move(r), now);
    for (auto& id : to_cancel) {
      for (auto& [serial, c] : children) {
        if (c.req.run_id != id) continue;
        if (!c.terminating && !c.reaped) {
          c.cancelled = true;
          terminate(c, now);
        }
      }
      for (auto& o : orphans)
        if (o.req.run_id == id && !o.terminating) terminate(o, now);
    }
    // Orphans are left as they are: their runs stay running in the log, the next start adopts
    // them again, and a stop does not wait for what this process did not start.
    if (stopping) orphans.clear();
    if (stopping && !shutdown_applied) {
      mono_time at;
      {
        std::lock_guard lk(mu);
        at = shutdown_at;
      }
      if (now >= at) {
        shutdown_applied = true;
        for (auto& [serial, c] : children) {
          if (c.terminating || c.reaped) continue;
          c.cancelled = true;
          c.note = "supervisor shut down";
          terminate(c, now);
        }
      }
    }
    return stopping;
  }

  void launch(process_request r, std::vector<event>& events) {
    spawned s = spawn_child(r, base_env);
    if (!s.error.empty()) {
      events.push_back(
          finished_event(refusal(r, std::move(s.error), process_outcome::failed_to_start), true));
      return;
    }
    child c;
    c.serial = next_serial++;
    c.pid = s.pid;
    c.pidfd = std::move(s.pidfd);
    c.out = std::move(s.out);
    c.contained = model::containment{s.cgroup, s.pid, process_start_time(s.pid)};
    c.live = r.live ? r.live : std::make_shared<live_output>(r.output_limit);
    c.started_mono = mono_now();
    c.started_at = clock();
    if (r.timeout > duration::zero()) c.timeout_at = c.started_mono + r.timeout;
    if (!watch(c.out.get(), tag(c.serial, fd_kind::pipe)) ||
        !watch(c.pidfd.get(), tag(c.serial, fd_kind::pidfd))) {
      // Unwatchable (epoll watch limit): take it down again rather than lose track of it.
      std::string why = "cannot watch the process: epoll_ctl: " + errno_text(errno);
      unwatch(c.out);
      ::kill(-c.pid, SIGKILL);
      if (!s.cgroup.empty()) kill_cgroup(s.cgroup);
      ::waitpid(c.pid, nullptr, 0);
      events.push_back(finished_event(refusal(r, why, process_outcome::failed_to_start), true));
      return;
    }
    c.req = std::move(r);
    event ev;
    ev.is_started = true;
    ev.run_id = c.req.run_id;
    ev.pid = c.pid;
    ev.at = c.started_at;
    ev.contained = c.contained;
    events.push_back(std::move(ev));
    children.emplace(c.serial, std::move(c));
    running_count.store(children.size());
  }

  void terminate(child& c, mono_time now) {
    c.terminating = true;
    ::kill(-c.pid, SIGTERM);
    // A descendant that left the group (setsid) is still in the cgroup.
    if (!c.contained.cgroup.empty()) signal_cgroup(c.contained.cgroup, SIGTERM);
    c.kill_at = now + c.req.kill_grace;
  }

  void take_orphan(orphan_request r, mono_time now) {
    orphan o;
    o.found_mono = now;
    o.found_at = clock();
    o.check_at = now + orphan_poll;
    if (r.timeout > duration::zero()) o.timeout_at = now + r.timeout;
    o.req = std::move(r);
    if (o.req.policy == model::orphan_policy::kill) terminate(o, now);
    orphans.push_back(std::move(o));
  }

  void terminate(orphan& o, mono_time now) {
    o.terminating = true;
    signal_contained(o.req.contained, SIGTERM);
    o.kill_at = now + o.req.kill_grace;
  }

  void fire_timers(mono_time now) {
    for (auto& [serial, c] : children) {
      if (!c.terminating && c.timeout_at && *c.timeout_at <= now && !c.reaped) {
        c.timed_out = true;
        terminate(c, now);
      }
      if (c.kill_at && *c.kill_at <= now) {
        ::kill(-c.pid, SIGKILL);
        if (!c.contained.cgroup.empty()) kill_cgroup(c.contained.cgroup);
        c.killed = true;
        c.kill_at.reset();
        c.group_check_at.reset();
      }
    }
    for (auto& o : orphans) {
      if (!o.terminating && o.timeout_at && *o.timeout_at <= now) {
        o.timed_out = true;
        terminate(o, now);
      }
      if (o.kill_at && *o.kill_at <= now) {
        signal_contained(o.req.contained, SIGKILL);
        o.kill_at.reset();
      }
    }
  }

  // A run is over when its leader is reaped and, if it was terminated, its group is gone or
  // has been SIGKILLed: a timeout or cancel leaves nothing of the run behind.
  // With a cgroup, "gone" means the cgroup is empty: SIGKILL is not the end of a tree there,
  // the processes that left the group (setsid) included.
  bool is_over(child& c, mono_time now) {
    if (!c.reaped) return false;
    if (!c.terminating) return true;
    if (!c.contained.cgroup.empty()) {
      if (!cgroup_populated(c.contained.cgroup)) return true;
      if (c.killed) kill_cgroup(c.contained.cgroup);  // without cgroup.kill a fork may race
    } else {
      if (c.killed) return true;
      if (::kill(-c.pid, 0) != 0 && errno == ESRCH) return true;
    }
    c.group_check_at = now + group_poll;
    return false;
  }

  void collect_finished(std::vector<event>& events) {
    mono_time now = mono_now();
    for (auto it = children.begin(); it != children.end();) {
      child& c = it->second;
      if (c.group_check_at && *c.group_check_at > now) {
        ++it;
        continue;
      }
      c.group_check_at.reset();
      if (!is_over(c, now)) {
        ++it;
        continue;
      }
      events.push_back(finished_event(result_of(c, now), true));
      unwatch(c.out);
      // Leftovers of a normal exit keep a cgroup populated: it is removed once they are gone.
      if (!c.contained.cgroup.empty() && cgroup_populated(c.contained.cgroup)) {
        leftovers.push_back(c.contained.cgroup);
        leftover_check_at = now + orphan_poll;
      } else if (!c.contained.cgroup.empty()) {
        remove_cgroup(c.contained.cgroup);
      }
      it = children.erase(it);
    }
    running_count.store(children.size());
    if (leftover_check_at && *leftover_check_at <= now) {
      leftovers.erase(std::remove_if(leftovers.begin(), leftovers.end(),
                                     [](const std::string& path) {
                                       if (cgroup_populated(path)) return false;
                                       remove_cgroup(path);
                                       return true;
                                     }),
                      leftovers.end());
      leftover_check_at.reset();
      if (!leftovers.empty()) leftover_check_at = now + orphan_poll;
    }
    for (auto it = orphans.begin(); it != orphans.end();) {
      if (it->check_at > now) {
        ++it;
        continue;
      }
      if (contained_alive(it->req.contained)) {
        // Without cgroup.kill, SIGKILL every pid again until the cgroup is empty.
        if (it->terminating && !it->kill_at) signal_contained(it->req.contained, SIGKILL);
        it->check_at = now + orphan_poll;
        ++it;
        continue;
      }
      events.push_back(finished_event(orphan_result(*it, now), true));
      if (!it->req.contained.cgroup.empty()) remove_cgroup(it->req.contained.cgroup);
      it = orphans.erase(it);
    }
  }

  process_result orphan_result(orphan& o, mono_time now) {
    process_result res;
    res.run_id = o.req.run_id;
    res.orphan = true;
    res.pid = o.req.contained.pgid;
    res.started_at = o.found_at;
    res.finished_at = clock();
    res.duration = now - o.found_mono;
    const std::string where = o.req.contained.cgroup.empty()
                                  ? "process group " + std::to_string(o.req.contained.pgid)
                                  : "cgroup " + o.req.contained.cgroup;
    // Worded as the planner words an abandoned run, with what was found and done.
    const std::string found =
        "the daemon stopped while the run was going; its processes (" + where + ") lived on";
    if (o.timed_out) {
      res.outcome = process_outcome::timed_out;
      res.error = found + "; stopped at the job's timeout";
    } else if (o.terminating) {
      res.outcome = process_outcome::cancelled;
      res.error = found + "; stopped (orphans = kill)";
    } else {
      res.outcome = process_outcome::exited;
      res.error = found + "; waited until they ended (orphans = wait), exit status unknown";
    }
    return res;
  }

  process_result result_of(child& c, mono_time now) {
    process_result res;
    res.run_id = c.req.run_id;
    res.pid = c.pid;
    res.started_at = c.started_at;
    res.finished_at = clock();
    res.duration = now - c.started_mono;
    if (c.status != -1) {
      if (WIFEXITED(c.status)) res.exit_code = WEXITSTATUS(c.status);
      if (WIFSIGNALED(c.status)) res.signal = WTERMSIG(c.status);
    }
    if (c.cancelled) {
      res.outcome = process_outcome::cancelled;
    } else if (c.timed_out) {
      res.outcome = process_outcome::timed_out;
    } else {
      res.outcome = res.signal ? process_outcome::signaled : process_outcome::exited;
    }
    res.truncated = c.live->truncated();
    res.output_bytes = c.live->total();
    res.output = c.live->text();
    res.live = c.live;
    res.error = std::move(c.note);
    if (c.timed_out) {
      // Say what vigil did: SIGKILL after the grace, or SIGTERM alone when that ended it.
      const std::string limits = "timeout " + model::format_duration(c.req.timeout);
      const std::string grace = model::format_duration(c.req.kill_grace);
      const std::string why =
          c.killed ? "killed after " + limits + " (+ grace " + grace + ")"
                   : "terminated (SIGTERM) after " + limits + ", ended within the grace " + grace;
      res.error = res.error.empty() ? why : why + "; " + res.error;
    }
    return res;
  }

  static event finished_event(process_result r, bool release_id) {
    event ev;
    ev.run_id = r.run_id;
    ev.result = std::move(r);
    ev.release_id = release_id;
    return ev;
  }

  void deliver(std::vector<event>& events) {
    if (events.empty()) return;
    {
      // Released before delivery, so a callback may start the same run id again.
      std::lock_guard lk(mu);
      for (auto& ev : events) {
        if (!ev.is_started && ev.release_id) active.erase(ev.run_id);
      }
    }
    for (auto& ev : events) {
      try {
        if (ev.is_started) {
          if (cb.started) cb.started(ev.run_id, ev.pid, ev.at, ev.contained);
        } else if (cb.finished) {
          cb.finished(std::move(ev.result));
        }
      } catch (...) {
        // A throwing callback must not take the supervisor, and every child with it, down.
      }
    }
    events.clear();
  }
};

process_supervisor::process_supervisor(callbacks cb, process_limits limits,
                                       std::function<model::wall_time()> wall_clock)
    : impl_(std::make_unique<impl>(std::move(cb), limits, std::move(wall_clock))) {}

process_supervisor::~process_supervisor() {
  shutdown(duration::zero());
  if (impl_->thread.joinable()) impl_->thread.join();
}

void process_supervisor::start(process_request r) {
  std::unique_lock lk(impl_->mu);
  if (impl_->loop_done) {
    lk.unlock();
    if (impl_->cb.finished) {
      impl_->cb.finished(
          impl_->refusal(r, "supervisor is shut down", process_outcome::failed_to_start));
    }
    return;
  }
  if (impl_->shutting_down) {
    impl_->refusals.push_back(
        impl_->refusal(r, "supervisor is shutting down", process_outcome::failed_to_start));
  } else if (impl_->active.count(r.run_id) != 0) {
    impl_->refusals.push_back(impl_->refusal(r, "run id " + r.run_id + " is already active",
                                             process_outcome::failed_to_start));
  } else if (impl_->queue.size() >= impl_->limits.max_queued) {
    impl_->refusals.push_back(
        impl_->refusal(r, "runner queue full", process_outcome::failed_to_start));
  } else {
    impl_->active.insert(r.run_id);
    impl_->queue.push_back(std::move(r));
  }
  lk.unlock();
  impl_->wake();
}

void process_supervisor::cancel(const std::string& run_id) {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->loop_done || impl_->active.count(run_id) == 0) return;
    impl_->cancels.push_back(run_id);
  }
  impl_->wake();
}

bool process_supervisor::adopt(const orphan_request& o) {
  if (!contained_alive(o.contained)) {
    // What a crash left of a run that ended while no daemon watched.
    if (!o.contained.cgroup.empty()) remove_cgroup(o.contained.cgroup);
    return false;
  }
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->shutting_down || impl_->active.count(o.run_id) != 0) return true;
    impl_->active.insert(o.run_id);
    impl_->adoptions.push_back(o);
  }
  impl_->wake();
  return true;
}

void process_supervisor::shutdown(model::duration grace) {
  std::unique_lock lk(impl_->mu);
  // A later call with a shorter grace hurries an earlier one; a longer one changes nothing.
  mono_time at = mono_now() + std::max(grace, duration::zero());
  if (!impl_->shutting_down || at < impl_->shutdown_at) impl_->shutdown_at = at;
  impl_->shutting_down = true;
  lk.unlock();
  impl_->wake();
  // From a callback this would wait for itself: the request stands, the wait is skipped.
  assert(std::this_thread::get_id() != impl_->thread.get_id());
  if (std::this_thread::get_id() == impl_->thread.get_id()) return;
  lk.lock();
  impl_->done_cv.wait(lk, [&] { return impl_->loop_done; });
}

size_t process_supervisor::running() const { return impl_->running_count.load(); }

size_t process_supervisor::queued() const {
  std::lock_guard lk(impl_->mu);
  return impl_->queue.size();
}

}  // namespace vigil::exec
