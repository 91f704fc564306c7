// A job's runs: the list, one run, and what a run prints (read by offset or followed).
#include <caf/send.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/params.hpp"
#include "http/query.hpp"
#include "http/route_call.hpp"
#include "http/route_handlers.hpp"
#include "http/sse_writer.hpp"
#include "model/job.hpp"

namespace vigil::http {
namespace {

/// A run's two path parameters, decoded; nothing when either is malformed (then answered).
struct run_path {
  std::string job;
  std::string run_id;
};

std::optional<run_path> parse_run_path(const route_call& call) {
  auto id = path_param(call.params, "id");
  auto run = path_param(call.params, "run_id");
  if (!id) {
    reply_bad_path_param(call, "id");
    return std::nullopt;
  }
  if (!run) {
    reply_bad_path_param(call, "run_id");
    return std::nullopt;
  }
  return run_path{std::move(*id), std::move(*run)};
}

/// ?follow: the output as a stream, id = the next byte position, an `end` after the last byte.
void follow_output(const route_call& call, const run_path& path, uint64_t offset,
                   std::optional<uint32_t> attempt) {
  const std::string last = call.req->header().get_field_or("Last-Event-ID", "");
  if (!is_position_or_empty(last))
    return reply_error(call, model::errc::invalid_argument,
                       "Last-Event-ID must be a byte position on an output stream",
                       "Last-Event-ID");
  if (is_head(call.req)) return reply(call, stream_head_reply());
  actors::stream_request s;
  s.kind = actors::stream_request::output;
  s.job = path.job;
  s.run_id = path.run_id;
  s.after = offset;
  s.attempt = attempt.value_or(0);
  s.last_event_id = last;
  subscribe(call, std::move(s));
}

}  // namespace

void on_get_job_runs(const route_call& call) {
  auto id = path_param(call.params, "id");
  if (!id)
    return reply_error(call, model::errc::invalid_argument, "malformed path parameter", "id");
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const auto limit = number_param(*params, "limit", 20, 1, 100);
  if (!limit) return reply_out_of_range(call, "limit", 1, 100);
  actors::job_query q;
  q.kind = actors::job_query::runs;
  q.job = *id;
  q.cursor = params->get("before").value_or("");
  q.limit = *limit;
  send_query(call, std::move(q));
}

void on_get_job_run(const route_call& call) {
  const auto path = parse_run_path(call);
  if (!path) return;
  actors::job_query q;
  q.kind = actors::job_query::run;
  q.job = path->job;
  q.run_id = path->run_id;
  send_query(call, std::move(q));
}

// What a run prints, while it runs: ?offset=N (bytes from N, waiting up to ?wait= ms for
// more), or ?follow as a stream.
void on_get_job_run_output(const route_call& call) {
  const auto path = parse_run_path(call);
  if (!path) return;
  const auto params = query::parse(call.req->header().query());
  if (!params) return reply_bad_query(call);
  const auto offset = number_param(*params, "offset", 0, 0, UINT64_MAX);
  if (!offset)
    return reply_error(call, model::errc::invalid_argument,
                       "offset must be a byte position (0 or more)", "offset");
  const auto follow = flag_param(*params, "follow");
  if (!follow)
    return reply_error(call, model::errc::invalid_argument, "follow must be true or false",
                       "follow");
  std::optional<uint32_t> attempt;
  if (params->has("attempt")) {
    const auto n = number_param(*params, "attempt", 1, 1, model::job_limits::max_attempts);
    if (!n) return reply_out_of_range(call, "attempt", 1, model::job_limits::max_attempts);
    attempt = static_cast<uint32_t>(*n);
  }
  if (*follow) return follow_output(call, *path, *offset, attempt);
  const auto max = number_param(*params, "max", 64 * 1024, 1, 1024 * 1024);
  if (!max) return reply_out_of_range(call, "max", 1, 1024 * 1024);
  const auto wait = number_param(*params, "wait", 0, 0, 30'000);
  if (!wait) return reply_out_of_range(call, "wait", 0, 30'000);
  actors::output_query q;
  q.job = path->job;
  q.run_id = path->run_id;
  q.offset = *offset;
  q.max = static_cast<size_t>(*max);
  q.wait = std::chrono::milliseconds{*wait};
  q.attempt = attempt;
  caf::anon_send(call.ctx.bridge, actors::output_atom::value, std::move(q), responder_for(call));
}

}  // namespace vigil::http
