// The client commands' HTTP, over app/http_transfer (libcurl): `fetch` makes one plain request
// (`vigil status`, `vigil jobs`), following 307/308 redirects (a cluster follower names the
// leader so); `read_sse` reads one Server-Sent-Events stream through the one sse_parser
// (`vigil watch`, `vigil jobs logs -f`) and follows none. Both also watch a stop descriptor, so a
// signal ends a wait at once, and both say why they failed in the words the CLI prints.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/http_transfer.hpp"
#include "app/http_url.hpp"
#include "app/sse_parser.hpp"

namespace vigil::app {

/// How one stream ended.
struct sse_outcome {
  enum kind_type {
    stopped,      ///< the stop descriptor became readable
    unreachable,  ///< no TCP connection (resolution, refusal, connect timeout), or no answer
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

/// One plain request; a JSON body when `body` is not empty (POST, PUT and DELETE always send a
/// Content-Length).
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
  bool use_proxy = true;  ///< false: never through the environment's http_proxy
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
  std::string body;
};

/// How many 307/308 redirects `fetch` follows before it gives up.
inline constexpr int max_redirects = 5;

/// Sends one request and reads its whole answer. A 307 or 308 answer is followed to its
/// Location (an http:// URL, or a path libcurl resolves against the request's), with the same
/// method, body and headers (the bearer token too), at most `max_redirects` times; each hop is
/// bounded by `timeout` (twice at most). Other answers, 3xx included, are returned as they are.
fetch_response fetch(const fetch_request& req);

}  // namespace vigil::app
