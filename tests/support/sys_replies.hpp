// The checks the daemon-level tests make of a JSON answer: that it parses (with a status), and
// that an error answer has the documented shape.
#pragma once

#include <string>

#include "tests/support/sys_test.hpp"

namespace vigil::test {

/// The body of an answer, which must be JSON.
inline nlohmann::json parse(const http_response& r) {
  INFO("response " << r.status << ": " << r.body);
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

/// The body of an answer that must have this status.
inline nlohmann::json parse(const http_response& r, int status) {
  INFO("response " << r.status << ": " << r.body);
  REQUIRE(r.status == status);
  return parse(r);
}

/// An error answer: `status`, application/json, {"error": code, "detail": "...", and "field"
/// exactly when `field` is given}.
inline void check_error(const http_response& r, int status, const std::string& code,
                        const std::string& field = "") {
  INFO("response " << r.status << ": " << r.body);
  CHECK(r.status == status);
  CHECK(r.header("content-type") == "application/json");
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j.value("error", "<none>") == code);  // value(): const [] of a missing key is UB
  CHECK((j.contains("detail") && j.at("detail").is_string()));
  if (field.empty())
    CHECK_FALSE(j.contains("field"));
  else
    CHECK(j.value("field", "<none>") == field);
}

}  // namespace vigil::test

using vigil::test::check_error;
using vigil::test::parse;
