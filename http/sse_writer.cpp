// The SSE writer: a chunked response that the hub feeds, `retry:` first, then event blocks.
#include "http/sse_writer.hpp"

#include <string_view>
#include <utility>

#include "http/responses.hpp"
#include "http/route_table.hpp"

namespace vigil::http {

sse_writer::sse_writer(reply_context c, restinio::request_handle_t req, uint32_t retry_ms)
    : c_(std::move(c)), req_(std::move(req)), retry_ms_(retry_ms) {}

void sse_writer::refuse(const std::string& reason) {
  send_reply(c_, req_, error_reply({model::errc::unavailable, reason, ""}));
}

void sse_writer::not_found(const std::string& detail) {
  send_reply(c_, req_, error_reply({model::errc::not_found, detail, ""}));
}

void sse_writer::write(const std::vector<actors::sse_event>& events,
                       std::function<void(bool)> done) {
  std::string chunk;
  if (!resp_) {
    const auto path = req_->header().path();
    c_->count(route_label(std::string_view{path.data(), path.size()}), 200);
    resp_.emplace(req_->create_response<restinio::chunked_output_t>());
    resp_->append_header(restinio::http_field::content_type, "text/event-stream");
    resp_->append_header(restinio::http_field::cache_control, "no-store");
    resp_->append_header("X-Accel-Buffering", "no");
    chunk = "retry: " + std::to_string(retry_ms_) + "\n\n";
  }
  for (const auto& e : events) {
    chunk += "event: " + e.event + "\n";
    if (!e.id.empty()) chunk += "id: " + e.id + "\n";
    chunk += "data: " + e.data + "\n\n";
  }
  resp_->append_chunk(std::move(chunk));
  resp_->flush([done = std::move(done)](const asio::error_code& ec) { done(!ec); });
}

void sse_writer::close(std::function<void(bool)> done) {
  if (!resp_) return done(true);
  resp_->done([done = std::move(done)](const asio::error_code& ec) { done(!ec); });
}

http_reply stream_head_reply() {
  http_reply r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace vigil::http
