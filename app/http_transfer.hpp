// One HTTP exchange over libcurl, moved on by its caller: the client commands wait on it with a
// stop descriptor beside the socket (so a signal ends a wait at once), the tests' stream client
// reads it event by event, and a bench multiplexes a thousand of them with epoll. libcurl does
// the protocol: connections, framing (chunked, sized, close-delimited), proxies from the
// environment. Nothing of a request is logged: its headers carry bearer tokens.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::app {

/// An HTTP response head.
struct http_head {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased

  std::string header(const std::string& lower_name) const;  ///< empty when absent
};

/// One request.
struct http_request {
  std::string url;  ///< absolute, e.g. http://127.0.0.1:8080/v1/jobs?limit=5
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;  ///< e.g. Authorization, Accept
  /// Sent with a Content-Length unless it is empty and the method is GET or HEAD; a non-empty
  /// body is application/json unless `headers` name another Content-Type.
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  bool use_proxy = true;  ///< false: never through the environment's http_proxy (the tests)
};

/// How an exchange ended.
enum class http_end {
  running,         ///< not yet
  complete,        ///< the whole answer arrived
  aborted,         ///< a callback asked to read no further
  cannot_resolve,  ///< the host name did not resolve
  cannot_connect,  ///< refused, unreachable, or no connection within connect_timeout
  send_failed,     ///< connected; the request could not be sent whole
  nothing,         ///< connected; the server closed the connection without an answer
  not_http,        ///< the answer was not HTTP
  truncated,       ///< the connection closed in the middle of the body
  failed,          ///< anything else (a receive error, a malformed chunk): see detail()
};

/// Kept-alive connections for exchanges made one after another (a test's client asks a daemon
/// thousands of times; one connection each would run out of ports). Not for two threads at once.
class http_connections {
 public:
  http_connections();
  ~http_connections();
  http_connections(const http_connections&) = delete;
  http_connections& operator=(const http_connections&) = delete;

 private:
  friend class http_transfer;
  void* share_;  ///< a CURLSH sharing its connection cache
};

class http_transfer {
 public:
  struct callbacks {
    /// Once, when the final head arrived (not a 1xx). False: read no further (aborted).
    std::function<bool(const http_head&)> on_head;
    /// Body bytes as they arrive, the transfer framing removed. False: read no further.
    std::function<bool(std::string_view)> on_body;
  };

  /// Starts the exchange (nothing is sent before the first wait or pump); on a connection of
  /// `reuse` when it has one open to the same server.
  http_transfer(const http_request& req, callbacks cb, http_connections* reuse = nullptr);
  ~http_transfer();
  http_transfer(const http_transfer&) = delete;
  http_transfer& operator=(const http_transfer&) = delete;

  /// Waits at most `max` for the connection to be ready (or `stop_fd`, when not -1, to become
  /// readable), then moves the exchange on. True when `stop_fd` is readable: the caller stops.
  bool wait(std::chrono::milliseconds max, int stop_fd = -1);
  /// Moves the exchange on with what the connection has now, without waiting.
  void pump();

  http_end end() const;
  bool finished() const { return end() != http_end::running; }
  /// Why it ended, for a human: an OS error ("Connection refused") or libcurl's message.
  const std::string& detail() const;
  bool connected() const;      ///< the TCP connection was made
  bool head_received() const;  ///< on_head ran
  const http_head& head() const;
  /// The connection's socket (for a caller that polls many exchanges); -1 before connecting.
  int socket() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// "1.5s", the way every client message says a duration.
std::string seconds_text(std::chrono::milliseconds d);

}  // namespace vigil::app
