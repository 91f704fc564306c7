// One debug line per answered HTTP request: method, path, status, duration. Nothing else of
// the request is logged: no query string, no header (so never the Authorization header).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace vigil::http {

/// "GET /v1/events 200 0.412ms": the path is `target` up to any `?` or `#`.
std::string access_line(std::string_view method, std::string_view target, int status,
                        std::chrono::steady_clock::duration elapsed);

/// Logs access_line(..., now - started) at debug level through spdlog's default logger.
/// Costs one level check when debug is off; safe from any thread.
void log_request(std::string_view method, std::string_view target, int status,
                 std::chrono::steady_clock::time_point started);

}  // namespace vigil::http
