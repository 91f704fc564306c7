// One debug line per answered HTTP request: method, path, status, duration, the caller's token
// name. Nothing else of the request is logged: no query string, no header (so never the
// Authorization header, and never a token).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace vigil::http {

/// "GET /v1/events 200 0.412ms grafana": the path is `target` up to any `?` or `#`; `who` is
/// the name of the caller's token ("-" for none) when tokens are configured, else empty and
/// left out.
std::string access_line(std::string_view method, std::string_view target, int status,
                        std::chrono::steady_clock::duration elapsed, std::string_view who = {});

/// Logs access_line(..., now - started) at debug level through spdlog's default logger.
/// Costs one level check when debug is off; safe from any thread.
void log_request(std::string_view method, std::string_view target, int status,
                 std::chrono::steady_clock::time_point started, std::string_view who = {});

}  // namespace vigil::http
