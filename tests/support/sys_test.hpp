// What the daemon-level tests (tests/http, tests/app, tests/system) have in common: the names
// they all use (the daemon, the HTTP client, a temp dir, JSON, the steady clock) brought in
// once, and the small helpers each file used to define again. Test files only: it brings the
// names into the global namespace on purpose.
#pragma once

#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

/// The base URL of a daemon listening on 127.0.0.1:`port`.
inline std::string url_of(uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

/// Whether `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Polls `probe` until it returns true or `timeout` passes (a short pause between polls so
/// that two shared cores are not spent on the polling itself). True when it held.
inline bool eventually(std::chrono::milliseconds timeout, const std::function<bool()>& probe) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{25});
  }
}

/// Asks /health until it reports `wanted` or `limit` passes (an answer that is not JSON counts
/// as not yet).
inline bool health_becomes(http_client& c, const std::string& wanted, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    const auto j = nlohmann::json::parse(c.get("/health").body, nullptr, false);
    if (j.is_object() && j.value("status", "") == wanted) return true;
  }
  return false;
}

/// Runs `command` through `sh -c` (popen) to its end: its exit code (-1 when killed) and what
/// it printed on stdout (stderr too when the command redirects it).
inline run_result run_shell(const std::string& command) {
  run_result r;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// Writes `text` to `dir`/`name`; its path.
inline std::string write_file(const temp_dir& dir, const std::string& name,
                              const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream{path} << text;
  return path;
}

/// Writes `text` to `dir`/`name` and gives it `mode` (token files must not be group/world
/// readable); its path.
inline std::string write_file(const temp_dir& dir, const std::string& name, const std::string& text,
                              mode_t mode) {
  const std::string path = write_file(dir, name, text);
  ::chmod(path.c_str(), mode);
  return path;
}

/// SIGTERM, and the daemon must exit 0 within `within` (its output is shown when it does not).
inline void stop_daemon(daemon_process& d, std::chrono::seconds within = std::chrono::seconds{15}) {
  d.signal(SIGTERM);
  const auto code = d.wait_exit(within);
  INFO(d.output());
  REQUIRE(code == 0);
}

/// A Catch2 fixture (TEST_CASE_METHOD) for the CLI tests: a temp dir, a daemon with default
/// flags and its URL.
struct cli_fixture {
  temp_dir dir;
  daemon_process daemon{{}};
  const std::string url = url_of(daemon.port());
};

}  // namespace vigil::test

using nlohmann::json;
using vigil::test::cli_fixture;
using vigil::test::contains;
using vigil::test::daemon_process;
using vigil::test::eventually;
using vigil::test::health_becomes;
using vigil::test::http_client;
using vigil::test::http_response;
using vigil::test::rss_kib;
using vigil::test::run_result;
using vigil::test::run_shell;
using vigil::test::run_vigil;
using vigil::test::stop_daemon;
using vigil::test::temp_dir;
using vigil::test::url_of;
using vigil::test::write_file;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
