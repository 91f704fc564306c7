// A request as its route handler gets it, and the handlers' shared moves. Internal.
#pragma once

#include <restinio/all.hpp>

#include <optional>
#include <string>

#include "actors/interfaces.hpp"
#include "http/bridge.hpp"
#include "http/query.hpp"
#include "http/reply_writer.hpp"
#include "http/server.hpp"
#include "model/commands.hpp"

namespace vigil::http {

/// What every handler may use, built once when the server starts.
struct route_context {
  server_options opts;
  bridge_actor bridge;
  actors::hub_actor hub;
  reply_context reply;
  std::string version;  ///< /v1/version's body: the build does not change while it runs
};

/// One request for one handler: valid only during the call (copy `req` to answer later).
struct route_call {
  const route_context& ctx;
  const restinio::request_handle_t& req;
  const restinio::router::route_params_t& params;
};

/// Writes `r` now.
inline void reply(const route_call& call, http_reply r) {
  send_reply(call.ctx.reply, call.req, std::move(r));
}

/// Writes the error body for `code` now, naming `field` when one is at fault.
inline void reply_error(const route_call& call, model::errc code, std::string detail,
                        std::string field = {}) {
  reply_error(call.ctx.reply, call.req, code, std::move(detail), std::move(field));
}

/// 400: the query string does not parse.
inline void reply_bad_query(const route_call& call) { reply_bad_query(call.ctx.reply, call.req); }

/// 400 naming a numeric query parameter that is not a whole number within [lo, hi].
inline void reply_out_of_range(const route_call& call, const char* name, uint64_t lo, uint64_t hi) {
  reply_out_of_range(call.ctx.reply, call.req, name, lo, hi);
}

/// The responder that completes this request later, from any thread.
inline responder responder_for(const route_call& call) {
  return responder_for(call.ctx.reply, call.req);
}

/// Whether the body is over the server's max_body_bytes (answer reply_too_large).
bool body_too_large(const route_call& call);

/// 413 naming the limit.
void reply_too_large(const route_call& call);

/// 400: the path parameter `name` is malformed (bad percent-encoding).
void reply_bad_path_param(const route_call& call, const char* name);

/// `?after=` as a sequence number (0 when absent); when malformed, the 400 naming it is sent
/// and nothing comes back.
std::optional<uint64_t> after_param(const route_call& call, const query& params);

/// Hands the stream `s` to the hub, written on this request's connection (an SSE writer).
void subscribe(const route_call& call, actors::stream_request s);

/// Sends `cmd` to the bridge, which answers through the responder.
void send_command(const route_call& call, model::command cmd);

/// Sends a job query to the bridge; the scheduler renders the answer.
void send_query(const route_call& call, actors::job_query q);

}  // namespace vigil::http
