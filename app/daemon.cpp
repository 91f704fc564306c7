// Start-up and shutdown of the daemon.
#include "app/daemon.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <random>

#include "actors/health.hpp"
#include "actors/journal.hpp"
#include "actors/scheduler.hpp"
#include "actors/system.hpp"
#include "http/server.hpp"
#include "store/memory_store.hpp"

namespace vigil::app {
namespace {

std::string random_epoch() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(dist(rd)));
  return buf;
}

bool prepare_data_dir(const std::string& dir) {
  if (dir.empty()) return true;
  if (mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return true;
  std::cerr << "vigil: cannot create --data-dir " << dir << ": " << std::strerror(errno) << "\n";
  return false;
}

}  // namespace

int run_daemon(const serve_options& opts) {
  // Signals are taken by sigwait in this thread only: block them before any thread exists.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (!prepare_data_dir(opts.data_dir)) return 2;

  caf::actor_system_config cfg;
  actors::configure(cfg, opts.workers);
  caf::actor_system sys{cfg};

  const model::identity id{opts.node, random_epoch()};
  model::health_thresholds thresholds;
  thresholds.tick_interval = opts.tick_interval;
  thresholds.cycle_deadline = opts.cycle_deadline;
  thresholds.max_consecutive_failures = opts.max_consecutive_failures;
  thresholds.startup_grace = opts.startup_grace;

  auto health = actors::spawn_health(
      sys, {thresholds, actors::system_mono_clock, actors::system_wall_clock});
  auto journal = actors::spawn_journal(sys, {std::make_shared<store::memory_store>(), id.epoch});
  auto scheduler = actors::spawn_scheduler(
      sys, {id, opts.tick_interval, actors::system_wall_clock, journal, {health}});
  caf::anon_send(health, actors::watch_atom::value, scheduler);
  auto bridge = http::spawn_bridge(sys, {health, scheduler, opts.health_deadline,
                                         opts.command_deadline, actors::system_mono_clock,
                                         actors::system_wall_clock});

  http::server_options web;
  web.host = opts.host;
  web.port = opts.port;
  web.threads = opts.http_threads;
  web.max_body_bytes = opts.max_body_bytes;
  web.max_connections = opts.max_connections;
  web.test_hooks = opts.test_hooks;
  web.node = opts.node;
  http::server server{web, bridge};
  auto stop_actors = [&] {
    for (const auto& a : {caf::actor_cast<caf::actor>(bridge), caf::actor_cast<caf::actor>(scheduler),
                          caf::actor_cast<caf::actor>(health), caf::actor_cast<caf::actor>(journal)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  };
  try {
    const uint16_t port = server.start();
    std::cout << "vigil: node " << id.node << " epoch " << id.epoch << " listening on http://"
              << opts.host << ":" << port << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "vigil: " << e.what() << std::endl;
    stop_actors();
    return 1;
  }

  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "vigil: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", shutting down"
            << std::endl;
  // Readiness flips first, at once; then the scheduler drains (bounded); then the actors
  // holding request handles go, then the server, then everything else.
  caf::anon_send(health, actors::drain_atom::value);
  bool drained = false;
  {
    caf::scoped_actor self{sys};
    self->request(scheduler, caf::duration{opts.drain_timeout}, actors::drain_atom::value)
        .receive([&](caf::ok_atom) { drained = true; },
                 [&](caf::error& err) {
                   std::cerr << "vigil: drain did not finish: " << to_string(err) << std::endl;
                 });
  }
  caf::anon_send_exit(bridge, caf::exit_reason::user_shutdown);
  server.stop();
  stop_actors();
  std::cout << "vigil: stopped" << (drained ? "" : " (drain timed out)") << std::endl;
  return 0;
}

}  // namespace vigil::app
