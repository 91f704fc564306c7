// fetch and read_sse: deadlines, redirects and the words of every failure, over http_transfer.
#include "app/http_client.hpp"

#include <algorithm>
#include <cctype>

#include "model/number.hpp"

namespace vigil::app {
namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string endpoint(const http_url& url) { return url.host + ":" + std::to_string(url.port); }

/// The request URL: the daemon's scheme and authority, then `target` (which holds the prefix).
std::string url_of(const http_url& url, const std::string& target) {
  return "http://" + endpoint(url) + (target.empty() ? std::string{"/"} : target);
}

/// Where a 307/308 sends the request: a path on the same daemon, or an absolute http:// URL
/// that passes the same rule as --url (parse_http_url: a host and a port, no user info). A
/// scheme-relative Location, another scheme or anything else is refused with the reason.
std::optional<std::pair<http_url, std::string>> redirect_target(const http_url& from,
                                                                const std::string& location,
                                                                std::string& why) {
  if (location.empty()) {
    why = "a redirect without a Location";
    return std::nullopt;
  }
  if (location.front() == '/') {
    if (location.size() > 1 && location[1] == '/') {
      why = "a scheme-relative Location (" + location + ")";
      return std::nullopt;
    }
    return std::make_pair(from, location.substr(0, location.find('#')));
  }
  const std::string scheme = "http://";
  if (ascii_lower(location.substr(0, scheme.size())) != scheme) {
    why = "a Location that is neither a path nor an http:// URL (" + location + ")";
    return std::nullopt;
  }
  const size_t path_at = location.find_first_of("/?#", scheme.size());
  const std::string base = location.substr(0, path_at);
  std::string target = path_at == std::string::npos ? std::string{"/"} : location.substr(path_at);
  if (target.front() == '?' || target.front() == '#') target = "/" + target;
  std::string url_why;
  auto url = parse_http_url(base, url_why);
  if (!url) {
    why = "a Location that is not http://HOST:PORT/... (" + location + "): expected " + url_why;
    return std::nullopt;
  }
  if (const size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  return std::make_pair(*url, target);
}

milliseconds left_until(steady::time_point t) {
  return std::max(milliseconds{0}, std::chrono::ceil<milliseconds>(t - steady::now()));
}

/// Why an exchange that did not complete failed, when it got no further than the connection.
std::string connection_failure(const http_transfer& t, const std::string& where) {
  switch (t.end()) {
    case http_end::cannot_resolve:
      return "cannot resolve " + where + ": " + t.detail();
    case http_end::cannot_connect:
      return "cannot connect to " + where + ": " + t.detail();
    case http_end::send_failed:
      return "cannot send the request to " + where + ": " + t.detail();
    case http_end::nothing:
      return where + " closed the connection before answering";
    case http_end::not_http:
      return where + " did not answer with HTTP/1.x";
    default:
      return "reading from " + where + ": " + t.detail();
  }
}

/// One hop of `fetch`: the answer as it came, a 3xx included.
fetch_response fetch_once(const fetch_request& req, const std::string& url,
                          const std::string& where) {
  fetch_response out;
  bool too_large = false;
  http_request hr;
  hr.url = url;
  hr.method = req.method;
  hr.headers = {{"Accept", "application/json"}, {"User-Agent", "vigil-cli"}};
  hr.headers.insert(hr.headers.end(), req.headers.begin(), req.headers.end());
  hr.body = req.body;
  hr.connect_timeout = req.timeout;
  hr.use_proxy = req.use_proxy;
  http_transfer t{hr, {nullptr, [&](std::string_view bytes) {
                         out.body.append(bytes);
                         too_large = out.body.size() > req.max_body;
                         return !too_large;
                       }}};
  // Connecting is bounded by libcurl's connect timeout; the answer by ours from then on.
  std::optional<steady::time_point> deadline;
  while (!t.finished()) {
    if (!deadline && t.connected()) deadline = steady::now() + req.timeout;
    if (deadline && steady::now() >= *deadline) {
      out.body.clear();
      out.error =
          where +
          (t.head_received() ? " did not finish its answer within " : " did not answer within ") +
          seconds_text(req.timeout);
      return out;
    }
    if (t.wait(deadline ? left_until(*deadline) : req.timeout, req.stop_fd)) {
      out.body.clear();
      out.error = "stopped";
      return out;
    }
  }
  if (t.end() == http_end::complete) {
    out.answered = true;
    out.status = t.head().status;
    out.head = t.head();
    return out;
  }
  out.body.clear();
  if (too_large) {
    out.error = where + " sent a body larger than " + std::to_string(req.max_body) + " bytes";
  } else if (t.end() == http_end::truncated) {
    out.error = where + " closed the connection before the end of the body";
  } else {
    out.error = connection_failure(t, where);
    // Connected, and not a byte of an answer: the daemon cut the request off.
    out.cut_off = t.connected() && !t.head_received() && t.end() != http_end::not_http;
  }
  return out;
}

}  // namespace

fetch_response fetch(const fetch_request& req) {
  // A 307/308 keeps the method and body (RFC 9110 15.4.8): a follower names the leader this way.
  // Followed here rather than by libcurl, which would follow every 3xx and, across hosts, drop
  // the bearer token the leader needs; every hop passes the rule --url passed.
  http_url url = req.url;
  std::string target = req.target;
  for (int hops = 0;; ++hops) {
    const std::string where = endpoint(url);
    fetch_response r = fetch_once(req, url_of(url, target), where);
    if (!r.answered || (r.status != 307 && r.status != 308)) return r;
    const std::string location = r.head.header("location");
    fetch_response out;
    if (hops == max_redirects) {
      out.error =
          "more than " + std::to_string(max_redirects) + " redirects (last to " + location + ")";
      return out;
    }
    std::string why;
    auto hop = redirect_target(url, location, why);
    if (!hop) {
      out.error = where + " answered HTTP " + std::to_string(r.status) + " with " + why;
      return out;
    }
    url = hop->first;
    target = hop->second;
  }
}

sse_outcome read_sse(const sse_request& req, sse_parser& parser,
                     const std::function<void()>& on_open,
                     const std::function<void(const sse_event&)>& on_event) {
  const std::string where = endpoint(req.url);
  http_request hr;
  hr.url = url_of(req.url, req.target);
  hr.headers = {{"Accept", "text/event-stream"},
                {"Cache-Control", "no-cache"},
                {"User-Agent", "vigil-watch"}};
  if (!req.last_event_id.empty()) hr.headers.emplace_back("Last-Event-ID", req.last_event_id);
  if (!req.token.empty()) hr.headers.emplace_back("Authorization", "Bearer " + req.token);
  hr.connect_timeout = req.connect_timeout;

  bool stream = false;
  bool too_long = false;
  std::optional<sse_outcome> refusal;
  std::string refused_body;
  steady::time_point last_byte = steady::now();
  steady::time_point refused_at{};
  http_transfer t{hr,
                  {[&](const http_head& head) {
                     last_byte = steady::now();
                     const std::string type = ascii_lower(head.header("content-type"));
                     if (head.status == 200 && type.rfind("text/event-stream", 0) == 0) {
                       stream = true;
                       on_open();
                       return true;
                     }
                     refusal = sse_outcome{sse_outcome::refused, {}, head.status};
                     refusal->detail = "HTTP " + std::to_string(head.status) +
                                       (head.reason.empty() ? std::string{} : " " + head.reason);
                     if (head.status == 200)
                       refusal->detail += " is not an event stream (Content-Type: " + type + ")";
                     const std::string retry_after = head.header("retry-after");
                     if (const auto s = model::parse_uint(retry_after, 999'999))
                       refusal->retry_after = std::chrono::seconds{*s};
                     refused_at = steady::now();
                     return true;  // its body says why: read the start of it
                   },
                   [&](std::string_view bytes) {
                     last_byte = steady::now();
                     if (!stream) {
                       refused_body.append(bytes.substr(0, 4096 - refused_body.size()));
                       return refused_body.size() < 4096;
                     }
                     too_long = !parser.feed(bytes, on_event);
                     return !too_long;
                   }}};

  while (!t.finished()) {
    milliseconds wait{1 << 30};
    if (refusal) {  // a refused answer's body gets 2 s at most
      if (steady::now() >= refused_at + std::chrono::seconds{2}) break;
      wait = left_until(refused_at + std::chrono::seconds{2});
    } else if (req.idle_timeout.count() > 0) {
      if (steady::now() >= last_byte + req.idle_timeout) {
        if (stream)
          return {sse_outcome::ended, "nothing received for " + seconds_text(req.idle_timeout) +
                                          " (not even a heartbeat)"};
        if (t.connected())
          return {sse_outcome::unreachable,
                  where + " did not answer within " + seconds_text(req.idle_timeout)};
      }
      // Before the connection, libcurl's connect timeout bounds the wait.
      wait = t.connected() ? left_until(last_byte + req.idle_timeout) : req.connect_timeout;
    }
    if (t.wait(wait, req.stop_fd)) return {sse_outcome::stopped, "stopped"};
    if (!t.connected()) last_byte = steady::now();  // idle counts from the connection
  }
  if (refusal) {
    refusal->body = std::move(refused_body);
    return std::move(*refusal);
  }
  if (!stream) {
    const auto kind =
        t.end() == http_end::not_http ? sse_outcome::refused : sse_outcome::unreachable;
    return {kind, connection_failure(t, where)};
  }
  switch (t.end()) {
    case http_end::complete: {
      const http_head& head = t.head();
      const bool framed =
          ascii_lower(head.header("transfer-encoding")).find("chunked") != std::string::npos ||
          !head.header("content-length").empty();
      return {sse_outcome::ended,
              framed ? "the server ended the stream" : "the server closed the connection"};
    }
    case http_end::aborted:
      if (too_long) return {sse_outcome::ended, "an event-stream line or event larger than 1 MiB"};
      break;
    case http_end::truncated:
      return {sse_outcome::ended, "the connection closed in the middle of the stream"};
    default:
      break;
  }
  return {sse_outcome::ended, t.detail()};
}

}  // namespace vigil::app
