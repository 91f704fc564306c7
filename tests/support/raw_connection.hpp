// A raw TCP connection to 127.0.0.1, for the tests that must misbehave on purpose: a stalled
// stream reader with a tiny receive buffer, bytes no HTTP client would send. Everything else
// speaks HTTP through http_client and sse_client.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vigil::test {

class raw_connection {
 public:
  /// Connects to 127.0.0.1:`port`; `receive_buffer` > 0 sets SO_RCVBUF first (the kernel
  /// doubles it and applies its minimum). Throws std::runtime_error when it cannot connect.
  explicit raw_connection(uint16_t port, int receive_buffer = 0);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Sends all of `bytes`; throws std::runtime_error when the connection will not take them.
  void send(std::string_view bytes);
  /// What arrives within `timeout`: empty when nothing did or the peer closed (see closed()).
  std::string read_some(std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
};

/// A stalled stream client: asks for `target` as an event stream and never reads a byte, on a
/// receive buffer as small as the kernel allows.
std::unique_ptr<raw_connection> stalled_stream(uint16_t port, const std::string& target);

}  // namespace vigil::test
