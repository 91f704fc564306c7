// Blocking sockets with poll(): every wait also polls the stop descriptor and has a deadline.
#include "app/sse_reader.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vigil::app {
namespace {

using steady = std::chrono::steady_clock;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

class socket_fd {
 public:
  socket_fd() = default;
  explicit socket_fd(int fd) : fd_(fd) {}
  ~socket_fd() { reset(); }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  socket_fd(socket_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  socket_fd& operator=(socket_fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

enum class wait_result { ready, timeout, stopped, error };

/// Waits until `fd` has `events`, the stop descriptor is readable, or `deadline` passes
/// (no deadline: forever). EINTR (a signal) just loops: its handler makes stop readable.
wait_result wait_fd(int fd, short events, int stop_fd, std::optional<steady::time_point> deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - steady::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(left.count(), 1 << 30)));
    }
    pollfd p[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    const int n = ::poll(p, stop_fd >= 0 ? 2 : 1, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return wait_result::error;
    }
    if (stop_fd >= 0 && (p[1].revents & POLLIN)) return wait_result::stopped;
    if (n == 0) return wait_result::timeout;
    if (p[0].revents != 0) return wait_result::ready;  // POLLERR/POLLHUP show on read or write
  }
}

std::optional<steady::time_point> deadline_after(std::chrono::milliseconds d) {
  if (d.count() <= 0) return std::nullopt;
  return steady::now() + d;
}

std::string seconds_text(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(d.count()) / 1000.0);
  return text;
}

std::string endpoint(const http_url& url) { return url.host + ":" + std::to_string(url.port); }

/// What connecting and sending need: shared by streams (read_sse) and plain requests (fetch).
struct link {
  const http_url& url;
  std::chrono::milliseconds connect_timeout;
  int stop_fd;
};

link link_of(const sse_request& req) { return link{req.url, req.connect_timeout, req.stop_fd}; }

/// A connected socket, or an outcome saying why not.
std::variant<socket_fd, sse_outcome> connect_to(const link& req) {
  const std::string where = endpoint(req.url);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc =
      ::getaddrinfo(req.url.host.c_str(), std::to_string(req.url.port).c_str(), &hints, &found);
  if (rc != 0)
    return sse_outcome{sse_outcome::unreachable,
                       "cannot resolve " + req.url.host + ": " + ::gai_strerror(rc)};
  std::string why = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    socket_fd s{
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol)};
    if (s.get() < 0) {
      why = std::strerror(errno);
      continue;
    }
    if (::connect(s.get(), a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        why = std::strerror(errno);
        continue;
      }
      const auto w = wait_fd(s.get(), POLLOUT, req.stop_fd, deadline_after(req.connect_timeout));
      if (w == wait_result::stopped) {
        ::freeaddrinfo(found);
        return sse_outcome{sse_outcome::stopped, "stopped"};
      }
      if (w == wait_result::timeout) {
        why = "no answer within " + seconds_text(req.connect_timeout);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) {
        why = std::strerror(err);
        continue;
      }
    }
    ::freeaddrinfo(found);
    const int on = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    return s;
  }
  ::freeaddrinfo(found);
  return sse_outcome{sse_outcome::unreachable, "cannot connect to " + where + ": " + why};
}

/// Sends all of `data`; an outcome when it cannot.
std::optional<sse_outcome> send_all(int fd, std::string_view data, const link& req) {
  const auto deadline = deadline_after(req.connect_timeout);
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const auto w = wait_fd(fd, POLLOUT, req.stop_fd, deadline);
      if (w == wait_result::stopped) return sse_outcome{sse_outcome::stopped, "stopped"};
      if (w == wait_result::ready) continue;
      return sse_outcome{sse_outcome::unreachable,
                         "cannot send the request to " + endpoint(req.url) + ": timed out"};
    }
    return sse_outcome{sse_outcome::unreachable, "cannot send the request to " + endpoint(req.url) +
                                                     ": " + std::strerror(n < 0 ? errno : EPIPE)};
  }
  return std::nullopt;
}

enum class read_status { data, eof, timeout, stopped, error };

/// One read (at most 16 KiB, appended to `out`), waiting until `deadline`.
read_status read_some(int fd, int stop_fd, std::optional<steady::time_point> deadline,
                      std::string& out, int& err) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      return read_status::data;
    }
    if (n == 0) return read_status::eof;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      err = errno;
      return read_status::error;
    }
    switch (wait_fd(fd, POLLIN, stop_fd, deadline)) {
      case wait_result::ready:
        continue;
      case wait_result::timeout:
        return read_status::timeout;
      case wait_result::stopped:
        return read_status::stopped;
      case wait_result::error:
        err = errno;
        return read_status::error;
    }
  }
}

std::string build_request(const sse_request& req) {
  std::string r = "GET " + (req.target.empty() ? std::string{"/"} : req.target) + " HTTP/1.1\r\n";
  r += "Host: " + endpoint(req.url) + "\r\n";
  r += "Accept: text/event-stream\r\nCache-Control: no-cache\r\nUser-Agent: vigil-watch\r\n";
  if (!req.last_event_id.empty()) r += "Last-Event-ID: " + req.last_event_id + "\r\n";
  if (!req.token.empty()) r += "Authorization: Bearer " + req.token + "\r\n";
  r += "\r\n";
  return r;
}

/// Where the head ends (just past its empty line), or npos.
size_t head_end(const std::string& buf) {
  const size_t crlf = buf.find("\r\n\r\n");
  const size_t lf = buf.find("\n\n");
  if (crlf == std::string::npos && lf == std::string::npos) return std::string::npos;
  if (lf == std::string::npos || (crlf != std::string::npos && crlf < lf)) return crlf + 4;
  return lf + 2;
}

/// The body framing a head announces.
struct body_framing {
  bool chunked = false;
  std::optional<uint64_t> length;  ///< Content-Length; neither: until the connection closes
};

body_framing framing_of(const http_head& head) {
  body_framing f;
  f.chunked = lower(head.header("transfer-encoding")).find("chunked") != std::string::npos;
  const std::string cl = head.header("content-length");
  if (!f.chunked && all_digits(cl) && cl.size() <= 18) f.length = std::stoull(cl);
  return f;
}

/// Reads a refused answer's body (at most 4 KiB, at most 2 s) for its detail.
std::string refused_body(int fd, const sse_request& req, const body_framing& framing,
                         std::string raw) {
  const auto deadline = steady::now() + std::chrono::seconds{2};
  std::string body;
  auto complete = [&] {
    body.clear();
    if (framing.chunked) {
      chunked_decoder fresh;
      fresh.feed(raw, body);
      return fresh.done();
    }
    body = raw;
    return framing.length && raw.size() >= *framing.length;
  };
  int err = 0;
  while (!complete() && raw.size() < 4096) {
    if (read_some(fd, req.stop_fd, deadline, raw, err) != read_status::data) break;
  }
  complete();
  if (framing.length && body.size() > *framing.length) body.resize(*framing.length);
  if (body.size() > 4096) body.resize(4096);
  return body;
}

}  // namespace

// ---- URL ---------------------------------------------------------------------------------------

std::string http_url::text() const {
  return "http://" + host + ":" + std::to_string(port) + prefix;
}

std::optional<http_url> parse_http_url(const std::string& text, std::string& why) {
  const std::string scheme = "http://";
  if (lower(text.substr(0, 8)) == "https://") {
    why = "http://HOST:PORT (https is not supported)";
    return std::nullopt;
  }
  if (lower(text.substr(0, scheme.size())) != scheme) {
    why = "http://HOST:PORT, e.g. http://127.0.0.1:8080";
    return std::nullopt;
  }
  const std::string rest = text.substr(scheme.size());
  if (rest.find_first_of("?#") != std::string::npos) {
    why = "http://HOST:PORT without a query or fragment";
    return std::nullopt;
  }
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? std::string{} : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    why = "http://HOST:PORT without user information";
    return std::nullopt;
  }
  if (!authority.empty() && authority.front() == '[') {
    why = "http://HOST:PORT with an IPv4 address or a host name (no IPv6 literals)";
    return std::nullopt;
  }
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) {
    why = "http://HOST:PORT with a port, e.g. http://127.0.0.1:8080";
    return std::nullopt;
  }
  http_url url;
  url.host = authority.substr(0, colon);
  const std::string port = authority.substr(colon + 1);
  if (url.host.empty() || !std::all_of(url.host.begin(), url.host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
      })) {
    why = "http://HOST:PORT with HOST an IPv4 address or a host name";
    return std::nullopt;
  }
  if (!all_digits(port) || port.size() > 5 || std::stoul(port) == 0 || std::stoul(port) > 65535) {
    why = "http://HOST:PORT with PORT from 1 to 65535";
    return std::nullopt;
  }
  url.port = static_cast<uint16_t>(std::stoul(port));
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      why = "http://HOST:PORT[/PATH] without spaces or control characters";
      return std::nullopt;
    }
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  url.prefix = path;
  return url;
}

// ---- text/event-stream -------------------------------------------------------------------------

sse_parser::sse_parser(std::string last_event_id, size_t max_line)
    : max_line_(max_line), id_(std::move(last_event_id)) {}

bool sse_parser::feed(std::string_view bytes,
                      const std::function<void(const sse_event&)>& on_event) {
  while (!bytes.empty()) {
    if (after_cr_) {
      after_cr_ = false;
      if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
        continue;
      }
    }
    const size_t eol = bytes.find_first_of("\r\n");
    if (eol == std::string_view::npos) {
      pending_.append(bytes);
      return pending_.size() <= max_line_;
    }
    pending_.append(bytes.substr(0, eol));
    if (pending_.size() > max_line_) return false;
    after_cr_ = bytes[eol] == '\r';
    bytes.remove_prefix(eol + 1);
    std::string text;
    text.swap(pending_);
    line(text, on_event);
    if (data_.size() > max_line_) return false;  // an event's data is bounded like a line
  }
  return true;
}

void sse_parser::line(std::string_view text,
                      const std::function<void(const sse_event&)>& on_event) {
  if (!started_) {
    started_ = true;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  }
  if (text.empty()) {  // dispatch
    if (data_.empty()) {
      type_.clear();
      return;
    }
    if (data_.back() == '\n') data_.pop_back();
    sse_event e{type_.empty() ? std::string{"message"} : type_, id_, std::move(data_)};
    data_.clear();
    type_.clear();
    on_event(e);
    return;
  }
  if (text.front() == ':') return;  // a comment
  const size_t colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    type_ = std::string{value};
  } else if (field == "data") {
    data_.append(value);
    data_ += '\n';
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_ = std::string{value};
  } else if (field == "retry") {
    if (all_digits(value))
      retry_ms_ = value.size() > 12 ? uint64_t{999'999'999'999} : std::stoull(std::string{value});
  }
}

// ---- chunked -----------------------------------------------------------------------------------

bool chunked_decoder::feed(std::string_view in, std::string& out) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  auto size_line_done = [this] {
    if (size_digits_ == 0) return false;
    size_digits_ = 0;
    if (remaining_ == 0) {
      state_ = state::trailer;
      trailer_empty_ = true;
    } else {
      state_ = state::data;
    }
    return true;
  };
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    switch (state_) {
      case state::size:
        if (hex(c) >= 0) {
          if (++size_digits_ > 15) return false;
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(hex(c));
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = state::extension;
        } else if (c == '\r') {
          state_ = state::size_lf;
        } else if (c == '\n') {
          if (!size_line_done()) return false;
        } else {
          return false;
        }
        ++i;
        break;
      case state::extension:
        if (c == '\r')
          state_ = state::size_lf;
        else if (c == '\n' && !size_line_done())
          return false;
        ++i;
        break;
      case state::size_lf:
        if (c != '\n' || !size_line_done()) return false;
        ++i;
        break;
      case state::data: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - i));
        out.append(in.substr(i, take));
        remaining_ -= take;
        i += take;
        if (remaining_ == 0) state_ = state::data_cr;
        break;
      }
      case state::data_cr:
        if (c == '\r')
          state_ = state::data_lf;
        else if (c == '\n')
          state_ = state::size;
        else
          return false;
        ++i;
        break;
      case state::data_lf:
        if (c != '\n') return false;
        state_ = state::size;
        ++i;
        break;
      case state::trailer:
        if (c == '\r') {
          state_ = state::trailer_lf;
        } else if (c == '\n') {
          if (trailer_empty_) state_ = state::done;
          trailer_empty_ = true;
        } else {
          trailer_empty_ = false;
        }
        ++i;
        break;
      case state::trailer_lf:
        if (c != '\n') return false;
        state_ = trailer_empty_ ? state::done : state::trailer;
        trailer_empty_ = true;
        ++i;
        break;
      case state::done:
        return true;  // anything after the last chunk is not ours
    }
  }
  return true;
}

// ---- HTTP head ---------------------------------------------------------------------------------

std::string http_head::header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

std::optional<http_head> parse_http_head(std::string_view text) {
  http_head head;
  bool first = true;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      first = false;
      // HTTP/1.x SP 3DIGIT [SP reason]
      if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ' ||
          !all_digits(line.substr(9, 3)) || (line.size() > 12 && line[12] != ' '))
        return std::nullopt;
      head.status = std::stoi(std::string{line.substr(9, 3)});
      if (line.size() > 13) head.reason = std::string{line.substr(13)};
      continue;
    }
    if (line.empty()) return head;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    head.headers.emplace_back(lower(std::string{line.substr(0, colon)}),
                              std::string{trim(line.substr(colon + 1))});
  }
  return first ? std::nullopt : std::optional<http_head>{head};
}

// ---- one stream --------------------------------------------------------------------------------

sse_outcome read_sse(const sse_request& req, sse_parser& parser,
                     const std::function<void()>& on_open,
                     const std::function<void(const sse_event&)>& on_event) {
  auto connected = connect_to(link_of(req));
  if (auto* failed = std::get_if<sse_outcome>(&connected)) return std::move(*failed);
  socket_fd sock = std::get<socket_fd>(std::move(connected));
  const int fd = sock.get();
  if (auto failed = send_all(fd, build_request(req), link_of(req))) return std::move(*failed);

  // The head.
  std::string buf;
  size_t end = std::string::npos;
  int err = 0;
  while ((end = head_end(buf)) == std::string::npos) {
    if (buf.size() > 65536)
      return {sse_outcome::refused, "the response head is larger than 64 KiB"};
    switch (read_some(fd, req.stop_fd, deadline_after(req.idle_timeout), buf, err)) {
      case read_status::data:
        continue;
      case read_status::stopped:
        return {sse_outcome::stopped, "stopped"};
      case read_status::eof:
        return {sse_outcome::unreachable,
                endpoint(req.url) + " closed the connection before answering"};
      case read_status::timeout:
        return {sse_outcome::unreachable,
                endpoint(req.url) + " did not answer within " + seconds_text(req.idle_timeout)};
      case read_status::error:
        return {sse_outcome::unreachable,
                "reading from " + endpoint(req.url) + ": " + std::strerror(err)};
    }
  }
  const auto head = parse_http_head(std::string_view{buf}.substr(0, end));
  if (!head) return {sse_outcome::refused, endpoint(req.url) + " did not answer with HTTP/1.x"};
  const body_framing framing = framing_of(*head);
  std::string rest = buf.substr(end);
  buf.clear();
  const std::string type = lower(head->header("content-type"));
  if (head->status != 200 || type.rfind("text/event-stream", 0) != 0) {
    sse_outcome out{sse_outcome::refused, {}, head->status};
    out.detail = "HTTP " + std::to_string(head->status) +
                 (head->reason.empty() ? std::string{} : " " + head->reason);
    if (head->status == 200) out.detail += " is not an event stream (Content-Type: " + type + ")";
    const std::string retry_after = head->header("retry-after");
    if (all_digits(retry_after) && retry_after.size() <= 6)
      out.retry_after = std::chrono::seconds{std::stol(retry_after)};
    out.body = refused_body(fd, req, framing, std::move(rest));
    return out;
  }
  on_open();

  chunked_decoder chunks;
  uint64_t body_read = 0;
  // Feeds raw body bytes through the framing and the parser; an outcome when the stream ends.
  auto take = [&](std::string_view raw) -> std::optional<sse_outcome> {
    std::string decoded;
    std::string_view body = raw;
    if (framing.chunked) {
      if (!chunks.feed(raw, decoded))
        return sse_outcome{sse_outcome::ended, "malformed chunked encoding from the server"};
      body = decoded;
    } else if (framing.length) {
      body = raw.substr(
          0, static_cast<size_t>(std::min<uint64_t>(raw.size(), *framing.length - body_read)));
      body_read += body.size();
    }
    if (!parser.feed(body, on_event))
      return sse_outcome{sse_outcome::ended, "an event-stream line or event larger than 1 MiB"};
    if ((framing.chunked && chunks.done()) || (framing.length && body_read >= *framing.length))
      return sse_outcome{sse_outcome::ended, "the server ended the stream"};
    return std::nullopt;
  };
  if (auto done = take(rest)) return std::move(*done);
  for (;;) {
    std::string raw;
    switch (read_some(fd, req.stop_fd, deadline_after(req.idle_timeout), raw, err)) {
      case read_status::data:
        if (auto done = take(raw)) return std::move(*done);
        continue;
      case read_status::stopped:
        return {sse_outcome::stopped, "stopped"};
      case read_status::eof:
        return {sse_outcome::ended, framing.chunked || framing.length
                                        ? "the connection closed in the middle of the stream"
                                        : "the server closed the connection"};
      case read_status::timeout:
        return {sse_outcome::ended, "nothing received for " + seconds_text(req.idle_timeout) +
                                        " (not even a heartbeat)"};
      case read_status::error:
        return {sse_outcome::ended, std::strerror(err)};
    }
  }
}

// ---- one plain request -------------------------------------------------------------------------

namespace {

fetch_response fetch_once(const fetch_request& req) {
  fetch_response out;
  const link to{req.url, req.timeout, req.stop_fd};
  auto connected = connect_to(to);
  if (auto* failed = std::get_if<sse_outcome>(&connected)) {
    out.error = failed->detail;
    return out;
  }
  socket_fd sock = std::get<socket_fd>(std::move(connected));
  const int fd = sock.get();

  std::string r = req.method + " " + (req.target.empty() ? std::string{"/"} : req.target) +
                  " HTTP/1.1\r\n";
  r += "Host: " + endpoint(req.url) + "\r\n";
  r += "Accept: application/json\r\nUser-Agent: vigil-cli\r\nConnection: close\r\n";
  for (const auto& [name, value] : req.headers) r += name + ": " + value + "\r\n";
  if (!req.body.empty()) r += "Content-Type: application/json\r\n";
  if (!req.body.empty() || (req.method != "GET" && req.method != "HEAD"))
    r += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  r += "\r\n";
  r += req.body;
  if (auto failed = send_all(fd, r, to)) {
    out.error = failed->detail;
    out.cut_off = true;
    return out;
  }

  const auto deadline = steady::now() + req.timeout;
  const std::string where = endpoint(req.url);
  std::string buf;
  int err = 0;
  // One read; an error text when the answer cannot go on.
  auto more = [&](std::string& into, const char* waiting_for) -> std::optional<std::string> {
    switch (read_some(fd, req.stop_fd, deadline, into, err)) {
      case read_status::data:
        return std::nullopt;
      case read_status::stopped:
        return std::string{"stopped"};
      case read_status::eof:
        return where + " closed the connection before " + waiting_for;
      case read_status::timeout:
        return where + " did not answer within " + seconds_text(req.timeout);
      case read_status::error:
        return "reading from " + where + ": " + std::strerror(err);
    }
    return std::string{"unreachable"};
  };

  size_t end = std::string::npos;
  while ((end = head_end(buf)) == std::string::npos) {
    if (buf.size() > 65536) {
      out.error = where + " sent a response head larger than 64 KiB";
      return out;
    }
    if (auto failed = more(buf, "answering")) {
      out.error = *failed;
      out.cut_off = buf.empty() && *failed != "stopped" &&
                    failed->find("did not answer within") == std::string::npos;
      return out;
    }
  }
  auto head = parse_http_head(std::string_view{buf}.substr(0, end));
  if (!head) {
    out.error = where + " did not answer with HTTP/1.x";
    return out;
  }
  const body_framing framing = framing_of(*head);
  std::string raw = buf.substr(end);
  const bool no_body = req.method == "HEAD" || head->status == 204 || head->status == 304 ||
                       (head->status >= 100 && head->status < 200);
  if (no_body) {
    raw.clear();
  } else if (framing.chunked) {
    chunked_decoder chunks;
    std::string body;
    for (;;) {
      if (!chunks.feed(raw, body)) {
        out.error = where + " sent a malformed chunked body";
        return out;
      }
      raw.clear();
      if (chunks.done()) break;
      if (body.size() > req.max_body) {
        out.error = where + " sent a body larger than " + std::to_string(req.max_body) + " bytes";
        return out;
      }
      if (auto failed = more(raw, "the end of the body")) {
        out.error = *failed;
        return out;
      }
    }
    raw = std::move(body);
  } else if (framing.length) {
    if (*framing.length > req.max_body) {
      out.error = where + " announced a body larger than " + std::to_string(req.max_body) +
                  " bytes";
      return out;
    }
    while (raw.size() < *framing.length) {
      if (auto failed = more(raw, "the end of the body")) {
        out.error = *failed;
        return out;
      }
    }
    raw.resize(static_cast<size_t>(*framing.length));
  } else {  // until the server closes the connection
    for (;;) {
      if (raw.size() > req.max_body) {
        out.error = where + " sent a body larger than " + std::to_string(req.max_body) + " bytes";
        return out;
      }
      const auto got = read_some(fd, req.stop_fd, deadline, raw, err);
      if (got == read_status::eof) break;
      if (got != read_status::data) {
        out.error = got == read_status::timeout
                        ? where + " did not finish its answer within " + seconds_text(req.timeout)
                        : "reading from " + where + ": " + std::strerror(err);
        return out;
      }
    }
  }
  out.answered = true;
  out.status = head->status;
  out.head = std::move(*head);
  out.body = std::move(raw);
  return out;
}

}  // namespace

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
    return std::make_pair(from, location);
  }
  // An absolute http:// URL: its authority is the new host, its path and query the target.
  const std::string scheme = "http://";
  if (lower(location.substr(0, scheme.size())) != scheme) {
    why = "a Location that is neither a path nor an http:// URL (" + location + ")";
    return std::nullopt;
  }
  const size_t path_at = location.find_first_of("/?", scheme.size());
  const std::string base = location.substr(0, path_at);
  std::string target = path_at == std::string::npos ? std::string{"/"} : location.substr(path_at);
  if (target.front() == '?') target = "/" + target;
  std::string url_why;
  auto url = parse_http_url(base, url_why);
  if (!url) {
    why = "a Location that is not http://HOST:PORT/... (" + location + "): expected " + url_why;
    return std::nullopt;
  }
  if (const size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  return std::make_pair(*url, target);
}

fetch_response fetch(const fetch_request& req) {
  // 307 keeps the method and body (RFC 9110 15.4.8): a follower names the leader this way.
  // Other redirects are answered as they are; 308 is treated alike, since it means the same.
  fetch_request hop = req;
  for (int hops = 0;; ++hops) {
    fetch_response r = fetch_once(hop);
    if (!r.answered || (r.status != 307 && r.status != 308)) return r;
    if (hops == max_redirects) {
      fetch_response out;
      out.error = "more than " + std::to_string(max_redirects) + " redirects (last to " +
                  r.head.header("location") + ")";
      return out;
    }
    std::string why;
    auto next = redirect_target(hop.url, r.head.header("location"), why);
    if (!next) {
      fetch_response out;
      out.error = endpoint(hop.url) + " answered HTTP " + std::to_string(r.status) + " with " + why;
      return out;
    }
    hop.url = next->first;
    hop.target = next->second;
  }
}

}  // namespace vigil::app
