// fork/exec of the vigil binary, a reader thread for its output, pidfd for its exit.
#include "tests/support/daemon_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace vigil::test {
namespace {

pid_t spawn(const std::vector<std::string>& args, int& out_fd) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<char*> argv;
  static std::string binary = VIGIL_BINARY;
  argv.push_back(binary.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(pipe_fds[1]);
  out_fd = pipe_fds[0];
  return pid;
}

/// The port from "listening on http://127.0.0.1:PORT", or 0 when the line is not there yet.
uint16_t listening_port(const std::string& output) {
  const std::string marker = "listening on http://127.0.0.1:";
  const size_t at = output.find(marker);
  if (at == std::string::npos) return 0;
  size_t pos = at + marker.size();
  unsigned port = 0;
  while (pos < output.size() && output[pos] >= '0' && output[pos] <= '9')
    port = port * 10 + static_cast<unsigned>(output[pos++] - '0');
  if (pos == output.size() || port == 0 || port > 65535) return 0;  // line not complete yet
  return static_cast<uint16_t>(port);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

vigil_process::vigil_process(const std::vector<std::string>& args) {
  int fd = -1;
  pid_ = spawn(args, fd);
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  reader_ = std::thread([this, fd] { drain_output(fd); });
}

vigil_process::~vigil_process() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds{10});
  }
  if (reader_.joinable()) reader_.join();
  if (pidfd_ >= 0) ::close(pidfd_);
}

void vigil_process::signal(int sig) const { ::kill(pid_, sig); }

std::optional<int> vigil_process::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  pollfd p{pidfd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
  exit_code_ = decode_status(status);
  // Everything it printed is read before its exit is reported.
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait_for(lock, std::chrono::seconds{5}, [&] { return output_closed_; });
  return exit_code_;
}

void vigil_process::drain_output(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    std::lock_guard<std::mutex> guard{mutex_};
    output_.append(buf, static_cast<size_t>(n));
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard<std::mutex> guard{mutex_};
  output_closed_ = true;
  changed_.notify_all();
}

std::string vigil_process::output() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return output_;
}

bool vigil_process::wait_until(const std::function<bool(const std::string&)>& pred,
                               std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait_for(lock, timeout, [&] { return pred(output_) || output_closed_; });
  return pred(output_);
}

bool vigil_process::wait_for_output(const std::string& text,
                                    std::chrono::milliseconds timeout) const {
  return wait_until([&](const std::string& out) { return out.find(text) != std::string::npos; },
                    timeout);
}

namespace {

std::vector<std::string> serve_args(std::vector<std::string> args, const std::string& listen) {
  args.insert(args.begin(), {"serve", "--listen", listen});
  return args;
}

}  // namespace

daemon_process::daemon_process(std::vector<std::string> args, const std::string& listen)
    : vigil_process(serve_args(std::move(args), listen)) {
  uint16_t port = 0;
  const bool found =
      wait_until([&](const std::string& out) { return (port = listening_port(out)) != 0; },
                 std::chrono::seconds{20});
  if (!found) {
    signal(SIGKILL);
    wait_exit(std::chrono::seconds{10});
    throw std::runtime_error("vigil did not start listening; output:\n" + output());
  }
  port_ = port;
}

run_result run_vigil(const std::vector<std::string>& args) {
  int fd = -1;
  const pid_t pid = spawn(args, fd);
  run_result r;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20000) <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    r.output.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = decode_status(status);
  return r;
}

long rss_kib(pid_t pid) {
  std::ifstream f{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace vigil::test
