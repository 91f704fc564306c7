// Operations settings on the real binary: log_format, log_level, auth_token, auth_token_file
// and show_details through file < env < flag; tokens never printed or logged; the log's two
// formats (and their escaping) line by line.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "app/log.hpp"
#include "http/access_log.hpp"
#include "tests/support/scoped_env.hpp"
#include "tests/support/sys_test.hpp"

using vigil::test::line_of;
using vigil::test::scoped_env;

namespace {

// Distinctive, so that finding them anywhere in the output is a leak.
const std::string env_token = "envTok-7f3a9c1e5b2d";
const std::string file_token = "fileTok-0c4e8a2f6b1d";
const std::string config_token = "confTok-9e1b3d5f7a2c";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("the operations settings have defaults in --print-config", "[config][ops]") {
  const auto r = run_vigil({"serve", "--print-config"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(line_of(r.output, "log_format") == "log_format = \"text\"  # default");
  CHECK(line_of(r.output, "log_level") == "log_level = \"info\"  # default");
  CHECK(line_of(r.output, "auth_token") == "auth_token = \"\"  # default");
  CHECK(line_of(r.output, "auth_token_file") == "auth_token_file = \"\"  # default");
  CHECK(line_of(r.output, "show_details") == "show_details = \"when_authorized\"  # default");
}

TEST_CASE("a bad operations value exits 2 naming the key and the source", "[config][ops]") {
  temp_dir dir;
  struct bad {
    std::string toml;
    std::string key;
    std::string says;
  };
  const std::vector<bad> in_file = {
      {"log_format = \"xml\"\n", "'log_format'", "one of text|json"},
      {"log_level = \"verbose\"\n", "'log_level'", "one of trace|debug|info|warn|error|off"},
      {"log_level = 3\n", "'log_level'", "must be a string"},
      {"show_details = \"sometimes\"\n", "'show_details'", "never|when_authorized|always"},
      {"auth_token = [\"a\", \"b\"]\n", "'auth_token'", "must be a string"},
      {"auth_token_file = \"" + dir.file("absent") + "\"\n", "'auth_token_file'",
       "cannot read " + dir.file("absent")},
  };
  for (const auto& c : in_file) {
    const std::string path = write_file(dir, "vigil.toml", c.toml, 0600);
    const auto r = run_vigil({"serve", "--config", path, "--print-config"});
    INFO("toml: " << c.toml << "output: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "vigil: config " + path + ": key " + c.key));
    CHECK(contains(r.output, c.says));
  }

  struct bad_env {
    std::string name;
    std::string value;
    std::string says;
  };
  const std::vector<bad_env> in_env = {
      {"VIGIL_LOG_FORMAT", "JSON", "one of text|json"},
      {"VIGIL_LOG_LEVEL", "warning", "one of trace|debug|info|warn|error|off"},
      {"VIGIL_SHOW_DETAILS", "yes", "never|when_authorized|always"},
      {"VIGIL_AUTH_TOKEN_FILE", dir.file("absent"), "cannot read"},
  };
  for (const auto& c : in_env) {
    scoped_env env{c.name, c.value};
    const auto r = run_vigil({"serve", "--print-config"});
    INFO(c.name << "=" << c.value << " output: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "vigil: env " + c.name + ": "));
    CHECK(contains(r.output, c.says));
  }

  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--log-format", "yaml"},
           {"--log-level", "loud"},
           {"--show-details", "maybe"},
           {"--auth-token-file", dir.file("absent")}}) {
    const auto r = run_vigil({"serve", "--print-config", flag, value});
    INFO(flag << " " << value << " output: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "vigil: " + flag + ": "));
  }
}

TEST_CASE("operations settings follow file < env < flag", "[config][ops]") {
  temp_dir dir;
  const std::string tokens_a = write_file(dir, "a.tokens", "tokA\n", 0600);
  const std::string tokens_b = write_file(dir, "b.tokens", "tokB\n", 0600);
  const std::string path = write_file(dir, "vigil.toml",
                                      "log_format = \"json\"\n"
                                      "log_level = \"debug\"\n"
                                      "show_details = \"never\"\n"
                                      "auth_token_file = \"" +
                                          tokens_a + "\"\n",
                                      0600);
  scoped_env level{"VIGIL_LOG_LEVEL", "warn"};
  scoped_env details{"VIGIL_SHOW_DETAILS", "always"};
  const auto r = run_vigil({"serve", "--config", path, "--print-config", "--log-level", "error",
                            "--auth-token-file", tokens_b});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(line_of(r.output, "log_format") == "log_format = \"json\"  # file");
  CHECK(line_of(r.output, "log_level") == "log_level = \"error\"  # flag");
  CHECK(line_of(r.output, "show_details") == "show_details = \"always\"  # env");
  CHECK(line_of(r.output, "auth_token_file") == "auth_token_file = \"" + tokens_b + "\"  # flag");
}

TEST_CASE("a token is never printed: not by --print-config, not in an error", "[config][ops]") {
  temp_dir dir;
  SECTION("from the environment") {
    scoped_env token{"VIGIL_AUTH_TOKEN", env_token};
    const auto r = run_vigil({"serve", "--print-config"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(line_of(r.output, "auth_token") == "auth_token = \"<redacted>\"  # env");
    CHECK_FALSE(contains(r.output, env_token));
  }
  SECTION("from the config file; the printed config does not run as it is") {
    const std::string path =
        write_file(dir, "vigil.toml", "auth_token = \"" + config_token + "\"\n", 0600);
    const auto r = run_vigil({"serve", "--config", path, "--print-config"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(line_of(r.output, "auth_token") == "auth_token = \"<redacted>\"  # file");
    CHECK_FALSE(contains(r.output, config_token));
    // Used as a config file, the placeholder is refused rather than taken as the token.
    const std::string again = write_file(dir, "again.toml", r.output, 0600);
    const auto r2 = run_vigil({"serve", "--config", again, "--print-config"});
    INFO(r2.output);
    CHECK(r2.exit_code == 2);
    CHECK(contains(r2.output, "key 'auth_token': invalid value (not shown)"));
  }
  SECTION("a bad token in the file or the environment is not echoed") {
    const std::string secret_with_space = "conf Tok\"9e1b";
    const std::string path = write_file(dir, "vigil.toml", "auth_token = \"conf Tok9e1b\"\n", 0600);
    const auto r = run_vigil({"serve", "--config", path, "--print-config"});
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "key 'auth_token'"));
    CHECK_FALSE(contains(r.output, "Tok9e1b"));
    scoped_env token{"VIGIL_AUTH_TOKEN", secret_with_space};
    const auto r2 = run_vigil({"serve", "--print-config"});
    INFO(r2.output);
    CHECK(r2.exit_code == 2);
    CHECK(contains(r2.output, "vigil: env VIGIL_AUTH_TOKEN: invalid value (not shown)"));
    CHECK_FALSE(contains(r2.output, "Tok"));
  }
  SECTION("on the command line it is refused, and not echoed") {
    const auto r = run_vigil({"serve", "--print-config", "--auth-token", env_token});
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "vigil: --auth-token: not accepted on the command line"));
    CHECK(contains(r.output, "VIGIL_AUTH_TOKEN"));
    CHECK_FALSE(contains(r.output, env_token));
  }
}

TEST_CASE("a token file that others can read is a warning, naming the file", "[config][ops]") {
  temp_dir dir;
  const std::string open_file = write_file(dir, "open.tokens", file_token + "\n", 0644);
  const std::string closed_file = write_file(dir, "closed.tokens", file_token + "\n", 0600);
  {
    const auto r = run_vigil({"serve", "--print-config", "--auth-token-file", open_file});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "warn vigil: auth_token_file " + open_file));
    CHECK(contains(r.output, "mode 0644"));
    CHECK_FALSE(contains(r.output, file_token));
  }
  {
    const auto r = run_vigil({"serve", "--print-config", "--auth-token-file", closed_file});
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.output, "warn"));
  }
  {
    const std::string bad = write_file(dir, "bad.tokens", "# ok\n" + file_token + " extra\n", 0600);
    const auto r = run_vigil({"serve", "--print-config", "--auth-token-file", bad});
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "vigil: --auth-token-file: " + bad + ": line 2 is not a token"));
    CHECK_FALSE(contains(r.output, file_token));
  }
}

TEST_CASE("a daemon with tokens from env and file never logs them", "[config][ops][auth]") {
  temp_dir dir;
  const std::string tokens = write_file(dir, "tokens", "# ci\n" + file_token + "\n", 0644);
  scoped_env token{"VIGIL_AUTH_TOKEN", env_token};
  daemon_process daemon{{"--auth-token-file", tokens, "--log-level", "trace"}};
  {
    http_client c{daemon.port()};
    for (const auto& t : {env_token, file_token, std::string{"wrong"}}) {
      c.request("GET", "/health", {}, {{"Authorization", "Bearer " + t}});
      c.request("GET", "/v1/version?access_token=" + t, {}, {{"Authorization", "Bearer " + t}});
    }
  }
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait_exit(std::chrono::seconds{15}) == 0);
  const std::string out = daemon.output();
  INFO(out);
  CHECK(contains(out, "warn vigil: auth_token_file " + tokens));  // it did read the file
  CHECK(contains(out, "info vigil: stopped"));
  CHECK_FALSE(contains(out, env_token));
  CHECK_FALSE(contains(out, file_token));
}

TEST_CASE("text log lines carry an RFC 3339 UTC time, the level and vigil:", "[ops][log]") {
  daemon_process daemon{{}};
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait_exit(std::chrono::seconds{15}) == 0);
  const std::string out = daemon.output();
  INFO(out);
  const std::regex line_re{
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|warn|error) vigil: .+$)"};
  const auto all = lines(out);
  REQUIRE(all.size() >= 3);
  for (const auto& l : all) {
    INFO(l);
    CHECK(std::regex_match(l, line_re));
  }
  CHECK(contains(out, " warn vigil: no --data-dir: the event log lives in memory"));
  CHECK(std::regex_search(out, std::regex{R"(Z info vigil: node \S+ epoch [0-9a-f]{16} )"
                                          R"(listening on http://127\.0\.0\.1:\d+\n)"}));
  CHECK(contains(out, "Z info vigil: SIGTERM, shutting down\n"));
}

TEST_CASE("with --log-format json every line is an object with ts, level and msg", "[ops][log]") {
  daemon_process daemon{{"--log-format", "json"}};
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait_exit(std::chrono::seconds{15}) == 0);
  const std::string out = daemon.output();
  INFO(out);
  const auto all = lines(out);
  REQUIRE(all.size() >= 4);
  std::vector<std::string> messages;
  const std::regex ts_re{R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)"};
  for (const auto& l : all) {
    INFO(l);
    json j;
    REQUIRE_NOTHROW(j = json::parse(l));
    REQUIRE(j.is_object());
    CHECK(j.size() == 3);
    REQUIRE(j["ts"].is_string());
    CHECK(std::regex_match(j["ts"].get<std::string>(), ts_re));
    REQUIRE(j["level"].is_string());
    CHECK((j["level"] == "info" || j["level"] == "warn"));
    REQUIRE(j["msg"].is_string());
    messages.push_back(j["msg"]);
  }
  CHECK(messages.front() ==
        "no --data-dir: the event log lives in memory and nothing survives a restart");
  CHECK(messages.back() == "stopped");
  bool listening = false;
  for (const auto& m : messages) listening = listening || contains(m, "listening on http://");
  CHECK(listening);
}

TEST_CASE("the log level hides what is less severe (--log-level error)", "[ops][log]") {
  daemon_process first{{}};
  const auto r = run_vigil(
      {"serve", "--listen", "127.0.0.1:" + std::to_string(first.port()), "--log-level", "error"});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, " error vigil: cannot listen on 127.0.0.1:"));
  CHECK_FALSE(contains(r.output, "no --data-dir"));  // a warning
  CHECK_FALSE(contains(r.output, " info "));
}

TEST_CASE("a JSON log record escapes quotes, backslashes, newlines and control characters",
          "[ops][log]") {
  using vigil::app::format_record;
  using vigil::app::log_format;
  const auto t = std::chrono::system_clock::time_point{std::chrono::milliseconds{1795838400123}};
  const std::string nasty = std::string{"say \"hi\" \\ C:\\path\nline2\r\ttab \x01\x1f\x7f end"} +
                            "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" + " bad:\xff\xc3(\xed\xa0\x80";
  const std::string line = format_record(log_format::json, t, "warn", "vigil", nasty);
  INFO(line);
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  for (const char c : line.substr(0, line.size() - 1)) CHECK(static_cast<unsigned char>(c) >= 0x20);
  json j;
  REQUIRE_NOTHROW(j = json::parse(line));
  CHECK(j["ts"] == "2026-11-28T04:00:00.123Z");
  CHECK(j["level"] == "warn");
  CHECK(j["msg"] == std::string{"say \"hi\" \\ C:\\path\nline2\r\ttab \x01\x1f\x7f end"} +
                        "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" +
                        " bad:\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(format_record(log_format::json, t, "info", "vigil", "") ==
        "{\"ts\":\"2026-11-28T04:00:00.123Z\",\"level\":\"info\",\"msg\":\"\"}\n");
}

TEST_CASE("a text log record is one line whatever the message holds", "[ops][log]") {
  using vigil::app::format_record;
  using vigil::app::log_format;
  const auto t = std::chrono::system_clock::time_point{std::chrono::milliseconds{1795838400007}};
  CHECK(format_record(log_format::text, t, "info", "vigil", "listening on http://[::1]:80") ==
        "2026-11-28T04:00:00.007Z info vigil: listening on http://[::1]:80\n");
  CHECK(
      format_record(log_format::text, t, "error", "vigil", "a\nforged 2026 info vigil: x\x1b[2J") ==
      "2026-11-28T04:00:00.007Z error vigil: a\\nforged 2026 info vigil: x\\x1b[2J\n");
}

TEST_CASE("the access line has method, path, status and milliseconds, never the query",
          "[ops][log]") {
  using vigil::http::access_line;
  CHECK(access_line("GET", "/health", 200, std::chrono::microseconds{412}) ==
        "GET /health 200 0.412ms");
  CHECK(access_line("GET", "/v1/events?after=3&access_token=secret", 401,
                    std::chrono::milliseconds{12}) == "GET /v1/events 401 12.000ms");
  CHECK(access_line("POST", "/v1/scheduler/pause#frag", 503, std::chrono::seconds{2}) ==
        "POST /v1/scheduler/pause 503 2000.000ms");
}
