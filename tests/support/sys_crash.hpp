// What the crash tests in tests/system share: how many kill rounds to run, reading the log
// back, and waiting for the daemon's state by long-polling its snapshot.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

#include "tests/support/event_log.hpp"
#include "tests/support/sys_test.hpp"

namespace vigil::test {

/// The number of kill rounds: VIGIL_CRASH_ROUNDS divided by `divisor` (at least 1), or
/// `otherwise` when it is not set.
inline int crash_rounds(int divisor, int otherwise) {
  const char* env = std::getenv("VIGIL_CRASH_ROUNDS");
  return env ? std::max(1, std::atoi(env) / divisor) : otherwise;
}

/// Long-polls GET /v1/snapshot (If-None-Match: each look returns with the next change, or after
/// 1 s unchanged; no sleeping) until `done` holds for the latest snapshot, for at most 60 s.
inline bool snapshot_until(http_client& c, const std::function<bool(const nlohmann::json&)>& done) {
  std::string etag;
  nlohmann::json snapshot;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = c.request("GET", "/v1/snapshot?wait=1s", {}, {{"If-None-Match", etag}});
    if (r.status == 200) {
      etag = r.header("etag");
      snapshot = nlohmann::json::parse(r.body);
    }
    if (!snapshot.is_null() && done(snapshot)) return true;
  }
  return false;
}

}  // namespace vigil::test

using vigil::test::crash_rounds;
using vigil::test::read_log;
using vigil::test::snapshot_until;
