// The tests' HTTP client: one blocking request at a time to 127.0.0.1, on kept-alive
// connections, over the app's libcurl client (app/http_transfer). Redirects come back as they
// are: tests look at a follower's 307 itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "app/http_transfer.hpp"

namespace vigil::test {

struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

class http_client {
 public:
  explicit http_client(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// Sends one request and reads the whole answer. Throws std::runtime_error when there is
  /// none within the timeout (no connection, cut off, not HTTP).
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

  http_response get(const std::string& target) { return request("GET", target); }
  http_response post(const std::string& target, const std::string& body = {}) {
    return request("POST", target, body);
  }

 private:
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  app::http_connections connections_;
};

}  // namespace vigil::test
