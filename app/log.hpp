// The daemon's log: spdlog's default logger ("vigil"), one line per record on stderr, for a
// human (text) or as JSON lines. Code above model/ logs with spdlog::info(...) and friends.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::app {

/// `text`: `2026-11-28T04:10:00.123Z info vigil: message`; `json`: one object per line,
/// `{"ts":"2026-11-28T04:10:00.123Z","level":"info","msg":"message"}`.
enum class log_format { text, json };

/// Least severe level written; `off` writes nothing.
enum class log_level { trace, debug, info, warn, error, off };

struct log_options {
  log_format format = log_format::text;
  log_level level = log_level::info;
};

std::optional<log_format> parse_log_format(std::string_view text);
std::optional<log_level> parse_log_level(std::string_view text);
const char* to_string(log_format f);
/// "trace", "debug", "info", "warn", "error", "off".
const char* to_string(log_level l);

/// Makes spdlog's default logger the "vigil" logger writing to stderr with these options.
/// May be called again (the latest call wins); call it before starting other threads.
void setup_logging(const log_options& opts);

/// One record as it is written, newline included. In text, control characters in `msg` are
/// escaped (`\n`, `\x1b`), so a record is always one line; in JSON, `msg` is a correctly
/// escaped string, and bytes that are not UTF-8 become U+FFFD.
std::string format_record(log_format format, std::chrono::system_clock::time_point time,
                          std::string_view level, std::string_view logger, std::string_view msg);

}  // namespace vigil::app
