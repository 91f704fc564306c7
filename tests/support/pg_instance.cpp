// Starts and stops the tests' own PostgreSQL with initdb and pg_ctl, as the design study does.
#include "tests/support/pg_instance.hpp"

#include <arpa/inet.h>
#include <glob.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace vigil::test {
namespace {

/// The newest /usr/lib/postgresql/N/bin holding initdb (Debian's layout), or empty.
std::string find_bin_dir() {
  if (const char* dir = std::getenv("VIGIL_PG_BIN"); dir && *dir) return dir;
  glob_t g{};
  std::vector<std::string> found;
  if (::glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) found.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  if (found.empty()) return {};
  // Versions sort numerically only when they have the same number of digits: compare by length.
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return std::filesystem::path(found.back()).parent_path().string();
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Runs a shell command (paths are ours, never user input); its output goes to `log`.
int run(const std::string& command, const std::string& log) {
  return std::system((command + " >>" + log + " 2>&1").c_str());
}

std::string tail_of(const std::string& path) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

void exec_or_throw(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  const std::string why = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) throw std::runtime_error(sql + ": " + why);
}

}  // namespace

pg_instance& pg_instance::shared() {
  static std::unique_ptr<pg_instance> instance = []() -> std::unique_ptr<pg_instance> {
    const std::string bin = find_bin_dir();
    // A dependency like any other (`make deps` installs it): missing is a failure, never a
    // skip, so the cluster tests cannot pass by not running.
    if (bin.empty())
      throw std::runtime_error(
          "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `make deps`");
    std::unique_ptr<pg_instance> p{new pg_instance(bin)};
    p->start();  // throws with initdb's or the server's own words
    return p;
  }();
  return *instance;
}

pg_instance::pg_instance(std::string bin_dir) : bin_dir_(std::move(bin_dir)) {}

pg_instance::~pg_instance() { stop(); }

std::string pg_instance::server_options() const {
  // Tests trade the disk flush for speed; a benchmark asks for the real thing.
  const char* fsync = std::getenv("VIGIL_TEST_PG_FSYNC");
  const bool flush = fsync != nullptr && std::string{fsync} == "on";
  return "-c listen_addresses=127.0.0.1 -c port=" + std::to_string(port_) +
         " -c unix_socket_directories=" + dir_ + (flush ? "" : " -c fsync=off") +
         " -c max_connections=200";
}

void pg_instance::start() {
  std::string name = "/tmp/vigil-pg-XXXXXX";
  if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = name;
  const bool root = ::geteuid() == 0;
  // initdb refuses root: the server runs as nobody, who must own the directory. Commands run
  // from inside it, a directory nobody can enter.
  const std::string as = root ? "runuser -u nobody -- " : "";
  if (root && run("chown nobody:nogroup " + dir_, "/dev/null") != 0)
    throw std::runtime_error("cannot chown " + dir_ + " to nobody");
  ::chmod(dir_.c_str(), 0700);
  const std::string log = dir_ + "/setup.log";
  if (run("cd " + dir_ + " && " + as + bin_dir_ + "/initdb -D " + dir_ +
              "/data -U vigil --auth=trust -E UTF8 --locale=C.UTF-8 -N",
          log) != 0)
    throw std::runtime_error("initdb failed: " + tail_of(log));
  // The port is free when chosen; another process may take it before the server binds, so a
  // start that fails is tried again on another port.
  for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
    port_ = free_loopback_port();
    running_ = run("cd " + dir_ + " && " + as + bin_dir_ + "/pg_ctl -D " + dir_ + "/data -l " +
                       dir_ + "/server.log -w -t 30 -o '" + server_options() + "' start",
                   log) == 0;
  }
  if (!running_)
    throw std::runtime_error("PostgreSQL did not start: " + tail_of(log) +
                             tail_of(dir_ + "/server.log"));
  std::unique_ptr<PGconn, void (*)(PGconn*)> c{
      PQconnectdb(
          ("host=127.0.0.1 port=" + std::to_string(port_) + " user=vigil dbname=postgres").c_str()),
      PQfinish};
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("cannot reach the test PostgreSQL: ") +
                             PQerrorMessage(c.get()));
  exec_or_throw(c.get(), "CREATE DATABASE vigil");
}

void pg_instance::stop_server() {
  const std::string as = ::geteuid() == 0 ? "runuser -u nobody -- " : "";
  if (run("cd " + dir_ + " && " + as + bin_dir_ + "/pg_ctl -D " + dir_ +
              "/data -m fast -w -t 30 stop",
          dir_ + "/setup.log") != 0)
    throw std::runtime_error("pg_ctl stop failed: " + tail_of(dir_ + "/setup.log"));
  running_ = false;
}

void pg_instance::start_server() {
  const std::string as = ::geteuid() == 0 ? "runuser -u nobody -- " : "";
  running_ = run("cd " + dir_ + " && " + as + bin_dir_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
                     "/server.log -w -t 30 -o '" + server_options() + "' start",
                 dir_ + "/setup.log") == 0;
  if (!running_)
    throw std::runtime_error("PostgreSQL did not start again: " + tail_of(dir_ + "/server.log"));
}

void pg_instance::stop() noexcept {
  if (running_) {
    const std::string as = ::geteuid() == 0 ? "runuser -u nobody -- " : "";
    run("cd " + dir_ + " && " + as + bin_dir_ + "/pg_ctl -D " + dir_ +
            "/data -m immediate -w -t 30 stop",
        "/dev/null");
    running_ = false;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string pg_instance::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=vigil dbname=vigil";
}

std::string pg_instance::fresh_conninfo() {
  const std::string schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++schemas_);
  std::unique_ptr<PGconn, void (*)(PGconn*)> c{PQconnectdb(conninfo().c_str()), PQfinish};
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("cannot reach the test PostgreSQL: ") +
                             PQerrorMessage(c.get()));
  exec_or_throw(c.get(), "CREATE SCHEMA " + schema);
  return conninfo() + " options='-csearch_path=" + schema + "'";
}

}  // namespace vigil::test
