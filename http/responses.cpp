// Health, command and error replies.
#include "http/responses.hpp"

#include "codec/errors.hpp"
#include "codec/health.hpp"
#include "codec/job_views.hpp"
#include "codec/json_writer.hpp"
#include "exec/live_output.hpp"

namespace vigil::http {
namespace {

const std::pair<std::string, std::string> no_store{"Cache-Control", "no-store"};

/// `[+]name ok` / `[-]name failed: reason` lines, as Kubernetes components print them.
http_reply probe_reply(const model::health_report& report, const health_query& q) {
  const auto& v = report.result;
  const bool livez = q.route == health_route::livez;
  const bool ok = livez ? v.live : v.ready;
  std::string lines;
  std::string failures;
  for (const auto& c : v.checks) {
    if (!(livez ? c.in_livez : c.in_readyz)) continue;
    const bool failed = livez ? c.status == model::health_status::fail : c.blocks_ready;
    const std::string& why = failed && !c.ready_output.empty() ? c.ready_output : c.output;
    std::string line = (failed ? "[-]" : "[+]") + c.name;
    line += failed ? " failed: " + why : " ok";
    if (!failed && !why.empty()) line += " (" + why + ")";
    lines += line + "\n";
    if (failed) failures += line + "\n";
  }
  const char* name = livez ? "livez" : "readyz";
  http_reply r;
  r.status = ok ? 200 : 503;
  r.content_type = "text/plain; charset=utf-8";
  if (q.verbose)
    r.body = lines + name + (ok ? " check passed\n" : " check failed\n");
  else
    r.body = ok ? "ok\n" : failures;
  r.headers.push_back(no_store);
  return r;
}

}  // namespace

int status_for(model::errc code) {
  switch (code) {
    case model::errc::invalid_argument:
      return 400;
    case model::errc::not_found:
      return 404;
    case model::errc::conflict:
      return 409;
    case model::errc::payload_too_large:
      return 413;
    case model::errc::unauthorized:
      return 401;
    case model::errc::not_leader:
      return 307;
    case model::errc::unavailable:
      return 503;
    case model::errc::timeout:
      return 503;
    case model::errc::internal:
      break;
  }
  return 500;
}

http_reply error_reply(const model::rejection& r) {
  http_reply out;
  out.status = status_for(r.code);
  out.body = codec::encode_error(r);
  out.headers.push_back(no_store);
  if (out.status == 503) out.headers.emplace_back("Retry-After", "1");
  return out;
}

http_reply health_reply(const model::health_report& report, const health_query& q,
                        codec::health_encoder& encoder) {
  if (q.route != health_route::health) return probe_reply(report, q);
  http_reply r;
  r.status = report.result.status == model::health_status::fail ? 503 : 200;
  r.content_type = q.plain_json ? "application/json" : "application/health+json";
  if (q.details) {
    r.body = encoder.encode(report);
  } else {  // show_details: the verdict and its times, not the checks or the snapshot
    codec::json_writer w{r.body};
    w.begin_object().key("status").value(model::to_string(report.result.status));
    w.key("time").value(model::format_rfc3339(report.time));
    w.key("last_updated")
        .time(report.snap ? std::optional<model::wall_time>{report.snap->last_updated}
                          : std::nullopt);
    w.key("live").value(report.result.live).key("ready").value(report.result.ready);
    w.end_object();
  }
  r.headers.push_back(no_store);
  if (report.snap)
    r.headers.emplace_back(
        "ETag", "\"" + report.snap->epoch + "-" + std::to_string(report.snap->version) + "\"");
  return r;
}

http_reply health_timeout_reply(const health_query& q, model::wall_time now) {
  const std::string reason = "health actor did not answer within the deadline";
  http_reply r;
  r.status = 503;
  r.headers.push_back(no_store);
  if (q.route != health_route::health) {
    r.content_type = "text/plain; charset=utf-8";
    r.body = "[-]health:responsive failed: " + reason + "\n";
    if (q.verbose)
      r.body += q.route == health_route::livez ? "livez check failed\n" : "readyz check failed\n";
    return r;
  }
  r.content_type = q.plain_json ? "application/json" : "application/health+json";
  const std::string time = codec::quote(model::format_rfc3339(now));
  r.body = "{\"status\":\"fail\",\"time\":" + time +
           ",\"last_updated\":null,\"snapshot\":null,\"live\":false,\"ready\":false,"
           "\"checks\":{\"health:responsive\":[{\"status\":\"fail\",\"time\":" +
           time + ",\"output\":" + codec::quote(reason) + "}]}}";
  return r;
}

http_reply events_reply(const actors::event_page& page, uint64_t after) {
  if (!page.ok) return error_reply({model::errc::unavailable, "event log: " + page.error, ""});
  http_reply r;
  r.body.reserve(64 + page.events.size() * 160);
  codec::json_writer w{r.body};
  w.begin_object().key("events").begin_array();
  for (const auto& e : page.events) {
    w.begin_object();
    w.key("seq").value(e.seq).key("type").value(e.type);
    w.key("version").value(static_cast<uint64_t>(e.schema_version));
    w.key("time").value(model::format_rfc3339(e.time)).key("epoch").value(e.epoch);
    w.key("body").raw(e.body);  // the codec's own JSON, checksummed in the log
    w.end_object();
  }
  w.end_array();
  w.key("after").value(after).key("last_seq").value(page.last_seq);
  w.end_object();
  r.headers.push_back(no_store);
  return r;
}

http_reply snapshot_reply(const model::snapshot_ptr& snap, const std::string& etag) {
  if (!snap) return error_reply({model::errc::unavailable, "no snapshot yet", ""});
  const std::string current = snap->epoch + "-" + std::to_string(snap->version);
  http_reply r;
  r.headers.push_back(no_store);
  r.headers.emplace_back("ETag", "\"" + current + "\"");
  if (current == etag) {
    r.status = 304;
    return r;
  }
  r.body = codec::encode_snapshot(*snap);
  return r;
}

http_reply stream_stats_reply(const actors::stream_stats& s) {
  http_reply r;
  codec::json_writer w{r.body};
  w.begin_object();
  w.key("clients").begin_object();
  w.key("snapshots").value(s.snapshot_clients).key("events").value(s.event_clients);
  w.key("console").value(s.console_clients).key("output").value(s.output_clients);
  w.end_object();
  w.key("completed_total").value(s.completed);
  w.key("coalesced_total").value(s.coalesced_total);
  w.key("refused_total").value(s.refused_total);
  w.key("disconnects").begin_object();
  w.key("write_failed").value(s.disconnected_write_failed);
  w.key("too_slow").value(s.disconnected_too_slow);
  w.key("shutdown").value(s.disconnected_shutdown);
  w.end_object().end_object();
  r.headers.push_back(no_store);
  return r;
}

namespace {

/// A job command's answer, from the values the scheduler gave; empty when it has none (then
/// the command is answered with the snapshot, as the scheduler's own commands are).
std::string job_command_view(const actors::command_result& res) {
  if (!res.command) return {};
  return std::visit(
      [&](const auto& c) -> std::string {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, model::define_job>) {
          if (!res.job) return {};
          return codec::render_define_answer(codec::render_job(*res.job), res.warnings, c.dry_run);
        } else if constexpr (std::is_same_v<C, model::pause_job> ||
                             std::is_same_v<C, model::resume_job>) {
          return res.job ? codec::render_job(*res.job) : std::string{};
        } else if constexpr (std::is_same_v<C, model::remove_job>) {
          return "{\"removed\":" + codec::quote(c.job) + "}";
        } else if constexpr (std::is_same_v<C, model::backfill_job>) {
          return codec::render_backfill(c, res.backfill_times, res.events);
        } else if constexpr (std::is_same_v<C, model::run_job>) {
          std::string view;
          for (const auto& e : res.events)
            if (const auto* d = std::get_if<model::fire_decided>(&e))
              view = codec::render_decision(*d);
          return view;
        } else {
          return {};
        }
      },
      *res.command);
}

}  // namespace

http_reply command_reply(const actors::command_result& res) {
  if (!res.accepted) {
    auto r = error_reply(res.rejected);
    // A follower sends the command to the leader with its method, body and credentials
    // (307, not 302/303): the client sends it once more, to the node that decides.
    if (res.rejected.code == model::errc::not_leader) r.redirect_base = res.leader_url;
    return r;
  }
  http_reply r;
  if (std::string view = job_command_view(res); !view.empty()) {
    r.status = res.created ? 201 : 200;
    r.body = std::move(view);
    r.headers.push_back(no_store);
    return r;
  }
  r.body = "{\"changed\":" + std::string(res.changed ? "true" : "false") +
           ",\"snapshot\":" + (res.snapshot ? codec::encode_snapshot(*res.snapshot) : "null") + "}";
  r.headers.push_back(no_store);
  return r;
}

http_reply job_reply(const actors::job_query& q, const actors::job_answer& a) {
  if (a.refused) return error_reply(*a.refused);
  http_reply r;
  r.headers.push_back(no_store);
  switch (q.kind) {
    case actors::job_query::list:
      r.body = codec::render_job_page(a.jobs, q.full);
      break;
    case actors::job_query::runs:
      r.body = codec::render_run_page(a.runs, a.now);
      break;
    case actors::job_query::run:
      if (a.runs.runs.empty()) return error_reply({model::errc::internal, "no run in answer", ""});
      r.body = codec::render_run(a.runs.runs.front(), true, a.now);
      break;
    case actors::job_query::get:
    case actors::job_query::decisions:
    case actors::job_query::next:
      if (!a.job) return error_reply({model::errc::internal, "no job in answer", ""});
      if (q.kind == actors::job_query::get)
        r.body = codec::render_job(**a.job);
      else if (q.kind == actors::job_query::decisions)
        r.body = codec::render_decisions(**a.job, q.before_seq, q.limit);
      else
        r.body = codec::render_next(**a.job, model::next_nominals(**a.job, a.now, q.count));
      break;
  }
  return r;
}

http_reply output_reply(const actors::output_query& q, const actors::output_answer& a) {
  if (a.refused) return error_reply(*a.refused);
  const auto& r = a.read;
  http_reply reply;
  codec::json_writer w{reply.body};
  w.begin_object().key("job").value(q.job).key("run_id").value(q.run_id);
  w.key("attempt").value(uint64_t{a.attempt}).key("status").value(a.run_status);
  w.key("live").value(a.live);
  w.key("offset").value(r.offset).key("dropped").value(r.dropped);
  w.key("next_offset").value(r.offset + r.bytes.size()).key("total").value(r.total);
  w.key("ended").value(r.ended.has_value());
  w.key("end");
  if (r.ended) {
    w.begin_object();
    exec::write_end_members(w, *r.ended);
    w.end_object();
  } else {
    w.null();
  }
  w.key("output").value(r.bytes).end_object();
  reply.headers.push_back(no_store);
  return reply;
}

}  // namespace vigil::http
