// The data directory: created 0700, held by one daemon at a time through an flock'd lock file.
#pragma once

#include <string>
#include <utility>

namespace vigil::store {

/// An open, exclusively locked data directory. Movable; the lock is released on destruction.
class data_dir {
 public:
  /// Creates `path` (mode 0700) when missing; its parent must exist. Locks `<path>/vigil.lock`
  /// and writes this process's pid into it. Throws store_error when the path is not a
  /// directory, cannot be created, or is in use ("data directory <path> is in use by pid <N>").
  static data_dir open(const std::string& path);

  data_dir(data_dir&& other) noexcept;
  data_dir& operator=(data_dir&& other) noexcept;
  data_dir(const data_dir&) = delete;
  data_dir& operator=(const data_dir&) = delete;
  ~data_dir();

  const std::string& path() const { return path_; }
  /// `<path>/<name>`.
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  data_dir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
  void release() noexcept;

  std::string path_;
  int lock_fd_ = -1;
};

}  // namespace vigil::store
