// The settings table of docs/operations.md, rendered from the one table of app/config, so that
// the documented flags, variables, keys and defaults are the ones the daemon takes.
#pragma once

#include <string>
#include <vector>

#include "app/config.hpp"

namespace vigil::app {

/// A Markdown table with one row per setting, in `settings` order: flag, environment variable,
/// file key, default, the values it accepts, and its meaning (its --help text, then the notes
/// kept for the documentation in settings_doc.cpp). `vigil serve --print-settings-markdown`
/// prints it; tests/docs_settings.py compares it with docs/operations.md and `make docs` writes
/// it there. Throws std::logic_error when a note names no setting.
std::string settings_markdown(const std::vector<setting>& settings);

}  // namespace vigil::app
