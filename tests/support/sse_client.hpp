// A small blocking server-sent-events client for tests and the stream bench: one GET over a
// plain TCP socket to 127.0.0.1, the chunked transfer encoding and SSE frames parsed by hand.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vigil::test {

/// One dispatched SSE event (a frame with at least one `data:` line).
struct sse_event {
  std::string event = "message";  ///< `event:`, "message" when absent (as in the spec)
  std::string id;                 ///< `id:` of this frame, empty when the frame had none
  std::string data;               ///< the `data:` lines joined by '\n'
};

/// Incremental parser of an SSE body (already de-chunked): feed bytes, take events.
/// Follows the WHATWG rules: comments (`:`) are ignored, `retry:` and `id:` update the parser's
/// state, a frame without data is not dispatched.
class sse_parser {
 public:
  void feed(const char* data, size_t size);
  /// The next complete event, if one has been fed.
  std::optional<sse_event> take();
  /// The last `retry:` value seen, in milliseconds.
  std::optional<uint32_t> retry_ms() const { return retry_; }
  /// The last `id:` seen (the value a reconnecting client sends as Last-Event-ID).
  const std::string& last_event_id() const { return last_id_; }

 private:
  void line(const std::string& text);

  std::string pending_;  ///< bytes of an incomplete line
  bool skip_lf_ = false;  ///< the previous line ended with CR; a following LF belongs to it
  sse_event frame_;
  bool has_data_ = false;
  bool has_id_ = false;
  std::vector<sse_event> ready_;
  size_t taken_ = 0;
  std::optional<uint32_t> retry_;
  std::string last_id_;
};

/// Incremental decoder of `Transfer-Encoding: chunked`; passes chunk payloads to `out`.
class chunked_decoder {
 public:
  /// Consumes bytes; appends payload to `out`. Throws std::runtime_error on a malformed chunk.
  void feed(const char* data, size_t size, std::string& out);
  /// The terminal zero-size chunk has been seen.
  bool finished() const { return state_ == state::done; }

 private:
  enum class state { size_line, payload, payload_crlf, trailer, done };
  state state_ = state::size_line;
  std::string line_;
  uint64_t remaining_ = 0;
};

struct sse_options {
  std::string last_event_id;  ///< sent as `Last-Event-ID` when not empty
  std::vector<std::pair<std::string, std::string>> headers;  ///< more request headers
  /// > 0: SO_RCVBUF set to this before connect (the kernel doubles it and applies its minimum).
  int receive_buffer = 0;
  /// false: a stalled client; connects, sends the request, and never reads a byte.
  bool read = true;
  /// How long the constructor waits for the response head (when `read`).
  std::chrono::milliseconds head_timeout = std::chrono::seconds{10};
};

class sse_client {
 public:
  /// Connects to 127.0.0.1:`port`, sends `GET target`, and (when reading) waits for the
  /// response head; a response that is not a stream (e.g. 400, 503) is read whole into body().
  /// Throws std::runtime_error when it cannot connect or the head does not come in time.
  sse_client(uint16_t port, const std::string& target, sse_options opts = {});
  ~sse_client();
  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  int status() const { return status_; }
  /// A response header, name lower-case; empty when absent.
  std::string header(const std::string& lower_name) const;
  /// The body of a non-stream response.
  const std::string& body() const { return body_; }

  /// The next event, or nothing when `timeout` passes first or the stream ended (see ended()).
  std::optional<sse_event> next_event(std::chrono::milliseconds timeout);
  /// The server ended the stream: the terminal chunk, or the connection closed.
  bool ended() const { return ended_; }

  std::optional<uint32_t> retry_ms() const { return parser_.retry_ms(); }
  /// The id of the last event returned that had one: what a reconnect sends as Last-Event-ID.
  /// (Events parsed but not yet returned do not count.)
  const std::string& last_event_id() const { return last_id_; }
  /// Wall-clock time (ms since the epoch) when the bytes of the last returned event arrived.
  int64_t received_at_ms() const { return received_at_ms_; }

  /// The socket, for callers that multiplex many clients with poll/epoll (see pump()).
  int fd() const { return fd_; }
  /// Reads what the socket has now without blocking; returns false when the stream ended.
  bool pump();
  /// An event already parsed by pump() or next_event(), without reading.
  std::optional<sse_event> take_event();

 private:
  bool read_some(int timeout_ms);
  void read_head(std::chrono::milliseconds timeout);
  void consume_body_bytes(const char* data, size_t size);

  int fd_ = -1;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string body_;
  bool chunked_ = false;
  bool ended_ = false;
  std::string raw_;  ///< bytes read but not yet parsed (head, or body before the decoder)
  chunked_decoder chunks_;
  sse_parser parser_;
  std::string last_id_;
  int64_t last_read_ms_ = 0;
  int64_t received_at_ms_ = 0;
};

}  // namespace vigil::test
