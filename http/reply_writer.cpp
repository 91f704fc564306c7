// The reply writer: status line, headers and body of an http_reply, counted and logged once.
#include "http/reply_writer.hpp"

#include <utility>

#include "http/access_log.hpp"
#include "http/responses.hpp"
#include "http/route_table.hpp"

namespace vigil::http {
namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 201:
      return "Created";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 307:
      return "Temporary Redirect";
    default:
      return "Unknown";
  }
}

/// The name of the token `req` authenticates with, "-" for none; empty without tokens.
std::string_view caller_name(const reply_context& c, const restinio::request_handle_t& req) {
  if (!c.tokens || c.tokens->empty()) return {};
  const auto header = req->header().get_field_or(restinio::http_field::authorization, "");
  const auto who = c.tokens->identify(std::string_view{header.data(), header.size()});
  return who.token ? std::string_view{who.token->name} : std::string_view{"-"};
}

}  // namespace

bool is_head(const restinio::request_handle_t& req) {
  return req->header().method() == restinio::http_method_head();
}

void send_reply(const reply_context& c, const restinio::request_handle_t& req, http_reply r,
                std::chrono::steady_clock::time_point started) {
  const auto path = req->header().path();
  c->count(route_label(std::string_view{path.data(), path.size()}), r.status);
  log_request(req->header().method().c_str(), std::string_view{path.data(), path.size()}, r.status,
              started, caller_name(c, req));
  const restinio::http_status_line_t line{
      restinio::http_status_code_t{static_cast<std::uint16_t>(r.status)}, reason_phrase(r.status)};
  auto head = [&](auto& resp) {
    resp.append_header(restinio::http_field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) resp.append_header(name, value);
    if (!r.redirect_base.empty()) {
      std::string base = std::move(r.redirect_base);
      while (!base.empty() && base.back() == '/') base.pop_back();
      resp.append_header(restinio::http_field::location, base + req->header().request_target());
    }
  };
  if (is_head(req)) {
    // The GET answer's headers, its Content-Length, and no body (RFC 9110 9.3.2).
    auto resp = req->create_response<restinio::user_controlled_output_t>(line);
    head(resp);
    resp.set_content_length(r.body.size());
    resp.done();
    return;
  }
  auto resp = req->create_response(line);
  head(resp);
  resp.set_body(std::move(r.body));
  resp.done();
}

responder responder_for(const reply_context& c, restinio::request_handle_t req) {
  return [c, req = std::move(req), started = std::chrono::steady_clock::now()](http_reply r) {
    send_reply(c, req, std::move(r), started);
  };
}

restinio::request_handling_status_t reply_now(const reply_context& c,
                                              const restinio::request_handle_t& req, http_reply r) {
  send_reply(c, req, std::move(r));
  return restinio::request_accepted();
}

restinio::request_handling_status_t reply_error(const reply_context& c,
                                                const restinio::request_handle_t& req,
                                                model::errc code, std::string detail,
                                                std::string field) {
  return reply_now(c, req, error_reply({code, std::move(detail), std::move(field)}));
}

restinio::request_handling_status_t reply_bad_query(const reply_context& c,
                                                    const restinio::request_handle_t& req) {
  return reply_error(c, req, model::errc::invalid_argument, "malformed query string");
}

restinio::request_handling_status_t reply_out_of_range(const reply_context& c,
                                                       const restinio::request_handle_t& req,
                                                       const char* name, uint64_t lo, uint64_t hi) {
  return reply_error(c, req, model::errc::invalid_argument,
                     std::string(name) + " must be a number from " + std::to_string(lo) + " to " +
                         std::to_string(hi),
                     name);
}

}  // namespace vigil::http
