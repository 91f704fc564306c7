// vigil's entry point.
#include <variant>

#include "app/cli.hpp"
#include "app/daemon.hpp"

int main(int argc, char** argv) {
  auto parsed = vigil::app::parse_cli(argc, argv);
  if (auto* done = std::get_if<vigil::app::exit_now>(&parsed)) return done->code;
  return vigil::app::run_daemon(std::get<vigil::app::serve_options>(parsed));
}
