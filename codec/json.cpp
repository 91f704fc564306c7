// JSON encoding and decoding of model types with nlohmann/json.
#include "codec/json.hpp"

#include <nlohmann/json.hpp>

#include "codec/event_body.hpp"
#include "codec/job_events.hpp"
#include "codec/job_views.hpp"
#include "codec/json_writer.hpp"
#include "model/jobs.hpp"

namespace vigil::codec {
namespace {

using nlohmann::json;
using model::format_rfc3339;
using model::to_seconds;


std::optional<model::wall_time> time_field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return model::parse_rfc3339(it->get<std::string>());
}

}  // namespace

/// Brings an event body of an older schema version up to the current one, step by step.
/// Both event types share their history so far.
void upgrade_event(json& body, int schema_version) {
  if (schema_version < 2) body["by"] = "unknown";  // v1 did not record who asked
}

/// The scheduler's own events share one shape: {at, by, reason}.
template <class E>
constexpr bool is_scheduler_event =
    std::is_same_v<E, model::scheduler_paused> || std::is_same_v<E, model::scheduler_resumed>;

std::string encode_event(const model::event& e) {
  std::string job_body;
  if (encode_job_event(e, job_body)) return job_body;
  // Keys in sorted order, as nlohmann wrote them when the log began: bodies stay byte-stable.
  return std::visit(
      [](const auto& ev) -> std::string {
        if constexpr (!is_scheduler_event<std::decay_t<decltype(ev)>>) {
          return {};
        } else {
        std::string out;
        out.reserve(48 + ev.reason.size() + ev.by.size());
        json_writer w{out};
        w.begin_object();
        w.key("at").value(format_rfc3339(ev.at));
        w.key("by").value(ev.by);
        w.key("reason").value(ev.reason);
        w.end_object();
        return out;
        }
      },
      e);
}

std::optional<model::event> decode_event(std::string_view type, int schema_version,
                                         std::string_view body) {
  if (schema_version < 1 || schema_version > model::event_schema_version) return std::nullopt;
  if (type != "scheduler_paused" && type != "scheduler_resumed")
    return decode_event_reference(type, schema_version, body);
  thread_local flat_body fields;
  if (!parse_flat_body(body, fields)) return decode_event_reference(type, schema_version, body);
  if (schema_version < 2) {  // as upgrade_event
    fields.by = "unknown";
    fields.has_by = true;
  }
  if (!fields.has_reason || !fields.has_by || !fields.has_at) return std::nullopt;
  const auto at = model::parse_rfc3339(fields.at);
  if (!at) return std::nullopt;
  if (type == "scheduler_paused") return model::scheduler_paused{fields.reason, *at, fields.by};
  if (type == "scheduler_resumed") return model::scheduler_resumed{fields.reason, *at, fields.by};
  return std::nullopt;
}

std::optional<model::event> decode_event_reference(std::string_view type, int schema_version,
                                                   std::string_view body) {
  if (schema_version < 1 || schema_version > model::event_schema_version) return std::nullopt;
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  if (type != "scheduler_paused" && type != "scheduler_resumed")
    return decode_job_event(type, schema_version, j);
  upgrade_event(j, schema_version);
  if (!j.contains("reason") || !j["reason"].is_string() || !j.contains("by") ||
      !j["by"].is_string())
    return std::nullopt;
  const auto at = time_field(j, "at");
  if (!at) return std::nullopt;
  std::string reason = j["reason"].get<std::string>();
  std::string by = j["by"].get<std::string>();
  if (type == "scheduler_paused") return model::scheduler_paused{std::move(reason), *at, std::move(by)};
  if (type == "scheduler_resumed")
    return model::scheduler_resumed{std::move(reason), *at, std::move(by)};
  return std::nullopt;
}

std::string encode_state(const model::state& s) {
  std::string out;
  out.reserve(256 + s.jobs.size() * 1024 + s.runs.size() * 320);
  json_writer w{out};
  w.begin_object();
  w.key("paused").value(s.paused).key("paused_since").time(s.paused_since);
  w.key("pause_reason").value(s.pause_reason).key("paused_by").value(s.paused_by);
  w.key("log_seq").value(s.log_seq);
  // Retried runs keep their earlier attempts from this format on; before it, they did not.
  w.key("attempts_kept").value(true);
  write_jobs_part(w, s);
  w.end_object();
  return out;
}

std::optional<model::state> decode_state(std::string_view body, std::string* why) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  model::state s;
  auto paused = j.find("paused");
  auto reason = j.find("pause_reason");
  auto seq = j.find("log_seq");
  if (paused == j.end() || !paused->is_boolean() || reason == j.end() || !reason->is_string() ||
      seq == j.end() || !seq->is_number_unsigned())
    return std::nullopt;
  s.paused = paused->get<bool>();
  s.pause_reason = reason->get<std::string>();
  s.log_seq = seq->get<uint64_t>();
  // Checkpoints written before `by` existed (event schema v1) read like v1 events.
  auto by = j.find("paused_by");
  if (by != j.end() && !by->is_string()) return std::nullopt;
  s.paused_by = by != j.end() ? by->get<std::string>() : (s.paused ? "unknown" : "");
  auto since = j.find("paused_since");
  if (since != j.end() && !since->is_null()) {
    s.paused_since = time_field(j, "paused_since");
    if (!s.paused_since) return std::nullopt;  // present but unreadable
  }
  // Only states that apply() can produce: paused <=> paused_since, no reason unless paused.
  if (s.paused != s.paused_since.has_value()) return std::nullopt;
  if (!s.paused && (!s.pause_reason.empty() || !s.paused_by.empty())) return std::nullopt;
  if (!decode_jobs_part(j, s)) return std::nullopt;
  if (!j.contains("attempts_kept")) {
    // Written before retried runs kept their earlier attempts: with a retried run in it, it
    // holds less than the log (checkpoint + tail would differ from a full replay).
    for (const auto& [id, r] : s.runs)
      if (r.attempt > 1) {
        if (why) *why = "written before earlier attempts were kept, and run " + id + " was retried";
        return std::nullopt;
      }
  }
  model::rebuild_derived(s);
  return s;
}

}  // namespace vigil::codec
