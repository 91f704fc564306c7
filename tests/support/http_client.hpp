// A small blocking HTTP/1.1 client for tests: keep-alive, Content-Length bodies, timeouts.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

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
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends one request on the kept-alive connection (reconnecting once if the server closed
  /// it). Throws std::runtime_error on timeout or a malformed response.
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

  http_response get(const std::string& target) { return request("GET", target); }
  http_response post(const std::string& target, const std::string& body = {}) {
    return request("POST", target, body);
  }

 private:
  void connect();
  void close();
  bool send_all(const std::string& data);
  http_response read_response(bool no_body = false);  /// no_body: the answer to a HEAD

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace vigil::test
