// The settings table and the three sources that feed it.
#include "app/config.hpp"

#include "store/pg.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>
#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/log.hpp"
#include "http/auth.hpp"
#include "model/duration.hpp"
#include "model/number.hpp"

extern char** environ;

namespace vigil::app {
namespace {

const char* const duration_expected = "a duration with a unit, e.g. 500ms, 1s, 2m";

/// What a setting is, for --help, errors and the settings table; the factories below add how
/// it is read and shown.
setting described(std::string key, std::string type_name, std::string help, std::string accepts,
                  setting_type type) {
  setting s;
  s.key = std::move(key);
  s.type_name = std::move(type_name);
  s.help = std::move(help);
  s.accepts = std::move(accepts);
  s.type = type;
  return s;
}

setting duration_setting(std::string key, std::string help, model::duration serve_options::*field,
                         bool positive) {
  setting s =
      described(std::move(key), "DURATION", std::move(help),
                positive ? "a duration > 0" : "a duration, 0 allowed", setting_type::string);
  s.apply = [field, positive](const std::string& text, serve_options& out) {
    auto d = model::parse_duration(text);
    if (!d || (positive && d->count() == 0))
      throw invalid_setting{positive ? std::string{duration_expected} + ", greater than 0"
                                     : std::string{duration_expected}};
    out.*field = *d;
  };
  s.text = [field](const serve_options& o) { return model::format_duration(o.*field); };
  return s;
}

template <typename T>
setting integer_setting(std::string key, std::string help, T serve_options::*field, uint64_t min,
                        uint64_t max) {
  setting s = described(std::move(key), "N", std::move(help),
                        std::to_string(min) + " … " + std::to_string(max), setting_type::integer);
  s.apply = [field, min, max](const std::string& text, serve_options& out) {
    const auto n = model::parse_uint(text, max);
    if (!n || *n < min)
      throw invalid_setting{"an integer from " + std::to_string(min) + " to " +
                            std::to_string(max)};
    out.*field = static_cast<T>(*n);
  };
  s.text = [field](const serve_options& o) { return std::to_string(o.*field); };
  return s;
}

setting text_setting(std::string key, std::string help, std::string serve_options::*field) {
  setting s = described(std::move(key), "TEXT", std::move(help), "text", setting_type::string);
  s.apply = [field](const std::string& text, serve_options& out) {
    if (text.find('\0') != std::string::npos) throw invalid_setting{"text without NUL bytes"};
    out.*field = text;
  };
  s.text = [field](const serve_options& o) { return o.*field; };
  return s;
}

setting file_setting(std::string key, std::string help, std::string serve_options::*field) {
  setting s = text_setting(std::move(key), std::move(help), field);
  s.type_name = "FILE";
  s.accepts = "a path";
  return s;
}

setting listen_setting() {
  setting s = described("listen", "HOST:PORT", "Address to listen on, HOST:PORT",
                        "HOST:PORT, port 0 … 65535", setting_type::string);
  s.apply = [](const std::string& text, serve_options& out) {
    const invalid_setting bad{"HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)"};
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) throw bad;
    const auto port = model::parse_uint(std::string_view{text}.substr(colon + 1), 65535);
    if (!port) throw bad;
    out.host = text.substr(0, colon);
    out.port = static_cast<uint16_t>(*port);
  };
  s.text = [](const serve_options& o) { return o.host + ":" + std::to_string(o.port); };
  return s;
}

/// A true/false setting kept where `field(options)` says (for const and mutable options).
template <typename Field>
setting boolean_setting(std::string key, std::string help, Field field) {
  setting s =
      described(std::move(key), "", std::move(help), "true or false", setting_type::boolean);
  s.apply = [field](const std::string& text, serve_options& out) {
    if (text == "true" || text == "1")
      field(out) = true;
    else if (text == "false" || text == "0")
      field(out) = false;
    else
      throw invalid_setting{"true or false"};
  };
  s.text = [field](const serve_options& o) { return std::string{field(o) ? "true" : "false"}; };
  return s;
}

setting bool_setting(std::string key, std::string help, bool serve_options::*field) {
  return boolean_setting(
      std::move(key), std::move(help), [field](auto& o) -> auto& { return o.*field; });
}

/// Whether one probe stays open to everyone when tokens are configured.
setting open_setting(std::string key, std::string help, bool http::open_routes::*field) {
  return boolean_setting(
      std::move(key), std::move(help), [field](auto& o) -> auto& { return o.auth_open.*field; });
}

/// One of a few words: `choices` (for --help and errors) are "a|b|c".
setting choice_setting(std::string key, std::string help, std::string choices,
                       std::function<bool(const std::string&, serve_options&)> set,
                       std::function<std::string(const serve_options&)> get) {
  std::string accepts = "one of ";
  for (const char c : choices) accepts += c == '|' ? std::string{", "} : std::string{c};
  setting s =
      described(std::move(key), choices, std::move(help), std::move(accepts), setting_type::string);
  s.apply = [set = std::move(set), choices](const std::string& text, serve_options& out) {
    if (!set(text, out)) throw invalid_setting{"one of " + choices};
  };
  s.text = std::move(get);
  return s;
}

/// The shared log: accepted on the command line (the issue of a cluster's operator is where the
/// database is, not the password), but never shown with its password.
setting store_setting() {
  setting s = described(
      "store", "URL",
      "A shared PostgreSQL event log (postgresql://user@host/db or a keyword conninfo): this "
      "node joins a cluster on it. Prefer VIGIL_STORE or the config file when it holds a "
      "password; it is never printed or logged. Exclusive with data_dir",
      "a postgresql:// URL or a keyword conninfo", setting_type::string);
  s.apply = [](const std::string& text, serve_options& out) {
    const bool url = text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
    const bool keywords = text.find('=') != std::string::npos;
    if (!text.empty() && ((!url && !keywords) || text.find('\0') != std::string::npos))
      throw invalid_setting{"a postgresql:// URL or a conninfo such as 'host=db dbname=vigil'"};
    out.store = text;
  };
  s.text = [](const serve_options& o) { return store::pg::redact(o.store); };
  return s;
}

setting auth_token_setting() {
  setting s = described(
      "auth_token", "TOKEN",
      "A bearer token that clients must send (Authorization: Bearer TOKEN). Not accepted as a "
      "flag: set VIGIL_AUTH_TOKEN, the config file, or auth_token_file",
      "a bearer token: letters, digits, -._~+/ and a trailing =", setting_type::string);
  s.secret = true;
  s.apply = [](const std::string& text, serve_options& out) {
    if (!text.empty() && !http::is_valid_token(text))
      throw invalid_setting{"a bearer token: letters, digits, -._~+/ and a trailing ="};
    out.auth_token = text;
  };
  s.text = [](const serve_options& o) { return o.auth_token; };
  return s;
}

std::vector<setting> make_settings() {
  using so = serve_options;
  std::vector<setting> all = {
      listen_setting(),
      duration_setting("tick_interval",
                       "Scheduling cycle period; also the heartbeat (ms, s, m units)",
                       &so::tick_interval, true),
      duration_setting("cycle_deadline",
                       "How late a heartbeat may be before /health fails, beyond one tick",
                       &so::cycle_deadline, false),
      duration_setting("health_deadline",
                       "A health probe answers 503 by then if the health actor is silent",
                       &so::health_deadline, true),
      duration_setting("command_deadline",
                       "A command answers 503 by then if the scheduler is silent",
                       &so::command_deadline, true),
      duration_setting("drain_timeout",
                       "On SIGTERM/SIGINT, how long to wait for the scheduler to drain",
                       &so::drain_timeout, false),
      duration_setting("job_shutdown_grace",
                       "On SIGTERM, how long running jobs may finish before they are stopped "
                       "(TERM, then KILL after each job's kill_grace); a second SIGTERM stops "
                       "them at once",
                       &so::job_shutdown_grace, false),
      integer_setting("max_running_jobs",
                      "Job processes running at once; further runs wait in order",
                      &so::max_running_jobs, 1, 100000),
      choice_setting(
          "orphans",
          "At start-up, a run the previous daemon left whose processes still live: wait for "
          "it to end, or kill it (TERM, KILL after the job's kill_grace); it stays active until "
          "then. A job's own `orphans` field wins",
          "wait|kill",
          [](const std::string& text, so& o) {
            const auto p = model::parse_orphan_policy(text);
            if (p) o.orphans = *p;
            return p.has_value();
          },
          [](const so& o) { return std::string{model::to_string(o.orphans)}; }),
      integer_setting("retain_runs",
                      "Finished runs (with their output) kept per job; older ones are compacted "
                      "by a runs_compacted event",
                      &so::retain_runs, 0, 1000000),
      duration_setting("retain_for",
                       "Finished runs older than this are compacted (0s: no age limit)",
                       &so::retain_for, false),
      integer_setting("retain_decisions", "Decision records kept per job", &so::retain_decisions, 1,
                      1000000),
      duration_setting("startup_grace", "How long 'starting' is a warning before it is a failure",
                       &so::startup_grace, false),
      integer_setting("max_failed_cycles", "Consecutive failed cycles that turn /health to fail",
                      &so::max_consecutive_failures, 1, 1000000),
      text_setting("data_dir",
                   "Directory of the durable event log (created 0700, locked). Without it the "
                   "log lives in memory and nothing survives a restart",
                   &so::data_dir),
      store_setting(),
      duration_setting("lease_ttl",
                       "Cluster only: how long the leader's lease lasts unrenewed. A follower "
                       "takes over after one TTL of silence (failover about 1.5 TTL); a database "
                       "stall longer than the TTL deposes a healthy leader",
                       &so::lease_ttl, true),
      text_setting("advertise_url",
                   "Cluster only: the URL other nodes and clients reach this node at (default "
                   "http://<listen host>:<port>)",
                   &so::advertise_url),
      integer_setting("checkpoint_every",
                      "Checkpoint the state after this many events (0: never by count)",
                      &so::checkpoint_every, 0, uint64_t{1} << 40),
      duration_setting("checkpoint_interval",
                       "Checkpoint when this long has passed with new events (0s: never by time)",
                       &so::checkpoint_interval, false),
      text_setting("node", "Node name reported in snapshots (default: hostname)", &so::node),
      integer_setting("http_threads", "Threads serving HTTP", &so::http_threads, 1, 64),
      integer_setting("workers", "Actor worker threads", &so::workers, 1, 64),
      integer_setting("max_body", "Largest accepted request body, bytes", &so::max_body_bytes, 1,
                      uint64_t{64} << 20),
      integer_setting("max_connections", "Concurrent HTTP connections", &so::max_connections, 1,
                      uint64_t{1} << 20),
      integer_setting("max_streams",
                      "Concurrent stream clients; beyond it a stream gets 503 with Retry-After",
                      &so::max_streams, 1, uint64_t{1} << 20),
      duration_setting("stream_heartbeat",
                       "How often streams get a heartbeat event with the verdict",
                       &so::stream_heartbeat, true),
      duration_setting("write_timeout",
                       "A response or stream write that cannot complete by then closes the "
                       "connection",
                       &so::write_timeout, true),
      duration_setting("idle_timeout",
                       "A kept-alive HTTP connection with no new request for this long is closed",
                       &so::idle_timeout, true),
      integer_setting("max_header",
                      "Longest request target and header value, bytes (at most 100 header "
                      "fields); over it the connection is closed",
                      &so::max_header_bytes, 256, 1 << 20),
      integer_setting("max_event_lag",
                      "An event stream further behind the log than this many events is closed "
                      "with a reason (it resumes by id)",
                      &so::max_event_lag, 1, uint64_t{1} << 40),
      integer_setting("metrics_per_job_limit",
                      "/metrics exports per-job series while at most this many jobs exist; "
                      "beyond it none (vigil_job_metrics_enabled 0). 0: never",
                      &so::metrics_per_job_limit, 0, 1000000),
      bool_setting("test_hooks",
                   "Enable POST /v1/debug/stall for fault-injection tests. Never in production",
                   &so::test_hooks),
      choice_setting(
          "log_format", "Log lines on stderr: text for a human, or json (one object per line)",
          "text|json",
          [](const std::string& text, so& o) {
            const auto f = parse_log_format(text);
            if (f) o.log.format = *f;
            return f.has_value();
          },
          [](const so& o) { return std::string{to_string(o.log.format)}; }),
      choice_setting(
          "log_level", "Least severe level logged (debug adds one line per HTTP request)",
          "trace|debug|info|warn|error|off",
          [](const std::string& text, so& o) {
            const auto l = parse_log_level(text);
            if (l) o.log.level = *l;
            return l.has_value();
          },
          [](const so& o) { return std::string{to_string(o.log.level)}; }),
      auth_token_setting(),
      file_setting("auth_token_file",
                   "File of bearer tokens, one per line (# comments); should be mode 0600",
                   &so::auth_token_file),
      choice_setting(
          "show_details",
          "Who sees /health's details: never, when_authorized (everyone when no token is set), "
          "always",
          "never|when_authorized|always",
          [](const std::string& text, so& o) {
            const auto p = http::parse_details_policy(text);
            if (p) o.show_details = *p;
            return p.has_value();
          },
          [](const so& o) { return std::string{http::to_string(o.show_details)}; }),
      open_setting("auth_open_livez", "With tokens, /livez still answers without one",
                   &http::open_routes::livez),
      open_setting("auth_open_readyz", "With tokens, /readyz still answers without one",
                   &http::open_routes::readyz),
      open_setting("auth_open_health",
                   "With tokens, /health still answers without one (details per show_details)",
                   &http::open_routes::health),
      open_setting("auth_open_metrics", "With tokens, /metrics still answers without one",
                   &http::open_routes::metrics),
  };
  for (auto& s : all) {
    s.flag = "--" + s.key;
    for (auto& c : s.flag)
      if (c == '_') c = '-';
  }
  return all;
}

const setting* find_setting(const std::string& key) {
  for (const auto& s : serve_settings())
    if (s.key == key) return &s;
  return nullptr;
}

const char* type_word(setting_type t) {
  switch (t) {
    case setting_type::string:
      return "a string";
    case setting_type::integer:
      return "an integer";
    case setting_type::boolean:
      return "a boolean";
  }
  return "?";
}

std::string node_type_word(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "something else";
  }
}

/// A TOML basic string: "..." with \\, \" and control characters escaped.
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// The setting's value from a TOML node as the text `apply` takes; throws on a wrong type.
std::string node_text(const setting& s, const toml::node& n, const std::string& where) {
  if (s.type == setting_type::string) {
    if (auto v = n.value_exact<std::string>()) return *v;
  } else if (s.type == setting_type::integer) {
    if (auto v = n.value_exact<int64_t>()) return std::to_string(*v);  // < 0: out of range
  } else if (auto v = n.value_exact<bool>()) {
    return *v ? "true" : "false";
  }
  std::string what = type_word(s.type);
  const std::string example = s.text(serve_options{});
  if (s.type == setting_type::string && !example.empty())
    what += " (" + s.type_name + ", e.g. " + toml_string(example) + ")";
  throw config_error{where + ": key '" + s.key + "' must be " + what + ", not " +
                     node_type_word(n)};
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) throw config_error{"config " + path + ": cannot read: " + std::strerror(errno)};
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw config_error{"config " + path + ": cannot read"};
  return content.str();
}

void apply_key(const std::string& name, const toml::node& node, const std::string& where,
               resolved_config& out);

/// A name for the access log: letters, digits, '-', '_', '.'; 1 to 64 of them.
bool valid_token_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

/// One `[[auth.tokens]]` entry: name, scope, and exactly one of file and env.
serve_options::token_source parse_token_entry(const toml::node& node, const std::string& at) {
  const auto* entry = node.as_table();
  if (!entry) throw config_error{at + " must be a table: name, scope, and file or env"};
  serve_options::token_source t;
  auto text = [&](const char* key) -> std::optional<std::string> {
    const auto* n = entry->get(key);
    if (!n) return std::nullopt;
    if (auto v = n->value_exact<std::string>()) return *v;
    throw config_error{at + "." + key + " must be a string, not " + node_type_word(*n)};
  };
  for (const auto& [key, value] : *entry) {
    const std::string k{key.str()};
    if (k != "name" && k != "scope" && k != "file" && k != "env")
      throw config_error{at + ": key '" + k + "' is not a token setting (name, scope, file, env)"};
  }
  const auto name = text("name");
  if (!name) throw config_error{at + ".name is missing"};
  if (!valid_token_name(*name))
    throw config_error{at + ".name: invalid value " + toml_string(*name) +
                       ": expected 1 to 64 letters, digits, '-', '_' or '.'"};
  t.name = *name;
  const auto level = text("scope");
  if (!level) throw config_error{at + ".scope is missing (read or admin)"};
  const auto parsed = http::parse_scope(*level);
  if (!parsed)
    throw config_error{at + ".scope: invalid value " + toml_string(*level) +
                       ": expected one of read|admin"};
  t.level = *parsed;
  t.file = text("file").value_or("");
  t.env = text("env").value_or("");
  if (t.file.empty() == t.env.empty())
    throw config_error{at + ": needs exactly one of file (a token file) and env (a variable name)"};
  return t;
}

/// `[auth]`: `tokens` is the array of named tokens; every other key is the setting "auth_KEY".
void apply_auth_table(const toml::table& auth, const std::string& where, resolved_config& out) {
  for (const auto& [key, node] : auth) {
    const std::string name{key.str()};
    if (name != "tokens") {
      apply_key("auth_" + name, node, where, out);
      continue;
    }
    const auto* entries = node.as_array();
    if (!entries)
      throw config_error{where +
                         ": key 'auth.tokens' must be an array of tables ([[auth.tokens]])"};
    auto& named = out.opts.auth_named_tokens;
    named.clear();
    for (size_t i = 0; i < entries->size(); ++i) {
      const std::string at = where + ": key 'auth.tokens[" + std::to_string(i) + "]'";
      auto t = parse_token_entry(*entries->get(i), at);
      for (const auto& other : named)
        if (other.name == t.name)
          throw config_error{at + ".name: duplicate name " + toml_string(t.name)};
      named.push_back(std::move(t));
    }
  }
}

void apply_file(const std::string& path, resolved_config& out) {
  const std::string where = "config " + path;
  const std::string content = read_file(path);
  toml::table table;
  try {
    table = toml::parse(content, path);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw config_error{where + ": syntax error at line " + std::to_string(at.line) + ", column " +
                       std::to_string(at.column) + ": " + std::string{e.description()}};
  }
  for (const auto& [key, node] : table) {
    if (key.str() == "auth" && node.is_table()) {
      apply_auth_table(*node.as_table(), where, out);
      continue;
    }
    apply_key(std::string{key.str()}, node, where, out);
  }
}

void apply_key(const std::string& name, const toml::node& node, const std::string& where,
               resolved_config& out) {
  const setting* s = find_setting(name);
  if (!s) throw config_error{where + ": key '" + name + "' is not a setting"};
  const std::string text = node_text(*s, node, where);
  try {
    s->apply(text, out.opts);
  } catch (const invalid_setting& e) {
    const std::string written = s->secret                         ? std::string{"(not shown)"}
                                : s->type == setting_type::string ? toml_string(text)
                                                                  : text;
    throw config_error{where + ": key '" + name + "': invalid value " + written + ": expected " +
                       e.expected};
  }
  out.sources[name] = setting_source::file;
}

void apply_env(resolved_config& out, std::vector<std::string>& warnings) {
  for (char** e = environ; e && *e; ++e) {
    const std::string entry{*e};
    if (entry.rfind("VIGIL_", 0) != 0) continue;
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    if (name == "VIGIL_CONFIG") continue;
    std::string key = name.substr(6);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const setting* s = find_setting(key);
    if (!s || env_name(key) != name) {
      // A named token's secret is no setting, but expected here.
      const auto& named = out.opts.auth_named_tokens;
      if (std::any_of(named.begin(), named.end(), [&](const auto& t) { return t.env == name; }))
        continue;
      // Other tools (and vigil's own test knobs) use the VIGIL_ prefix too: say it, go on.
      warnings.push_back("env " + name + " is not a setting; ignored");
      continue;
    }
    const std::string value = entry.substr(eq + 1);
    try {
      s->apply(value, out.opts);
    } catch (const invalid_setting& bad) {
      const std::string written = s->secret ? "(not shown)" : "'" + value + "'";
      throw config_error{"env " + name + ": invalid value " + written + " for " + key +
                         ": expected " + bad.expected};
    }
    out.sources[key] = setting_source::env;
  }
}

/// Where a setting's value came from, as config errors start: "config FILE: key 'k'", ...
std::string origin(const setting& s, setting_source source,
                   const std::optional<std::string>& config_path) {
  switch (source) {
    case setting_source::file:
      return "config " + config_path.value_or("?") + ": key '" + s.key + "'";
    case setting_source::env:
      return "env " + env_name(s.key);
    case setting_source::flag:
      return s.flag;
    case setting_source::default_value:
      break;
  }
  return s.key;
}

/// The secret of one [[auth.tokens]] entry, from its file or its environment variable.
std::string read_named_secret(const serve_options::token_source& t,
                              const std::optional<std::string>& config_path,
                              std::vector<std::string>& warnings) {
  const std::string at = "config " + config_path.value_or("?") + ": token '" + t.name + "'";
  if (!t.env.empty()) {
    const char* value = std::getenv(t.env.c_str());
    if (!value || !*value) throw config_error{at + ": env " + t.env + " is not set or empty"};
    // The value is not quoted: it may be a token with a typo.
    if (!http::is_valid_token(value))
      throw config_error{at + ": env " + t.env +
                         " is not a token (letters, digits, -._~+/ and a trailing =)"};
    return value;
  }
  http::token_file file;
  try {
    file = http::read_token_file(t.file);
  } catch (const http::token_file_error& e) {
    throw config_error{at + ": key 'file': " + e.what};
  }
  if (file.tokens.size() != 1)
    throw config_error{at + ": key 'file': " + t.file + " holds " +
                       std::to_string(file.tokens.size()) +
                       " tokens; a named token's file holds one"};
  if (file.too_open()) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%04o", file.mode);
    warnings.push_back("token '" + t.name + "' file " + t.file +
                       " can be read or changed by group or others (mode " + mode +
                       "): chmod 600 it");
  }
  return file.tokens.front();
}

/// auth_token, then every token of auth_token_file (admin tokens named "default"), then the
/// named tokens, into opts.auth_tokens.
void collect_tokens(resolved_config& out, const std::optional<std::string>& config_path,
                    std::vector<std::string>& warnings) {
  auto& o = out.opts;
  o.auth_tokens.clear();
  auto add_default = [&o](std::string secret) {
    o.auth_tokens.push_back({http::default_token_name, http::scope::admin, std::move(secret)});
  };
  if (!o.auth_token.empty()) add_default(o.auth_token);
  for (const auto& t : o.auth_named_tokens) {
    if (t.name == http::default_token_name && (!o.auth_token.empty() || !o.auth_token_file.empty()))
      throw config_error{"config " + config_path.value_or("?") + ": token '" + t.name +
                         "': the name default is taken by auth_token / auth_token_file"};
    o.auth_tokens.push_back({t.name, t.level, read_named_secret(t, config_path, warnings)});
  }
  if (o.auth_token_file.empty()) return;
  http::token_file file;
  try {
    file = http::read_token_file(o.auth_token_file);
  } catch (const http::token_file_error& e) {
    throw config_error{
        origin(*find_setting("auth_token_file"), out.sources.at("auth_token_file"), config_path) +
        ": " + e.what};
  }
  if (file.too_open()) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%04o", file.mode);
    warnings.push_back("auth_token_file " + o.auth_token_file +
                       " can be read or changed by group or others (mode " + mode +
                       "): chmod 600 it");
  }
  for (auto& t : file.tokens) add_default(std::move(t));
}

std::string default_node() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "vigil";
  return name;
}

}  // namespace

const std::vector<setting>& serve_settings() {
  static const std::vector<setting> all = make_settings();
  return all;
}

std::string env_name(const std::string& key) {
  std::string name = "VIGIL_";
  for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

resolved_config resolve_config(const std::optional<std::string>& config_path,
                               const std::map<std::string, std::string>& flags) {
  resolved_config out;
  std::vector<std::string> warnings;
  for (const auto& s : serve_settings()) out.sources[s.key] = setting_source::default_value;
  if (config_path) apply_file(*config_path, out);
  apply_env(out, warnings);
  for (const auto& s : serve_settings()) {
    auto it = flags.find(s.key);
    if (it == flags.end()) continue;
    if (s.secret)
      throw config_error{s.flag +
                         ": not accepted on the command line, where every local user "
                         "can read it; use " +
                         env_name(s.key) + ", the config file, or auth_token_file"};
    try {
      s.apply(it->second, out.opts);
    } catch (const invalid_setting& bad) {
      throw config_error{s.flag + ": invalid value '" + it->second + "': expected " + bad.expected};
    }
    out.sources[s.key] = setting_source::flag;
  }
  if (out.opts.node.empty()) out.opts.node = default_node();
  if (!out.opts.store.empty() && !out.opts.data_dir.empty())
    throw config_error{"--store and --data-dir: a node keeps its log in one place; choose one"};
  const auto& adv = out.opts.advertise_url;
  if (!adv.empty() && adv.rfind("http://", 0) != 0 && adv.rfind("https://", 0) != 0)
    throw config_error{"--advertise-url: invalid value '" + adv + "': expected an http:// URL"};
  // The log's own settings are known now: what follows is logged in the configured format.
  setup_logging(out.opts.log);
  for (const auto& w : warnings) spdlog::warn(w);
  warnings.clear();
  collect_tokens(out, config_path, warnings);
  for (const auto& w : warnings) spdlog::warn(w);
  return out;
}

std::string render_config(const resolved_config& config) {
  std::string text =
      "# vigil serve: the effective configuration; after each value, where it came from\n";
  for (const auto& s : serve_settings()) {
    std::string value = s.text(config.opts);
    // Printed as a placeholder that is not a valid token, so a copy of this output used as a
    // config file fails loudly instead of running with "<redacted>" as the token.
    if (s.secret && !value.empty()) value = "<redacted>";
    text += s.key + " = " + (s.type == setting_type::string ? toml_string(value) : value);
    switch (config.sources.at(s.key)) {
      case setting_source::default_value:
        text += "  # default\n";
        break;
      case setting_source::file:
        text += "  # file\n";
        break;
      case setting_source::env:
        text += "  # env\n";
        break;
      case setting_source::flag:
        text += "  # flag\n";
        break;
    }
  }
  // Named tokens: where each secret comes from, which is no secret; never the secret itself.
  for (const auto& t : config.opts.auth_named_tokens) {
    text += "\n[[auth.tokens]]  # file\nname = " + toml_string(t.name) +
            "\nscope = " + toml_string(http::to_string(t.level)) + "\n" +
            (t.file.empty() ? "env = " + toml_string(t.env) : "file = " + toml_string(t.file)) +
            "\n";
  }
  return text;
}

}  // namespace vigil::app
