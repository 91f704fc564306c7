// vigil's entry point.
#include <iostream>
#include <variant>

#include "app/cli.hpp"
#include "app/daemon.hpp"
#include "app/jobs_cli.hpp"
#include "app/scheduler_cli.hpp"
#include "app/status.hpp"
#include "app/watch.hpp"

int main(int argc, char** argv) {
  auto parsed = vigil::app::parse_cli(argc, argv);
  if (auto* done = std::get_if<vigil::app::exit_now>(&parsed)) return done->code;
  if (auto* watch = std::get_if<vigil::app::watch_options>(&parsed))
    return vigil::app::run_watch(*watch);
  if (auto* status = std::get_if<vigil::app::status_options>(&parsed))
    return vigil::app::run_status(*status, std::cout, std::cerr);
  if (auto* migrate = std::get_if<vigil::app::migrate_options>(&parsed))
    return vigil::app::run_migrate(*migrate, std::cout, std::cerr);
  if (auto* scheduler = std::get_if<vigil::app::scheduler_options>(&parsed))
    return vigil::app::run_scheduler(*scheduler, std::cout, std::cerr);
  if (auto* preview = std::get_if<vigil::app::preview_options>(&parsed))
    return vigil::app::run_preview(*preview, std::cout, std::cerr);
  if (auto* jobs = std::get_if<vigil::app::jobs_options>(&parsed))
    return vigil::app::run_jobs(*jobs, std::cin, std::cout, std::cerr);
  return vigil::app::run_daemon(std::get<vigil::app::serve_options>(parsed));
}
