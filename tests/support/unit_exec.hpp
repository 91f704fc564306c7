// Helpers shared by the exec tests: a supervisor whose callbacks a recorder keeps, the text of
// a file, a condition polled until it holds, and whether a process is gone.
#pragma once

#include <signal.h>

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

}  // namespace vigil::test
