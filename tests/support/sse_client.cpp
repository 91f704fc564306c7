// The SSE test client: an http_transfer whose body goes through the app's sse_parser.
#include "tests/support/sse_client.hpp"

#include <algorithm>
#include <stdexcept>

namespace vigil::test {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

sse_client::sse_client(uint16_t port, const std::string& target, sse_options opts) {
  app::http_request req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + target;
  req.headers = {{"Accept", "text/event-stream"}};
  if (!opts.last_event_id.empty()) req.headers.emplace_back("Last-Event-ID", opts.last_event_id);
  req.headers.insert(req.headers.end(), opts.headers.begin(), opts.headers.end());
  req.connect_timeout = opts.head_timeout;
  req.use_proxy = false;
  transfer_ = std::make_unique<app::http_transfer>(
      req, app::http_transfer::callbacks{
               [this](const app::http_head& head) {
                 stream_ = head.header("transfer-encoding").find("chunked") != std::string::npos;
                 return true;
               },
               [this](std::string_view bytes) {
                 if (!stream_) {
                   body_.append(bytes);
                   return true;
                 }
                 const int64_t now = wall_ms();
                 return parser_.feed(bytes, [&](const app::sse_event& e) {
                   ready_.push_back({{e.type, e.own_id ? e.id : std::string{}, e.data}, now});
                 });
               }});
  // The head, and a whole answer when it is not a stream.
  const auto until = std::chrono::steady_clock::now() + opts.head_timeout;
  while (!transfer_->finished() && (!transfer_->head_received() || !stream_)) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error(transfer_->head_received() ? "response body incomplete"
                                                          : "no response head within the timeout");
    transfer_->wait(left);
  }
  if (!transfer_->head_received())
    throw std::runtime_error("no response head: " + transfer_->detail());
  if (!stream_ && transfer_->end() != app::http_end::complete)
    throw std::runtime_error("response body incomplete: " + transfer_->detail());
}

// The transfer goes first: its callbacks write into the members declared after it.
sse_client::~sse_client() { transfer_.reset(); }

std::string sse_client::header(const std::string& lower_name) const {
  return transfer_->head().header(lower_name);
}

std::optional<uint32_t> sse_client::retry_ms() const {
  if (!parser_.retry_ms()) return std::nullopt;
  return static_cast<uint32_t>(std::min<uint64_t>(*parser_.retry_ms(), UINT32_MAX));
}

bool sse_client::pump() {
  if (!stream_) return false;
  transfer_->pump();
  return !transfer_->finished();
}

std::optional<sse_event> sse_client::take_event() {
  if (ready_.empty()) return std::nullopt;
  parsed p = std::move(ready_.front());
  ready_.pop_front();
  received_at_ms_ = p.received_at_ms;
  if (!p.event.id.empty()) last_id_ = p.event.id;
  return std::move(p.event);
}

std::optional<sse_event> sse_client::next_event(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto e = take_event()) return e;
    if (!stream_ || transfer_->finished()) return std::nullopt;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    transfer_->wait(left);
  }
}

}  // namespace vigil::test
