// `vigil serve` settings from three sources: a TOML file < VIGIL_* environment variables < flags.
// One table holds every setting once (its key, flag, parser/validator, where it lands in
// serve_options), so all three sources are checked by the same code.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/options.hpp"

namespace vigil::app {

/// The TOML type a setting has in the file; env and flag values are text in every case.
enum class setting_type { string, integer, boolean };

struct setting {
  std::string key;        ///< TOML key, snake_case: "tick_interval"
  std::string flag;       ///< "--tick-interval"
  std::string type_name;  ///< for --help: DURATION, N, ...
  std::string help;
  /// The values `apply` takes, in a few words ("1 … 64", "> 0"), for the settings table in
  /// docs/operations.md (settings_markdown); the error text says the same at length.
  std::string accepts;
  setting_type type = setting_type::string;
  /// A secret (a token): its value is never printed, in --print-config or in an error, and it
  /// is refused as a flag, where every local user could read it (ps, /proc/PID/cmdline).
  bool secret = false;
  /// Parses and validates `text`, storing it in `out`; throws invalid_setting on a bad value.
  std::function<void(const std::string& text, serve_options& out)> apply;
  /// The value in `opts`, as text (unquoted), in the form `apply` accepts.
  std::function<std::string(const serve_options& opts)> text;
};

/// A value `apply` refused: what was expected instead.
struct invalid_setting {
  std::string expected;
};

/// Every `vigil serve` setting, in --help and --print-config order.
const std::vector<setting>& serve_settings();

/// "VIGIL_" + the key in upper case.
std::string env_name(const std::string& key);

enum class setting_source { default_value, file, env, flag };

/// The effective settings and where each came from (by key).
struct resolved_config {
  serve_options opts;
  std::map<std::string, setting_source> sources;
};

/// A start-up configuration error; `message` is the whole line without "vigil: ".
struct config_error {
  std::string message;
};

/// Applies defaults, then the TOML file at `config_path` (if any), then every VIGIL_* variable
/// of the environment (VIGIL_CONFIG aside), then `flags` (key -> text as given on the command
/// line); then reads auth_token_file into opts.auth_tokens. Throws config_error naming the
/// source and the key. Sets up the log (setup_logging) as soon as its settings are known, and
/// logs what it warns about (an unknown VIGIL_* variable, a token file others can read).
resolved_config resolve_config(const std::optional<std::string>& config_path,
                               const std::map<std::string, std::string>& flags);

/// The effective configuration as TOML, each line ending in `# default|file|env|flag`.
std::string render_config(const resolved_config& config);

}  // namespace vigil::app
