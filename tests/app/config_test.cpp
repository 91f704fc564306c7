// The configuration file and VIGIL_* variables: validated like the flags (exit 2 naming the key
// and the source), precedence file < env < flag, --print-config, the example in docs/.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/scoped_env.hpp"
#include "tests/support/sys_test.hpp"

using vigil::test::line_of;
using vigil::test::scoped_env;

namespace {

const char* const all_keys[] = {"listen",
                                "tick_interval",
                                "cycle_deadline",
                                "health_deadline",
                                "command_deadline",
                                "drain_timeout",
                                "startup_grace",
                                "max_failed_cycles",
                                "data_dir",
                                "store",
                                "lease_ttl",
                                "advertise_url",
                                "checkpoint_every",
                                "checkpoint_interval",
                                "node",
                                "http_threads",
                                "workers",
                                "max_body",
                                "max_connections",
                                "max_streams",
                                "stream_heartbeat",
                                "write_timeout",
                                "max_event_lag",
                                "metrics_per_job_limit",
                                "test_hooks"};

}  // namespace

TEST_CASE("a bad value in the config file exits 2 naming the file and the key", "[config]") {
  temp_dir dir;
  struct bad {
    std::string toml;
    std::string key;
    std::string says;
  };
  const std::vector<bad> cases = {
      {"tick_interval = 5\n", "'tick_interval'", "must be a string"},
      {"max_streams = \"many\"\n", "'max_streams'", "must be an integer"},
      {"test_hooks = \"yes\"\n", "'test_hooks'", "must be a boolean"},
      {"tick_intervall = \"1s\"\n", "'tick_intervall'", "is not a setting"},
      {"[server]\nlisten = \"127.0.0.1:1\"\n", "'server'", "is not a setting"},
      {"workers = 0\n", "'workers'", "from 1 to 64"},
      {"workers = -3\n", "'workers'", "from 1 to 64"},
      {"tick_interval = \"0s\"\n", "'tick_interval'", "greater than 0"},
      {"tick_interval = \"5\"\n", "'tick_interval'", "a duration with a unit"},
      {"listen = \"localhost\"\n", "'listen'", "HOST:PORT"},
  };
  for (const auto& c : cases) {
    const std::string path = write_file(dir, "vigil.toml", c.toml);
    const auto r = run_vigil({"serve", "--config", path, "--listen", "127.0.0.1:0"});
    INFO("toml: " << c.toml << "output: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("vigil: config " + path + ": key " + c.key) != std::string::npos);
    CHECK(r.output.find(c.says) != std::string::npos);
  }
}

TEST_CASE("a TOML syntax error exits 2 naming the file and the line", "[config]") {
  temp_dir dir;
  const std::string path =
      write_file(dir, "broken.toml", "workers = 2\ntick_interval = = \"1s\"\n");
  const auto r = run_vigil({"serve", "--config", path, "--print-config"});
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("vigil: config " + path + ": syntax error at line 2") != std::string::npos);
}

TEST_CASE("a config file that cannot be read exits 2 naming the path", "[config]") {
  temp_dir dir;
  const std::string path = dir.file("missing.toml");
  {
    const auto r = run_vigil({"serve", "--config", path});
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("vigil: config " + path + ": cannot read") != std::string::npos);
  }
  {
    scoped_env env{"VIGIL_CONFIG", path};
    const auto r = run_vigil({"serve", "--print-config"});
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("vigil: config " + path + ": cannot read") != std::string::npos);
  }
}

TEST_CASE("a bad VIGIL_ variable exits 2 naming the variable", "[config]") {
  struct bad {
    std::string name;
    std::string value;
    std::string says;
  };
  const std::vector<bad> cases = {
      {"VIGIL_TICK_INTERVAL", "5", "a duration with a unit"},
      {"VIGIL_MAX_STREAMS", "many", "an integer"},
      {"VIGIL_WORKERS", "0", "from 1 to 64"},
      {"VIGIL_TEST_HOOKS", "yes", "true or false"},
  };
  for (const auto& c : cases) {
    scoped_env env{c.name, c.value};
    const auto r = run_vigil({"serve", "--print-config"});
    INFO(c.name << "=" << c.value << " output: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("vigil: env " + c.name + ": ") != std::string::npos);
    CHECK(r.output.find(c.says) != std::string::npos);
  }
}

TEST_CASE("a VIGIL_ variable that is no setting is reported and ignored", "[config]") {
  scoped_env env{"VIGIL_TICK_INTERVALL", "1s"};
  const auto r = run_vigil({"serve", "--print-config"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("vigil: env VIGIL_TICK_INTERVALL is not a setting; ignored") !=
        std::string::npos);
  CHECK(line_of(r.output, "tick_interval") == "tick_interval = \"1s\"  # default");
}

TEST_CASE("precedence is default < file < env < flag", "[config]") {
  temp_dir dir;
  const std::string path = write_file(dir, "vigil.toml",
                                      "tick_interval = \"2s\"\n"
                                      "workers = 3\n"
                                      "max_streams = 7\n");
  scoped_env tick{"VIGIL_TICK_INTERVAL", "3s"};
  scoped_env workers{"VIGIL_WORKERS", "4"};
  scoped_env threads{"VIGIL_HTTP_THREADS", "5"};

  SECTION("all three sources") {
    const auto r = run_vigil({"serve", "--config", path, "--print-config", "--tick-interval", "4s",
                              "--max-streams", "9", "--http-threads", "6"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(line_of(r.output, "tick_interval") == "tick_interval = \"4s\"  # flag");  // f, e, f
    CHECK(line_of(r.output, "workers") == "workers = 4  # env");                    // f, e
    CHECK(line_of(r.output, "max_streams") == "max_streams = 9  # flag");           // f, f
    CHECK(line_of(r.output, "http_threads") == "http_threads = 6  # flag");         // e, f
    CHECK(line_of(r.output, "cycle_deadline") == "cycle_deadline = \"5s\"  # default");
  }
  SECTION("without flags the environment wins over the file") {
    scoped_env config{"VIGIL_CONFIG", path};
    const auto r = run_vigil({"serve", "--print-config"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(line_of(r.output, "tick_interval") == "tick_interval = \"3s\"  # env");
    CHECK(line_of(r.output, "workers") == "workers = 4  # env");
    CHECK(line_of(r.output, "max_streams") == "max_streams = 7  # file");
    CHECK(line_of(r.output, "http_threads") == "http_threads = 5  # env");
  }
  SECTION("a bad flag is still named as a flag when the file and env are fine") {
    const auto r = run_vigil({"serve", "--config", path, "--print-config", "--workers", "65"});
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("vigil: --workers: invalid value '65'") != std::string::npos);
  }
}

TEST_CASE("the example config in docs/ sets every key and loads", "[config]") {
  const auto example = std::filesystem::path{VIGIL_SOURCE_DIR} / "docs" / "vigil.example.toml";
  REQUIRE(std::filesystem::exists(example));
  const auto r = run_vigil({"serve", "--config", example.string(), "--print-config"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* key : all_keys) {
    INFO(key);
    const std::string line = line_of(r.output, key);
    REQUIRE(!line.empty());
    CHECK(line.size() > 8);
    CHECK(line.substr(line.size() - 8) == "  # file");
  }

  // --print-config's output is itself a valid config file that reproduces every value.
  temp_dir dir;
  const std::string again = write_file(dir, "again.toml", r.output);
  const auto r2 = run_vigil({"serve", "--config", again, "--print-config"});
  INFO(r2.output);
  REQUIRE(r2.exit_code == 0);
  CHECK(r2.output == r.output);
}

TEST_CASE("print-config without any source shows every key as default", "[config]") {
  const auto r = run_vigil({"serve", "--print-config"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* key : all_keys) {
    INFO(key);
    const std::string line = line_of(r.output, key);
    REQUIRE(line.size() > 11);
    CHECK(line.substr(line.size() - 11) == "  # default");
  }
}

TEST_CASE("the daemon starts with a config file and uses its values", "[config]") {
  temp_dir dir;
  const std::string path = write_file(dir, "vigil.toml",
                                      "tick_interval = \"250ms\"\n"
                                      "node = \"from-the-file\"\n"
                                      "listen = \"127.0.0.1:1\"  # the --listen flag wins\n");
  vigil::test::daemon_process daemon{{"--config", path}};
  vigil::test::http_client c{daemon.port()};
  json health;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  do {
    health = json::parse(c.get("/health").body);
    if (health.contains("scheduler") && health["scheduler"].contains("tick_interval_seconds"))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  } while (std::chrono::steady_clock::now() < until);
  INFO(health.dump());
  REQUIRE(health["scheduler"].contains("tick_interval_seconds"));
  CHECK(health["scheduler"]["tick_interval_seconds"].get<double>() == Approx(0.25));
  CHECK(c.get("/v1/version").body.find("from-the-file") != std::string::npos);
}

TEST_CASE("a store URL's password is never printed, and a bad store is refused by name",
          "[config][cluster]") {
  auto r = run_vigil(
      {"serve", "--store", "postgresql://vigil:s3cret-pw@db.internal/vigil", "--print-config"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("s3cret-pw") == std::string::npos);
  CHECK(r.output.find("store = \"postgresql://vigil:***@db.internal/vigil\"  # flag") !=
        std::string::npos);
  r = run_vigil({"serve", "--store", "db.internal", "--print-config"});
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--store: invalid value") != std::string::npos);
  r = run_vigil({"serve", "--store", "host=db", "--data-dir", "/tmp/x", "--print-config"});
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--store and --data-dir") != std::string::npos);
  r = run_vigil(
      {"serve", "--store", "host=db", "--advertise-url", "node-2:8080", "--print-config"});
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--advertise-url") != std::string::npos);
}
