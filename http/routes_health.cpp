// The probes, /metrics, the build's version and the API's contract: GET only, never a command.
#include <caf/send.hpp>

#include <cassert>
#include <string>

#include "codec/json_writer.hpp"
#include "http/api_document.hpp"
#include "http/query.hpp"
#include "http/route_call.hpp"
#include "http/route_handlers.hpp"
#include "http/server.hpp"

namespace vigil::http {
namespace {

/// Whether /health may show its checks and snapshot to this caller.
bool shows_details(const server_options& opts, const restinio::request_handle_t& req) {
  switch (opts.show_details) {
    case details_policy::always:
      return true;
    case details_policy::never:
      return false;
    case details_policy::when_authorized:
      break;
  }
  if (opts.tokens.empty()) return true;
  const auto header = req->header().get_field_or(restinio::http_field::authorization, "");
  return opts.tokens.accepts(std::string_view{header.data(), header.size()});
}

health_query parse_probe(const restinio::request_handle_t& req, health_route route,
                         const query& params) {
  health_query q;
  q.route = route;
  q.verbose = params.has("verbose");
  const auto accept = req->header().get_field_or(restinio::http_field::accept, "");
  q.plain_json = accept.find("application/json") != std::string::npos &&
                 accept.find("application/health+json") == std::string::npos;
  return q;
}

/// The three probes differ only in which verdict they print: the bridge asks the health actor.
void probe(const route_call& call, health_route route) {
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  auto q = parse_probe(call.req, route, *params);
  q.details = shows_details(call.ctx.opts, call.req);
  caf::anon_send(call.ctx.bridge, caf::get_atom::value, q, responder_for(call));
}

}  // namespace

void on_get_health(const route_call& call) { probe(call, health_route::health); }
void on_get_livez(const route_call& call) { probe(call, health_route::livez); }
void on_get_readyz(const route_call& call) { probe(call, health_route::readyz); }

void on_get_metrics(const route_call& call) {
  caf::anon_send(call.ctx.bridge, actors::metrics_atom::value, call.ctx.reply.counters,
                 responder_for(call));
}

void on_get_version(const route_call& call) {
  reply(call, http_reply{200, "application/json", call.ctx.version, {}});
}

// The contract this binary was built with (docs/openapi.yaml), from the binary like /ui.
void on_get_openapi(const route_call& call) {
  const ui_asset* openapi = find_api_document("openapi.json");
  assert(openapi != nullptr);  // the build embeds it
  http_reply r{200, std::string(openapi->content_type), std::string(openapi->body), {}};
  // A new daemon may serve a new contract: revalidate, as for the console's files.
  r.headers.emplace_back("Cache-Control", "no-cache");
  reply(call, std::move(r));
}

std::string version_json(const std::string& node) {
  return "{\"name\":\"vigil\",\"version\":" + codec::quote(VIGIL_VERSION) +
         ",\"build_type\":" + codec::quote(VIGIL_BUILD_TYPE) +
         ",\"compiler\":" + codec::quote(VIGIL_COMPILER) + ",\"node\":" + codec::quote(node) + "}";
}

const char* build_version() { return VIGIL_VERSION; }

}  // namespace vigil::http
