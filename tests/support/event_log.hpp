// Reading the daemon's whole event log over HTTP, for tests that check it after the fact.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "tests/support/http_client.hpp"

namespace vigil::test {

/// Every event, in order, paged through GET /v1/events.
inline std::vector<nlohmann::json> read_log(http_client& c) {
  std::vector<nlohmann::json> out;
  uint64_t after = 0;
  for (;;) {
    const auto r = c.get("/v1/events?after=" + std::to_string(after) + "&limit=1000");
    REQUIRE(r.status == 200);
    const auto page = nlohmann::json::parse(r.body);
    if (page["events"].empty()) break;
    for (const auto& e : page["events"]) out.push_back(e);
    after = out.back()["seq"].get<uint64_t>();
  }
  return out;
}

}  // namespace vigil::test
