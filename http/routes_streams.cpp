// The snapshot with its long poll, and the server-sent-event streams the hub feeds.
#include <caf/send.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/params.hpp"
#include "http/query.hpp"
#include "http/responses.hpp"
#include "http/route_call.hpp"
#include "http/route_handlers.hpp"
#include "http/sse_writer.hpp"
#include "model/duration.hpp"

namespace vigil::http {
void on_get_snapshot(const route_call& call) {
  const auto max_wait =
      std::chrono::duration_cast<std::chrono::seconds>(call.ctx.opts.max_long_poll);
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  std::optional<model::duration> wait = model::duration{};
  if (auto text = params->get("wait")) wait = model::parse_duration(*text);
  if (!wait || *wait > max_wait)
    return reply_error(call, model::errc::invalid_argument,
                       "wait must be a duration up to " + std::to_string(max_wait.count()) + "s",
                       "wait");
  std::string etag = call.req->header().get_field_or(restinio::http_field::if_none_match, "");
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  actors::snapshot_wait w;
  w.etag = etag;
  w.wait = *wait;
  w.answer = [c = call.ctx.reply, req = call.req, etag](model::snapshot_ptr snap) {
    send_reply(c, req, snapshot_reply(snap, etag));
  };
  caf::anon_send(call.ctx.hub, actors::wait_atom::value, std::move(w));
}

void on_get_stream_snapshots(const route_call& call) {
  actors::stream_request s;
  s.kind = actors::stream_request::snapshots;
  s.last_event_id = call.req->header().get_field_or("Last-Event-ID", "");
  subscribe(call, std::move(s));
}

void on_get_stream_events(const route_call& call) {
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const auto after = after_param(call, *params);
  if (!after) return;
  actors::stream_request s;
  s.kind = actors::stream_request::events;
  s.after = *after;
  s.types = split_list(params->get("types").value_or(""));
  s.job = params->get("job").value_or("");
  s.last_event_id = call.req->header().get_field_or("Last-Event-ID", "");
  if (!is_position_or_empty(s.last_event_id))
    return reply_error(call, model::errc::invalid_argument,
                       "Last-Event-ID must be a sequence number on the event stream",
                       "Last-Event-ID");
  subscribe(call, std::move(s));
}

// The web console's one stream: the current snapshot first, then events after ?after= (from
// now on without it) and a heartbeat every second, newest snapshot winning over events.
void on_get_stream_console(const route_call& call) {
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  actors::stream_request s;
  s.kind = actors::stream_request::console;
  s.from_end = !params->has("after");
  const auto after = after_param(call, *params);
  if (!after) return;
  s.after = *after;
  s.types = split_list(params->get("types").value_or(""));
  s.job = params->get("job").value_or("");
  subscribe(call, std::move(s));
}

void on_get_streams(const route_call& call) {
  caf::anon_send(call.ctx.bridge, stats_atom::value, responder_for(call));
}

}  // namespace vigil::http
