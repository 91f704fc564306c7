// The test HTTP client over a plain TCP socket to 127.0.0.1.
#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace vigil::test {

http_client::http_client(uint16_t port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {}

http_client::~http_client() { close(); }

void http_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

void http_client::connect() {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  timeval tv{};
  tv.tv_sec = timeout_.count() / 1000;
  tv.tv_usec = (timeout_.count() % 1000) * 1000;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string err = std::strerror(errno);
    close();
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port_) + ": " + err);
  }
}

bool http_client::send_all(const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

http_response http_client::read_response(bool no_body) {
  auto fill = [this]() {
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0) throw std::runtime_error("connection closed by server");
    if (n < 0) throw std::runtime_error("recv: " + std::string(std::strerror(errno)));
    buffer_.append(chunk, static_cast<size_t>(n));
  };
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
  http_response r;
  const std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.compare(0, 5, "HTTP/") != 0 || status_line.size() < 12)
    throw std::runtime_error("malformed status line: " + status_line);
  r.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos
                                                                               : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    size_t value_start = line.find_first_not_of(' ', colon + 1);
    r.headers[name] = value_start == std::string::npos ? "" : line.substr(value_start);
  }
  // A HEAD answer's Content-Length is the GET body's; no body follows it.
  const size_t length = !no_body && r.headers.count("content-length")
                            ? std::stoul(r.headers["content-length"])
                            : 0;
  while (buffer_.size() < length) fill();
  r.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  if (r.header("connection") == "close") close();
  return r;
}

http_response http_client::request(const std::string& method, const std::string& target,
                                   const std::string& body,
                                   const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
  req += "\r\n" + body;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = fd_ < 0;
    if (fresh) connect();
    if (!send_all(req)) {
      close();
      if (fresh) throw std::runtime_error("send failed on a fresh connection");
      continue;
    }
    try {
      return read_response(method == "HEAD");
    } catch (const std::runtime_error& e) {
      close();
      // A kept-alive connection the server closed meanwhile: retry once on a new one.
      if (fresh || std::string(e.what()) != "connection closed by server") throw;
    }
  }
  throw std::runtime_error("request failed twice");
}

}  // namespace vigil::test
