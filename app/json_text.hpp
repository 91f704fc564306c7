// How the client commands print a JSON value for a human.
#pragma once

#include <cstdio>
#include <string>

namespace vigil::app {

/// j[key] as plain text: strings without quotes, fractions with 3 decimals, other values as
/// JSON; `none` when absent or null. For nlohmann::json and nlohmann::ordered_json alike.
template <class Json>
std::string text(const Json& j, const char* key, const char* none = "-") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return none;
  const Json& v = j[key];
  if (v.is_string()) return v.template get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v.template get<double>());
    return buf;
  }
  return v.dump();
}

}  // namespace vigil::app
