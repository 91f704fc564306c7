// The event log read by page: GET /v1/events?after=&limit=.
#include <caf/send.hpp>

#include <cstdint>

#include "http/params.hpp"
#include "http/query.hpp"
#include "http/route_call.hpp"
#include "http/route_handlers.hpp"

namespace vigil::http {

void on_get_events(const route_call& call) {
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const auto after = after_param(call, *params);
  if (!after) return;
  const auto limit = number_param(*params, "limit", 100, 1, 1000);
  if (!limit) return reply_out_of_range(call, "limit", 1, 1000);
  caf::anon_send(call.ctx.bridge, actors::events_atom::value, *after, *limit, responder_for(call));
}

}  // namespace vigil::http
