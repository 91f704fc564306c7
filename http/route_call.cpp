// The handlers' shared moves: the body limit, sending a command or a job query to the bridge.
#include "http/route_call.hpp"

#include <caf/send.hpp>

#include <utility>

#include "http/params.hpp"
#include "http/sse_writer.hpp"

namespace vigil::http {

bool body_too_large(const route_call& call) {
  return call.req->body().size() > call.ctx.opts.max_body_bytes;
}

void reply_too_large(const route_call& call) {
  reply_error(call, model::errc::payload_too_large,
              "body is larger than " + std::to_string(call.ctx.opts.max_body_bytes) + " bytes");
}

void reply_bad_path_param(const route_call& call, const char* name) {
  reply_error(call, model::errc::invalid_argument, "malformed path parameter", name);
}

std::optional<uint64_t> after_param(const route_call& call, const query& params) {
  const auto after = number_param(params, "after", 0, 0, UINT64_MAX);
  if (!after)
    reply_error(call, model::errc::invalid_argument, "after must be a sequence number (0 or more)",
                "after");
  return after;
}

void subscribe(const route_call& call, actors::stream_request s) {
  s.writer = std::make_shared<sse_writer>(call.ctx.reply, call.req, call.ctx.opts.stream_retry_ms);
  caf::anon_send(call.ctx.hub, actors::subscribe_atom::value, std::move(s));
}

void send_command(const route_call& call, model::command cmd) {
  caf::anon_send(call.ctx.bridge, actors::command_atom::value, std::move(cmd), responder_for(call));
}

void send_query(const route_call& call, actors::job_query q) {
  caf::anon_send(call.ctx.bridge, actors::query_atom::value, std::move(q), responder_for(call));
}

}  // namespace vigil::http
