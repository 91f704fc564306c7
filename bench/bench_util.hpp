// Small helpers shared by the benchmark programs: formatting and what machine this is.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>

namespace vigil::bench {

/// printf into a std::string.
__attribute__((format(printf, 1, 2))) inline std::string format(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return {};
  if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
  std::string out(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(out.data(), out.size(), fmt, ap);
  va_end(ap);
  out.resize(static_cast<size_t>(n));
  return out;
}

/// The current UTC time through strftime.
inline std::string utc_now(const char* fmt) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

/// The first line a shell command prints (e.g. `uname -sr`), without its newline.
inline std::string first_line_of_command(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[512];
    if (std::fgets(buf, sizeof buf, p)) out = buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

/// The checkout's revision, e.g. "90c06a3" or "90c06a3 (working tree modified)"; "unknown"
/// outside a git checkout. `repo` is the checkout's root.
inline std::string git_revision(const std::string& repo) {
  const std::string rev =
      first_line_of_command("git -C '" + repo + "' rev-parse --short HEAD 2>/dev/null");
  if (rev.empty()) return "unknown";
  const std::string dirty = first_line_of_command(
      "git -C '" + repo + "' status --porcelain --untracked-files=no 2>/dev/null | head -n1");
  return dirty.empty() ? rev : rev + " (working tree modified)";
}

/// The CPU's model name from /proc/cpuinfo.
inline std::string cpu_model() {
  std::ifstream in{"/proc/cpuinfo"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

}  // namespace vigil::bench
