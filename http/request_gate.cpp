// The gate in front of the router and the answer behind it, both read from the route table.
#include "http/request_gate.hpp"

#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "codec/json_writer.hpp"
#include "http/auth.hpp"
#include "http/params.hpp"
#include "http/responses.hpp"
#include "http/sse_writer.hpp"

namespace vigil::http {
namespace {

/// Nothing when the caller may use the route; else the 401 or 403 to answer, before any
/// handler runs, so that a refused request changes nothing and reads nothing. The scope comes
/// from the route table, matched on the path as the router sees it (percent-decoded).
std::optional<http_reply> refuse(const reply_context& c, const open_routes& open,
                                 const restinio::request_handle_t& req) {
  if (!c.tokens || c.tokens->empty()) return std::nullopt;
  const auto raw = req->header().path();
  std::string path;
  try {
    path =
        restinio::utils::unescape_percent_encoding<restinio::utils::relaxed_unescape_traits>(raw);
  } catch (const std::exception&) {
    path.assign(raw.data(), raw.size());
  }
  const auto needed = required_scope(open, req->header().method().c_str(), route_label(path));
  const auto header = req->header().get_field_or(restinio::http_field::authorization, "");
  const auto who = c.tokens->identify(std::string_view{header.data(), header.size()});
  if (!needed) {
    // An open route needs no token, but one sent and wrong is said so (a client such as
    // `vigil status` learns its token is bad instead of being answered as a stranger).
    if (who.outcome == auth_outcome::malformed || who.outcome == auth_outcome::invalid_token)
      return unauthorized_reply(who.outcome);
    return std::nullopt;
  }
  if (who.outcome != auth_outcome::accepted) return unauthorized_reply(who.outcome);
  if (!allows(who.token->level, *needed)) return forbidden_reply(*who.token, *needed);
  return std::nullopt;
}

/// The streams' routes (the table's /v1/stream/… paths): HEAD answers their headers without
/// starting a stream.
bool is_stream_route(std::string_view path) {
  constexpr std::string_view streams = "/v1/stream/";
  if (path.substr(0, streams.size()) != streams) return false;
  for (auto r = route_rules_begin(); r != route_rules_end(); ++r)
    if (path == r->path) return true;
  return false;
}

/// Whether `method` is one of `allow`'s comma-separated methods.
bool allows(std::string_view allow, std::string_view method) {
  while (!allow.empty()) {
    const auto comma = allow.find(',');
    if (allow.substr(0, comma) == method) return true;
    if (comma == std::string_view::npos) break;
    allow.remove_prefix(comma + 1);
    while (!allow.empty() && allow.front() == ' ') allow.remove_prefix(1);
  }
  return false;
}

}  // namespace

std::optional<restinio::request_handling_status_t> answer_before_routing(
    const reply_context& c, const open_routes& open, const restinio::request_handle_t& req) {
  const auto path = req->header().path();
  const std::string_view view{path.data(), path.size()};
  // The router percent-decodes the path and throws on a malformed escape, which would drop the
  // connection without an answer: answer 400 instead.
  if (!valid_percent_encoding(view))
    return reply_error(c, req, model::errc::invalid_argument,
                       "malformed percent-encoding in the path");
  // Every route's token check, before any handler runs: streams at connect.
  if (auto refusal = refuse(c, open, req)) return reply_now(c, req, std::move(*refusal));
  if (is_head(req) && is_stream_route(view)) return reply_now(c, req, stream_head_reply());
  return std::nullopt;
}

restinio::request_handling_status_t answer_unmatched(const reply_context& c, bool test_hooks,
                                                     const restinio::request_handle_t& req) {
  const std::string path{req->header().path()};
  const std::string_view tmpl = route_template_of(path);
  const std::string allow = allowed_methods(tmpl, test_hooks);
  const auto name =
      allows(allow, req->header().method().c_str()) ? empty_parameter(path, tmpl) : std::nullopt;
  if (name) {
    // The route exists and allows this method: what failed to match is an empty {name}.
    return reply_error(c, req, model::errc::invalid_argument,
                       "the path's {" + *name + "} segment is empty", *name);
  }
  if (!allow.empty()) {
    http_reply reply;
    reply.status = 405;
    reply.body = "{\"error\":\"method_not_allowed\",\"detail\":" +
                 codec::quote(std::string(req->header().method().c_str()) + " is not allowed on " +
                              path + "; use " + allow) +
                 "}";
    reply.headers.emplace_back("Allow", allow);
    return reply_now(c, req, std::move(reply));
  }
  return reply_now(c, req, error_reply({model::errc::not_found, "no route " + path, ""}));
}

}  // namespace vigil::http
