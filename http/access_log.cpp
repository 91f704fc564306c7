// The request log line, at debug level.
#include "http/access_log.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace vigil::http {

std::string access_line(std::string_view method, std::string_view target, int status,
                        std::chrono::steady_clock::duration elapsed, std::string_view who) {
  // Query values may carry anything a client put there (even an access_token): never logged.
  const auto path = target.substr(0, target.find_first_of("?#"));
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  char tail[48];
  std::snprintf(tail, sizeof tail, " %d %.3fms", status, ms);
  std::string line;
  line.reserve(method.size() + path.size() + sizeof tail + who.size() + 1);
  line.append(method).append(" ").append(path).append(tail);
  if (!who.empty()) line.append(" ").append(who);
  return line;
}

void log_request(std::string_view method, std::string_view target, int status,
                 std::chrono::steady_clock::time_point started, std::string_view who) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(spdlog::level::debug)) return;
  logger->debug(
      access_line(method, target, status, std::chrono::steady_clock::now() - started, who));
}

}  // namespace vigil::http
