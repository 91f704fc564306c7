// The SSE test client: a blocking socket, a chunked decoder and an SSE frame parser.
#include "tests/support/sse_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace vigil::test {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

// ---- sse_parser ----------------------------------------------------------------------------

void sse_parser::feed(const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      skip_lf_ = c == '\r';
      std::string text;
      text.swap(pending_);
      line(text);
    } else {
      pending_ += c;
    }
  }
}

void sse_parser::line(const std::string& text) {
  if (text.empty()) {  // end of a frame: dispatch it if it carried data
    if (has_data_) {
      if (!has_id_) frame_.id.clear();
      ready_.push_back(std::move(frame_));
    }
    frame_ = sse_event{};
    has_data_ = false;
    has_id_ = false;
    return;
  }
  if (text[0] == ':') return;  // a comment
  const size_t colon = text.find(':');
  const std::string field = text.substr(0, colon);
  std::string value;
  if (colon != std::string::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  }
  if (field == "event") {
    frame_.event = value;
  } else if (field == "data") {
    if (has_data_) frame_.data += '\n';
    frame_.data += value;
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string::npos) {
      frame_.id = value;
      last_id_ = value;
      has_id_ = true;
    }
  } else if (field == "retry") {
    if (!value.empty() && value.size() <= 9 &&
        value.find_first_not_of("0123456789") == std::string::npos)
      retry_ = static_cast<uint32_t>(std::stoul(value));
  }
}

std::optional<sse_event> sse_parser::take() {
  if (taken_ == ready_.size()) {
    ready_.clear();
    taken_ = 0;
    return std::nullopt;
  }
  return std::move(ready_[taken_++]);
}

// ---- chunked_decoder -----------------------------------------------------------------------

void chunked_decoder::feed(const char* data, size_t size, std::string& out) {
  size_t i = 0;
  while (i < size && state_ != state::done) {
    switch (state_) {
      case state::size_line:
      case state::trailer: {
        const char c = data[i++];
        if (c != '\n') {
          if (line_.size() > 1024) throw std::runtime_error("chunk line too long");
          line_ += c;
          break;
        }
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        if (state_ == state::trailer) {
          if (line_.empty()) state_ = state::done;  // the blank line ending the trailers
          line_.clear();
          break;
        }
        const std::string digits = line_.substr(0, line_.find(';'));  // extensions ignored
        line_.clear();
        if (digits.empty() || digits.size() > 15 ||
            digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
          throw std::runtime_error("malformed chunk size line: '" + digits + "'");
        remaining_ = std::stoull(digits, nullptr, 16);
        state_ = remaining_ == 0 ? state::trailer : state::payload;
        break;
      }
      case state::payload: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, size - i));
        out.append(data + i, n);
        i += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = state::payload_crlf;
        break;
      }
      case state::payload_crlf: {
        const char c = data[i++];
        if (c == '\r') break;
        if (c != '\n') throw std::runtime_error("chunk not followed by CRLF");
        state_ = state::size_line;
        break;
      }
      case state::done:
        break;
    }
  }
}

// ---- sse_client ----------------------------------------------------------------------------

sse_client::sse_client(uint16_t port, const std::string& target, sse_options opts) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  if (opts.receive_buffer > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &opts.receive_buffer, sizeof opts.receive_buffer);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + err);
  }
  std::string req = "GET " + target +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  if (!opts.last_event_id.empty()) req += "Last-Event-ID: " + opts.last_event_id + "\r\n";
  for (const auto& [name, value] : opts.headers) req += name + ": " + value + "\r\n";
  req += "\r\n";
  size_t sent = 0;
  while (sent < req.size()) {
    const ssize_t n = ::send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
      throw std::runtime_error("send: " + err);
    }
    sent += static_cast<size_t>(n);
  }
  if (opts.read) read_head(opts.head_timeout);
}

sse_client::~sse_client() {
  if (fd_ >= 0) ::close(fd_);
}

std::string sse_client::header(const std::string& lower_name) const {
  auto it = headers_.find(lower_name);
  return it == headers_.end() ? std::string{} : it->second;
}

/// Waits up to `timeout_ms` (-1: forever, 0: not at all) for bytes; appends them to raw_.
/// Returns false on timeout; marks the stream ended when the peer closed or reset.
bool sse_client::read_some(int timeout_ms) {
  if (ended_) return false;
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, timeout_ms);
  if (ready < 0 && errno != EINTR) throw std::runtime_error("poll: " + std::string(std::strerror(errno)));
  if (ready <= 0) return false;
  char buf[16384];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  last_read_ms_ = wall_ms();
  if (n <= 0) {  // closed (0) or reset (< 0): either way the stream is over
    ended_ = true;
    return false;
  }
  raw_.append(buf, static_cast<size_t>(n));
  return true;
}

void sse_client::read_head(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  size_t head_end;
  while ((head_end = raw_.find("\r\n\r\n")) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("no response head within the timeout");
    if (!read_some(static_cast<int>(left.count())) && ended_)
      throw std::runtime_error("connection closed before the response head");
  }
  const std::string head = raw_.substr(0, head_end);
  raw_.erase(0, head_end + 4);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.compare(0, 5, "HTTP/") != 0 || status_line.size() < 12)
    throw std::runtime_error("malformed status line: " + status_line);
  status_ = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(
        start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t value_start = line.find_first_not_of(' ', colon + 1);
    headers_[lower(line.substr(0, colon))] =
        value_start == std::string::npos ? "" : line.substr(value_start);
  }
  chunked_ = lower(header("transfer-encoding")).find("chunked") != std::string::npos;
  if (chunked_) {
    std::string bytes;
    bytes.swap(raw_);
    consume_body_bytes(bytes.data(), bytes.size());
    return;
  }
  // Not a stream: a whole response with a Content-Length body.
  const size_t length = headers_.count("content-length") ? std::stoul(headers_["content-length"]) : 0;
  while (raw_.size() < length) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || (!read_some(static_cast<int>(left.count())) && ended_))
      throw std::runtime_error("response body incomplete");
  }
  body_ = raw_.substr(0, length);
  raw_.clear();
  ended_ = true;
}

void sse_client::consume_body_bytes(const char* data, size_t size) {
  std::string payload;
  chunks_.feed(data, size, payload);
  parser_.feed(payload.data(), payload.size());
  if (chunks_.finished()) ended_ = true;
}

bool sse_client::pump() {
  if (!chunked_) return false;
  while (read_some(0)) {
    std::string bytes;
    bytes.swap(raw_);
    consume_body_bytes(bytes.data(), bytes.size());
  }
  return !ended_;
}

std::optional<sse_event> sse_client::take_event() {
  auto e = parser_.take();
  if (e) {
    received_at_ms_ = last_read_ms_;
    if (!e->id.empty()) last_id_ = e->id;
  }
  return e;
}

std::optional<sse_event> sse_client::next_event(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto e = take_event()) return e;
    if (ended_ || !chunked_) return std::nullopt;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (!read_some(static_cast<int>(left.count()))) continue;
    std::string bytes;
    bytes.swap(raw_);
    consume_body_bytes(bytes.data(), bytes.size());
  }
}

}  // namespace vigil::test
