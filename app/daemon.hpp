// Wiring: actor system, actors, HTTP server, signals, and the shutdown order.
#pragma once

#include "app/options.hpp"

namespace vigil::app {

/// Runs until SIGTERM/SIGINT; returns the process exit code.
int run_daemon(const serve_options& opts);

}  // namespace vigil::app
