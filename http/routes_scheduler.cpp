// The scheduler as a whole: pause and resume it, the cluster it is part of, the stall hook.
#include <caf/send.hpp>

#include <string>
#include <variant>

#include "codec/requests.hpp"
#include "http/params.hpp"
#include "http/query.hpp"
#include "http/responses.hpp"
#include "http/route_call.hpp"
#include "http/route_handlers.hpp"
#include "model/duration.hpp"

namespace vigil::http {
namespace {

/// POST /v1/scheduler/pause and /resume: an empty body or {"reason": "..."}.
void pause_or_resume(const route_call& call, bool pause) {
  if (body_too_large(call)) return reply_too_large(call);
  auto decoded = codec::decode_scheduler_command(call.req->body(), pause);
  if (auto* bad = std::get_if<model::rejection>(&decoded)) return reply(call, error_reply(*bad));
  auto cmd = std::get<model::command>(std::move(decoded));
  const std::string by = requester(call.req);
  std::visit([&](auto& one) { one.by = by; }, cmd);
  send_command(call, std::move(cmd));
}

}  // namespace

void on_post_scheduler_pause(const route_call& call) { pause_or_resume(call, true); }
void on_post_scheduler_resume(const route_call& call) { pause_or_resume(call, false); }

void on_get_cluster(const route_call& call) {
  caf::anon_send(call.ctx.bridge, actors::cluster_atom::value, responder_for(call));
}

void on_post_debug_stall(const route_call& call) {
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const std::string target = params->get("target").value_or("");
  if (target != "scheduler" && target != "health")
    return reply_error(call, model::errc::invalid_argument,
                       "target must be 'scheduler' or 'health'", "target");
  const auto d = model::parse_duration(params->get("for").value_or(""));
  if (!d) return reply_error(call, model::errc::invalid_argument, "for must be a duration", "for");
  caf::anon_send(call.ctx.bridge, actors::stall_atom::value, target, *d, responder_for(call));
}

}  // namespace vigil::http
