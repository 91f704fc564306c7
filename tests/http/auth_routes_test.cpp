// Bearer tokens on the real binary: mutating routes need one, reads too; /health details
// follow show_details; a refused request changes nothing; no token value reaches the logs.
#include <sys/stat.h>
#include <csignal>
#include <fstream>

#include "tests/support/sys_test.hpp"

namespace {

const std::string token = "s3cret-Token_for.tests~1";
const std::string job = R"({"id":"j","schedule":"@every 1h","command":{"argv":["/bin/true"]}})";

std::string token_file(const temp_dir& dir) {
  const std::string path = dir.path() + "/tokens";
  std::ofstream(path) << "# test tokens\n" << token << "\n";
  chmod(path.c_str(), 0600);
  return path;
}

uint64_t log_end(http_client& c) {
  const auto page = json::parse(
      c.request("GET", "/v1/events?after=0&limit=1000", "", {{"Authorization", "Bearer " + token}})
          .body);
  return page.at("last_seq").get<uint64_t>();
}

}  // namespace

TEST_CASE("with tokens configured, every mutating route needs one and a refusal changes nothing",
          "[auth][http]") {
  temp_dir dir;
  daemon_process daemon{
      {"--auth-token-file", token_file(dir), "--tick-interval", "50ms", "--log-level", "debug"}};
  http_client c{daemon.port()};
  const auto before = log_end(c);
  const std::vector<std::pair<std::string, std::string>> wrong = {
      {"Authorization", "Bearer not-the-token"}};
  const std::vector<std::pair<std::string, std::string>> right = {
      {"Authorization", "Bearer " + token}};
  const std::vector<std::tuple<std::string, std::string, std::string>> mutating = {
      {"POST", "/v1/scheduler/pause", ""}, {"POST", "/v1/scheduler/resume", ""},
      {"POST", "/v1/jobs", job},           {"PUT", "/v1/jobs/j", job},
      {"DELETE", "/v1/jobs/j", ""},        {"POST", "/v1/jobs/j/run", ""},
      {"POST", "/v1/jobs/j/pause", ""},    {"POST", "/v1/jobs/j/resume", ""}};
  for (const auto& [method, target, body] : mutating) {
    INFO(method << " " << target);
    const auto missing = c.request(method, target, body);
    CHECK(missing.status == 401);
    CHECK(missing.header("www-authenticate").find("Bearer realm=\"vigil\"") == 0);
    CHECK(json::parse(missing.body).at("error") == "unauthorized");
    const auto bad = c.request(method, target, body, wrong);
    CHECK(bad.status == 401);
    CHECK(bad.header("www-authenticate").find("invalid_token") != std::string::npos);
  }
  CHECK(log_end(c) == before);  // nothing reached the log
  CHECK(json::parse(c.request("GET", "/v1/jobs", "", right).body).at("total") == 0);

  // The right token: the same requests do what they say.
  CHECK(c.request("POST", "/v1/jobs", job, right).status == 201);
  CHECK(c.request("POST", "/v1/jobs/j/pause", "", right).status == 200);
  CHECK(c.request("POST", "/v1/scheduler/pause", "", right).status == 200);
  CHECK(log_end(c) > before);
  // Reads need one too (a job's definition may carry secrets); the file's token is admin.
  CHECK(c.get("/v1/jobs/j").status == 401);
  CHECK(c.request("GET", "/v1/jobs/j", "", right).status == 200);

  // /health: the status for everyone, the details only with the token (when_authorized).
  const auto anonymous = json::parse(c.get("/health").body);
  CHECK(anonymous.contains("status"));
  CHECK(anonymous.contains("last_updated"));
  CHECK_FALSE(anonymous.contains("checks"));
  const auto detailed = json::parse(c.request("GET", "/health", "", right).body);
  CHECK(detailed.contains("checks"));

  // The token never reaches the logs, even at debug level with one line per request.
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait_exit(std::chrono::seconds{20}) == 0);
  CHECK(daemon.output().find(token) == std::string::npos);
  CHECK(daemon.output().find("not-the-token") == std::string::npos);
  CHECK(daemon.output().find("POST /v1/jobs 401") != std::string::npos);
}

TEST_CASE("show_details = never hides /health details even from a token holder", "[auth][http]") {
  temp_dir dir;
  daemon_process daemon{{"--auth-token-file", token_file(dir), "--show-details", "never"}};
  http_client c{daemon.port()};
  const auto body =
      json::parse(c.request("GET", "/health", "", {{"Authorization", "Bearer " + token}}).body);
  CHECK(body.contains("status"));
  CHECK_FALSE(body.contains("checks"));
}
