// Connection limits on the real binary: an oversized header or target closes the connection
// before any handler runs; an idle kept-alive connection is closed after --idle-timeout.
// And the surface's edges: HEAD on every GET route, an empty {parameter} segment.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <tuple>

#include "http/route_table.hpp"
#include "tests/support/sys_test.hpp"

namespace {

int connect_to(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

/// Reads until the server closes the connection (true) or `ms` pass (false).
bool closed_within(int fd, int ms, std::string* got = nullptr) {
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, ms) == 1) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
    if (got) got->append(buf, static_cast<size_t>(n));
  }
  return false;
}

}  // namespace

TEST_CASE("a header value over --max-header closes the connection, the daemon serves on",
          "[http][limits]") {
  daemon_process daemon{{"--max-header", "1024"}};
  const int fd = connect_to(daemon.port());
  const std::string req =
      "GET /v1/version HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2048, 'a') + "\r\n\r\n";
  REQUIRE(send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
  std::string got;
  CHECK(closed_within(fd, 5000, &got));
  CHECK(got.find("200 OK") == std::string::npos);  // never handled
  close(fd);
  http_client c{daemon.port()};
  CHECK(c.get("/v1/version").status == 200);
  CHECK(c.request("GET", "/v1/version", "", {{"X-Small", std::string(512, 'b')}}).status == 200);
}

TEST_CASE("an idle kept-alive connection is closed after --idle-timeout", "[http][limits]") {
  daemon_process daemon{{"--idle-timeout", "300ms"}};
  const int fd = connect_to(daemon.port());
  const std::string req = "GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
  std::string got;
  CHECK(closed_within(fd, 5000, &got));  // answered, then closed for idleness
  CHECK(got.find("200 OK") != std::string::npos);
  close(fd);
}

TEST_CASE("a malformed percent-escape in the path is a 400, not a dropped connection",
          "[http][limits]") {
  daemon_process daemon{{}};
  http_client c{daemon.port()};
  for (const char* target : {"/health%zz", "/v1/jobs/a%4", "/v1/jobs/%"}) {
    INFO(target);
    const auto r = c.get(target);
    CHECK(r.status == 400);
    CHECK(r.body.find("percent-encoding") != std::string::npos);
  }
  CHECK(c.get("/v1/jobs/no%2Dsuch").status == 404);  // a valid escape still routes
}

TEST_CASE("HEAD on every GET route has the GET's status and headers and no body", "[http][head]") {
  daemon_process d{{}};
  http_client c{d.port()};
  REQUIRE(
      c.post("/v1/jobs", R"({"id":"backup","schedule":"@every 1h","command":{"argv":["true"]}})")
          .status == 201);
  REQUIRE(c.post("/v1/jobs/backup/run", "").status == 200);
  std::string run_id;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (run_id.empty()) {  // until the manual run has ended (polled, bounded)
    const auto body = c.get("/v1/jobs/backup/runs").body;
    const auto at = body.find("\"run_id\":\"");
    if (at != std::string::npos && body.find("\"succeeded\"") != std::string::npos)
      run_id = body.substr(at + 10, body.find('"', at + 10) - at - 10);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    if (run_id.empty()) std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  auto fill = [&](std::string t) {
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"{id}", "backup"},
                                   {"{run_id}", run_id},
                                   {"{asset}", "console.js"}}) {
      const auto at = t.find(from);
      if (at != std::string::npos) t.replace(at, from.size(), to);
    }
    return t;
  };
  int checked = 0;
  for (auto r = vigil::http::route_rules_begin(); r != vigil::http::route_rules_end(); ++r) {
    if (std::string{r->method} != "GET") continue;
    const std::string target = fill(r->path);
    INFO(target);
    const auto head = c.request("HEAD", target);
    CHECK(head.body.empty());
    if (target.rfind("/v1/stream/", 0) == 0) {
      // A stream's headers, and no stream started: the connection serves the next request.
      CHECK(head.status == 200);
      CHECK(head.header("content-type") == "text/event-stream");
    } else {
      const auto get = c.get(target);
      CHECK(head.status == get.status);
      CHECK(head.header("content-type") == get.header("content-type"));
      if (target == "/v1/version" || target.rfind("/ui", 0) == 0)  // bodies that never change
        CHECK(head.header("content-length") == std::to_string(get.body.size()));
      else
        CHECK(!head.header("content-length").empty());
    }
    // Nothing of a body was left on the kept-alive connection: the next answer parses.
    CHECK(c.get("/v1/version").status == 200);
    ++checked;
  }
  CHECK(checked >= 20);
  // A method no route has still names what is allowed, HEAD among them.
  const auto refused = c.request("DELETE", "/health");
  CHECK(refused.status == 405);
  CHECK(refused.header("allow") == "GET, HEAD");
  // HEAD on a stream path that is no route is a 404 like its GET, not a stream's headers.
  CHECK(c.request("HEAD", "/v1/stream/nothing").status == 404);
}

TEST_CASE("an empty path parameter is a 400 naming it, not a 405", "[http]") {
  daemon_process d{{}};
  http_client c{d.port()};
  for (const auto& [method, target, field] :
       {std::tuple<std::string, std::string, std::string>{"GET", "/v1/jobs//runs", "id"},
        {"POST", "/v1/jobs//pause", "id"},
        {"GET", "/v1/jobs//runs/some-run", "id"},
        {"HEAD", "/v1/jobs//next", "id"}}) {
    INFO(method << " " << target);
    const auto r = c.request(method, target);
    CHECK(r.status == 400);
    if (method != "HEAD") {
      CHECK(r.body.find("\"field\":\"" + field + "\"") != std::string::npos);
      CHECK(r.body.find("segment is empty") != std::string::npos);
    }
  }
  // A method the route does not allow stays a 405, whatever its segments hold.
  const auto r = c.request("PATCH", "/v1/jobs//runs");
  CHECK(r.status == 405);
  CHECK(r.header("allow") == "GET, HEAD");
}
