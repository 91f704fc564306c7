// A small blocking HTTP client for vigil's client subcommands: http:// URLs, HTTP/1.1 over one
// TCP socket, chunked, sized or close-delimited bodies. `read_sse` reads a Server-Sent-Events
// stream (`vigil watch`); `fetch` makes one plain request (`vigil status`, `vigil jobs`). Both
// share the connection code. No TLS, no proxies; `fetch` follows 307/308 redirects (a cluster
// follower names the leader so), `read_sse` none. Every wait also watches a stop
// descriptor, so a signal ends it at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace vigil::app {

/// `http://HOST:PORT[/prefix]`: HOST an IPv4 address or a name for getaddrinfo.
struct http_url {
  std::string host;
  uint16_t port = 0;
  std::string prefix;  ///< a path prefix without its trailing '/', usually empty

  std::string text() const;  ///< back to `http://host:port/prefix`
};

/// The URL, or nothing with what was expected in `why` (for "expected <why>").
std::optional<http_url> parse_http_url(const std::string& text, std::string& why);

/// One dispatched event.
struct sse_event {
  std::string type;  ///< "message" when the stream named none
  std::string id;    ///< the last event id in force when it was dispatched
  std::string data;
};

/// The text/event-stream grammar (WHATWG HTML, "Interpreting an event stream"), fed bytes split
/// anywhere. Lines end with CRLF, LF or CR; a leading BOM is skipped; ':' lines are comments.
class sse_parser {
 public:
  /// `last_event_id` seeds the id buffer: an event without an id keeps the resume point.
  explicit sse_parser(std::string last_event_id = {}, size_t max_line = 1 << 20);

  /// Feeds bytes, calling `on_event` for each event dispatched. False when a line, or the data
  /// of one event, is longer than max_line (the connection should be dropped).
  bool feed(std::string_view bytes, const std::function<void(const sse_event&)>& on_event);

  const std::string& last_event_id() const { return id_; }
  /// The last valid `retry:` field, in milliseconds.
  std::optional<uint64_t> retry_ms() const { return retry_ms_; }

 private:
  void line(std::string_view text, const std::function<void(const sse_event&)>& on_event);

  std::string pending_;  ///< the current incomplete line
  bool after_cr_ = false;
  bool started_ = false;  ///< the BOM check is done
  size_t max_line_;
  std::string data_;
  bool has_data_ = false;
  std::string type_;
  std::string id_;
  std::optional<uint64_t> retry_ms_;
};

/// Transfer-Encoding: chunked, decoded incrementally. Chunk extensions and trailers are skipped.
class chunked_decoder {
 public:
  /// Appends the decoded bytes of `in` to `out`. False on a malformed stream.
  bool feed(std::string_view in, std::string& out);
  /// The last (zero-size) chunk and its trailers were read.
  bool done() const { return state_ == state::done; }

 private:
  enum class state { size, extension, size_lf, data, data_cr, data_lf, trailer, trailer_lf, done };
  state state_ = state::size;
  uint64_t remaining_ = 0;
  int size_digits_ = 0;
  bool trailer_empty_ = true;
};

/// An HTTP response head.
struct http_head {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased

  std::string header(const std::string& lower_name) const;
};

/// Parses a head ending with an empty line (CRLF or LF); nothing when malformed.
std::optional<http_head> parse_http_head(std::string_view text);

/// How one connection ended.
struct sse_outcome {
  enum kind_type {
    stopped,      ///< the stop descriptor became readable
    unreachable,  ///< no TCP connection (resolution, refusal, connect timeout)
    refused,      ///< an HTTP answer other than 200 text/event-stream
    ended,        ///< the stream was open and then ended (EOF, error, idle timeout, bad data)
  };
  sse_outcome() = default;
  sse_outcome(kind_type k, std::string why, int http_status = 0)
      : kind(k), detail(std::move(why)), status(http_status) {}

  kind_type kind = ended;
  std::string detail;  ///< why, for a human
  int status = 0;      ///< refused: the HTTP status (0 when the answer was not HTTP)
  std::optional<std::chrono::seconds> retry_after;  ///< refused: a Retry-After in seconds
  std::string body;  ///< refused: the start of the answer's body (at most 4 KiB)
};

struct sse_request {
  http_url url;
  std::string target;         ///< path and query, e.g. /v1/stream/events?after=3
  std::string last_event_id;  ///< sent as Last-Event-ID unless empty
  std::string token;          ///< sent as Authorization: Bearer unless empty; never logged
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds idle_timeout{60000};  ///< 0: wait forever for the next byte
  int stop_fd = -1;                               ///< readable means stop; -1 for none
};

/// Opens one stream and reads it to its end. `on_open` runs once the 200 head arrived; every
/// event goes through `parser` to `on_event`. Blocking; returns when the stream ends or
/// `stop_fd` becomes readable.
sse_outcome read_sse(const sse_request& req, sse_parser& parser,
                     const std::function<void()>& on_open,
                     const std::function<void(const sse_event&)>& on_event);

/// One plain request: `Connection: close`, a JSON body when `body` is not empty (POST, PUT and
/// DELETE always send a Content-Length).
struct fetch_request {
  http_url url;
  std::string method = "GET";
  std::string target;  ///< path and query, the URL's prefix included
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, e.g. Authorization
  /// Bounds connecting, and then again sending the request and reading the whole answer.
  std::chrono::milliseconds timeout{5000};
  size_t max_body = size_t{16} << 20;  ///< a larger answer is an error
  int stop_fd = -1;
};

/// The answer, or why there is none.
struct fetch_response {
  bool answered = false;  ///< a complete HTTP/1.x answer arrived; else `error` says why not
  std::string error;      ///< unreachable, timed out, closed early, not HTTP, too large
  /// Connected, the request went out (or was being sent), and no answer head came back: the
  /// daemon cut the connection (what RESTinio does with a body far over its limit).
  bool cut_off = false;
  int status = 0;
  http_head head;
  std::string body;  ///< decoded (chunked framing removed)
};

/// How many 307/308 redirects `fetch` follows before it gives up.
inline constexpr int max_redirects = 5;

/// Where a redirect's Location points: an absolute http:// URL or a path on the same server.
/// Nothing, with why in `why`, for anything else (https, scheme-relative, not a URL).
std::optional<std::pair<http_url, std::string>> redirect_target(const http_url& from,
                                                                 const std::string& location,
                                                                 std::string& why);

/// Sends one request and reads its whole answer. A 307 or 308 answer is followed to its
/// Location, with the same method, body and headers (the bearer token too), at most
/// `max_redirects` times; each hop is bounded by `timeout` (twice at most).
fetch_response fetch(const fetch_request& req);

}  // namespace vigil::app
