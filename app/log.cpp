// The "vigil" logger: a stderr sink that writes text or JSON lines, one write per record.
#include "app/log.hpp"

#include "codec/json_writer.hpp"
#include "model/time.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <spdlog/async.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

namespace vigil::app {
namespace {

constexpr char hex[] = "0123456789abcdef";

/// RFC 3339 in UTC with milliseconds: 2026-11-28T04:10:00.123Z (the model's one formatter).
std::string utc_time(std::chrono::system_clock::time_point t) {
  return model::format_rfc3339(std::chrono::time_point_cast<model::duration>(t));
}

/// Text for a terminal: control characters escaped, so one record stays one line.
void append_text(std::string& out, std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += ch;
    }
  }
}

std::string_view level_name(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

spdlog::level::level_enum spdlog_level(log_level l) {
  switch (l) {
    case log_level::trace:
      return spdlog::level::trace;
    case log_level::debug:
      return spdlog::level::debug;
    case log_level::info:
      return spdlog::level::info;
    case log_level::warn:
      return spdlog::level::warn;
    case log_level::error:
      return spdlog::level::err;
    case log_level::off:
      break;
  }
  return spdlog::level::off;
}

/// spdlog's pattern formatter is not used: the record is laid out (and escaped) here, and
/// written with one write(2), so concurrent records never interleave.
class stderr_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit stderr_sink(log_format format) : format_(format) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& m) override {
    const std::string line =
        format_record(format_, m.time, level_name(m.level),
                      std::string_view{m.logger_name.data(), m.logger_name.size()},
                      std::string_view{m.payload.data(), m.payload.size()});
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::write(STDERR_FILENO, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // nowhere to report it
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  void flush_() override {}

 private:
  log_format format_;
};

}  // namespace

std::optional<log_format> parse_log_format(std::string_view text) {
  if (text == "text") return log_format::text;
  if (text == "json") return log_format::json;
  return std::nullopt;
}

std::optional<log_level> parse_log_level(std::string_view text) {
  for (auto l : {log_level::trace, log_level::debug, log_level::info, log_level::warn,
                 log_level::error, log_level::off})
    if (text == to_string(l)) return l;
  return std::nullopt;
}

const char* to_string(log_format f) { return f == log_format::json ? "json" : "text"; }

const char* to_string(log_level l) {
  switch (l) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
    case log_level::off:
      break;
  }
  return "off";
}

std::string format_record(log_format format, std::chrono::system_clock::time_point time,
                          std::string_view level, std::string_view logger, std::string_view msg) {
  std::string out;
  out.reserve(msg.size() + 64);
  if (format == log_format::json) {
    out += "{\"ts\":\"" + utc_time(time) + "\",\"level\":";
    codec::append_quoted(out, level);
    out += ",\"msg\":";
    codec::append_quoted(out, msg);
    out += "}\n";
  } else {
    out += utc_time(time);
    out += ' ';
    out += level;
    out += ' ';
    append_text(out, logger);
    out += ": ";
    append_text(out, msg);
    out += '\n';
  }
  return out;
}

void setup_logging(const log_options& opts) {
  // Records go through a bounded queue to one logging thread: a caller — the scheduler actor
  // logging a job event among them — never waits on stderr (a full pipe, a slow journald).
  // When the queue is full the oldest record is dropped rather than anyone blocking.
  static const bool pool_started = [] {
    // The logging thread takes no signal: SIGTERM and SIGINT are for main's sigwait, and a
    // thread that left them unblocked would let a second SIGTERM kill the daemon outright.
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    spdlog::init_thread_pool(8192, 1);
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    return true;
  }();
  (void)pool_started;
  auto logger = std::make_shared<spdlog::async_logger>(
      "vigil", std::make_shared<stderr_sink>(opts.format), spdlog::thread_pool(),
      spdlog::async_overflow_policy::overrun_oldest);
  logger->set_level(spdlog_level(opts.level));
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace vigil::app
