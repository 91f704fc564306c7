// Event bodies as the log stores them: the scheduler's own events here, job and run events in
// codec/job_events; decoding takes the fast flat-body path where it can.
#include "codec/events.hpp"

#include <nlohmann/json.hpp>

#include "codec/event_body.hpp"
#include "codec/job_events.hpp"
#include "codec/json_writer.hpp"
#include "codec/stored_fields.hpp"

namespace vigil::codec {
namespace {

using model::format_rfc3339;
using nlohmann::json;

/// Brings an event body of an older schema version up to the current one, step by step.
/// Both event types share their history so far.
void upgrade_event(json& body, int schema_version) {
  if (schema_version < 2) body["by"] = "unknown";  // v1 did not record who asked
}

/// The scheduler's own events share one shape: {at, by, reason}.
template <class E>
constexpr bool is_scheduler_event =
    std::is_same_v<E, model::scheduler_paused> || std::is_same_v<E, model::scheduler_resumed>;

}  // namespace

std::string encode_event(const model::event& e) {
  if (auto job_body = encode_job_event(e)) return std::move(*job_body);
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
  auto fields = parse_flat_body(body);
  if (!fields) return decode_event_reference(type, schema_version, body);
  if (schema_version < 2) {  // as upgrade_event
    fields->by = "unknown";
    fields->has_by = true;
  }
  if (!fields->has_reason || !fields->has_by || !fields->has_at) return std::nullopt;
  const auto at = model::parse_rfc3339(fields->at);
  if (!at) return std::nullopt;
  if (type == "scheduler_paused")
    return model::scheduler_paused{std::move(fields->reason), *at, std::move(fields->by)};
  return model::scheduler_resumed{std::move(fields->reason), *at, std::move(fields->by)};
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
  model::wall_time at;
  if (!get(j, "at", at)) return std::nullopt;
  std::string reason = j["reason"].get<std::string>();
  std::string by = j["by"].get<std::string>();
  if (type == "scheduler_paused")
    return model::scheduler_paused{std::move(reason), at, std::move(by)};
  if (type == "scheduler_resumed")
    return model::scheduler_resumed{std::move(reason), at, std::move(by)};
  return std::nullopt;
}

}  // namespace vigil::codec
