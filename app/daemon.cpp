// Start-up and shutdown of the daemon.
#include "app/daemon.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>

#include "actors/cluster.hpp"
#include "actors/health.hpp"
#include "actors/hub.hpp"
#include "actors/journal.hpp"
#include "actors/output.hpp"
#include "actors/runner.hpp"
#include "actors/scheduler.hpp"
#include "actors/system.hpp"
#include "app/log.hpp"
#include "exec/containment.hpp"
#include "http/server.hpp"
#include "store/data_dir.hpp"
#include "store/memory_store.hpp"
#include "store/pg.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace vigil::app {
namespace {

std::string random_epoch() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(dist(rd)));
  return buf;
}

/// Every stream is a socket: take the hard limit on open files, not the 1024 soft default.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

/// The event log: a shared PostgreSQL log (a cluster node), SQLite in the locked data
/// directory, or memory when there is neither.
struct event_log {
  std::optional<store::data_dir> dir;
  std::shared_ptr<store::store> backend;
  bool shared = false;
};

event_log open_log(const serve_options& opts) {
  event_log log;
  if (!opts.store.empty()) {
    // No writer yet: this node appends only after it has taken the lease.
    auto pg = std::make_shared<store::pg_store>(opts.store, store::writer_identity{});
    for (const auto& note : pg->recovery_notes()) spdlog::warn(note);
    spdlog::info("event log: shared, on PostgreSQL at {}", store::pg::redact(opts.store));
    log.backend = std::move(pg);
    log.shared = true;
    return log;
  }
  if (opts.data_dir.empty()) {
    spdlog::warn("no --data-dir: the event log lives in memory and nothing survives a restart");
    log.backend = std::make_shared<store::memory_store>();
    return log;
  }
  log.dir = store::data_dir::open(opts.data_dir);
  auto sqlite = std::make_shared<store::sqlite_store>(log.dir->file("events.db"));
  for (const auto& note : sqlite->recovery_notes()) spdlog::warn(note);
  log.backend = std::move(sqlite);
  return log;
}

/// Rebuilds the state from the newest usable checkpoint and the log after it, before anything
/// is served: a log that cannot be read refuses to start.
std::optional<actors::recovered> recover(caf::actor_system& sys,
                                         const actors::journal_actor& journal) {
  caf::scoped_actor self{sys};
  std::optional<actors::recovered> out;
  self->request(journal, caf::infinite, actors::recover_atom::value)
      .receive([&](actors::recovered& r) { out = std::move(r); },
               [&](caf::error& err) { spdlog::error("recovery failed: {}", to_string(err)); });
  if (!out) return std::nullopt;
  for (const auto& note : out->notes) spdlog::warn(note);
  if (!out->ok) {
    spdlog::error(out->error);
    return std::nullopt;
  }
  spdlog::info("recovered log_seq {} (checkpoint at seq {}, {} events replayed)",
               out->state.log_seq, out->checkpoint_seq, out->replayed);
  return out;
}

/// Where run cgroups go, said once: a cgroup per run, or process groups only (and why).
std::string containment_root(const serve_options& opts) {
  // The same data dir finds the same subtree after a crash; a memory log has nothing to find.
  const std::string key =
      !opts.store.empty() ? "cluster-" + opts.node
      : opts.data_dir.empty()
          ? "memory-" + std::to_string(::getpid())
          : std::filesystem::absolute(opts.data_dir).lexically_normal().string();
  auto root = exec::prepare_containment_root(key);
  if (root.path.empty()) {
    spdlog::warn(
        "runs are contained by their process group only ({}): a job process that "
        "calls setsid escapes timeout and cancel",
        root.why);
  } else {
    spdlog::info("runs are contained by a cgroup each, under {}", root.path);
  }
  return root.path;
}

}  // namespace

int run_daemon(const serve_options& opts) {
  // Signals are taken by sigwait in this thread only: block them before any thread exists.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  setup_logging(opts.log);
  raise_open_file_limit();
  event_log log;
  try {
    log = open_log(opts);
  } catch (const std::exception& e) {
    spdlog::error(e.what());
    return 1;
  }

  // Declared before the actor system, so it goes after it: once every run has been stopped,
  // an empty cgroup subtree of this daemon is removed (one a crash leaves is found again).
  struct cgroup_subtree {
    std::string path;
    ~cgroup_subtree() {
      if (!path.empty()) exec::remove_cgroup(path);
    }
  } subtree;
  caf::actor_system_config cfg;
  actors::configure(cfg, opts.workers);
  caf::actor_system sys{cfg};

  const model::identity id{opts.node, random_epoch()};
  model::health_thresholds thresholds;
  thresholds.tick_interval = opts.tick_interval;
  thresholds.cycle_deadline = opts.cycle_deadline;
  thresholds.max_consecutive_failures = opts.max_consecutive_failures;
  thresholds.startup_grace = opts.startup_grace;

  auto health =
      actors::spawn_health(sys, {thresholds, actors::system_mono_clock, actors::system_wall_clock});
  auto journal = actors::spawn_journal(sys, {log.backend, id.epoch});
  // Running runs' output, read while they run; runs not running here are the scheduler's to
  // answer from their records (it is told who the scheduler is once it exists).
  auto output = actors::spawn_output(sys, {actors::system_mono_clock});
  actors::hub_config streams;
  streams.output = output;
  streams.health = health;
  streams.journal = journal;
  streams.max_clients = opts.max_streams;
  streams.heartbeat_interval = opts.stream_heartbeat;
  streams.max_event_lag = opts.max_event_lag;
  streams.mono_clock = actors::system_mono_clock;
  streams.wall_clock = actors::system_wall_clock;
  auto hub = actors::spawn_hub(sys, std::move(streams));
  auto recovered = recover(sys, journal);
  if (!recovered) {
    for (const auto& a : {caf::actor_cast<caf::actor>(health), caf::actor_cast<caf::actor>(journal),
                          caf::actor_cast<caf::actor>(hub), caf::actor_cast<caf::actor>(output)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    return 1;
  }
  // Recovery decodes the checkpoint through a JSON tree of many small allocations; hand the
  // freed memory back now rather than carrying it for the daemon's life.
  malloc_trim(0);
  actors::scheduler_config sched;
  sched.id = id;
  sched.tick_interval = opts.tick_interval;
  sched.wall_clock = actors::system_wall_clock;
  sched.journal = journal;
  sched.sinks = {health, hub};
  sched.initial = std::move(recovered->state);
  sched.checkpoint_every = opts.checkpoint_every;
  sched.checkpoint_interval = opts.checkpoint_interval;
  actors::runner_config runs;
  runs.max_running = opts.max_running_jobs;
  runs.containment_root = subtree.path = containment_root(opts);
  runs.orphans = opts.orphans;
  runs.warn = [](const std::string& line) { spdlog::warn("{}", line); };
  runs.output = output;
  sched.runner = actors::spawn_runner(sys, std::move(runs));
  sched.shutdown_grace = opts.job_shutdown_grace;
  sched.retention.runs_per_job = opts.retain_runs;
  sched.retention.max_age = opts.retain_for;
  sched.retention.decisions_per_job = opts.retain_decisions;
  actors::lease_actor lease;
  actors::tail_actor tail;
  if (log.shared) {
    // The lease's own rounds: TTL as configured, stepping down a tenth of it early, renewing
    // five times per TTL (the defaults of model::lease_timing scale with it).
    actors::lease_config lc;
    lc.conninfo = opts.store;
    lc.node = id.node;
    lc.epoch = id.epoch;
    lc.version = http::build_version();
    lc.timing.ttl = opts.lease_ttl;
    lc.timing.margin = opts.lease_ttl / 10;
    lc.timing.renew_every = opts.lease_ttl / 5;
    lc.mono_clock = actors::system_mono_clock;
    lc.wall_clock = actors::system_wall_clock;
    lease = actors::spawn_lease(sys, std::move(lc));
    tail = actors::spawn_tail(sys, {opts.store, sched.initial.log_seq});
    sched.clustered = true;
    sched.mono_clock = actors::system_mono_clock;
    sched.lease = lease;
    sched.tail = tail;
    sched.lease_ttl = opts.lease_ttl;
  }
  auto runner = sched.runner;
  auto scheduler = actors::spawn_scheduler(sys, std::move(sched));
  caf::anon_send(health, actors::watch_atom::value, scheduler);
  caf::anon_send(output, actors::watch_atom::value, scheduler);
  if (log.shared) {
    caf::anon_send(lease, actors::watch_atom::value, scheduler);
    caf::anon_send(tail, actors::watch_atom::value, scheduler);
  }
  http::bridge_config bc;
  bc.health = health;
  bc.scheduler = scheduler;
  bc.journal = journal;
  bc.hub = hub;
  bc.output = output;
  bc.lease = lease;
  bc.node = opts.node;
  bc.health_deadline = opts.health_deadline;
  bc.command_deadline = opts.command_deadline;
  bc.mono_clock = actors::system_mono_clock;
  bc.wall_clock = actors::system_wall_clock;
  bc.per_job_metrics_limit = opts.metrics_per_job_limit;
  auto bridge = http::spawn_bridge(sys, std::move(bc));

  http::server_options web;
  web.host = opts.host;
  web.port = opts.port;
  web.threads = opts.http_threads;
  web.max_body_bytes = opts.max_body_bytes;
  web.max_connections = opts.max_connections;
  web.test_hooks = opts.test_hooks;
  web.write_timeout = opts.write_timeout;
  web.idle_timeout = opts.idle_timeout;
  web.max_header_bytes = opts.max_header_bytes;
  web.stream_heartbeat = opts.stream_heartbeat;
  web.node = opts.node;
  web.tokens = http::token_set{opts.auth_tokens};
  web.show_details = opts.show_details;
  web.open = opts.auth_open;
  http::server server{web, bridge, hub};
  auto stop_actors = [&] {
    for (const auto& a :
         {caf::actor_cast<caf::actor>(bridge), caf::actor_cast<caf::actor>(scheduler),
          caf::actor_cast<caf::actor>(runner), caf::actor_cast<caf::actor>(health),
          caf::actor_cast<caf::actor>(journal), caf::actor_cast<caf::actor>(hub),
          caf::actor_cast<caf::actor>(output), caf::actor_cast<caf::actor>(lease),
          caf::actor_cast<caf::actor>(tail)})
      if (a) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  };
  try {
    const uint16_t port = server.start();
    spdlog::info("node {} epoch {} listening on http://{}:{}", id.node, id.epoch, opts.host, port);
    if (log.shared) {
      const std::string url = opts.advertise_url.empty()
                                  ? "http://" + opts.host + ":" + std::to_string(port)
                                  : opts.advertise_url;
      spdlog::info("cluster: advertising {} (lease TTL {} ms)", url,
                   std::chrono::duration_cast<std::chrono::milliseconds>(opts.lease_ttl).count());
      caf::anon_send(lease, actors::advertise_atom::value, url);
    }
  } catch (const std::exception& e) {
    spdlog::error(e.what());
    stop_actors();
    return 1;
  }

  int sig = 0;
  sigwait(&signals, &sig);
  // Readiness flips and the scheduler stops taking commands first, before anything else (even
  // the log line): a probe or a command right after the signal already sees the shutdown. Then
  // the scheduler drains (bounded), the actors holding request handles go, then the server,
  // then everything else.
  caf::anon_send(health, actors::drain_atom::value);
  if (lease) caf::anon_send(lease, actors::drain_atom::value);  // no new term from this node
  bool drained = false;
  {
    caf::scoped_actor self{sys};
    auto draining =
        self->request(scheduler, caf::duration{opts.drain_timeout + opts.job_shutdown_grace},
                      actors::drain_atom::value);  // sent now; the answer is awaited below
    spdlog::info("{}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    // Running jobs get the grace to finish; a second SIGTERM (or SIGINT) stops them now.
    std::atomic<bool> done{false};
    std::thread hurry([&] {
      const timespec poll{0, 100 * 1000 * 1000};
      while (!done.load()) {
        if (sigtimedwait(&signals, nullptr, &poll) > 0) {
          spdlog::info("second signal: stopping running jobs now");
          caf::anon_send(scheduler, actors::hurry_atom::value);
        }
      }
    });
    std::move(draining).receive(
        [&](caf::ok_atom) { drained = true; },
        [&](caf::error& err) { spdlog::warn("drain did not finish: {}", to_string(err)); });
    done = true;
    hurry.join();
  }
  {
    // Every stream gets a final "shutting down" event before the server stops (bounded: a
    // stalled client is cut off by the write timeout anyway).
    caf::scoped_actor self{sys};
    self->request(hub, caf::duration{opts.write_timeout + std::chrono::seconds{1}},
                  actors::drain_atom::value)
        .receive(
            [](caf::ok_atom) {},
            [](caf::error& err) { spdlog::warn("streams did not all close: {}", to_string(err)); });
  }
  caf::anon_send_exit(bridge, caf::exit_reason::user_shutdown);
  server.stop();
  stop_actors();
  spdlog::info("stopped{}", drained ? "" : " (drain timed out)");
  return 0;
}

}  // namespace vigil::app
