// The command line: help on every level, and a bad flag value exits 2 naming the flag.
#include "tests/support/sys_test.hpp"

TEST_CASE("vigil --help and vigil serve --help describe every flag", "[cli]") {
  const auto top = run_vigil({"--help"});
  CHECK(top.exit_code == 0);
  CHECK(top.output.find("serve") != std::string::npos);
  const auto serve = run_vigil({"serve", "--help"});
  CHECK(serve.exit_code == 0);
  for (const char* flag :
       {"--listen", "--tick-interval", "--data-dir", "--node", "--cycle-deadline",
        "--health-deadline", "--drain-timeout", "--max-body"})
    CHECK(serve.output.find(flag) != std::string::npos);
}

TEST_CASE("a bad flag value exits 2 with a message naming the flag", "[cli]") {
  struct bad {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<bad> cases = {
      {{"serve", "--tick-interval", "abc"}, "--tick-interval"},
      {{"serve", "--tick-interval", "5"}, "--tick-interval"},
      {{"serve", "--tick-interval", "0s"}, "--tick-interval"},
      {{"serve", "--cycle-deadline", "1x"}, "--cycle-deadline"},
      {{"serve", "--listen", "localhost"}, "--listen"},
      {{"serve", "--listen", "127.0.0.1:99999"}, "--listen"},
      {{"serve", "--workers", "0"}, "--workers"},
      {{"serve", "--http-threads", "many"}, "--http-threads"},
      {{"serve", "--no-such-flag"}, "--no-such-flag"},
  };
  for (const auto& c : cases) {
    const auto r = run_vigil(c.args);
    INFO("args: " << c.args[1] << " output: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(c.names) != std::string::npos);
  }
}

TEST_CASE("no subcommand is a usage error", "[cli]") { CHECK(run_vigil({}).exit_code == 2); }

TEST_CASE("a port already in use is reported and exits non-zero", "[cli]") {
  vigil::test::daemon_process first{{}};
  const auto r = run_vigil({"serve", "--listen", "127.0.0.1:" + std::to_string(first.port())});
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) !=
        std::string::npos);
}
