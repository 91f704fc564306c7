// The server: RESTinio's settings, the route table registered on its express router, and the
// gate in front of it; what each route answers lives in the http/routes_*.cpp files.
#include "http/server.hpp"

#include <restinio/all.hpp>

#include <cassert>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/metrics.hpp"
#include "http/reply_writer.hpp"
#include "http/request_gate.hpp"
#include "http/route_call.hpp"
#include "http/route_table.hpp"

namespace vigil::http {
namespace {

using router_type = restinio::router::express_router_t<>;

struct server_traits : public restinio::default_traits_t {
  // A function in front of the router: it answers paths the router cannot parse.
  using request_handler_t = restinio::default_request_handler_t;
  static constexpr bool use_connection_count_limiter = true;
};

using http_server = restinio::http_server_t<server_traits>;

/// The route templates counted by vigil_http_requests_total: every known route.
std::vector<std::string> route_templates() {
  std::vector<std::string> out;
  for (auto r = route_rules_begin(); r != route_rules_end(); ++r)
    if (out.empty() || out.back() != r->path) out.emplace_back(r->path);
  return out;
}

restinio::http_method_id_t method_id(std::string_view method) {
  if (method == "GET") return restinio::http_method_get();
  if (method == "POST") return restinio::http_method_post();
  if (method == "PUT") return restinio::http_method_put();
  assert(method == "DELETE");  // the table holds no other method
  return restinio::http_method_delete();
}

/// Registers every route of the table (the test-only ones with --test-hooks): its path and
/// method are written there once, and so are its scope, its Allow and its metrics label.
void add_table_routes(router_type& router, std::shared_ptr<const route_context> ctx) {
  for (auto r = route_rules_begin(); r != route_rules_end(); ++r) {
    if (r->test_hook && !ctx->opts.test_hooks) continue;
    const std::string pattern = router_pattern(r->path);
    auto handle = [ctx, on = r->handler](const restinio::request_handle_t& req,
                                         restinio::router::route_params_t params) {
      on(route_call{*ctx, req, params});
      // Every handler has answered or handed the request on: never a thread left waiting.
      return restinio::request_accepted();
    };
    // A GET route answers HEAD too, with the same handler: send_reply leaves the body out.
    if (std::string_view{r->method} == "GET")
      router.add_handler(restinio::http_method_head(), pattern, handle);
    router.add_handler(method_id(r->method), pattern, std::move(handle));
  }
}

}  // namespace

struct server::impl {
  server_options opts;
  bridge_actor bridge;
  actors::hub_actor hub;
  request_counters_ptr counters;
  std::unique_ptr<http_server> http;
  std::unique_ptr<restinio::on_pool_runner_t<http_server>> runner;
  uint16_t bound_port = 0;
  bool running = false;
};

server::server(server_options opts, bridge_actor bridge, actors::hub_actor hub)
    : impl_(std::make_unique<impl>()) {
  impl_->opts = std::move(opts);
  impl_->bridge = std::move(bridge);
  impl_->hub = std::move(hub);
}

server::~server() { stop(); }

uint16_t server::start() {
  auto& im = *impl_;
  // The request counters: allocated once here, before the first request can be answered.
  im.counters = std::make_shared<request_counters>(route_templates());
  const reply_context c{im.counters, std::make_shared<const token_set>(im.opts.tokens)};
  auto router = std::make_unique<router_type>();
  add_table_routes(*router, std::make_shared<const route_context>(route_context{
                                im.opts, im.bridge, im.hub, c, version_json(im.opts.node)}));
  router->non_matched_request_handler(
      [c, hooks = im.opts.test_hooks](restinio::request_handle_t req) {
        return answer_unmatched(c, hooks, req);
      });
  uint16_t* bound = &im.bound_port;
  // RESTinio refuses bodies far over our limit by closing the connection; up to 16x the limit
  // is read so that the handler can answer with a proper 413.
  const auto hard_body_limit = static_cast<std::uint64_t>(im.opts.max_body_bytes) * 16;
  im.http = std::make_unique<http_server>(
      restinio::own_io_context(),
      restinio::server_settings_t<server_traits>{}
          .address(im.opts.host)
          .port(im.opts.port)
          .request_handler([router = std::shared_ptr<router_type>(std::move(router)), c,
                            open = im.opts.open](restinio::request_handle_t req) {
            if (auto answered = answer_before_routing(c, open, req)) return *answered;
            return (*router)(std::move(req));
          })
          .max_parallel_connections(im.opts.max_connections)
          // Streams stay open between writes; heartbeats keep them well under this.
          .handle_request_timeout(std::max<std::chrono::steady_clock::duration>(
              std::chrono::seconds{60}, 4 * im.opts.stream_heartbeat))
          // Requests here are small; a 1 KiB read buffer keeps an idle stream's cost down.
          .buffer_size(1024)
          // Bound the kernel's send buffer per connection: a stalled client then blocks a
          // write (and meets the write timeout) within ~64 KiB, not after megabytes.
          .socket_options_setter([](restinio::socket_options_t& options) {
            options.set_option(asio::socket_base::send_buffer_size{64 * 1024});
          })
          .write_http_response_timelimit(im.opts.write_timeout)
          .read_next_http_message_timelimit(im.opts.idle_timeout)
          // Over these, RESTinio closes the connection before any handler runs.
          .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                        .max_body_size(hard_body_limit)
                                        .max_url_size(im.opts.max_header_bytes)
                                        .max_field_name_size(256)
                                        .max_field_value_size(im.opts.max_header_bytes)
                                        .max_field_count(100))
          .acceptor_post_bind_hook([bound](asio::ip::tcp::acceptor& acceptor) {
            *bound = acceptor.local_endpoint().port();
          }));
  im.runner = std::make_unique<restinio::on_pool_runner_t<http_server>>(im.opts.threads, *im.http);
  std::promise<void> started;
  auto result = started.get_future();
  im.runner->start([&started]() noexcept { started.set_value(); },
                   [&started](std::exception_ptr ex) noexcept { started.set_exception(ex); });
  try {
    result.get();
  } catch (const std::exception& e) {
    // RESTinio stops its pool on a failed open only if the pool had finished starting by then:
    // when the bind fails first, the threads would run on and wait() would never return.
    // Stopping the io_context here ends them either way.
    im.http->io_context().stop();
    im.runner->wait();
    im.runner.reset();
    throw std::runtime_error("cannot listen on " + im.opts.host + ":" +
                             std::to_string(im.opts.port) + ": " + e.what());
  }
  im.running = true;
  return im.bound_port;
}

void server::stop() {
  auto& im = *impl_;
  if (!im.running) return;
  im.running = false;
  im.runner->stop();
  im.runner->wait();
}

}  // namespace vigil::http
