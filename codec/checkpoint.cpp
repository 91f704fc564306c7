// The checkpoint: the durable state at a log position, and the rules a body must meet to be
// used instead of replaying the log up to it.
#include "codec/checkpoint.hpp"

#include <nlohmann/json.hpp>

#include "codec/checkpoint_jobs.hpp"
#include "codec/json_writer.hpp"
#include "codec/stored_fields.hpp"
#include "model/jobs.hpp"

namespace vigil::codec {

using nlohmann::json;

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
  if (!get(j, "paused_since", s.paused_since)) return std::nullopt;  // present but unreadable
  // Only states that apply() can produce: paused <=> paused_since, no reason unless paused.
  if (s.paused != s.paused_since.has_value()) return std::nullopt;
  if (!s.paused && (!s.pause_reason.empty() || !s.paused_by.empty())) return std::nullopt;
  auto with_jobs = decode_jobs_part(j, std::move(s));
  if (!with_jobs) return std::nullopt;
  s = std::move(*with_jobs);
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
