// Jobs: their definitions, the commands on one job, and what the scheduler decided or will
// decide for it; the schedule preview reads no state at all.
#include <caf/send.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "codec/job_json.hpp"
#include "codec/json_writer.hpp"
#include "codec/requests.hpp"
#include "http/params.hpp"
#include "http/query.hpp"
#include "http/responses.hpp"
#include "http/route_call.hpp"
#include "http/route_handlers.hpp"
#include "model/schedule.hpp"

namespace vigil::http {
namespace {

// POST and PUT: `?dry_run=true` validates and decides (a conflict is still a 409), writes
// nothing, and answers what the job would be.
void define(const route_call& call, std::optional<std::string> id) {
  if (body_too_large(call)) return reply_too_large(call);
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const auto dry_run = flag_param(*params, "dry_run");
  if (!dry_run)
    return reply_error(call, model::errc::invalid_argument, "dry_run must be true or false",
                       "dry_run");
  const auto& body = call.req->body();
  auto decoded =
      id ? codec::decode_job_spec(body, std::string_view{*id}) : codec::decode_job_spec(body);
  if (auto* bad = std::get_if<model::rejection>(&decoded)) return reply(call, error_reply(*bad));
  auto spec =
      std::make_shared<const model::job_spec>(std::get<model::job_spec>(std::move(decoded)));
  send_command(call, model::define_job{std::move(spec), !id, requester(call.req), *dry_run});
}

/// POST …/pause and …/resume: the same body as the scheduler's, empty or {"reason": "..."}.
void pause_or_resume(const route_call& call, bool pause) {
  if (body_too_large(call)) return reply_too_large(call);
  auto id = path_param(call.params, "id");
  if (!id) return reply_bad_path_param(call, "id");
  auto decoded = codec::decode_scheduler_command(call.req->body(), pause);
  if (auto* bad = std::get_if<model::rejection>(&decoded)) return reply(call, error_reply(*bad));
  const auto& cmd = std::get<model::command>(decoded);
  if (pause)
    return send_command(call, model::pause_job{*id, std::get<model::pause_scheduler>(cmd).reason,
                                               requester(call.req)});
  send_command(call, model::resume_job{*id, std::get<model::resume_scheduler>(cmd).reason,
                                       requester(call.req)});
}

}  // namespace

void on_get_jobs(const route_call& call) {
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const auto limit = number_param(*params, "limit", 100, 1, 1000);
  if (!limit) return reply_out_of_range(call, "limit", 1, 1000);
  actors::job_query q;
  q.kind = actors::job_query::list;
  if (const auto status = params->get("status")) {
    const auto filter = model::parse_job_filter(*status);
    if (!filter)
      return reply_error(call, model::errc::invalid_argument,
                         "status must be one of failing, running, paused, completed", "status");
    q.filter = *filter;
  }
  const auto full = flag_param(*params, "full");
  if (!full)
    return reply_error(call, model::errc::invalid_argument, "full must be true or false", "full");
  q.full = *full;
  q.cursor = params->get("after").value_or("");
  q.prefix = params->get("prefix").value_or("");
  q.limit = *limit;
  send_query(call, std::move(q));
}

void on_post_jobs(const route_call& call) { define(call, std::nullopt); }

void on_get_job(const route_call& call) {
  auto id = path_param(call.params, "id");
  if (!id) return reply_bad_path_param(call, "id");
  actors::job_query q;
  q.kind = actors::job_query::get;
  q.job = *id;
  send_query(call, std::move(q));
}

void on_put_job(const route_call& call) {
  auto id = path_param(call.params, "id");
  if (!id) return reply_bad_path_param(call, "id");
  define(call, std::move(id));
}

void on_delete_job(const route_call& call) {
  auto id = path_param(call.params, "id");
  if (!id) return reply_bad_path_param(call, "id");
  send_command(call, model::remove_job{*id, requester(call.req)});
}

void on_post_job_run(const route_call& call) {
  if (body_too_large(call)) return reply_too_large(call);
  auto id = path_param(call.params, "id");
  if (!id) return reply_bad_path_param(call, "id");
  auto decoded = codec::decode_run_request(call.req->body());
  if (auto* bad = std::get_if<model::rejection>(&decoded)) return reply(call, error_reply(*bad));
  send_command(call, model::run_job{*id, std::get<0>(decoded), requester(call.req)});
}

void on_post_job_backfill(const route_call& call) {
  if (body_too_large(call)) return reply_too_large(call);
  auto id = path_param(call.params, "id");
  if (!id) return reply_bad_path_param(call, "id");
  auto decoded = codec::decode_backfill_request(call.req->body());
  if (auto* bad = std::get_if<model::rejection>(&decoded)) return reply(call, error_reply(*bad));
  const auto [from, to] = std::get<0>(decoded);
  send_command(call, model::backfill_job{*id, from, to, requester(call.req)});
}

void on_post_job_pause(const route_call& call) { pause_or_resume(call, true); }
void on_post_job_resume(const route_call& call) { pause_or_resume(call, false); }

void on_get_job_decisions(const route_call& call) {
  auto id = path_param(call.params, "id");
  if (!id) return reply_bad_path_param(call, "id");
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const auto limit = number_param(*params, "limit", 50, 1, 1000);
  if (!limit) return reply_out_of_range(call, "limit", 1, 1000);
  const auto before = number_param(*params, "before", 0, 0, UINT64_MAX);
  if (!before)
    return reply_error(call, model::errc::invalid_argument, "before must be a sequence number",
                       "before");
  actors::job_query q;
  q.kind = actors::job_query::decisions;
  q.job = *id;
  q.before_seq = *before;
  q.limit = *limit;
  send_query(call, std::move(q));
}

void on_get_job_next(const route_call& call) {
  auto id = path_param(call.params, "id");
  if (!id) return reply_bad_path_param(call, "id");
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const auto count = number_param(*params, "count", 10, 1, 1000);
  if (!count) return reply_out_of_range(call, "count", 1, 1000);
  actors::job_query q;
  q.kind = actors::job_query::next;
  q.job = *id;
  q.count = *count;
  send_query(call, std::move(q));
}

// Pure computation on the request's own thread: no state is read.
void on_get_preview(const route_call& call) {
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const auto expr = params->get("schedule");
  if (!expr || expr->empty())
    return reply_error(call, model::errc::invalid_argument, "schedule is required", "schedule");
  auto parsed = model::parse_schedule(*expr);
  if (auto* bad = std::get_if<model::schedule_error>(&parsed))
    return reply_error(call, model::errc::invalid_argument,
                       bad->message + " (at position " + std::to_string(bad->position) + ")",
                       "schedule");
  const auto tz = model::load_zone(params->get("tz").value_or("UTC"));
  if (!tz)
    return reply_error(call, model::errc::invalid_argument,
                       "tz must be an IANA time zone name, e.g. Europe/Berlin", "tz");
  model::wall_time after =
      std::chrono::time_point_cast<model::duration>(std::chrono::system_clock::now());
  if (auto a = params->get("after")) {
    auto t = model::parse_rfc3339_checked(*a);
    if (auto* e = std::get_if<model::time_error>(&t))
      return reply_error(call, model::errc::invalid_argument, model::describe(*e, "after"),
                         "after");
    after = std::get<model::wall_time>(t);
  }
  const auto count = number_param(*params, "count", 10, 1, 1000);
  if (!count) return reply_out_of_range(call, "count", 1, 1000);
  model::dst_policy dst;
  if (auto g = params->get("dst_gap")) {
    auto v = model::parse_dst_gap(*g);
    if (!v)
      return reply_error(call, model::errc::invalid_argument, "dst_gap must be run_at_end or skip",
                         "dst_gap");
    dst.gap = *v;
  }
  if (auto f = params->get("dst_fold")) {
    auto v = model::parse_dst_fold(*f);
    if (!v)
      return reply_error(call, model::errc::invalid_argument, "dst_fold must be once or both",
                         "dst_fold");
    dst.fold = *v;
  }
  const auto& sched = std::get<model::schedule>(parsed);
  std::string body = "{\"schedule\":" + codec::quote(*expr) +
                     ",\"tz\":" + codec::quote(tz->name()) + ",\"fires\":[";
  const char* sep = "";
  for (const auto t : model::next_fires(sched, *tz, after, static_cast<size_t>(*count), dst)) {
    body += sep + codec::quote(model::format_rfc3339_in(t, *tz));
    sep = ",";
  }
  body += "]}";
  reply(call, http_reply{200, "application/json", std::move(body), {}});
}

}  // namespace vigil::http
