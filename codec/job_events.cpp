// Job and run event bodies: encoded with json_writer (keys sorted, so bodies stay
// byte-stable), decoded with nlohmann, older schema versions upgraded.
#include "codec/job_events.hpp"

#include "codec/job_json_internal.hpp"
#include "codec/json_writer.hpp"
#include "codec/stored_fields.hpp"
#include "model/overloaded.hpp"

namespace vigil::codec {
namespace {

using model::format_rfc3339;
using model::overloaded;
using nlohmann::json;

/// A v2 decision in v3 terms. v2 bodies had a reason string and no origin or cursor; v2's
/// apply moved the cursor to `last` when the decision was for the next nominal time owed,
/// which the schedule's own decisions always were when they were made. From the reason:
/// manual is a manual run (no cursor); schedule, catchup, paused and misfire are the
/// schedule's (cursor to last). A skip (overlap, buffer_full) is the schedule's unless it was
/// decided at its own nominal time, as a manual one always is: then the body cannot tell, and
/// model::settle_upgraded decides as v2 did, before apply (legacy_cursor).
void upgrade_decision_v2(model::fire_decided& ev) {
  using model::decision_origin;
  using model::decision_reason;
  switch (ev.reason) {
    case decision_reason::manual:
    case decision_reason::backfill:  // no v2 body has it; a crafted one owes no cursor either
      ev.origin = ev.reason == decision_reason::manual ? decision_origin::manual
                                                       : decision_origin::backfill;
      return;
    case decision_reason::catchup:
      ev.origin = decision_origin::catchup;
      break;
    case decision_reason::overlap:
    case decision_reason::buffer_full:
      if (ev.nominal == ev.at) {
        ev.origin = decision_origin::manual;
        ev.legacy_cursor = true;
        return;
      }
      ev.origin = decision_origin::schedule;
      break;
    case decision_reason::schedule:
    case decision_reason::paused:
    case decision_reason::misfire:
      ev.origin = decision_origin::schedule;
      break;
  }
  ev.cursor = ev.last;
}

}  // namespace

std::optional<std::string> encode_job_event(const model::event& e) {
  std::string out;
  json_writer w{out};
  const bool job_event = std::visit(
      overloaded{
          [](const model::scheduler_paused&) { return false; },
          [](const model::scheduler_resumed&) { return false; },
          [&](const model::job_defined& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at)).key("by").value(ev.by);
            w.key("created").value(ev.created).key("spec");
            write_job_spec(w, *ev.spec);
            w.end_object();
            return true;
          },
          [&](const model::job_removed& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at)).key("by").value(ev.by);
            w.key("cancels");
            write_strings(w, ev.cancels);
            w.key("job").value(ev.job).end_object();
            return true;
          },
          [&](const model::job_paused& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at)).key("by").value(ev.by);
            w.key("job").value(ev.job).key("reason").value(ev.reason).end_object();
            return true;
          },
          [&](const model::job_resumed& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at)).key("by").value(ev.by);
            w.key("job").value(ev.job).key("reason").value(ev.reason).end_object();
            return true;
          },
          [&](const model::fire_decided& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("cancels");
            write_strings(w, ev.cancels);
            w.key("count").value(ev.count);
            if (ev.covers)
              w.key("covers")
                  .begin_array()
                  .value(format_rfc3339(ev.covers->first))
                  .value(format_rfc3339(ev.covers->second))
                  .end_array();
            w.key("cursor").time(ev.cursor).key("job").value(ev.job);
            w.key("kind").value(model::to_string(ev.kind));
            w.key("last").value(format_rfc3339(ev.last));
            w.key("nominal").value(format_rfc3339(ev.nominal));
            w.key("origin").value(model::to_string(ev.origin));
            w.key("reason").value(model::to_string(ev.reason));
            w.key("run_id").value(ev.run_id).end_object();
            return true;
          },
          [&](const model::run_dispatched& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("attempt")
                .value(uint64_t{ev.attempt})
                .key("job")
                .value(model::job_of_run(ev.run_id));
            w.key("reason").value(ev.reason).key("run_id").value(ev.run_id).end_object();
            return true;
          },
          [&](const model::run_started& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            if (ev.contained) {
              w.key("containment");
              write_containment(w, *ev.contained);
            }
            w.key("job").value(model::job_of_run(ev.run_id));
            w.key("pid").value(static_cast<uint64_t>(ev.pid < 0 ? 0 : ev.pid));
            w.key("run_id").value(ev.run_id).end_object();
            return true;
          },
          [&](const model::run_finished& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("elapsed_ns")
                .value(static_cast<uint64_t>(ev.elapsed.count() < 0 ? 0 : ev.elapsed.count()));
            w.key("error").value(ev.error).key("exit_code");
            w.number_or_null(ev.exit_code);
            w.key("job").value(model::job_of_run(ev.run_id));
            w.key("outcome").value(model::to_string(ev.outcome));
            w.key("output").value(ev.output ? std::string_view{*ev.output} : std::string_view{});
            w.key("output_bytes").value(ev.output_bytes).key("run_id").value(ev.run_id);
            w.key("signal");
            w.number_or_null(ev.signal);
            w.key("truncated").value(ev.truncated).end_object();
            return true;
          },
          [&](const model::retry_scheduled& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("attempt").value(uint64_t{ev.attempt});
            w.key("due")
                .value(format_rfc3339(ev.due))
                .key("job")
                .value(model::job_of_run(ev.run_id));
            w.key("run_id").value(ev.run_id).end_object();
            return true;
          },
          [&](const model::runs_compacted& ev) {
            w.begin_object().key("at").value(format_rfc3339(ev.at));
            w.key("decisions_dropped").value(ev.decisions_dropped).key("job").value(ev.job);
            w.key("run_ids");
            write_strings(w, ev.run_ids);
            w.end_object();
            return true;
          }},
      e);
  if (!job_event) return std::nullopt;
  return out;
}

std::optional<model::event> decode_job_event(std::string_view type, int schema_version,
                                             const json& j) {
  if (!j.is_object()) return std::nullopt;
  if (type == "job_defined") {
    model::job_defined ev;
    if (get(j, "at", ev.at) && get(j, "by", ev.by) && get(j, "created", ev.created) &&
        get_spec(j, "spec", ev.spec))
      return ev;
  } else if (type == "job_removed") {
    model::job_removed ev;
    if (get(j, "at", ev.at) && get(j, "by", ev.by) && get(j, "job", ev.job) &&
        get(j, "cancels", ev.cancels))
      return ev;
  } else if (type == "job_paused" || type == "job_resumed") {
    std::string job, reason, by;
    model::wall_time at;
    if (!(get(j, "at", at) && get(j, "by", by) && get(j, "job", job) && get(j, "reason", reason)))
      return std::nullopt;
    if (type == "job_paused") return model::job_paused{job, reason, at, by};
    return model::job_resumed{job, reason, at, by};
  } else if (type == "fire_decided") {
    model::fire_decided ev;
    std::string kind, reason;
    if (!(get(j, "at", ev.at) && get(j, "cancels", ev.cancels) && get_uint(j, "count", ev.count) &&
          get(j, "job", ev.job) && get(j, "kind", kind) && get(j, "last", ev.last) &&
          get(j, "nominal", ev.nominal) && get(j, "reason", reason) && get(j, "run_id", ev.run_id)))
      return std::nullopt;
    auto k = model::parse_decision_kind(kind);
    auto r = model::parse_decision_reason(reason);
    if (!k || !r) return std::nullopt;
    ev.kind = *k;
    ev.reason = *r;
    if (schema_version < 3) {
      upgrade_decision_v2(ev);
      return ev;
    }
    std::string origin;
    if (!j.contains("cursor") || !get(j, "cursor", ev.cursor) || !get(j, "origin", origin))
      return std::nullopt;
    auto o = model::parse_decision_origin(origin);
    if (!o) return std::nullopt;
    ev.origin = *o;
    if (auto c = j.find("covers"); c != j.end()) {
      std::pair<model::wall_time, model::wall_time> range;
      if (!get_range(*c, range)) return std::nullopt;
      ev.covers = range;
    }
    return ev;
  } else if (type == "run_dispatched") {
    model::run_dispatched ev;
    if (get(j, "at", ev.at) && get_uint(j, "attempt", ev.attempt) && get(j, "reason", ev.reason) &&
        get(j, "run_id", ev.run_id))
      return ev;
  } else if (type == "run_started") {
    model::run_started ev;
    if (get(j, "at", ev.at) && get_uint(j, "pid", ev.pid) && get(j, "run_id", ev.run_id) &&
        get_containment(j, ev.contained))
      return ev;
  } else if (type == "run_finished") {
    model::run_finished ev;
    std::string outcome;
    bool ok = true;
    ev.elapsed = model::duration{get_ns(j, "elapsed_ns", ok)};
    if (ok && get(j, "at", ev.at) && get(j, "error", ev.error) &&
        get(j, "exit_code", ev.exit_code) && get(j, "outcome", outcome) &&
        get_output(j, ev.output) && get_uint(j, "output_bytes", ev.output_bytes) &&
        get(j, "run_id", ev.run_id) && get(j, "signal", ev.signal) &&
        get(j, "truncated", ev.truncated)) {
      auto o = model::parse_run_outcome(outcome);
      if (!o) return std::nullopt;
      ev.outcome = *o;
      return ev;
    }
  } else if (type == "retry_scheduled") {
    model::retry_scheduled ev;
    if (get(j, "at", ev.at) && get_uint(j, "attempt", ev.attempt) && get(j, "due", ev.due) &&
        get(j, "run_id", ev.run_id))
      return ev;
  } else if (type == "runs_compacted") {
    model::runs_compacted ev;
    if (get(j, "at", ev.at) && get_uint(j, "decisions_dropped", ev.decisions_dropped) &&
        get(j, "job", ev.job) && get(j, "run_ids", ev.run_ids))
      return ev;
  }
  return std::nullopt;
}

}  // namespace vigil::codec
