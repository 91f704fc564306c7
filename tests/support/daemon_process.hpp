// Launches the real vigil binary for black-box tests and captures what it prints.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vigil::test {

class daemon_process {
 public:
  /// Starts `vigil serve --listen 127.0.0.1:0 <args>` and waits until it reports its port.
  /// Throws std::runtime_error (with the daemon's output) if it does not within 20 s.
  explicit daemon_process(std::vector<std::string> args);
  /// Kills the daemon with SIGKILL if it still runs.
  ~daemon_process();
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  void signal(int sig) const;

  /// Waits for the process to exit; its exit code (128+signal when killed), or nothing on
  /// timeout. Event-driven (pidfd), no polling.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  /// Everything printed on stdout and stderr so far.
  std::string output() const;
  /// Blocks until the output contains `text`, or the timeout passes.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  void drain_output(int fd);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  uint16_t port_ = 0;
  std::optional<int> exit_code_;
  std::thread reader_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string output_;
  bool output_closed_ = false;
};

struct run_result {
  int exit_code = -1;
  std::string output;
};

/// Runs `vigil <args>` to completion (at most 20 s) and returns its exit code and output.
run_result run_vigil(const std::vector<std::string>& args);

}  // namespace vigil::test
