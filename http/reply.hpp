// What the HTTP layer answers, independent of RESTinio: status, headers, body.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace vigil::http {

struct http_reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// A 307 to the leader: its base URL, to which the request's own target is appended as the
  /// Location (only the server knows the target).
  std::string redirect_base = {};
};

/// Completes one request; called exactly once, from any thread.
using responder = std::function<void(http_reply)>;

enum class health_route { health, livez, readyz };

/// A health probe as the router parsed it.
struct health_query {
  health_route route = health_route::health;
  bool verbose = false;     ///< ?verbose on /livez and /readyz
  bool plain_json = false;  ///< Accept asked for application/json rather than health+json
  bool details = true;      ///< false: status, times and readiness only (show_details)
};

}  // namespace vigil::http
