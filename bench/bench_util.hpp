// Small helpers shared by the benchmark programs: formatting, what machine this is, and the
// daemon under test.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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

/// Wall-clock milliseconds since the epoch (what `date +%s%3N` prints).
inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The value-at-rank percentile of a sorted sample (NAN when empty): p = 0.99 is the smallest
/// value with at least 99% of the sample at or below it.
inline double percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return NAN;
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)]);
}

/// "2026-11-28T02:21:19.764Z" -> ms since the epoch; -1 when malformed.
inline int64_t parse_rfc3339_ms(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  if (s.size() != 24 ||
      std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
}

/// A fresh directory `parent`/`prefix`.XXXXXX (`parent` empty: $TMPDIR, or /tmp when that is
/// unset or empty), removed with everything in it at the end.
struct scratch_dir {
  std::string parent;  ///< where it is
  std::string path;
  scratch_dir(const std::string& in, const std::string& prefix) {
    const char* env = std::getenv("TMPDIR");
    parent = !in.empty() ? in : env && *env ? env : "/tmp";
    std::string name = parent + "/" + prefix + ".XXXXXX";
    if (!::mkdtemp(name.data())) throw std::runtime_error("mkdtemp failed for " + name);
    path = name;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

/// A `key:` line of /proc/<pid>/status in KiB (e.g. "VmRSS:"); -1 when absent.
inline long status_kib(pid_t pid, const char* key) {
  std::ifstream f{"/proc/" + std::to_string(pid) + "/status"};
  const size_t n = std::strlen(key);
  for (std::string line; std::getline(f, line);)
    if (line.compare(0, n, key) == 0) return std::stol(line.substr(n));
  return -1;
}
inline long rss_kib(pid_t pid) { return status_kib(pid, "VmRSS:"); }
inline long hwm_kib(pid_t pid) { return status_kib(pid, "VmHWM:"); }

/// utime + stime of a process (all its threads, not its children), in seconds.
inline double cpu_seconds(pid_t pid) {
  std::ifstream f{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  unsigned long long ut = 0, st = 0;
  // after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  if (std::sscanf(text.c_str() + close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                  &ut, &st) != 2)
    return 0;
  return static_cast<double>(ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// Per-thread CPU seconds of a process, summed by thread name.
inline std::map<std::string, double> thread_cpu(pid_t pid) {
  std::map<std::string, double> out;
  std::error_code ec;
  for (const auto& t :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream f{t.path() / "stat"};
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const size_t open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    unsigned long long ut = 0, st = 0;
    if (std::sscanf(text.c_str() + close + 2,
                    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
      continue;
    out[text.substr(open + 1, close - open - 1)] +=
        static_cast<double>(ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  return out;
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

/// 1,000 clients of three descriptors each (the socket, and the wake-up pair of the libcurl
/// multi handle each has): takes the hard limit on open files (the daemon raises its own), and
/// throws when even that is too low for `clients` (`what` names them in the message).
inline void raise_open_file_limit(size_t clients, const char* what) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < 3 * clients + 64)
    throw std::runtime_error(format("open-file limit %llu is too low for %zu %s",
                                    static_cast<unsigned long long>(limit.rlim_cur), clients,
                                    what));
}

/// What a report says of when its run started, taken at construction: the date line, the
/// report file's time stamp and the load average before.
struct run_start {
  std::string started = utc_now("%Y-%m-%d %H:%M:%S UTC");
  std::string stamp = utc_now("%Y%m%dT%H%M%SZ");
  std::string load_before = first_line_of_command("cut -d' ' -f1-3 /proc/loadavg");
};

/// The header every bench report starts with: title, the shared-VM note, date and load, the
/// machine, the git revision of `repo` and the command that ran.
inline std::string report_header(const std::string& title, const std::string& note,
                                 const std::string& started, const std::string& load_before,
                                 const std::string& repo, const std::string& command) {
  utsname u{};
  ::uname(&u);
  char line[512];
  std::string out = "# " + title + "\n\n> " + note + "\n\n";
  std::snprintf(line, sizeof line, "- date: %s; load average before: %s, after: %s\n",
                started.c_str(), load_before.c_str(),
                first_line_of_command("cut -d' ' -f1-3 /proc/loadavg").c_str());
  out += line;
  std::snprintf(line, sizeof line, "- machine: nproc %ld (%s), kernel %s %s %s\n",
                ::sysconf(_SC_NPROCESSORS_ONLN), cpu_model().c_str(), u.sysname, u.release,
                u.machine);
  out += line;
  out += "- vigil git " + git_revision(repo) + "\n";
  out += "- command: `" + command + "`\n\n";
  return out;
}

/// Appends the failures (if any), prints the report, and writes it to `dir`/`file` unless `dir`
/// is "-". The exit code: 0 when nothing failed. `progress` reports where it went.
template <class Progress>
int finish_report(std::string out, const std::vector<std::string>& failures, const std::string& dir,
                  const std::string& file, Progress progress) {
  if (!failures.empty()) {
    out += "**Harness / correctness failures**\n\n";
    for (const auto& f : failures) out += "- " + f + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (dir != "-") {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string path = dir + "/" + file;
    std::ofstream f{path};
    f << out;
    progress(f ? "report written to " + path : "cannot write " + path);
  }
  return failures.empty() ? 0 : 1;
}

/// What a bench run reports: a table's rows ("| a | b |"), the details after it, the failures.
struct bench_report {
  std::vector<std::string> rows;
  std::string details;
  std::vector<std::string> failures;

  /// A table row of these cells.
  void add_row(std::initializer_list<std::string> cells) {
    std::string r = "|";
    for (const auto& c : cells) r += " " + c + " |";
    rows.push_back(std::move(r));
  }

  /// The whole report: report_header (the git revision of the checkout bench/results is in),
  /// the table under `columns` (its header row and separator line), the details and the
  /// failures; printed and written as `dir`/`prefix`-<stamp>.md (see finish_report).
  template <class Progress>
  int publish(const std::string& title, const std::string& note, const run_start& begun,
              const std::string& command, const std::string& columns, const std::string& dir,
              const std::string& prefix, Progress progress) const {
    std::string out = report_header(
        title, note, begun.started, begun.load_before,
        std::filesystem::path{VIGIL_BENCH_RESULTS_DIR}.parent_path().parent_path().string(),
        command);
    out += columns;
    for (const auto& r : rows) out += r + "\n";
    out += "\n" + details;
    return finish_report(std::move(out), failures, dir, prefix + "-" + begun.stamp + ".md",
                         progress);
  }
};

/// The daemon: `vigil serve --listen 127.0.0.1:0 <args>`, its port read from its output, whose
/// last 64 KiB are kept (a reader thread drains the pipe so that the daemon never blocks on it).
/// It dies with the bench (PR_SET_PDEATHSIG); the destructor SIGKILLs it unless stop() ran.
class daemon_under_test {
 public:
  daemon_under_test(const std::string& binary, std::vector<std::string> args) {
    using clock = std::chrono::steady_clock;
    args.insert(args.begin(), {binary, "serve", "--listen", "127.0.0.1:0"});
    for (const auto& a : args) command_ += (command_.empty() ? "" : " ") + a;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the bench
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
    const std::string marker = "listening on http://127.0.0.1:";
    const auto until = clock::now() + std::chrono::seconds(20);
    while (port_ == 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        throw std::runtime_error("vigil did not start listening within 20 s:\n" + output_);
      char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("vigil exited before listening:\n" + output_);
      output_.append(buf, static_cast<size_t>(n));
      const size_t at = output_.find(marker);
      if (at != std::string::npos) {
        const size_t end = output_.find_first_not_of("0123456789", at + marker.size());
        if (end != std::string::npos)
          port_ = static_cast<uint16_t>(std::stoul(output_.substr(at + marker.size())));
      }
    }
    reader_ = std::thread([this] {
      char buf[4096];
      for (;;) {
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n <= 0) break;
        std::lock_guard<std::mutex> guard{mutex_};
        output_.append(buf, static_cast<size_t>(n));
        lines_ += static_cast<uint64_t>(std::count(buf, buf + n, '\n'));
        if (output_.size() > 128 * 1024) output_.erase(0, output_.size() - 64 * 1024);
      }
    });
  }
  ~daemon_under_test() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  daemon_under_test(const daemon_under_test&) = delete;
  daemon_under_test& operator=(const daemon_under_test&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& command() const { return command_; }
  bool running() const { return exit_code_ < 0; }
  /// The last `bytes` of its output (at most the last 64 KiB are kept).
  std::string output_tail(size_t bytes) {
    std::lock_guard<std::mutex> guard{mutex_};
    return output_.size() <= bytes ? output_ : output_.substr(output_.size() - bytes);
  }
  /// The lines it printed after it started listening.
  uint64_t output_lines() {
    std::lock_guard<std::mutex> guard{mutex_};
    return lines_;
  }

  /// SIGTERM, then its exit code (SIGKILL and -1 when it does not exit within `limit`).
  int stop(std::chrono::seconds limit = std::chrono::seconds(20)) {
    using clock = std::chrono::steady_clock;
    ::kill(pid_, SIGTERM);
    const auto until = clock::now() + limit;
    int status = 0;
    while (clock::now() < until) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      // polling a child's exit, not standing in for a sync
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    exit_code_ = 137;
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  uint16_t port_ = 0;
  int exit_code_ = -1;
  uint64_t lines_ = 0;
  std::string command_;
  std::thread reader_;
  std::mutex mutex_;
  std::string output_;
};

/// A bench's main(): parses its options (`parse` exits 2 on bad ones), then runs it with its
/// command line for the report; an exception is printed as `name: what` and exits 1.
template <class Options>
int bench_main(const char* name, int argc, char** argv, Options (*parse)(int, char**),
               int (*run)(const Options&, const std::string&)) {
  const Options o = parse(argc, argv);
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  try {
    return run(o, command);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace vigil::bench
