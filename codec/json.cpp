// JSON encoding and decoding of model types with nlohmann/json.
#include "codec/json.hpp"

#include <nlohmann/json.hpp>

namespace vigil::codec {
namespace {

using nlohmann::json;
using model::format_rfc3339;
using model::to_seconds;

json optional_time(const std::optional<model::wall_time>& t) {
  return t ? json(format_rfc3339(*t)) : json(nullptr);
}

json optional_text(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json snapshot_json(const model::snapshot& s) {
  const auto& c = s.cycles;
  return json{
      {"node", s.node},
      {"epoch", s.epoch},
      {"version", s.version},
      {"log_seq", s.log_seq},
      {"last_updated", format_rfc3339(s.last_updated)},
      {"started_at", format_rfc3339(s.started_at)},
      {"scheduler",
       {{"state", model::to_string(s.status)},
        {"tick_interval_seconds", to_seconds(s.tick_interval)},
        {"cycles", {{"total", c.total}, {"succeeded", c.succeeded}, {"failed", c.failed}}},
        {"consecutive_failures", c.consecutive_failures},
        {"last_cycle_started", optional_time(c.last_started)},
        {"last_cycle_finished", optional_time(c.last_finished)},
        {"last_success", optional_time(c.last_success)},
        {"last_error", optional_text(c.last_error)},
        {"paused", s.status == model::scheduler_status::paused},
        {"paused_since", optional_time(s.paused_since)},
        {"pause_reason", optional_text(s.pause_reason)}}}};
}

json check_json(const model::health_check& c, const std::string& time) {
  json j{{"status", model::to_string(c.status)},
         {"observedValue",
          c.observed_text.empty() ? json(c.observed_value) : json(c.observed_text)},
         {"observedUnit", c.observed_unit},
         {"time", time}};
  json thresholds = json::object();
  if (c.warn_threshold) thresholds["warn"] = *c.warn_threshold;
  if (c.fail_threshold) thresholds["fail"] = *c.fail_threshold;
  j["thresholds"] = std::move(thresholds);
  if (!c.output.empty()) j["output"] = c.output;
  return j;
}

std::optional<model::wall_time> time_field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return model::parse_rfc3339(it->get<std::string>());
}

/// RFC 6901: "~" -> "~0", "/" -> "~1".
std::string pointer_to(const std::string& key) {
  std::string out = "/";
  for (char ch : key) {
    if (ch == '~') out += "~0";
    else if (ch == '/') out += "~1";
    else out += ch;
  }
  return out;
}

}  // namespace

std::string encode_snapshot(const model::snapshot& snap) { return snapshot_json(snap).dump(); }

std::string encode_health(const model::health_report& r) {
  const std::string time = format_rfc3339(r.time);
  json checks = json::object();
  for (const auto& c : r.result.checks) checks[c.name] = json::array({check_json(c, time)});
  json body{{"status", model::to_string(r.result.status)},
            {"time", time},
            {"live", r.result.live},
            {"ready", r.result.ready},
            {"checks", std::move(checks)}};
  if (r.snap) {
    json snap = snapshot_json(*r.snap);
    body["last_updated"] = snap["last_updated"];
    body["node"] = r.snap->node;
    body["snapshot"] = {{"epoch", r.snap->epoch},
                        {"version", r.snap->version},
                        {"log_seq", r.snap->log_seq},
                        {"taken_at", snap["last_updated"]},
                        {"age_seconds", to_seconds(r.age)}};
    body["scheduler"] = std::move(snap["scheduler"]);
    body["scheduler"]["started_at"] = std::move(snap["started_at"]);
  } else {
    body["last_updated"] = nullptr;
    body["snapshot"] = nullptr;
  }
  return body.dump();
}

std::string encode_error(const model::rejection& r) {
  json j{{"error", model::to_string(r.code)}, {"detail", r.detail}};
  if (!r.field.empty()) j["field"] = r.field;
  return j.dump();
}

std::string quote(std::string_view text) { return json(std::string(text)).dump(); }

std::string encode_event(const model::event& e) {
  return std::visit(
      [](const auto& ev) {
        return json{{"reason", ev.reason}, {"at", format_rfc3339(ev.at)}}.dump();
      },
      e);
}

std::optional<model::event> decode_event(std::string_view type, int schema_version,
                                         std::string_view body) {
  if (schema_version < 1 || schema_version > model::event_schema_version) return std::nullopt;
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("reason") || !j["reason"].is_string()) return std::nullopt;
  const auto at = time_field(j, "at");
  if (!at) return std::nullopt;
  std::string reason = j["reason"].get<std::string>();
  if (type == "scheduler_paused") return model::scheduler_paused{std::move(reason), *at};
  if (type == "scheduler_resumed") return model::scheduler_resumed{std::move(reason), *at};
  return std::nullopt;
}

std::string encode_state(const model::state& s) {
  return json{{"paused", s.paused},
              {"paused_since", optional_time(s.paused_since)},
              {"pause_reason", s.pause_reason},
              {"log_seq", s.log_seq}}
      .dump();
}

std::optional<model::state> decode_state(std::string_view body) {
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
  s.paused_since = time_field(j, "paused_since");
  if (s.paused != s.paused_since.has_value()) return std::nullopt;
  return s;
}

std::variant<model::command, model::rejection> decode_scheduler_command(std::string_view body,
                                                                        bool pause) {
  using model::errc;
  using model::rejection;
  std::string reason;
  const bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (!blank) {
    const json j = json::parse(body, nullptr, false);
    if (j.is_discarded())
      return rejection{errc::invalid_argument, "body is not valid JSON", ""};
    if (!j.is_object())
      return rejection{errc::invalid_argument, "body must be a JSON object", ""};
    for (const auto& [key, value] : j.items()) {
      if (key != "reason")
        return rejection{errc::invalid_argument, "unknown field '" + key + "'", pointer_to(key)};
      if (!value.is_string())
        return rejection{errc::invalid_argument, "reason must be a string", "/reason"};
      reason = value.get<std::string>();
    }
  }
  if (pause) return model::command{model::pause_scheduler{std::move(reason)}};
  return model::command{model::resume_scheduler{std::move(reason)}};
}

}  // namespace vigil::codec
