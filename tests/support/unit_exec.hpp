// Helpers shared by the exec tests: a supervisor whose callbacks a recorder keeps, the text of
// a file, a condition polled until it holds, and whether a process is gone.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "exec/process.hpp"

namespace vigil::test {

/// What a test's recorder keeps of every run's end; tests wait on `cv` for what they expect.
struct result_recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, exec::process_result> results;

  /// The result of run `id`, once it is reported (required within `limit`).
  exec::process_result wait_for(const std::string& id,
                                std::chrono::seconds limit = std::chrono::seconds(30)) {
    std::unique_lock lk(mu);
    REQUIRE(cv.wait_for(lk, limit, [&] { return results.count(id) != 0; }));
    return results.at(id);
  }
};

/// A test's supervisor, its callbacks going to `rec`; it stops before the recorder goes.
template <class Recorder>
struct supervision {
  Recorder rec;
  exec::process_supervisor sup{rec.callbacks()};
};

/// The whole file, or "" if it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Polls a condition until it holds or the limit passes (for things no callback announces).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::seconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

/// Gone: no such process, or a zombie waiting for whoever it was reparented to.
inline bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || (paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

/// What a careless parent leaves its children: a descriptor without O_CLOEXEC, SIGPIPE ignored
/// and SIGTERM blocked (a supervisor started meanwhile inherits the mask); undone at the end.
class careless_parent {
 public:
  careless_parent() {
    stray_ = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
    REQUIRE(stray_ >= 3);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous_);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &term, &old_mask_);  // the supervisor thread inherits it
  }
  ~careless_parent() {
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    ::sigaction(SIGPIPE, &previous_, nullptr);
    ::close(stray_);
  }
  careless_parent(const careless_parent&) = delete;
  careless_parent& operator=(const careless_parent&) = delete;

  /// A script that prints whether the stray descriptor reached it ("leaked") or not ("clean").
  std::string fd_probe() const {
    return "[ -e /proc/$$/fd/" + std::to_string(stray_) + " ] && echo leaked || echo clean";
  }

 private:
  int stray_ = -1;
  struct sigaction previous_ {};
  sigset_t old_mask_{};
};

}  // namespace vigil::test
