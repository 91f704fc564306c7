// The tests' requests: an http_transfer driven to its end within the client's timeout.
#include "tests/support/http_client.hpp"

#include <stdexcept>

namespace vigil::test {

http_client::http_client(uint16_t port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {}

http_response http_client::request(
    const std::string& method, const std::string& target, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  app::http_request req;
  req.url = "http://127.0.0.1:" + std::to_string(port_) + target;
  req.method = method;
  req.headers = headers;
  req.body = body;
  req.connect_timeout = timeout_;
  req.use_proxy = false;
  http_response r;
  app::http_transfer t{req,
                       {nullptr,
                        [&](std::string_view bytes) {
                          r.body.append(bytes);
                          return true;
                        }},
                       &connections_};
  const auto until = std::chrono::steady_clock::now() + timeout_;
  while (!t.finished()) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error(method + " " + target + ": no answer within " +
                               app::seconds_text(timeout_));
    t.wait(left);
  }
  if (t.end() != app::http_end::complete)
    throw std::runtime_error(method + " " + target + ": " + t.detail());
  r.status = t.head().status;
  for (const auto& [name, value] : t.head().headers) r.headers[name] = value;
  return r;
}

}  // namespace vigil::test
