// Health, command and error replies.
#include "http/responses.hpp"

#include "codec/json.hpp"
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
  if (q.verbose) r.body = lines + name + (ok ? " check passed\n" : " check failed\n");
  else r.body = ok ? "ok\n" : failures;
  r.headers.push_back(no_store);
  return r;
}

}  // namespace

int status_for(model::errc code) {
  switch (code) {
    case model::errc::invalid_argument: return 400;
    case model::errc::not_found: return 404;
    case model::errc::conflict: return 409;
    case model::errc::payload_too_large: return 413;
    case model::errc::unauthorized: return 401;
    case model::errc::not_leader: return 307;
    case model::errc::unavailable: return 503;
    case model::errc::timeout: return 503;
    case model::errc::internal: break;
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
    w.key("last_updated").time(report.snap ? std::optional<model::wall_time>{report.snap->last_updated}
                                           : std::nullopt);
    w.key("live").value(report.result.live).key("ready").value(report.result.ready);
    w.end_object();
  }
  r.headers.push_back(no_store);
  if (report.snap)
    r.headers.emplace_back("ETag", "\"" + report.snap->epoch + "-" +
                                       std::to_string(report.snap->version) + "\"");
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
    if (q.verbose) r.body += q.route == health_route::livez ? "livez check failed\n"
                                                            : "readyz check failed\n";
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

http_reply command_reply(const actors::command_result& res) {
  if (!res.accepted) {
    auto r = error_reply(res.rejected);
    // A follower sends the command to the leader with its method, body and credentials
    // (307, not 302/303): the client sends it once more, to the node that decides.
    if (res.rejected.code == model::errc::not_leader) r.redirect_base = res.leader_url;
    return r;
  }
  http_reply r;
  if (!res.view.empty()) {  // a job command answers with the job (or the run decision)
    r.status = res.created ? 201 : 200;
    r.body = res.view;
    r.headers.push_back(no_store);
    return r;
  }
  r.body = "{\"changed\":" + std::string(res.changed ? "true" : "false") + ",\"snapshot\":" +
           (res.snapshot ? codec::encode_snapshot(*res.snapshot) : "null") + "}";
  r.headers.push_back(no_store);
  return r;
}

http_reply output_reply(const actors::output_query& q, const actors::output_answer& a) {
  if (a.status == 404) return error_reply({model::errc::not_found, a.error, ""});
  if (a.status != 200) return error_reply({model::errc::unavailable, a.error, ""});
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
