// The scheduler command, run request and backfill request bodies: strict, unknown fields
// refused with the JSON pointer of the one at fault.
#include "codec/requests.hpp"

#include <string>

#include <nlohmann/json.hpp>

#include "codec/job_json_fields.hpp"

namespace vigil::codec {

using nlohmann::json;

namespace {

/// Every body here refuses members it does not know, naming the one at fault.
model::rejection unknown_field(const std::string& key) {
  return {model::errc::invalid_argument, "unknown field '" + key + "'", child_pointer("", key)};
}

}  // namespace

std::variant<model::command, model::rejection> decode_scheduler_command(std::string_view body,
                                                                        bool pause) {
  using model::errc;
  using model::rejection;
  std::string reason;
  const bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (!blank) {
    const json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) return rejection{errc::invalid_argument, "body is not valid JSON", ""};
    if (!j.is_object()) return rejection{errc::invalid_argument, "body must be a JSON object", ""};
    for (const auto& [key, value] : j.items()) {
      if (key != "reason") return unknown_field(key);
      if (!value.is_string())
        return rejection{errc::invalid_argument, "reason must be a string", "/reason"};
      reason = value.get<std::string>();
    }
  }
  if (pause) return model::command{model::pause_scheduler{std::move(reason)}};
  return model::command{model::resume_scheduler{std::move(reason)}};
}

std::variant<std::optional<model::overlap_policy>, model::rejection> decode_run_request(
    std::string_view body) {
  using model::errc;
  using model::rejection;
  std::optional<model::overlap_policy> overlap;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return overlap;
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return rejection{errc::invalid_argument, "body is not valid JSON", ""};
  if (!j.is_object()) return rejection{errc::invalid_argument, "body must be a JSON object", ""};
  for (const auto& [key, value] : j.items()) {
    if (key != "overlap") return unknown_field(key);
    if (!value.is_string())
      return rejection{errc::invalid_argument, "overlap must be a string", "/overlap"};
    overlap = model::parse_overlap_policy(value.get<std::string>());
    if (!overlap)
      return rejection{errc::invalid_argument,
                       "overlap must be one of skip, buffer_one, buffer_all, cancel_other, allow",
                       "/overlap"};
  }
  return overlap;
}

std::variant<std::pair<model::wall_time, model::wall_time>, model::rejection>
decode_backfill_request(std::string_view body) {
  using model::errc;
  using model::rejection;
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return rejection{errc::invalid_argument, "body is not valid JSON", ""};
  if (!j.is_object()) return rejection{errc::invalid_argument, "body must be a JSON object", ""};
  for (const auto& [key, value] : j.items())
    if (key != "from" && key != "to") return unknown_field(key);
  model::wall_time times[2];
  const char* names[2] = {"from", "to"};
  for (int i = 0; i < 2; ++i) {
    const auto it = j.find(names[i]);
    const std::string field = std::string{"/"} + names[i];
    if (it == j.end())
      return rejection{errc::invalid_argument, std::string{names[i]} + " is required", field};
    const auto t = it->is_string() ? model::parse_rfc3339(it->get<std::string>()) : std::nullopt;
    if (!t)
      return rejection{errc::invalid_argument,
                       std::string{names[i]} +
                           " must be an RFC 3339 time (2026-01-01T00:00:00Z, or with an offset)",
                       field};
    times[i] = *t;
  }
  return std::pair{times[0], times[1]};
}

}  // namespace vigil::codec
