// The daemon's settings, as the CLI parsed and validated them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/log.hpp"
#include "http/auth.hpp"
#include "http/route_table.hpp"
#include "model/job.hpp"
#include "model/time.hpp"

namespace vigil::app {

struct serve_options {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  model::duration tick_interval = std::chrono::seconds{1};
  model::duration cycle_deadline = std::chrono::seconds{5};
  model::duration health_deadline = std::chrono::seconds{1};
  model::duration command_deadline = std::chrono::seconds{5};
  model::duration drain_timeout = std::chrono::seconds{10};
  model::duration job_shutdown_grace = std::chrono::seconds{30};
  size_t max_running_jobs = 256;
  /// A previous daemon's run still alive at start-up: wait for it, or stop it (jobs may say).
  model::orphan_policy orphans = model::orphan_policy::kill;
  size_t retain_runs = 100;                                 ///< finished runs kept per job
  model::duration retain_for = std::chrono::hours{24 * 7};  ///< finished runs older than this go
  size_t retain_decisions = 200;                            ///< decision records kept per job
  model::duration startup_grace = std::chrono::seconds{30};
  uint32_t max_consecutive_failures = 3;
  std::string data_dir;  ///< empty: the event log lives in memory
  /// A shared PostgreSQL log (conninfo or postgresql:// URL): this node joins a cluster. A
  /// secret (it may hold a password): shown only through store::pg::redact.
  std::string store;
  model::duration lease_ttl = std::chrono::seconds{1};
  std::string advertise_url;  ///< empty: http://<listen host>:<bound port>
  uint64_t checkpoint_every = 1000;
  model::duration checkpoint_interval = std::chrono::seconds{60};
  std::string node;
  size_t http_threads = 1;
  size_t workers = 2;
  size_t max_body_bytes = 64 * 1024;
  size_t max_connections = 1024;
  size_t max_streams = 1024;
  model::duration stream_heartbeat = std::chrono::seconds{15};
  model::duration write_timeout = std::chrono::seconds{10};
  model::duration idle_timeout = std::chrono::seconds{60};
  size_t max_header_bytes = 8 * 1024;
  uint64_t max_event_lag = 100'000;
  uint64_t metrics_per_job_limit = 10'000;  ///< per-job series on /metrics up to this many jobs
  bool test_hooks = false;
  log_options log;
  std::string auth_token;       ///< one bearer token; empty: none. Never printed or logged
  std::string auth_token_file;  ///< a file of bearer tokens, one per line; empty: none
  http::details_policy show_details = http::details_policy::when_authorized;
  /// One `[[auth.tokens]]` entry as the config file gave it; resolve_config reads the secret.
  struct token_source {
    std::string name;
    http::scope level = http::scope::read;
    std::string file;  ///< a token file holding this one token (should be mode 0600)
    std::string env;   ///< or the name of an environment variable holding it
  };
  std::vector<token_source> auth_named_tokens;
  /// The effective tokens, as resolve_config read them: auth_token and auth_token_file's as
  /// admin tokens named http::default_token_name, then the named ones. Any token turns
  /// authentication on.
  std::vector<http::named_token> auth_tokens;
  http::open_routes auth_open;  ///< probes open to everyone even with tokens
};

}  // namespace vigil::app
