// Job definitions as JSON: strict decoding (every refusal names its field) and the canonical
// encoding, which decode_job_spec turns back into the same spec.
#include "codec/job_json.hpp"

#include <set>
#include <vector>

#include "codec/job_json_fields.hpp"
#include "codec/job_json_internal.hpp"
#include "model/duration.hpp"

namespace vigil::codec {
namespace {

using model::errc;
using model::job_spec;
using model::rejection;
using nlohmann::json;
namespace limits = model::job_limits;

/// The longest duration any field takes: a month, far below 2^53 ns (104 days), within which
/// format_duration and parse_duration agree exactly.
constexpr model::duration max_duration = std::chrono::hours(24 * 30);
/// Env names have no limit of their own in job_limits; this keeps them sane.
constexpr size_t max_env_name_bytes = 256;

bool valid_env_name(std::string_view name) {
  if (name.empty() || name.size() > max_env_name_bytes) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void read_argv(field_reader& r, const json& argv, std::vector<std::string>& out) {
  const auto at = r.pointer("argv");
  if (!argv.is_array()) return r.fail(at, "must be an array of strings");
  if (argv.empty()) return r.fail(at, "must not be empty");
  if (argv.size() > limits::max_argv) {
    return r.fail(at, "must have at most " + std::to_string(limits::max_argv) + " elements");
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    const auto element = child_pointer(at, std::to_string(i));
    if (auto problem = text_problem(argv[i], limits::max_arg_bytes)) {
      return r.fail(element, std::move(*problem));
    }
    if (i == 0 && argv[i].get_ref<const std::string&>().empty()) {
      return r.fail(element, "the program must not be empty");
    }
    out.push_back(argv[i].get<std::string>());
  }
}

void read_env(field_reader& r, const json& env, std::map<std::string, std::string>& out) {
  const auto at = r.pointer("env");
  if (!env.is_object()) return r.fail(at, "must be an object of strings");
  if (env.size() > limits::max_env) {
    return r.fail(at, "must have at most " + std::to_string(limits::max_env) + " variables");
  }
  for (const auto& [name, value] : env.items()) {
    const auto variable = child_pointer(at, name);
    if (!valid_env_name(name)) {
      return r.fail(variable, "is not a variable name ([A-Za-z_][A-Za-z0-9_]*, at most " +
                                  std::to_string(max_env_name_bytes) + " bytes)");
    }
    if (name.rfind("VIGIL_", 0) == 0) return r.fail(variable, "VIGIL_ names are reserved");
    if (auto problem = text_problem(value, limits::max_env_value_bytes)) {
      return r.fail(variable, std::move(*problem));
    }
    out.emplace(name, value.get<std::string>());
  }
}

void read_command(field_reader& r, model::command_spec& out) {
  r.only({"argv", "shell", "env", "working_dir"});
  const auto* argv = r.find("argv");
  const auto* shell = r.find("shell");
  if (!r.ok()) return;
  if (argv && shell) return r.fail(r.pointer(), "must have either argv or shell, not both");
  if (!argv && !shell) return r.fail(r.pointer(), "must have argv or shell");
  if (argv) read_argv(r, *argv, out.argv);
  if (shell) {
    r.text("shell", limits::max_shell_bytes, out.shell.emplace());
    if (r.ok() && out.shell->empty()) r.fail(r.pointer("shell"), "must not be empty");
  }
  if (const auto* env = r.find("env")) read_env(r, *env, out.env);
  r.text("working_dir", limits::max_arg_bytes, out.working_dir);
  if (r.ok() && !out.working_dir.empty() && out.working_dir.front() != '/') {
    r.fail(r.pointer("working_dir"), "must be an absolute path");
  }
}

/// `evaluate`: the schedule must parse and the zone must be in this machine's tz database. A
/// definition read back from the log is not evaluated: it was accepted once, and a tz database
/// without its zone (or a stricter parser) must not stop a replay; such a job is kept, unfired.
void read_schedule(field_reader& r, job_spec& s, bool evaluate) {
  r.require("schedule");
  r.text("schedule", limits::max_schedule_bytes, s.schedule);
  if (!r.ok()) return;
  if (evaluate) {
    const auto parsed = model::parse_schedule(s.schedule);
    if (const auto* e = std::get_if<model::schedule_error>(&parsed)) {
      r.fail(r.pointer("schedule"), e->message + " (at byte " + std::to_string(e->position) + ")");
    }
  }
  r.text("time_zone", limits::max_schedule_bytes, s.time_zone);
  if (evaluate && r.ok() && !model::load_zone(s.time_zone)) {
    r.fail(r.pointer("time_zone"), "is not a time zone in the tz database");
  }
}

void read_retry(field_reader& r, model::retry_policy& out) {
  r.only({"max_attempts", "initial_backoff", "max_backoff", "multiplier", "jitter"});
  uint64_t attempts = out.max_attempts;
  r.whole("max_attempts", 1, limits::max_attempts, attempts);
  out.max_attempts = static_cast<uint32_t>(attempts);
  r.span("initial_backoff", max_duration, out.initial_backoff);
  r.span("max_backoff", max_duration, out.max_backoff);
  if (r.ok() && out.max_backoff < out.initial_backoff) {
    r.fail(r.pointer("max_backoff"), "must not be less than initial_backoff (" +
                                         model::format_duration(out.initial_backoff) + ")");
  }
  r.real("multiplier", 1, 10, out.multiplier);
  r.real("jitter", 0, 1, out.jitter);
}

std::variant<job_spec, rejection> decode(const json& v, std::string_view prefix,
                                         std::optional<std::string_view> path_id, bool evaluate) {
  if (!v.is_object()) {
    return rejection{errc::invalid_argument, "must be a JSON object", std::string(prefix)};
  }
  std::optional<rejection> error;
  field_reader r(v, std::string(prefix), error);
  job_spec s;
  r.only({"id", "schedule", "time_zone", "command", "description", "enabled", "timeout",
          "kill_grace", "output_limit", "overlap", "buffer_limit", "catchup", "catchup_window",
          "misfire_grace", "jitter", "dst", "retry", "orphans"});

  if (!path_id) r.require("id");
  r.text("id", limits::max_id_bytes, s.id);
  if (r.ok() && path_id) {
    if (!r.find("id"))
      s.id = std::string(*path_id);
    else if (s.id != *path_id)
      r.fail(r.pointer("id"), "does not match the id in the path");
  }
  if (r.ok() && !model::valid_job_id(s.id)) {
    r.fail(r.pointer("id"),
           "must be 1 to 128 characters of A-Z a-z 0-9 . _ -, not starting "
           "with '.'");
  }
  read_schedule(r, s, evaluate);
  r.require("command");
  if (auto command = r.object("command")) read_command(*command, s.command);
  r.text("description", limits::max_description_bytes, s.description);
  r.flag("enabled", s.enabled);
  r.span("timeout", max_duration, s.timeout);
  r.span("kill_grace", max_duration, s.kill_grace);
  uint64_t output_limit = s.output_limit;
  r.whole("output_limit", 0, limits::max_output_bytes, output_limit);
  s.output_limit = static_cast<size_t>(output_limit);
  r.choice("overlap", model::parse_overlap_policy,
           "skip, buffer_one, buffer_all, cancel_other, allow", s.overlap);
  uint64_t buffer_limit = s.buffer_limit;
  r.whole("buffer_limit", 1, limits::max_buffer, buffer_limit);
  s.buffer_limit = static_cast<uint32_t>(buffer_limit);
  r.choice("catchup", model::parse_catchup_policy, "none, latest, all", s.catchup);
  r.span("catchup_window", max_duration, s.catchup_window);
  r.span("misfire_grace", max_duration, s.misfire_grace);
  r.span("jitter", max_duration, s.jitter);
  if (r.ok() && s.jitter >= std::chrono::hours(24)) {
    r.fail(r.pointer("jitter"), "must be less than 24h");
  }
  if (auto dst = r.object("dst")) {
    dst->only({"gap", "fold"});
    dst->choice("gap", model::parse_dst_gap, "run_at_end, skip", s.dst.gap);
    dst->choice("fold", model::parse_dst_fold, "once, both", s.dst.fold);
  }
  if (auto retry = r.object("retry")) read_retry(*retry, s.retry);
  if (r.find("orphans")) {
    model::orphan_policy orphans = model::orphan_policy::kill;
    r.choice("orphans", model::parse_orphan_policy, "wait, kill", orphans);
    s.orphans = orphans;
  }
  if (error) return std::move(*error);
  return s;
}

/// Parses a body, refusing a member name repeated in one object (nlohmann would keep the last
/// silently, so `{"enabled": true, "enabled": false}` would mean whatever came last).
std::variant<json, rejection> parse_body(std::string_view body) {
  struct frame {
    bool array = false;
    size_t index = 0;
    std::string key;
    std::set<std::string> keys;
  };
  std::vector<frame> stack;
  std::optional<std::string> duplicate;
  const auto element_done = [&] {
    if (!stack.empty() && stack.back().array) ++stack.back().index;
  };
  const json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        stack.push_back(frame{});
        break;
      case json::parse_event_t::array_start:
        stack.push_back(frame{true, 0, {}, {}});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        stack.pop_back();
        element_done();
        break;
      case json::parse_event_t::value:
        element_done();
        break;
      case json::parse_event_t::key: {
        auto& top = stack.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second && !duplicate) {
          std::string at;
          for (const auto& f : stack) {
            at = child_pointer(at, f.array ? std::to_string(f.index) : f.key);
          }
          duplicate = std::move(at);
        }
        break;
      }
    }
    return true;
  };
  json v;
  try {
    v = json::parse(body, callback);
  } catch (const json::exception& e) {
    // A parse_error says "[json.exception.parse_error.101] parse error at line 1, column 5: ...";
    // a number too large for a double is an out_of_range ("number overflow parsing '1e400'").
    std::string what = e.what();
    if (const auto end = what.find("] "); end != std::string::npos) what.erase(0, end + 2);
    return rejection{errc::invalid_argument, "malformed JSON: " + what, ""};
  }
  if (duplicate) return rejection{errc::invalid_argument, "duplicate field", *duplicate};
  return v;
}

void write_command(json_writer& w, const model::command_spec& c) {
  w.begin_object();
  if (c.shell) {
    w.key("shell").value(*c.shell);
  } else {
    w.key("argv").begin_array();
    for (const auto& arg : c.argv) w.value(arg);
    w.end_array();
  }
  w.key("env").begin_object();
  for (const auto& [name, value] : c.env) w.key(name).value(value);
  w.end_object();
  w.key("working_dir").value(c.working_dir);
  w.end_object();
}

}  // namespace

std::variant<job_spec, rejection> decode_job_spec_value(const json& v,
                                                        std::string_view pointer_prefix) {
  return decode(v, pointer_prefix, std::nullopt, false);
}

std::variant<job_spec, rejection> decode_job_spec(std::string_view body,
                                                  std::optional<std::string_view> path_id) {
  auto parsed = parse_body(body);
  if (auto* r = std::get_if<rejection>(&parsed)) return std::move(*r);
  return decode(std::get<json>(parsed), "", path_id, true);
}

void write_job_spec(json_writer& w, const job_spec& s) {
  using model::format_duration;
  w.begin_object();
  w.key("id").value(s.id);
  w.key("schedule").value(s.schedule);
  w.key("time_zone").value(s.time_zone);
  w.key("command");
  write_command(w, s.command);
  w.key("description").value(s.description);
  w.key("enabled").value(s.enabled);
  w.key("timeout").value(format_duration(s.timeout));
  w.key("kill_grace").value(format_duration(s.kill_grace));
  w.key("output_limit").value(uint64_t{s.output_limit});
  w.key("overlap").value(model::to_string(s.overlap));
  w.key("buffer_limit").value(uint64_t{s.buffer_limit});
  w.key("catchup").value(model::to_string(s.catchup));
  w.key("catchup_window").value(format_duration(s.catchup_window));
  w.key("misfire_grace").value(format_duration(s.misfire_grace));
  w.key("jitter").value(format_duration(s.jitter));
  w.key("dst").begin_object();
  w.key("gap").value(model::to_string(s.dst.gap));
  w.key("fold").value(model::to_string(s.dst.fold));
  w.end_object();
  w.key("retry").begin_object();
  w.key("max_attempts").value(uint64_t{s.retry.max_attempts});
  w.key("initial_backoff").value(format_duration(s.retry.initial_backoff));
  w.key("max_backoff").value(format_duration(s.retry.max_backoff));
  w.key("multiplier").value(s.retry.multiplier);
  w.key("jitter").value(s.retry.jitter);
  w.end_object();
  // Only when set: the daemon's setting applies otherwise, and older specs stay byte-stable.
  if (s.orphans) w.key("orphans").value(model::to_string(*s.orphans));
  w.end_object();
}

std::string encode_job_spec(const job_spec& spec) {
  std::string out;
  json_writer w(out);
  write_job_spec(w, spec);
  return out;
}

}  // namespace vigil::codec
