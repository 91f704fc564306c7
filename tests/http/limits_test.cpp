// Connection limits on the real binary: an oversized header or target closes the connection
// before any handler runs; an idle kept-alive connection is closed after --idle-timeout.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"

using vigil::test::daemon_process;
using vigil::test::http_client;

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
  const std::string req = "GET /v1/version HTTP/1.1\r\nHost: x\r\nX-Big: " +
                          std::string(2048, 'a') + "\r\n\r\n";
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
