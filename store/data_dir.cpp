// The data directory and its lock: flock on vigil.lock, the holder's pid written inside.
#include "store/data_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "store/store.hpp"

namespace vigil::store {
namespace {

constexpr const char* lock_name = "vigil.lock";

[[noreturn]] void fail(const std::string& what, int error) {
  throw store_error(what + ": " + std::strerror(error));
}

void ensure_directory(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      throw store_error("data directory " + path + " exists and is not a directory");
    return;
  }
  if (errno != ENOENT) fail("cannot inspect data directory " + path, errno);
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    fail("cannot create data directory " + path, errno);
  // The umask may have narrowed the mode further; it cannot have widened it.
  if (::chmod(path.c_str(), 0700) != 0) fail("cannot set the mode of " + path, errno);
}

/// The pid the holder wrote, or "unknown" when it has not written it yet.
std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) pid += buf[i];
  return pid.empty() ? "unknown" : pid;
}

void write_pid(int fd, const std::string& lock_path) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    fail("cannot write the pid into " + lock_path, errno);
}

}  // namespace

data_dir data_dir::open(const std::string& path) {
  std::string dir = path;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  ensure_directory(dir);
  const std::string lock_path = dir + "/" + lock_name;
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) fail("cannot open " + lock_path, errno);
  // From here the fd belongs to the data_dir, which closes it on every path.
  data_dir opened{dir, fd};
  // flock belongs to the open file description: a second open() conflicts even in-process.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      throw store_error("data directory " + dir + " is in use by pid " + holder_pid(fd));
    fail("cannot lock " + lock_path, errno);
  }
  write_pid(fd, lock_path);
  return opened;
}

data_dir::data_dir(data_dir&& other) noexcept
    : path_(std::move(other.path_)), lock_fd_(std::exchange(other.lock_fd_, -1)) {}

data_dir& data_dir::operator=(data_dir&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    lock_fd_ = std::exchange(other.lock_fd_, -1);
  }
  return *this;
}

data_dir::~data_dir() { release(); }

void data_dir::release() noexcept {
  if (lock_fd_ < 0) return;
  // Closing the descriptor releases the lock; the file stays for the next holder.
  ::close(lock_fd_);
  lock_fd_ = -1;
}

}  // namespace vigil::store
