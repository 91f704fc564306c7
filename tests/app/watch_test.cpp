// `vigil watch`: the SSE parser's grammar, the lines it prints, and the binary
// against real daemons (snapshots, events, a restart on the same port, an unreachable daemon)
// and against a scripted server (gaps, the retry hint, Retry-After, a refusal for good).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "app/http_url.hpp"
#include "app/sse_parser.hpp"
#include "app/watch.hpp"
#include "tests/support/sys_test.hpp"

namespace {

using vigil::app::parse_http_url;
using vigil::app::sse_event;
using vigil::app::sse_parser;

/// The vigil child process with the waits these tests read best with.
class vigil_child : public vigil::test::vigil_process {
 public:
  using vigil_process::vigil_process;
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout) const {
    return wait_for_output(text, timeout);
  }
  bool wait_for(const std::regex& re, std::chrono::milliseconds timeout) const {
    return wait_until([&](const std::string& out) { return std::regex_search(out, re); }, timeout);
  }
};

size_t count_of(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

/// The epoch a daemon printed in "epoch X listening on".
std::string epoch_in(const std::string& daemon_output) {
  std::smatch m;
  static const std::regex re{"epoch ([0-9a-f]+) listening on"};
  return std::regex_search(daemon_output, m, re) ? m[1].str() : std::string{};
}

/// A daemon on a port chosen beforehand (so that a restarted daemon is found where the last one
/// was).
std::unique_ptr<daemon_process> daemon_on(uint16_t port, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"--tick-interval", "100ms"});
  // The port was just released by the previous daemon; if the bind still fails, try again.
  for (int attempt = 0;; ++attempt) {
    try {
      return std::make_unique<daemon_process>(extra, "127.0.0.1:" + std::to_string(port));
    } catch (const std::runtime_error& e) {
      if (attempt == 5) FAIL("no daemon on port " << port << ": " << e.what());
    }
    std::this_thread::sleep_for(200ms);
  }
}

/// A port nothing listens on (bound, read, released).
uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

const std::regex snapshot_line{
    R"(\d\d:\d\d:\d\d\.\d{3}  v\d+  running  cycles=\d+  log_seq=\d+  coalesced=\d+\n)"};

std::vector<sse_event> parse_all(const std::vector<std::string>& pieces, sse_parser& p) {
  std::vector<sse_event> got;
  for (const auto& piece : pieces)
    REQUIRE(p.feed(piece, [&](const sse_event& e) { got.push_back(e); }));
  return got;
}

}  // namespace

// ---- the reader, in process --------------------------------------------------------------------

TEST_CASE("the SSE parser follows the event-stream grammar wherever the bytes are split",
          "[watch]") {
  using namespace std::string_literals;
  const std::string bytes =
      "\xEF\xBB\xBFretry: 1500\r\n\r\n"
      ": a comment\n"
      "event: snapshot\nid: e1:5\ndata: {\"a\":1}\n\n"
      "event: heartbeat\ndata: {\"b\":2}\r\rdata:one\ndata:  two\n\n"
      "id: 7\nevent: nothing\n\n"
      "id: bad\0id\ndata\nfield-without-meaning: x\n\n"
      "event: cut\ndata: never dispatched"s;
  REQUIRE(bytes.find('\0') != std::string::npos);
  for (size_t split = 0; split <= bytes.size(); ++split) {
    INFO("split at " << split);
    sse_parser p{"resume:1"};
    const auto got = parse_all({bytes.substr(0, split), bytes.substr(split)}, p);
    REQUIRE(got.size() == 4);
    CHECK(got[0].type == "snapshot");
    CHECK(got[0].id == "e1:5");
    CHECK(got[0].data == "{\"a\":1}");
    CHECK(got[1].type == "heartbeat");  // no id of its own: the last one stays in force
    CHECK(got[1].id == "e1:5");
    CHECK(got[0].own_id);
    CHECK_FALSE(got[1].own_id);  // what a client that wants the frame's own id looks at
    CHECK(got[2].type == "message");
    CHECK(got[2].data == "one\n two");
    CHECK(got[3].id == "7");     // "id: bad\0id" is ignored: ids with NUL do not count
    CHECK_FALSE(got[3].own_id);  // its own id had a NUL; "id: 7" came in a frame without data
    CHECK(got[3].data.empty());
    CHECK(p.retry_ms() == 1500u);
    CHECK(p.last_event_id() == "7");
  }
}

TEST_CASE("the SSE parser keeps the resume id until the stream sends one", "[watch]") {
  sse_parser p{"abc:3"};
  const auto got = parse_all({"event: heartbeat\ndata: {}\n\nretry: x\n\n"}, p);
  REQUIRE(got.size() == 1);
  CHECK(got[0].id == "abc:3");
  CHECK(!p.retry_ms());
  sse_parser small{"", 16};
  CHECK_FALSE(small.feed(std::string(64, 'x'), [](const sse_event&) {}));
  sse_parser many_lines{"", 16};
  CHECK_FALSE(many_lines.feed("data: 12345\ndata: 12345\ndata: 12345\n", [](const sse_event&) {}));
}

TEST_CASE("only http://HOST:PORT URLs are accepted", "[watch]") {
  std::string why;
  auto u = parse_http_url("http://127.0.0.1:8080", why);
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8080);
  CHECK(u->prefix.empty());
  u = parse_http_url("HTTP://vigil.example:80/proxy/vigil/", why);
  REQUIRE(u);
  CHECK(u->host == "vigil.example");
  CHECK(u->prefix == "/proxy/vigil");
  CHECK(u->text() == "http://vigil.example:80/proxy/vigil");
  for (const char* bad :
       {"", "127.0.0.1:8080", "https://127.0.0.1:8080", "http://127.0.0.1", "http://:8080",
        "http://127.0.0.1:0", "http://127.0.0.1:65536", "http://127.0.0.1:80x", "http://[::1]:8080",
        "http://u:p@127.0.0.1:8080", "http://127.0.0.1:8080/?a=1", "http://bad host:1",
        "ftp://127.0.0.1:21"}) {
    INFO(bad);
    CHECK_FALSE(parse_http_url(bad, why));
    CHECK(why.rfind("http://HOST:PORT", 0) == 0);
  }
}

TEST_CASE("reconnects follow the retry hint, doubling up to 30 s while unreachable", "[watch]") {
  using ms = std::chrono::milliseconds;
  const ms hint{2000};
  CHECK(vigil::app::reconnect_delay(hint, 0) == ms{2000});
  CHECK(vigil::app::reconnect_delay(hint, 1) == ms{2000});
  CHECK(vigil::app::reconnect_delay(hint, 2) == ms{4000});
  CHECK(vigil::app::reconnect_delay(hint, 3) == ms{8000});
  CHECK(vigil::app::reconnect_delay(hint, 4) == ms{16000});
  CHECK(vigil::app::reconnect_delay(hint, 5) == ms{30000});
  CHECK(vigil::app::reconnect_delay(hint, 500) == ms{30000});
  CHECK(vigil::app::reconnect_delay(ms{300}, 3) == ms{1200});
}

TEST_CASE("the printer shows gaps, resets, resyncs and closes", "[watch]") {
  std::ostringstream out;
  vigil::app::watch_printer p{out, true, 0};
  p.on_event("event", R"({"seq":1,"type":"scheduler_paused","body":{"reason":"x"}})");
  p.on_event("event", R"({"seq":3,"type":"scheduler_resumed","body":{}})");
  p.on_event("reset", R"({"reason":"position beyond the end of the log","position":0})");
  p.on_event("event", R"({"seq":1,"type":"scheduler_paused","body":{}})");
  p.on_event("heartbeat", R"({"status":"pass","age_seconds":0.25,"log_seq":1})");
  p.on_event("snapshot", R"({"epoch":"aa","version":4,"log_seq":1,"coalesced":2,"resync":false,
                             "scheduler":{"state":"paused","cycles":{"total":9}}})");
  p.on_event("snapshot", R"({"epoch":"aa","version":9,"log_seq":1,"coalesced":0,"resync":true,
                             "scheduler":{"state":"paused","cycles":{"total":14}}})");
  p.on_event("snapshot", R"({"epoch":"bb","version":2,"log_seq":0,"coalesced":0,"resync":true,
                             "scheduler":{"state":"running","cycles":{"total":1}}})");
  p.on_event("close", R"({"reason":"too_slow","resume_after":12})");
  const std::string text = out.str();
  INFO(text);
  CHECK(text.find("  #1 scheduler_paused {\"reason\":\"x\"}\n") != std::string::npos);
  CHECK(text.find("  GAP: expected 2, got 3\n") != std::string::npos);
  CHECK(text.find("  #3 scheduler_resumed {}\n") != std::string::npos);
  CHECK(text.find("  RESET to position 0: position beyond the end of the log\n") !=
        std::string::npos);
  CHECK(count_of(text, "GAP") == 1);  // #1 right after the reset to 0 is no gap
  CHECK(text.find("  heartbeat status=pass age=0.250s\n") != std::string::npos);
  CHECK(text.find("  v4  paused  cycles=9  log_seq=1  coalesced=2\n") != std::string::npos);
  CHECK(text.find("  v9  paused  cycles=14  log_seq=1  coalesced=0  RESYNC\n") !=
        std::string::npos);
  CHECK(text.find("  v2  running  cycles=1  log_seq=0  coalesced=0  RESYNC (daemon restarted: "
                  "new epoch bb, was aa)\n") != std::string::npos);
  CHECK(text.find("  server closed the stream: too_slow (resumes after #12)\n") !=
        std::string::npos);
  CHECK(std::regex_search(text, std::regex{R"(^\d\d:\d\d:\d\d\.\d{3}  #1 )"}));
}

// ---- the binary --------------------------------------------------------------------------------

TEST_CASE("vigil watch --help documents every flag, bad values exit 2 naming the flag",
          "[watch][cli]") {
  const auto help = vigil::test::run_vigil({"watch", "--help"});
  CHECK(help.exit_code == 0);
  for (const char* flag : {"--events", "--after", "--url", "--idle-timeout"})
    CHECK(help.output.find(flag) != std::string::npos);
  CHECK(vigil::test::run_vigil({"--help"}).output.find("watch") != std::string::npos);
  struct bad {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<bad> cases = {
      {{"watch", "--url", "127.0.0.1:8080"}, "--url"},
      {{"watch", "--url", "https://127.0.0.1:8080"}, "--url"},
      {{"watch", "--url", "http://127.0.0.1"}, "--url"},
      {{"watch", "--url", "http://127.0.0.1:70000"}, "--url"},
      {{"watch", "--after", "3"}, "--after"},  // --after needs --events
      {{"watch", "--events", "--after", "-1"}, "--after"},
      {{"watch", "--idle-timeout", "5"}, "--idle-timeout"},
      {{"watch", "--no-such-flag"}, "--no-such-flag"},
  };
  for (const auto& c : cases) {
    const auto r = vigil::test::run_vigil(c.args);
    INFO("args: " << c.args[1] << " output: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(c.names) != std::string::npos);
  }
}

TEST_CASE("vigil watch prints snapshot lines and exits 0 on SIGINT or SIGTERM", "[watch]") {
  const int sig = GENERATE(SIGINT, SIGTERM);
  daemon_process d{{"--tick-interval", "100ms", "--stream-heartbeat", "300ms"}};
  const std::string url = "http://127.0.0.1:" + std::to_string(d.port());
  vigil_child w{{"watch", "--url", url}};
  REQUIRE(w.wait_for(snapshot_line, 10s));
  CHECK(w.wait_for(std::regex{R"(  heartbeat status=(pass|warn|fail) age=\d+\.\d{3}s\n)"}, 10s));
  const std::string out = w.output();
  INFO(out);
  CHECK(out.find("connected to " + url + "/v1/stream/snapshots\n") != std::string::npos);
  CHECK(out.find("RESYNC") == std::string::npos);
  w.signal(sig);
  CHECK(w.wait_exit(5s) == 0);
}

TEST_CASE("vigil watch --events prints each event with its sequence number", "[watch]") {
  daemon_process d{{"--tick-interval", "100ms"}};
  vigil_child w{{"watch", "--events", "--url", "http://127.0.0.1:" + std::to_string(d.port())}};
  REQUIRE(w.wait_for("/v1/stream/events?after=0\n", 10s));
  http_client c{d.port()};
  REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"maintenance"})").status == 200);
  REQUIRE(w.wait_for(std::regex{R"(  #1 scheduler_paused \{.*"reason":"maintenance".*\}\n)"}, 10s));
  REQUIRE(c.post("/v1/scheduler/resume").status == 200);
  REQUIRE(w.wait_for("  #2 scheduler_resumed ", 10s));
  CHECK(w.output().find("GAP") == std::string::npos);

  // --after skips what came before.
  vigil_child later{{"watch", "--events", "--after", "1", "--url",
                     "http://127.0.0.1:" + std::to_string(d.port())}};
  REQUIRE(later.wait_for("  #2 scheduler_resumed ", 10s));
  CHECK(later.output().find("#1 ") == std::string::npos);
  CHECK(later.output().find("GAP") == std::string::npos);
  w.signal(SIGTERM);
  CHECK(w.wait_exit(5s) == 0);
}

TEST_CASE("vigil watch reconnects to a restarted daemon on the same port and shows the resync",
          "[watch]") {
  auto first =
      std::make_unique<daemon_process>(std::vector<std::string>{"--tick-interval", "100ms"});
  const uint16_t port = first->port();
  const std::string first_epoch = epoch_in(first->output());
  REQUIRE(!first_epoch.empty());
  vigil_child w{{"watch", "--url", "http://127.0.0.1:" + std::to_string(port)}};
  REQUIRE(w.wait_for(snapshot_line, 10s));

  first->signal(SIGTERM);
  REQUIRE(first->wait_exit(15s) == 0);
  first.reset();
  // Usually "server closed the stream: shutting down" comes first; the daemon does not yet
  // guarantee that its final event is written before it stops the server, so not asserted.
  CHECK(w.wait_for(std::regex{"stream ended \\([^)]*\\); reconnecting in 2\\.0s\\.\\.\\.\n"}, 5s));

  auto second = daemon_on(port);
  const std::string second_epoch = epoch_in(second->output());
  REQUIRE(!second_epoch.empty());
  REQUIRE(second_epoch != first_epoch);
  const std::string resync =
      "RESYNC (daemon restarted: new epoch " + second_epoch + ", was " + first_epoch + ")\n";
  REQUIRE(w.wait_for(resync, 20s));
  const std::string out = w.output();
  INFO(out);
  // The reconnect carried the last id seen from the first daemon.
  CHECK(std::regex_search(
      out, std::regex{"connected to http://127.0.0.1:" + std::to_string(port) +
                      "/v1/stream/snapshots \\(Last-Event-ID: " + first_epoch + ":\\d+\\)\n"}));
  CHECK(count_of(out, "RESYNC") == 1);
  w.signal(SIGINT);
  CHECK(w.wait_exit(5s) == 0);
}

TEST_CASE("vigil watch --events resumes after the last sequence number across a restart",
          "[watch]") {
  temp_dir dir;
  auto first = std::make_unique<daemon_process>(
      std::vector<std::string>{"--tick-interval", "100ms", "--data-dir", dir.path()});
  const uint16_t port = first->port();
  vigil_child w{{"watch", "--events", "--url", "http://127.0.0.1:" + std::to_string(port)}};
  REQUIRE(w.wait_for("/v1/stream/events?after=0\n", 10s));
  {
    http_client c{port};
    REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"before"})").status == 200);
  }
  REQUIRE(w.wait_for("  #1 scheduler_paused ", 10s));
  first->signal(SIGTERM);
  REQUIRE(first->wait_exit(15s) == 0);
  first.reset();

  auto second = daemon_on(port, {"--data-dir", dir.path()});
  REQUIRE(w.wait_for("(Last-Event-ID: 1)\n", 20s));
  {
    http_client c{port};
    REQUIRE(c.post("/v1/scheduler/resume", R"({"reason":"after"})").status == 200);
  }
  REQUIRE(w.wait_for("  #2 scheduler_resumed ", 10s));
  const std::string out = w.output();
  INFO(out);
  CHECK(count_of(out, "#1 ") == 1);  // nothing resent
  CHECK(out.find("GAP") == std::string::npos);
  CHECK(out.find("RESET") == std::string::npos);

  // Without a data directory the new log is empty: the stream says so instead of skipping.
  second->signal(SIGTERM);
  REQUIRE(second->wait_exit(15s) == 0);
  second.reset();
  auto third = daemon_on(port);
  REQUIRE(w.wait_for("  RESET to position 0: position beyond the end of the log\n", 20s));
  {
    http_client c{port};
    REQUIRE(c.post("/v1/scheduler/pause").status == 200);
  }
  REQUIRE(w.wait_until([](const std::string& o) { return count_of(o, "#1 scheduler_paused") == 2; },
                       10s));
  CHECK(w.output().find("GAP") == std::string::npos);
}

TEST_CASE("vigil watch keeps trying while the daemon is unreachable, then connects", "[watch]") {
  const uint16_t port = free_port();
  vigil_child w{{"watch", "--url", "http://127.0.0.1:" + std::to_string(port)}};
  REQUIRE(w.wait_for("cannot connect to 127.0.0.1:" + std::to_string(port) +
                         ": Connection refused; reconnecting in 2.0s...\n",
                     10s));
  auto d = daemon_on(port);
  REQUIRE(w.wait_for(snapshot_line, 15s));
  CHECK(w.output().find("RESYNC") == std::string::npos);  // nothing seen before: no resume id
}

// ---- against a scripted server -----------------------------------------------------------------

namespace {

/// Accepts connections on 127.0.0.1 and answers the n-th with script[n]; records each request.
class scripted_server {
 public:
  explicit scripted_server(std::vector<std::vector<std::string>> script)
      : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~scripted_server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  uint16_t port() const { return port_; }
  struct request {
    std::string head;
    clock_type::time_point at;
  };
  std::vector<request> requests() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return requests_;
  }

 private:
  void run() {
    for (const auto& answer : script_) {
      int conn = -1;
      while (!stop_ && conn < 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      }
      if (conn < 0) return;
      std::string head;
      char buf[1024];
      while (head.find("\r\n\r\n") == std::string::npos) {
        pollfd p{conn, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        const ssize_t n = ::read(conn, buf, sizeof buf);
        if (n <= 0) break;
        head.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> guard{mutex_};
        requests_.push_back({head, clock_type::now()});
      }
      for (const auto& piece : answer) {  // separate writes: the client sees them split
        if (::send(conn, piece.data(), piece.size(), MSG_NOSIGNAL) < 0) break;
        std::this_thread::sleep_for(20ms);
      }
      ::close(conn);
    }
  }

  std::vector<std::vector<std::string>> script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<request> requests_;
};

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

std::string event_json(int seq) {
  return "{\"seq\":" + std::to_string(seq) + ",\"type\":\"scheduler_paused\",\"version\":2," +
         "\"time\":\"2024-01-01T00:00:00Z\",\"epoch\":\"e\",\"body\":{\"n\":" +
         std::to_string(seq) + "}}";
}

}  // namespace

TEST_CASE("vigil watch reports a gap, honours retry and Retry-After, and stops on a 404",
          "[watch]") {
  const std::string sse_head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string events =
      "retry: 300\n\n"
      "event: event\nid: 1\ndata: " +
      event_json(1) + "\n\n" + "event: event\nid: 2\ndata: " + event_json(2) + "\n\n" +
      "event: event\nid: 4\ndata: " + event_json(4) + "\n\n";
  // The body is cut in the middle of lines and of chunks.
  const std::string wire = chunk(events.substr(0, 20)) + chunk(events.substr(20, 57)) +
                           chunk(events.substr(77)) + "0\r\n\r\n";
  const std::string busy_body =
      R"j({"error":"unavailable","detail":"too many stream clients (1)"})j";
  const std::string gone_body = R"({"error":"not_found","detail":"no route /v1/stream/events"})";
  scripted_server server{{
      {sse_head + wire.substr(0, 50), wire.substr(50, 71), wire.substr(121)},
      {"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
       "Content-Length: " +
       std::to_string(busy_body.size()) + "\r\n\r\n" + busy_body},
      {"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " +
       std::to_string(gone_body.size()) + "\r\n\r\n" + gone_body},
  }};
  vigil_child w{
      {"watch", "--events", "--url", "http://127.0.0.1:" + std::to_string(server.port())}};
  REQUIRE(w.wait_exit(15s) == 1);
  const std::string out = w.output();
  INFO(out);
  CHECK(out.find("  #1 scheduler_paused {\"n\":1}\n") != std::string::npos);
  CHECK(out.find("  #2 scheduler_paused {\"n\":2}\n") != std::string::npos);
  CHECK(out.find("  GAP: expected 3, got 4\n") != std::string::npos);
  CHECK(out.find("  #4 scheduler_paused {\"n\":4}\n") != std::string::npos);
  CHECK(out.find("stream ended (the server ended the stream); reconnecting in 0.3s...\n") !=
        std::string::npos);
  CHECK(out.find("HTTP 503 Service Unavailable: too many stream clients (1); reconnecting in "
                 "1.0s...\n") != std::string::npos);
  CHECK(out.find("cannot watch http://127.0.0.1:" + std::to_string(server.port()) +
                 "/v1/stream/events?after=0: HTTP 404 Not Found: no route /v1/stream/events\n") !=
        std::string::npos);

  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].head.rfind("GET /v1/stream/events?after=0 HTTP/1.1\r\n", 0) == 0);
  CHECK(reqs[0].head.find("Accept: text/event-stream\r\n") != std::string::npos);
  CHECK(reqs[0].head.find("Last-Event-ID") == std::string::npos);
  CHECK(reqs[1].head.find("\r\nLast-Event-ID: 4\r\n") != std::string::npos);
  CHECK(reqs[2].head.find("\r\nLast-Event-ID: 4\r\n") != std::string::npos);
  // retry: 300 rather than the default 2 s; then Retry-After: 1 rather than 300 ms.
  const auto first_gap = reqs[1].at - reqs[0].at;
  CHECK(first_gap >= 250ms);
  CHECK(first_gap < 1500ms);
  CHECK(reqs[2].at - reqs[1].at >= 950ms);
}

TEST_CASE("vigil watch --events resumes after the last event it printed, not a torn frame's id",
          "[watch]") {
  const std::string sse_head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  auto frame = [](int seq) {
    return "event: event\nid: " + std::to_string(seq) + "\ndata: " + event_json(seq) + "\n\n";
  };
  // The first connection ends inside the frame of #3: its id came, its data never did.
  const std::string torn = "retry: 100\n\n" + frame(1) + frame(2) + "event: event\nid: 3\n";
  scripted_server server{{
      {sse_head + chunk(torn)},
      {sse_head + chunk(frame(3) + frame(4))},
  }};
  vigil_child w{
      {"watch", "--events", "--url", "http://127.0.0.1:" + std::to_string(server.port())}};
  REQUIRE(w.wait_for_output("  #4 scheduler_paused", 15s));
  w.signal(SIGTERM);
  REQUIRE(w.wait_exit(15s) == 0);
  const std::string out = w.output();
  INFO(out);
  for (int seq = 1; seq <= 4; ++seq) CHECK(count_of(out, "  #" + std::to_string(seq) + " ") == 1);
  CHECK(count_of(out, "GAP") == 0);
  const auto reqs = server.requests();
  REQUIRE(reqs.size() >= 2);
  CHECK(reqs[1].head.find("\r\nLast-Event-ID: 2\r\n") != std::string::npos);
}
