// Every HTTP route with the scope it needs and the handler that answers it: the one place the
// server's registration, its gate, its 405 answers, its metrics labels and the tests read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/auth.hpp"

namespace vigil::http {

/// The probes and /metrics, open to everyone unless the config closes them (then: scope read).
struct open_routes {
  bool livez = true;
  bool readyz = true;
  bool health = true;
  bool metrics = true;
};

struct route_call;  // a request as its handler gets it: http/route_call.hpp (RESTinio's types)

/// Answers one route's requests: parses, sends one message, lets the reply complete the
/// response (or replies at once). Named `on_<verb>_<resource>` (http/route_handlers.hpp).
using route_handler = void (*)(const route_call&);

/// One route: a path template as route_template_of() gives it, one method, who may call it and
/// what answers it. A GET route answers HEAD too.
struct route_rule {
  const char* path;
  const char* method;
  std::optional<scope> needs;  ///< nothing: open to everyone, token or not
  route_handler handler;
  bool open_routes::*open_when = nullptr;  ///< when set and true, open despite `needs`
  bool test_hook = false;                  ///< registered only with --test-hooks
};

/// Every route the server registers, in registration order.
const route_rule* route_rules_begin();
const route_rule* route_rules_end();

/// The scope `method` on `route_template` needs, or nothing when it is open to everyone.
/// A method or path not in the table needs admin: a route forgotten here fails closed.
std::optional<scope> required_scope(const open_routes& open, std::string_view method,
                                    std::string_view route_template);

/// "GET, PUT, DELETE": the methods of `route_template` in table order; empty when unknown.
/// `test_hooks` false leaves out the test-only routes.
std::string allowed_methods(std::string_view route_template, bool test_hooks);

/// The template a concrete path belongs to, so that labels stay bounded however many jobs
/// exist: "/v1/jobs/backup/runs" -> "/v1/jobs/{id}/runs". Other paths come back unchanged.
std::string_view route_template_of(std::string_view path);

/// What a request to `path` counts as and is gated by: the router takes "/health/" as
/// "/health", so one trailing '/' goes first, then route_template_of.
std::string_view route_label(std::string_view path);

/// The template as RESTinio's express router writes it: "/v1/jobs/{id}" -> "/v1/jobs/:id".
std::string router_pattern(std::string_view route_template);

}  // namespace vigil::http
