// Run containment on Linux: cgroup v2 directories found through /proc/self/mountinfo, process
// groups told apart from reused pids by their leader's start time.
#include "exec/containment.hpp"

#include "model/hash.hpp"
#include "model/number.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace vigil::exec {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

/// The mount point of the cgroup2 file system, or empty.
std::string cgroup2_mount() {
  std::istringstream lines(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(lines, line)) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype;
    tail >> fstype;
    if (fstype != "cgroup2") continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, dev, root, mount_point;
    if (head >> id >> parent >> dev >> root >> mount_point) return unescape(mount_point);
  }
  return {};
}

/// The daemon's own cgroup v2 path (the `0::` line), or empty.
std::string own_cgroup() {
  std::istringstream lines(read_file("/proc/self/cgroup"));
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return {};
}

std::string short_hash(const std::string& key) {
  const uint64_t h = model::fnv1a(key);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(h >> 32));
  return buf;
}

std::vector<int> cgroup_pids(const std::string& path) {
  std::vector<int> pids;
  std::istringstream in(read_file(path + "/cgroup.procs"));
  int pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

bool write_text(const std::string& path, const char* text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::write(fd, text, std::strlen(text));
  ::close(fd);
  return n == static_cast<ssize_t>(std::strlen(text));
}

/// Fields of /proc/<pid>/stat after the command (which may hold spaces and parentheses).
std::vector<std::string> stat_fields(int pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream in(stat.substr(close + 1));
  std::string f;
  while (in >> f) fields.push_back(f);
  return fields;  // fields[0] is field 3 (state), fields[2] field 5 (pgrp), fields[19] field 22
}

}  // namespace

containment_root prepare_containment_root(const std::string& key) {
  containment_root out;
  const std::string mount = cgroup2_mount();
  if (mount.empty()) {
    out.why = "no cgroup2 file system is mounted";
    return out;
  }
  const std::string own = own_cgroup();
  if (own.empty()) {
    out.why = "/proc/self/cgroup has no cgroup v2 entry";
    return out;
  }
  const std::string base = own == "/" ? mount : mount + own;
  const std::string root = base + "/vigil-" + short_hash(key);
  if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
    out.why = "cannot create " + root + ": " + std::strerror(errno);
    return out;
  }
  // The subtree may predate this process (a crash leaves it): only a fresh child proves that
  // run cgroups can be made in it now.
  const std::string probe = root + "/probe-" + std::to_string(::getpid());
  if (::mkdir(probe.c_str(), 0755) != 0) {
    out.why = "cannot create cgroups in " + root + ": " + std::strerror(errno);
    return out;
  }
  ::rmdir(probe.c_str());
  out.path = root;
  return out;
}

std::string run_cgroup_path(const std::string& root, const std::string& run_id, uint32_t attempt) {
  std::string name = "run-";
  for (const char c : run_id) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-' || c == '@';
    name += safe ? c : '_';
  }
  return root + "/" + name + "-" + std::to_string(attempt);
}

uint64_t process_start_time(int pid) {
  const auto f = stat_fields(pid);
  if (f.size() < 20) return 0;
  return model::parse_uint(f[19]).value_or(0);
}

bool cgroup_populated(const std::string& path) {
  std::istringstream in(read_file(path + "/cgroup.events"));
  std::string key;
  int value = 0;
  while (in >> key >> value)
    if (key == "populated") return value != 0;
  return false;
}

void signal_cgroup(const std::string& path, int sig) {
  for (const int pid : cgroup_pids(path)) ::kill(pid, sig);
}

void kill_cgroup(const std::string& path) {
  if (write_text(path + "/cgroup.kill", "1")) return;
  signal_cgroup(path, SIGKILL);
}

void remove_cgroup(const std::string& path) { ::rmdir(path.c_str()); }

bool contained_alive(const model::containment& c) {
  if (!c.cgroup.empty()) return cgroup_populated(c.cgroup);
  if (c.pgid <= 0) return false;
  const auto leader = stat_fields(c.pgid);
  if (!leader.empty() && c.start_time != 0 && leader.size() >= 20 &&
      model::parse_uint(leader[19]).value_or(0) != c.start_time)
    return false;  // the pid was reused: whatever runs under it is not this run
  // kill(-pgid, 0) succeeds for a group of zombies (nobody may reap them): look at each member.
  DIR* proc = ::opendir("/proc");
  if (!proc) return ::kill(-c.pgid, 0) == 0;
  bool alive = false;
  while (dirent* e = ::readdir(proc)) {
    const auto pid = model::parse_uint(e->d_name, INT32_MAX);
    if (!pid || *pid == 0) continue;
    const auto f = stat_fields(static_cast<int>(*pid));
    if (f.size() >= 3 && model::parse_uint(f[2]) == static_cast<uint64_t>(c.pgid) && f[0] != "Z" &&
        f[0] != "X") {
      alive = true;
      break;
    }
  }
  ::closedir(proc);
  return alive;
}

void signal_contained(const model::containment& c, int sig) {
  if (!c.cgroup.empty()) {
    if (sig == SIGKILL)
      kill_cgroup(c.cgroup);
    else
      signal_cgroup(c.cgroup, sig);
    return;
  }
  if (c.pgid > 0) ::kill(-c.pgid, sig);
}

}  // namespace vigil::exec
