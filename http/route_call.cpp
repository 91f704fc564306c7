// The handlers' shared moves: the body limit, sending a command or a job query to the bridge.
#include "http/route_call.hpp"

#include <caf/send.hpp>

#include <utility>

namespace vigil::http {

bool body_too_large(const route_call& call) {
  return call.req->body().size() > call.ctx.opts.max_body_bytes;
}

void reply_too_large(const route_call& call) {
  reply_error(call, model::errc::payload_too_large,
              "body is larger than " + std::to_string(call.ctx.opts.max_body_bytes) + " bytes");
}

void send_command(const route_call& call, model::command cmd) {
  caf::anon_send(call.ctx.bridge, actors::command_atom::value, std::move(cmd), responder_for(call));
}

void send_query(const route_call& call, actors::job_query q) {
  caf::anon_send(call.ctx.bridge, actors::query_atom::value, std::move(q), responder_for(call));
}

}  // namespace vigil::http
