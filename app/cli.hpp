// Command-line parsing: `vigil serve [flags]`, `vigil watch [flags]`, `vigil --help`, exit 2
// naming any bad flag.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "app/options.hpp"
#include "app/watch.hpp"

namespace vigil::app {

/// What the command line asks for: serve or watch with options, or exit now with a code.
struct exit_now {
  int code = 0;
};
using cli_result = std::variant<serve_options, watch_options, exit_now>;

cli_result parse_cli(int argc, char** argv);

}  // namespace vigil::app
