// `vigil status`: a daemon's /health for a human, and an exit code a script can test
// (0 pass, 1 warn, 2 fail, 3 unreachable). Also what every client subcommand shares: where the
// daemon is, the token, and how an answer that is not a verdict is told apart.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "app/http_client.hpp"
#include "app/output.hpp"

namespace vigil::app {

/// Exit codes of the client subcommands (`vigil status`, `vigil jobs ...`).
enum client_exit : int {
  exit_ok = 0,
  exit_refused = 1,       ///< jobs: the server answered 4xx/5xx; status: warn
  exit_usage = 2,         ///< a bad command line (CLI11); status: fail
  exit_unreachable = 3,   ///< no connection, no answer in time, or an answer that is not HTTP/JSON
  exit_unauthorized = 4,  ///< status: the daemon wants a token (401) or refused the one sent (403)
  exit_skipped = 5,       ///< jobs run: the manual run was decided `skipped` (nothing will run)
};

/// Where the daemon is and how to authenticate. The token is sent, never printed.
struct client_options {
  http_url url{"127.0.0.1", 8080, ""};
  std::optional<std::string> token;  ///< --token or VIGIL_TOKEN
  std::chrono::milliseconds timeout{5000};

  /// The Authorization header when a token is set.
  std::vector<std::pair<std::string, std::string>> auth_headers() const;
};

struct status_options {
  client_options client;
  view_options view;  ///< json and yaml print the /health body as received, in that syntax
};

/// The human summary of a /health body (already parsed as a JSON object) to `out`.
void print_health(const std::string& body, const http_url& url, const viewer_zone& viewer,
                  std::ostream& out);

/// GET /health: prints it and returns 0/1/2 by the verdict, or 3 (with why on `err`) when
/// there is no verdict.
int run_status(const status_options& opts, std::ostream& out, std::ostream& err);

}  // namespace vigil::app
