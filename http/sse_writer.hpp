// A server-sent-event stream on one RESTinio connection, as the hub writes it: internal.
#pragma once

#include <restinio/all.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actors/stream_writer.hpp"
#include "http/reply_writer.hpp"

namespace vigil::http {

/// A server-sent-event stream on one connection. Only the hub calls it; RESTinio posts the
/// writes to the connection's own thread and reports completion through `done`.
class sse_writer final : public actors::stream_writer {
 public:
  sse_writer(reply_context c, restinio::request_handle_t req, uint32_t retry_ms);

  void refuse(const std::string& reason) override;
  void not_found(const std::string& detail) override;
  void write(const std::vector<actors::sse_event>& events, std::function<void(bool)> done) override;
  void close(std::function<void(bool)> done) override;

 private:
  reply_context c_;
  restinio::request_handle_t req_;
  uint32_t retry_ms_;
  std::optional<restinio::response_builder_t<restinio::chunked_output_t>> resp_;
};

/// What HEAD on a stream answers: a stream's headers, without starting one.
http_reply stream_head_reply();

}  // namespace vigil::http
