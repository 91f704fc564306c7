// A throw-away PostgreSQL for tests: its own data directory under /tmp, loopback, a free port.
#pragma once

#include <string>

namespace vigil::test {

/// One server per test process, started on first use and stopped (its directory removed) when
/// the process exits. As root it runs as `nobody` (initdb refuses root). Never started in a
/// shared place: data, socket and log all live in one mkdtemp directory. It runs with
/// fsync=off unless VIGIL_TEST_PG_FSYNC=on (the benchmarks' setting: commits reach the disk).
class pg_instance {
 public:
  /// The shared instance, started if need be. A missing or failing PostgreSQL throws (with
  /// initdb's or the server's words): the tests that need it fail, they are never skipped.
  static pg_instance& shared();

  /// A conninfo for a fresh, empty schema of its own: each caller gets tables nobody else sees.
  std::string fresh_conninfo();
  /// The conninfo of the database itself (search_path public).
  std::string conninfo() const;
  int port() const { return port_; }
  /// Stops the server (fast shutdown: sessions are cut) and starts it again on the same port
  /// and data: a database outage, for the tests that live through one.
  void stop_server();
  void start_server();

  ~pg_instance();
  pg_instance(const pg_instance&) = delete;
  pg_instance& operator=(const pg_instance&) = delete;

 private:
  pg_instance(std::string bin_dir);
  void start();
  void stop() noexcept;
  std::string server_options() const;

  std::string bin_dir_;
  std::string dir_;
  int port_ = 0;
  int schemas_ = 0;
  bool running_ = false;
};

}  // namespace vigil::test
