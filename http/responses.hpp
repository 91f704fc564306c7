// Rendering actor answers as HTTP replies; the one place errors map to status codes.
#pragma once

#include "actors/messages.hpp"
#include "codec/health.hpp"
#include "http/reply.hpp"
#include "model/health.hpp"
#include "model/rejection.hpp"

namespace vigil::http {

/// The HTTP status for each refusal code.
int status_for(model::errc code);

/// `{"error", "detail", "field"}` with the mapped status.
http_reply error_reply(const model::rejection& r);

/// /health, /livez or /readyz from one report (one snapshot).
http_reply health_reply(const model::health_report& report, const health_query& q,
                        codec::health_encoder& encoder);

/// The 503 when the health actor does not answer within the deadline: never a pass.
http_reply health_timeout_reply(const health_query& q, model::wall_time now);

/// A page of the event log: `{"events": [...], "after": n, "last_seq": n}`.
http_reply events_reply(const actors::event_page& page, uint64_t after);

/// GET /v1/snapshot: 200 with the snapshot and its ETag, 304 when it still matches `etag`,
/// 503 before the first snapshot.
http_reply snapshot_reply(const model::snapshot_ptr& snap, const std::string& etag);

/// GET /v1/streams: the hub's counters.
http_reply stream_stats_reply(const actors::stream_stats& s);

/// A command's outcome, or the error: a job command's answer (the job, the run decision, the
/// backfill, 201 for a created job), else 200 with the first snapshot that includes it.
http_reply command_reply(const actors::command_result& r);

/// A job read (`GET /v1/jobs…`) rendered from the scheduler's values, or the 404.
http_reply job_reply(const actors::job_query& q, const actors::job_answer& a);

/// GET /v1/jobs/{id}/runs/{run_id}/output: the bytes read and where they stand (404 for no
/// such run of the job).
http_reply output_reply(const actors::output_query& q, const actors::output_answer& a);

}  // namespace vigil::http
