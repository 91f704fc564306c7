// The client commands' side of the API: one request at a time through app/http_client's fetch,
// its refusals printed the same way everywhere, and a `stop` carrying the exit code.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>

#include "app/status.hpp"

namespace vigil::app {

/// Thrown when a command cannot go on; carries its exit code (the message is already printed).
struct stop {
  int code;
};

/// A path segment or query value, percent-encoded beyond RFC 3986's unreserved characters.
std::string escape_segment(const std::string& s);

class api {
 public:
  api(const client_options& c, std::ostream& err) : c_(c), err_(err) {}

  /// One request. Unreachable or garbage: prints why and throws stop{3}.
  fetch_response call(const std::string& method, const std::string& path,
                      const std::string& body = {});

  /// The body as a JSON value, or stop{3} when it is not JSON (not the vigil API).
  nlohmann::json parse(const fetch_response& r, const std::string& path);

  /// "vigil: <what>: refused: HTTP 400 invalid_argument: <detail> (field /schedule)".
  void refusal(const std::string& what, const fetch_response& r);

  /// An answer with a 2xx status as JSON; otherwise prints the refusal and throws stop{1}.
  nlohmann::json expect_ok(const std::string& what, const std::string& method,
                           const std::string& path, const std::string& body = {});

  std::ostream& err() { return err_; }

 private:
  const client_options& c_;
  std::ostream& err_;
};

}  // namespace vigil::app
