// vigil's entry point.
#include <variant>

#include "app/cli.hpp"
#include "app/daemon.hpp"
#include "app/watch.hpp"

int main(int argc, char** argv) {
  auto parsed = vigil::app::parse_cli(argc, argv);
  if (auto* done = std::get_if<vigil::app::exit_now>(&parsed)) return done->code;
  if (auto* watch = std::get_if<vigil::app::watch_options>(&parsed))
    return vigil::app::run_watch(*watch);
  return vigil::app::run_daemon(std::get<vigil::app::serve_options>(parsed));
}
