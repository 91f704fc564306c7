// Routes: parse, send one message to the bridge, let the bridge complete the response.
#include "http/server.hpp"

#include <caf/send.hpp>
#include <restinio/all.hpp>

#include <cassert>
#include <cctype>
#include <future>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "codec/job_json.hpp"
#include "codec/json.hpp"
#include "http/api_document.hpp"
#include "http/metrics.hpp"
#include "http/params.hpp"
#include "http/query.hpp"
#include "http/reply_writer.hpp"
#include "http/request_gate.hpp"
#include "http/responses.hpp"
#include "http/route_table.hpp"
#include "http/sse_writer.hpp"
#include "http/ui_assets.hpp"
#include "model/duration.hpp"
#include "model/schedule.hpp"

namespace vigil::http {
namespace {

using router_type = restinio::router::express_router_t<>;

/// A GET route answers HEAD too, with the same handler: send_reply leaves the body out.
template <class Handler>
void get_route(router_type& router, std::string_view path, Handler handler) {
  router.http_head(path, handler);
  router.http_get(path, std::move(handler));
}

struct server_traits : public restinio::default_traits_t {
  // A function in front of the router: it answers paths the router cannot parse.
  using request_handler_t = restinio::default_request_handler_t;
  static constexpr bool use_connection_count_limiter = true;
};

using http_server = restinio::http_server_t<server_traits>;

/// Whether /health may show its checks and snapshot to this caller.
bool shows_details(const server_options& opts, const restinio::request_handle_t& req) {
  switch (opts.show_details) {
    case details_policy::always: return true;
    case details_policy::never: return false;
    case details_policy::when_authorized: break;
  }
  if (opts.tokens.empty()) return true;
  const auto header = req->header().get_field_or(restinio::http_field::authorization, "");
  return opts.tokens.accepts(std::string_view{header.data(), header.size()});
}

/// The route templates counted by vigil_http_requests_total: every known route.
std::vector<std::string> route_templates() {
  std::vector<std::string> out;
  for (auto r = route_rules_begin(); r != route_rules_end(); ++r)
    if (out.empty() || out.back() != r->path) out.emplace_back(r->path);
  return out;
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

void add_stream_routes(router_type& router, const server_options& opts, bridge_actor bridge,
                       actors::hub_actor hub, const reply_context& c) {
  const uint32_t retry = opts.stream_retry_ms;
  get_route(router, "/v1/stream/snapshots",
                  [c, hub, retry](const restinio::request_handle_t& req, auto) {
                    actors::stream_request s;
                    s.kind = actors::stream_request::snapshots;
                    s.writer = std::make_shared<sse_writer>(c, req, retry);
                    s.last_event_id = req->header().get_field_or("Last-Event-ID", "");
                    caf::anon_send(hub, actors::subscribe_atom::value, std::move(s));
                    return restinio::request_accepted();
                  });
  get_route(router, 
      "/v1/stream/events", [c, hub, retry](const restinio::request_handle_t& req, auto) {
        const auto params = query::parse(req->header().query());
        if (!params)
          return reply_bad_query(c, req);
        const auto after = number_param(*params, "after", 0, 0, UINT64_MAX);
        if (!after)
          return reply_error(c, req, model::errc::invalid_argument,
                             "after must be a sequence number (0 or more)", "after");
        actors::stream_request s;
        s.kind = actors::stream_request::events;
        s.after = *after;
        s.types = split_list(params->get("types").value_or(""));
        s.job = params->get("job").value_or("");
        s.last_event_id = req->header().get_field_or("Last-Event-ID", "");
        if (!s.last_event_id.empty() &&
            (s.last_event_id.size() > 19 ||
             s.last_event_id.find_first_not_of("0123456789") != std::string::npos))
          return reply_error(c, req, model::errc::invalid_argument,
                             "Last-Event-ID must be a sequence number on the event stream",
                             "Last-Event-ID");
        s.writer = std::make_shared<sse_writer>(c, req, retry);
        caf::anon_send(hub, actors::subscribe_atom::value, std::move(s));
        return restinio::request_accepted();
      });
  // The web console's one stream: the current snapshot first, then events after ?after= (from
  // now on without it) and a heartbeat every second, newest snapshot winning over events.
  get_route(router, 
      "/v1/stream/console", [c, hub, retry](const restinio::request_handle_t& req, auto) {
        const auto params = query::parse(req->header().query());
        if (!params) return reply_bad_query(c, req);
        actors::stream_request s;
        s.kind = actors::stream_request::console;
        s.from_end = !params->has("after");
        const auto after = number_param(*params, "after", 0, 0, UINT64_MAX);
        if (!after)
          return reply_error(c, req, model::errc::invalid_argument,
                             "after must be a sequence number (0 or more)", "after");
        s.after = *after;
        s.types = split_list(params->get("types").value_or(""));
        s.job = params->get("job").value_or("");
        s.writer = std::make_shared<sse_writer>(c, req, retry);
        caf::anon_send(hub, actors::subscribe_atom::value, std::move(s));
        return restinio::request_accepted();
      });
  const auto max_wait = std::chrono::duration_cast<std::chrono::seconds>(opts.max_long_poll);
  get_route(router, "/v1/snapshot", [c, hub, max_wait](const restinio::request_handle_t& req, auto) {
    const auto params = query::parse(req->header().query());
    if (!params)
      return reply_bad_query(c, req);
    std::optional<model::duration> wait = model::duration{};
    if (auto text = params->get("wait")) wait = model::parse_duration(*text);
    if (!wait || *wait > max_wait)
      return reply_error(c, req, model::errc::invalid_argument,
                         "wait must be a duration up to " + std::to_string(max_wait.count()) + "s",
                         "wait");
    std::string etag = req->header().get_field_or(restinio::http_field::if_none_match, "");
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
      etag = etag.substr(1, etag.size() - 2);
    actors::snapshot_wait w;
    w.etag = etag;
    w.wait = *wait;
    w.answer = [c, req, etag](model::snapshot_ptr snap) {
      send_reply(c, req, snapshot_reply(snap, etag));
    };
    caf::anon_send(hub, actors::wait_atom::value, std::move(w));
    return restinio::request_accepted();
  });
  get_route(router, "/v1/streams", [c, bridge](const restinio::request_handle_t& req, auto) {
    caf::anon_send(bridge, stats_atom::value, responder_for(c, req));
    return restinio::request_accepted();
  });
  get_route(router, "/v1/cluster", [c, bridge](const restinio::request_handle_t& req, auto) {
    caf::anon_send(bridge, actors::cluster_atom::value, responder_for(c, req));
    return restinio::request_accepted();
  });
}

void add_job_routes(router_type& router, const server_options& opts, bridge_actor bridge,
                    actors::hub_actor hub, const reply_context& c) {
  const size_t max_body = opts.max_body_bytes;
  auto too_large = [c, max_body](const restinio::request_handle_t& req) {
    return reply_error(c, req, model::errc::payload_too_large,
                       "body is larger than " + std::to_string(max_body) + " bytes");
  };
  auto send = [c, bridge](const restinio::request_handle_t& req, model::command cmd) {
    caf::anon_send(bridge, actors::command_atom::value, std::move(cmd), responder_for(c, req));
    return restinio::request_accepted();
  };
  auto ask = [c, bridge](const restinio::request_handle_t& req, actors::job_query q) {
    caf::anon_send(bridge, actors::query_atom::value, std::move(q), responder_for(c, req));
    return restinio::request_accepted();
  };
  auto bad_id = [c](const restinio::request_handle_t& req) {
    return reply_error(c, req, model::errc::invalid_argument, "malformed path parameter", "id");
  };

  // POST and PUT: `?dry_run=true` validates and decides (a conflict is still a 409), writes
  // nothing, and answers what the job would be.
  auto define = [=](const restinio::request_handle_t& req, std::optional<std::string> id) {
    if (req->body().size() > max_body) return too_large(req);
    const auto params = query::parse(req->header().query());
    if (!params) return reply_bad_query(c, req);
    const auto dry_run = flag_param(*params, "dry_run");
    if (!dry_run)
      return reply_error(c, req, model::errc::invalid_argument, "dry_run must be true or false",
                         "dry_run");
    auto decoded = id ? codec::decode_job_spec(req->body(), std::string_view{*id})
                      : codec::decode_job_spec(req->body());
    if (auto* bad = std::get_if<model::rejection>(&decoded))
      return reply_now(c, req, error_reply(*bad));
    auto spec = std::make_shared<const model::job_spec>(std::get<model::job_spec>(std::move(decoded)));
    return send(req, model::define_job{std::move(spec), !id, requester(req), *dry_run});
  };
  router.http_post("/v1/jobs", [=](const restinio::request_handle_t& req, auto) {
    return define(req, std::nullopt);
  });
  get_route(router, "/v1/jobs", [=](const restinio::request_handle_t& req, auto) {
    const auto params = query::parse(req->header().query());
    if (!params) return reply_bad_query(c, req);
    const auto limit = number_param(*params, "limit", 100, 1, 1000);
    if (!limit)
      return reply_out_of_range(c, req, "limit", 1, 1000);
    actors::job_query q;
    q.kind = actors::job_query::list;
    if (const auto status = params->get("status")) {
      const auto filter = model::parse_job_filter(*status);
      if (!filter)
        return reply_error(c, req, model::errc::invalid_argument,
                           "status must be one of failing, running, paused, completed",
                           "status");
      q.filter = *filter;
    }
    const auto full = flag_param(*params, "full");
    if (!full)
      return reply_error(c, req, model::errc::invalid_argument, "full must be true or false",
                         "full");
    q.full = *full;
    q.cursor = params->get("after").value_or("");
    q.prefix = params->get("prefix").value_or("");
    q.limit = *limit;
    return ask(req, std::move(q));
  });
  get_route(router, "/v1/jobs/:id", [=](const restinio::request_handle_t& req, auto p) {
    auto id = path_param(p, "id");
    if (!id) return bad_id(req);
    actors::job_query q;
    q.kind = actors::job_query::get;
    q.job = *id;
    return ask(req, std::move(q));
  });
  router.http_put("/v1/jobs/:id", [=](const restinio::request_handle_t& req, auto p) {
    auto id = path_param(p, "id");
    if (!id) return bad_id(req);
    return define(req, std::move(id));
  });
  router.http_delete("/v1/jobs/:id", [=](const restinio::request_handle_t& req, auto p) {
    auto id = path_param(p, "id");
    if (!id) return bad_id(req);
    return send(req, model::remove_job{*id, requester(req)});
  });
  router.http_post("/v1/jobs/:id/run", [=](const restinio::request_handle_t& req, auto p) {
    if (req->body().size() > max_body) return too_large(req);
    auto id = path_param(p, "id");
    if (!id) return bad_id(req);
    auto decoded = codec::decode_run_request(req->body());
    if (auto* bad = std::get_if<model::rejection>(&decoded))
      return reply_now(c, req, error_reply(*bad));
    return send(req, model::run_job{*id, std::get<0>(decoded), requester(req)});
  });
  router.http_post("/v1/jobs/:id/backfill", [=](const restinio::request_handle_t& req, auto p) {
    if (req->body().size() > max_body) return too_large(req);
    auto id = path_param(p, "id");
    if (!id) return bad_id(req);
    auto decoded = codec::decode_backfill_request(req->body());
    if (auto* bad = std::get_if<model::rejection>(&decoded))
      return reply_now(c, req, error_reply(*bad));
    const auto [from, to] = std::get<0>(decoded);
    return send(req, model::backfill_job{*id, from, to, requester(req)});
  });
  auto pause_or_resume = [=](bool pause) {
    return [=](const restinio::request_handle_t& req, auto p) {
      if (req->body().size() > max_body) return too_large(req);
      auto id = path_param(p, "id");
      if (!id) return bad_id(req);
      // Same body as the scheduler's pause/resume: empty or {"reason": "..."}.
      auto decoded = codec::decode_scheduler_command(req->body(), pause);
      if (auto* bad = std::get_if<model::rejection>(&decoded))
        return reply_now(c, req, error_reply(*bad));
      const auto& cmd = std::get<model::command>(decoded);
      if (pause)
        return send(req, model::pause_job{*id, std::get<model::pause_scheduler>(cmd).reason,
                                          requester(req)});
      return send(req, model::resume_job{*id, std::get<model::resume_scheduler>(cmd).reason,
                                         requester(req)});
    };
  };
  router.http_post("/v1/jobs/:id/pause", pause_or_resume(true));
  router.http_post("/v1/jobs/:id/resume", pause_or_resume(false));
  get_route(router, "/v1/jobs/:id/runs", [=](const restinio::request_handle_t& req, auto p) {
    auto id = path_param(p, "id");
    if (!id) return bad_id(req);
    const auto params = query::parse(req->header().query());
    if (!params) return reply_bad_query(c, req);
    const auto limit = number_param(*params, "limit", 20, 1, 100);
    if (!limit)
      return reply_out_of_range(c, req, "limit", 1, 100);
    actors::job_query q;
    q.kind = actors::job_query::runs;
    q.job = *id;
    q.cursor = params->get("before").value_or("");
    q.limit = *limit;
    return ask(req, std::move(q));
  });
  get_route(router, "/v1/jobs/:id/runs/:run", [=](const restinio::request_handle_t& req, auto p) {
    auto id = path_param(p, "id");
    auto run = path_param(p, "run");
    if (!id) return bad_id(req);
    if (!run)
      return reply_error(c, req, model::errc::invalid_argument, "malformed path parameter",
                         "run_id");
    actors::job_query q;
    q.kind = actors::job_query::run;
    q.job = *id;
    q.run_id = *run;
    return ask(req, std::move(q));
  });
  // What a run prints, while it runs: ?offset=N (bytes from N, waiting up to ?wait= ms for
  // more), or ?follow as a stream (id = the next byte position, an `end` after the last byte).
  const uint32_t retry = opts.stream_retry_ms;
  get_route(router, "/v1/jobs/:id/runs/:run/output",
            [=](const restinio::request_handle_t& req, auto p) {
    auto id = path_param(p, "id");
    auto run = path_param(p, "run");
    if (!id) return bad_id(req);
    if (!run)
      return reply_error(c, req, model::errc::invalid_argument, "malformed path parameter",
                         "run_id");
    const auto params = query::parse(req->header().query());
    if (!params) return reply_bad_query(c, req);
    const auto offset = number_param(*params, "offset", 0, 0, UINT64_MAX);
    if (!offset)
      return reply_error(c, req, model::errc::invalid_argument,
                         "offset must be a byte position (0 or more)", "offset");
    const auto follow = flag_param(*params, "follow");
    if (!follow)
      return reply_error(c, req, model::errc::invalid_argument, "follow must be true or false",
                         "follow");
    std::optional<uint32_t> attempt;
    if (params->has("attempt")) {
      const auto n = number_param(*params, "attempt", 1, 1, model::job_limits::max_attempts);
      if (!n) return reply_out_of_range(c, req, "attempt", 1, model::job_limits::max_attempts);
      attempt = static_cast<uint32_t>(*n);
    }
    if (*follow) {
      const std::string last = req->header().get_field_or("Last-Event-ID", "");
      if (!last.empty() &&
          (last.size() > 19 || last.find_first_not_of("0123456789") != std::string::npos))
        return reply_error(c, req, model::errc::invalid_argument,
                           "Last-Event-ID must be a byte position on an output stream",
                           "Last-Event-ID");
      if (is_head(req)) return reply_now(c, req, stream_head_reply());
      actors::stream_request s;
      s.kind = actors::stream_request::output;
      s.job = *id;
      s.run_id = *run;
      s.after = *offset;
      s.attempt = attempt.value_or(0);
      s.last_event_id = last;
      s.writer = std::make_shared<sse_writer>(c, req, retry);
      caf::anon_send(hub, actors::subscribe_atom::value, std::move(s));
      return restinio::request_accepted();
    }
    const auto max = number_param(*params, "max", 64 * 1024, 1, 1024 * 1024);
    if (!max) return reply_out_of_range(c, req, "max", 1, 1024 * 1024);
    const auto wait = number_param(*params, "wait", 0, 0, 30'000);
    if (!wait) return reply_out_of_range(c, req, "wait", 0, 30'000);
    actors::output_query q;
    q.job = *id;
    q.run_id = *run;
    q.offset = *offset;
    q.max = static_cast<size_t>(*max);
    q.wait = std::chrono::milliseconds{*wait};
    q.attempt = attempt;
    caf::anon_send(bridge, actors::output_atom::value, std::move(q), responder_for(c, req));
    return restinio::request_accepted();
  });
  get_route(router, "/v1/jobs/:id/decisions", [=](const restinio::request_handle_t& req, auto p) {
    auto id = path_param(p, "id");
    if (!id) return bad_id(req);
    const auto params = query::parse(req->header().query());
    if (!params) return reply_bad_query(c, req);
    const auto limit = number_param(*params, "limit", 50, 1, 1000);
    if (!limit)
      return reply_out_of_range(c, req, "limit", 1, 1000);
    const auto before = number_param(*params, "before", 0, 0, UINT64_MAX);
    if (!before)
      return reply_error(c, req, model::errc::invalid_argument,
                         "before must be a sequence number", "before");
    actors::job_query q;
    q.kind = actors::job_query::decisions;
    q.job = *id;
    q.before_seq = *before;
    q.limit = *limit;
    return ask(req, std::move(q));
  });
  get_route(router, "/v1/jobs/:id/next", [=](const restinio::request_handle_t& req, auto p) {
    auto id = path_param(p, "id");
    if (!id) return bad_id(req);
    const auto params = query::parse(req->header().query());
    if (!params) return reply_bad_query(c, req);
    const auto count = number_param(*params, "count", 10, 1, 1000);
    if (!count)
      return reply_out_of_range(c, req, "count", 1, 1000);
    actors::job_query q;
    q.kind = actors::job_query::next;
    q.job = *id;
    q.count = *count;
    return ask(req, std::move(q));
  });
  // Pure computation on the request's own thread: no state is read.
  get_route(router, "/v1/preview", [=](const restinio::request_handle_t& req, auto) {
    const auto params = query::parse(req->header().query());
    if (!params) return reply_bad_query(c, req);
    const auto expr = params->get("schedule");
    if (!expr || expr->empty())
      return reply_error(c, req, model::errc::invalid_argument, "schedule is required", "schedule");
    auto parsed = model::parse_schedule(*expr);
    if (auto* bad = std::get_if<model::schedule_error>(&parsed))
      return reply_error(c, req, model::errc::invalid_argument,
                         bad->message + " (at position " + std::to_string(bad->position) + ")",
                         "schedule");
    const auto tz = model::load_zone(params->get("tz").value_or("UTC"));
    if (!tz)
      return reply_error(c, req, model::errc::invalid_argument,
                         "tz must be an IANA time zone name, e.g. Europe/Berlin", "tz");
    model::wall_time after = std::chrono::time_point_cast<model::duration>(
        std::chrono::system_clock::now());
    if (auto a = params->get("after")) {
      auto t = model::parse_rfc3339_checked(*a);
      if (auto* e = std::get_if<model::time_error>(&t))
        return reply_error(c, req, model::errc::invalid_argument, model::describe(*e, "after"),
                           "after");
      after = std::get<model::wall_time>(t);
    }
    const auto count = number_param(*params, "count", 10, 1, 1000);
    if (!count)
      return reply_out_of_range(c, req, "count", 1, 1000);
    model::dst_policy dst;
    if (auto g = params->get("dst_gap")) {
      auto v = model::parse_dst_gap(*g);
      if (!v)
        return reply_error(c, req, model::errc::invalid_argument,
                           "dst_gap must be run_at_end or skip", "dst_gap");
      dst.gap = *v;
    }
    if (auto f = params->get("dst_fold")) {
      auto v = model::parse_dst_fold(*f);
      if (!v)
        return reply_error(c, req, model::errc::invalid_argument,
                           "dst_fold must be once or both", "dst_fold");
      dst.fold = *v;
    }
    const auto& sched = std::get<model::schedule>(parsed);
    std::string body = "{\"schedule\":" + codec::quote(*expr) + ",\"tz\":" +
                       codec::quote(tz->name()) + ",\"fires\":[";
    auto from = after;
    for (uint64_t i = 0; i < *count; ++i) {
      auto n = model::next_fire(sched, *tz, from, dst);
      if (!n) break;
      if (i > 0) body += ',';
      body += codec::quote(model::format_rfc3339_in(*n, *tz));
      from = *n;
    }
    body += "]}";
    return reply_now(c, req, http_reply{200, "application/json", std::move(body), {}});
  });
}

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

/// GET /ui (and /ui/) is the page, /ui/<name> its script and stylesheet, from the binary.
void add_ui_routes(router_type& router, const reply_context& c) {
  get_route(router, "/ui", [c](const restinio::request_handle_t& req, auto) {
    return reply_now(c, req, ui_reply(*find_ui_asset("index.html")));
  });
  get_route(router, "/ui/:asset", [c](const restinio::request_handle_t& req, auto p) {
    const auto* a = find_ui_asset(std::string_view{p["asset"].data(), p["asset"].size()});
    if (!a)
      return reply_error(c, req, model::errc::not_found,
                         "no console file '" + std::string(p["asset"]) + "'");
    return reply_now(c, req, ui_reply(*a));
  });
}

void add_routes(router_type& router, const server_options& opts, bridge_actor bridge,
                const reply_context& c) {
  auto probe = [c, bridge, opts](health_route route) {
    return [c, bridge, route, opts](const restinio::request_handle_t& req, auto) {
      const auto params = query::parse(req->header().query());
      if (!params)
        return reply_bad_query(c, req);
      auto q = parse_probe(req, route, *params);
      q.details = shows_details(opts, req);
      caf::anon_send(bridge, caf::get_atom::value, q, responder_for(c, req));
      return restinio::request_accepted();
    };
  };
  get_route(router, "/health", probe(health_route::health));
  get_route(router, "/livez", probe(health_route::livez));
  get_route(router, "/readyz", probe(health_route::readyz));

  auto version = std::make_shared<const std::string>(version_json(opts.node));
  get_route(router, "/v1/version", [c, version](const restinio::request_handle_t& req, auto) {
    return reply_now(c, req, http_reply{200, "application/json", *version, {}});
  });
  // The contract this binary was built with (docs/openapi.yaml), from the binary like /ui.
  const ui_asset* openapi = find_api_document("openapi.json");
  assert(openapi != nullptr);  // the build embeds it
  get_route(router, "/v1/openapi.json", [c, openapi](const restinio::request_handle_t& req, auto) {
    http_reply r{200, std::string(openapi->content_type), std::string(openapi->body), {}};
    // A new daemon may serve a new contract: revalidate, as for the console's files.
    r.headers.emplace_back("Cache-Control", "no-cache");
    return reply_now(c, req, std::move(r));
  });

  const size_t max_body = opts.max_body_bytes;
  auto command = [c, bridge, max_body](bool pause) {
    return [c, bridge, max_body, pause](const restinio::request_handle_t& req, auto) {
      if (req->body().size() > max_body)
        return reply_error(c, req, model::errc::payload_too_large,
                           "body is larger than " + std::to_string(max_body) + " bytes");
      auto decoded = codec::decode_scheduler_command(req->body(), pause);
      if (auto* bad = std::get_if<model::rejection>(&decoded))
        return reply_now(c, req, error_reply(*bad));
      auto cmd = std::get<model::command>(std::move(decoded));
      // Who asked: the peer today; the authenticated token's name once there is auth.
      const std::string by = "http " + req->remote_endpoint().address().to_string();
      std::visit([&](auto& one) { one.by = by; }, cmd);
      caf::anon_send(bridge, actors::command_atom::value, std::move(cmd), responder_for(c, req));
      return restinio::request_accepted();
    };
  };
  router.http_post("/v1/scheduler/pause", command(true));
  router.http_post("/v1/scheduler/resume", command(false));

  get_route(router, "/metrics", [c, bridge](const restinio::request_handle_t& req, auto) {
    caf::anon_send(bridge, actors::metrics_atom::value, c.counters, responder_for(c, req));
    return restinio::request_accepted();
  });

  get_route(router, "/v1/events", [c, bridge](const restinio::request_handle_t& req, auto) {
    const auto params = query::parse(req->header().query());
    if (!params)
      return reply_bad_query(c, req);
    const auto after = number_param(*params, "after", 0, 0, UINT64_MAX);
    if (!after)
      return reply_error(c, req, model::errc::invalid_argument,
                         "after must be a sequence number (0 or more)", "after");
    const auto limit = number_param(*params, "limit", 100, 1, 1000);
    if (!limit)
      return reply_out_of_range(c, req, "limit", 1, 1000);
    caf::anon_send(bridge, actors::events_atom::value, *after, *limit, responder_for(c, req));
    return restinio::request_accepted();
  });

  if (opts.test_hooks) {
    router.http_post("/v1/debug/stall", [c, bridge](const restinio::request_handle_t& req,
                                                     auto) {
      const auto params = query::parse(req->header().query());
      if (!params)
        return reply_bad_query(c, req);
      const std::string target = params->get("target").value_or("");
      if (target != "scheduler" && target != "health")
        return reply_error(c, req, model::errc::invalid_argument,
                           "target must be 'scheduler' or 'health'", "target");
      const auto d = model::parse_duration(params->get("for").value_or(""));
      if (!d)
        return reply_error(c, req, model::errc::invalid_argument, "for must be a duration", "for");
      caf::anon_send(bridge, actors::stall_atom::value, target, *d, responder_for(c, req));
      return restinio::request_accepted();
    });
  }

  router.non_matched_request_handler([c, hooks = opts.test_hooks](restinio::request_handle_t req) {
    return answer_unmatched(c, hooks, req);
  });
}

}  // namespace

std::string version_json(const std::string& node) {
  return "{\"name\":\"vigil\",\"version\":" + codec::quote(VIGIL_VERSION) +
         ",\"build_type\":" + codec::quote(VIGIL_BUILD_TYPE) +
         ",\"compiler\":" + codec::quote(VIGIL_COMPILER) + ",\"node\":" + codec::quote(node) + "}";
}

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
  auto router = std::make_unique<router_type>();
  // The request counters: allocated once here, before the first request can be answered.
  im.counters = std::make_shared<request_counters>(route_templates());
  const reply_context c{im.counters, std::make_shared<const token_set>(im.opts.tokens)};
  add_routes(*router, im.opts, im.bridge, c);
  add_job_routes(*router, im.opts, im.bridge, im.hub, c);
  add_stream_routes(*router, im.opts, im.bridge, im.hub, c);
  add_ui_routes(*router, c);
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

const char* build_version() { return VIGIL_VERSION; }

}  // namespace vigil::http
