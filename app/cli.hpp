// Command-line parsing: `vigil serve [flags]`, `vigil watch [flags]`, `vigil status [flags]`,
// `vigil jobs ACTION [flags]`, `vigil scheduler pause|resume`, `vigil preview EXPR`,
// `vigil completion bash|zsh`, `vigil migrate --from DIR --to URL`, `--version`, `--help` on every
// level, exit 2 naming any bad flag.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "app/jobs_cli.hpp"
#include "app/migrate.hpp"
#include "app/options.hpp"
#include "app/scheduler_cli.hpp"
#include "app/status.hpp"
#include "app/watch.hpp"

namespace vigil::app {

/// What the command line asks for: a subcommand with its options, or exit now with a code.
struct exit_now {
  int code = 0;
};
using cli_result = std::variant<serve_options, watch_options, status_options, jobs_options,
                                migrate_options, scheduler_options, preview_options, exit_now>;

cli_result parse_cli(int argc, char** argv);

}  // namespace vigil::app
