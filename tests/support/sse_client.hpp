// The tests' Server-Sent-Events client (and the stream benches'): one GET to 127.0.0.1 over the
// app's libcurl client (app/http_transfer), its body read through the app's one sse_parser,
// events taken one at a time. A stalled reader is a raw_connection (stalled_stream).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/http_transfer.hpp"
#include "app/sse_parser.hpp"

namespace vigil::test {

/// One dispatched SSE event, as its frame said it.
struct sse_event {
  std::string event = "message";  ///< `event:`, "message" when absent (as in the spec)
  std::string id;                 ///< `id:` of this frame, empty when the frame had none
  std::string data;               ///< the `data:` lines joined by '\n'
};

struct sse_options {
  std::string last_event_id;  ///< sent as `Last-Event-ID` when not empty
  std::vector<std::pair<std::string, std::string>> headers;  ///< more request headers
  /// How long the constructor waits for the response head.
  std::chrono::milliseconds head_timeout = std::chrono::seconds{10};
};

class sse_client {
 public:
  /// Connects to 127.0.0.1:`port`, sends `GET target`, and waits for the response head; a
  /// response that is not a stream (e.g. 400, 503) is read whole into body(). Throws
  /// std::runtime_error when it cannot connect or the head does not come in time.
  sse_client(uint16_t port, const std::string& target, sse_options opts = {});
  ~sse_client();
  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  int status() const { return transfer_->head().status; }
  /// A response header, name lower-case; empty when absent.
  std::string header(const std::string& lower_name) const;
  /// The body of a non-stream response.
  const std::string& body() const { return body_; }

  /// The next event, or nothing when `timeout` passes first or the stream ended (see ended()).
  std::optional<sse_event> next_event(std::chrono::milliseconds timeout);
  /// The server ended the stream: the terminal chunk, or the connection closed.
  bool ended() const { return transfer_->finished(); }

  std::optional<uint32_t> retry_ms() const;
  /// The id of the last event returned that had one: what a reconnect sends as Last-Event-ID.
  /// (Events parsed but not yet returned do not count.)
  const std::string& last_event_id() const { return last_id_; }
  /// Wall-clock time (ms since the epoch) when the bytes of the last returned event arrived.
  int64_t received_at_ms() const { return received_at_ms_; }

  /// The socket, for callers that multiplex many clients with poll/epoll (see pump()).
  int fd() const { return transfer_->socket(); }
  /// Reads what the socket has now without blocking; returns false when the stream ended.
  bool pump();
  /// An event already parsed by pump() or next_event(), without reading.
  std::optional<sse_event> take_event();

 private:
  struct parsed {
    sse_event event;
    int64_t received_at_ms;
  };

  std::unique_ptr<app::http_transfer> transfer_;
  bool stream_ = false;
  std::string body_;
  app::sse_parser parser_{{}, size_t{64} << 20};  ///< output events can be long lines
  std::deque<parsed> ready_;
  std::string last_id_;
  int64_t received_at_ms_ = 0;
};

}  // namespace vigil::test
