// The HTTP server: RESTinio behind a small interface, so only http/ pays its compile cost.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "actors/interfaces.hpp"
#include "http/auth.hpp"
#include "http/bridge.hpp"
#include "http/route_table.hpp"

namespace vigil::http {

struct server_options {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;               ///< 0 picks a free port; start() returns the one bound
  size_t threads = 1;                 ///< asio threads
  size_t max_body_bytes = 64 * 1024;  ///< larger bodies get 413
  size_t max_connections = 1024;
  bool test_hooks = false;  ///< enables POST /v1/debug/stall (never in production)
  /// A write that cannot complete within this closes the connection (slow or gone client).
  model::duration write_timeout = std::chrono::seconds{10};
  /// A kept-alive connection with no new request for this long is closed.
  model::duration idle_timeout = std::chrono::seconds{60};
  /// Longest accepted request target and header value; at most 100 header fields.
  size_t max_header_bytes = 8 * 1024;
  /// How often streams get a heartbeat (RESTinio's request timeout must stay above it).
  model::duration stream_heartbeat = std::chrono::seconds{15};
  /// The `retry:` hint sent to stream clients, in milliseconds.
  uint32_t stream_retry_ms = 2000;
  /// Longest accepted ?wait= on GET /v1/snapshot.
  model::duration max_long_poll = std::chrono::seconds{60};
  std::string node;  ///< reported by /v1/version
  /// Bearer tokens: when any is set, every route but the open ones needs one with the scope
  /// the route table names (401 without a valid token, 403 with too small a scope).
  token_set tokens;
  /// Which probes stay open to everyone when tokens are set.
  open_routes open;
  /// Who sees the checks and snapshot of /health (the status always answers).
  details_policy show_details = details_policy::when_authorized;
};

class server {
 public:
  server(server_options opts, bridge_actor bridge, actors::hub_actor hub);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and serves; returns the bound port. Throws std::runtime_error naming the address.
  uint16_t start();

  /// Stops accepting and closes connections; waits for the asio threads. Idempotent.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// `{"name":"vigil","version":...}`: build information, answered without any actor
/// (defined with the GET /v1/version handler, http/routes_health.cpp).
std::string version_json(const std::string& node);

/// This build's version (the CMake project version), for the cluster view and /v1/version.
const char* build_version();

}  // namespace vigil::http
