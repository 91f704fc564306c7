// Launches the real vigil binary for black-box tests and captures what it prints.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vigil::test {

/// `vigil <args>` as a child process; its stdout and stderr are read as they come.
class vigil_process {
 public:
  explicit vigil_process(const std::vector<std::string>& args);
  /// Kills the process with SIGKILL if it still runs.
  virtual ~vigil_process();
  vigil_process(const vigil_process&) = delete;
  vigil_process& operator=(const vigil_process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;

  /// Waits for the process to exit; its exit code (128+signal when killed), or nothing on
  /// timeout. Event-driven (pidfd), no polling; everything it printed is read by then.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  /// Everything printed on stdout and stderr so far.
  std::string output() const;
  /// Blocks until `pred(output)` holds; false on timeout or when the output ended without it.
  bool wait_until(const std::function<bool(const std::string&)>& pred,
                  std::chrono::milliseconds timeout) const;
  /// Blocks until the output contains `text`, or the timeout passes.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  void drain_output(int fd);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> exit_code_;
  std::thread reader_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string output_;
  bool output_closed_ = false;
};

/// `vigil serve --listen <listen> <args>`, started and listening.
class daemon_process : public vigil_process {
 public:
  /// Waits until the daemon reports its port (the one bound when `listen` asks for port 0).
  /// Throws std::runtime_error (with the daemon's output) if it does not within 20 s.
  explicit daemon_process(std::vector<std::string> args, const std::string& listen = "127.0.0.1:0");

  uint16_t port() const { return port_; }

 private:
  uint16_t port_ = 0;
};

struct run_result {
  int exit_code = -1;
  std::string output;
};

/// Runs `vigil <args>` to completion (at most 20 s) and returns its exit code and output.
run_result run_vigil(const std::vector<std::string>& args);

/// The resident set of a process, in KiB (VmRSS); -1 when it cannot be read.
long rss_kib(pid_t pid);

}  // namespace vigil::test
