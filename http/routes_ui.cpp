// The web console: GET /ui (and /ui/) is the page, /ui/<name> its script and stylesheet, all
// compiled into the binary.
#include <string>

#include "http/route_call.hpp"
#include "http/route_handlers.hpp"
#include "http/ui_assets.hpp"

namespace vigil::http {
namespace {

/// The console's own policy: scripts, styles and connections to this origin only, nothing
/// inline, no frames, no forms, no base URL.
constexpr const char* console_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

http_reply ui_reply(const ui_asset& a) {
  http_reply r{200, std::string(a.content_type), std::string(a.body), {}};
  r.headers.emplace_back("Content-Security-Policy", console_csp);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  // Compiled into the binary: a new daemon may serve a new console, so revalidate each load.
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

void on_get_ui(const route_call& call) { reply(call, ui_reply(*find_ui_asset("index.html"))); }

void on_get_ui_asset(const route_call& call) {
  const auto name = call.params["asset"];
  const auto* a = find_ui_asset(std::string_view{name.data(), name.size()});
  if (!a)
    return reply_error(call, model::errc::not_found,
                       "no console file '" + std::string(name.data(), name.size()) + "'");
  reply(call, ui_reply(*a));
}

}  // namespace vigil::http
