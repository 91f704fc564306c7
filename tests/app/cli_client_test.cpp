// The client subcommands against the real binary and a real daemon: `vigil status` exits with
// the verdict (0 pass, 1 warn, 2 fail, 3 unreachable), `vigil jobs ...` round-trips a job,
// prints the server's refusal with its field, passes the token through, and has --help on
// every level.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/sys_test.hpp"

namespace {

/// A listening socket on 127.0.0.1 with a kernel-chosen port; closed on destruction.
struct listener {
  int fd = -1;
  uint16_t port = 0;
  listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~listener() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

/// A port nothing listens on: bound by the kernel, then closed.
uint16_t free_port() {
  listener l;
  return l.port;
}

json shell_job(const std::string& id, const std::string& schedule, const std::string& shell) {
  return json{{"id", id}, {"schedule", schedule}, {"command", {{"shell", shell}}}};
}

/// A job that never fires by itself while the tests run (01:00 UTC on January 1st).
constexpr const char* yearly = "0 1 1 1 *";

/// `sh -c '[env] <vigil> <args> < file'`: for `apply -f -` (run_vigil gives the child no stdin)
/// and for VIGIL_TOKEN (set for the child only, not in this multithreaded process).
run_result run_vigil_with_stdin(const std::string& args, const std::string& stdin_file,
                                const std::string& env = {}) {
  return run_shell(env + (env.empty() ? "" : " ") + "exec '" + VIGIL_BINARY + "' " + args + " < '" +
                   stdin_file + "' 2>&1");
}

/// Accepts `answers.size()` connections in turn; each gets its request read (head and body) and
/// then the answer made from it. The requests are kept for the test to look at.
class scripted_server {
 public:
  using answer = std::function<std::string(const std::string& request)>;
  explicit scripted_server(std::vector<answer> answers) {
    thread_ = std::thread{[this, answers = std::move(answers)] {
      for (const auto& make : answers) {
        const int conn = ::accept(socket_.fd, nullptr, nullptr);
        if (conn < 0) return;
        std::string req;
        char buf[4096];
        size_t head = std::string::npos;
        size_t want = 0;
        while (head == std::string::npos || req.size() < head + 4 + want) {
          const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
          if (n <= 0) break;
          req.append(buf, static_cast<size_t>(n));
          if (head == std::string::npos && (head = req.find("\r\n\r\n")) != std::string::npos) {
            const size_t at = req.find("Content-Length: ");
            if (at != std::string::npos && at < head) want = std::stoul(req.substr(at + 16));
          }
        }
        requests_.push_back(req);
        const std::string out = make(req);
        (void)::send(conn, out.data(), out.size(), MSG_NOSIGNAL);
        ::close(conn);
      }
    }};
  }
  ~scripted_server() { join(); }
  uint16_t port() const { return socket_.port; }
  /// Waits until every answer was given; the requests, in order.
  const std::vector<std::string>& requests() {
    join();
    return requests_;
  }

 private:
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  listener socket_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

std::string redirect_to(const std::string& location) {
  return "HTTP/1.1 307 Temporary Redirect\r\nLocation: " + location +
         "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

/// The request line's target ("/v1/jobs/x/run").
std::string target_of(const std::string& request) {
  const size_t sp = request.find(' ');
  return request.substr(sp + 1, request.find(' ', sp + 1) - sp - 1);
}

}  // namespace

TEST_CASE("the client follows 307 to the Location with the method, body and token",
          "[cli][redirect]") {
  temp_dir dir;
  const std::string token = "redirect-token-1";
  const std::string tokens = write_file(dir, "tokens", token + "\n");
  ::chmod(tokens.c_str(), 0600);
  daemon_process leader{{"--auth-token-file", tokens}};
  http_client c{leader.port()};
  REQUIRE(c.request("PUT", "/v1/jobs/moved", shell_job("moved", yearly, "true").dump(),
                    {{"Authorization", "Bearer " + token}})
              .status == 201);
  // A follower that first redirects to itself by a path, then names the leader by its URL.
  scripted_server relay{{[&](const std::string& req) { return redirect_to(target_of(req)); },
                         [&](const std::string& req) {
                           return redirect_to(url_of(leader.port()) + target_of(req));
                         }}};
  const auto run = run_vigil({"jobs", "run", "moved", "--overlap", "allow", "--url",
                              url_of(relay.port()), "--token", token});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(contains(run.output, "job moved: fired (manual)"));
  const auto& seen = relay.requests();
  REQUIRE(seen.size() == 2);
  for (const auto& req : seen) {
    CHECK(req.rfind("POST /v1/jobs/moved/run HTTP/1.1\r\n", 0) == 0);
    CHECK(contains(req, "Authorization: Bearer " + token));
    CHECK(contains(req, R"({"overlap":"allow"})"));
  }
}

TEST_CASE("the client gives up after a few redirects and on a Location it cannot follow",
          "[cli][redirect]") {
  SECTION("a loop: six requests (the first and five redirects), then exit 3") {
    // A seventh request would find nobody answering and time out instead.
    std::vector<scripted_server::answer> answers(
        6, [](const std::string& req) { return redirect_to(target_of(req)); });
    scripted_server loop{answers};
    const auto r = run_vigil({"jobs", "list", "--url", url_of(loop.port())});
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.output, "more than 5 redirects"));
    CHECK(loop.requests().size() == 6);
  }
  SECTION("https is not followed") {
    scripted_server s{{[](const std::string&) { return redirect_to("https://leader:8443/x"); }}};
    const auto r = run_vigil({"jobs", "list", "--url", url_of(s.port())});
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.output, "https://leader:8443/x"));
  }
  SECTION("a Location --url would refuse is not followed, and the token goes nowhere") {
    // A scheme-relative Location, user info, no port, a relative path: each is refused with
    // exit 3 naming it, after one request (the token went only to the daemon asked; a port 1
    // that answered would have been a second request).
    for (const std::string location :
         {"//127.0.0.1:1/x", "http://user:pw@127.0.0.1:1/x", "http://127.0.0.1/x", "x"}) {
      INFO(location);
      scripted_server s{{[&](const std::string&) { return redirect_to(location); }}};
      const auto r = run_vigil({"jobs", "list", "--url", url_of(s.port()), "--token", "t-1"});
      INFO(r.output);
      CHECK(r.exit_code == 3);
      CHECK(contains(r.output, "(" + location + ")"));
      CHECK(s.requests().size() == 1);
    }
  }
}

TEST_CASE("vigil status exits 0 on pass and 1 on warn (a paused scheduler)", "[cli][status]") {
  // I = 1 s: the heartbeat passes for 2 s, so a loaded machine does not turn pass into warn.
  daemon_process daemon{{"--tick-interval", "1s"}};
  http_client c{daemon.port()};
  REQUIRE(health_becomes(c, "pass", std::chrono::seconds{10}));
  const auto pass = run_vigil({"status", "--url", url_of(daemon.port())});
  INFO(pass.output);
  CHECK(pass.exit_code == 0);
  CHECK(contains(pass.output, "PASS"));
  for (const char* part : {"scheduler:heartbeat", "scheduler:state", "journal:writable",
                           "last updated", "ago", "scheduler: running", "jobs:", "journal:"})
    CHECK(contains(pass.output, part));

  REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"maintenance window"})").status == 200);
  const auto warn = run_vigil({"status", "--url", url_of(daemon.port())});
  INFO(warn.output);
  CHECK(warn.exit_code == 1);
  CHECK(contains(warn.output, "WARN"));
  CHECK(contains(warn.output, "maintenance window"));

  const auto raw = run_vigil({"status", "--json", "--url", url_of(daemon.port())});
  CHECK(raw.exit_code == 1);
  const auto body = json::parse(raw.output, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body["status"] == "warn");
}

TEST_CASE("vigil status exits 2 when the scheduling loop is stalled", "[cli][status]") {
  // I = 50 ms, D = 500 ms: the heartbeat fails beyond 550 ms; the stall lasts 10 s.
  daemon_process daemon{{"--tick-interval", "50ms", "--cycle-deadline", "500ms", "--test-hooks"}};
  http_client c{daemon.port()};
  REQUIRE(health_becomes(c, "pass", std::chrono::seconds{10}));
  REQUIRE(c.post("/v1/debug/stall?target=scheduler&for=10s").status == 202);
  REQUIRE(health_becomes(c, "fail", std::chrono::seconds{5}));
  const auto r = run_vigil({"status", "--url", url_of(daemon.port())});
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "FAIL"));
  CHECK(contains(r.output, "heartbeat is stale"));
}

TEST_CASE("vigil status exits 3 when the daemon cannot be reached or is not a daemon",
          "[cli][status]") {
  SECTION("nothing listens") {
    const auto r = run_vigil({"status", "--url", url_of(free_port())});
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.output, "unreachable"));
  }
  SECTION("a listener that never answers: bounded by --timeout") {
    listener silent;  // the kernel completes the handshake; nobody ever reads
    const auto start = clock_type::now();
    const auto r = run_vigil({"status", "--timeout", "300ms", "--url", url_of(silent.port)});
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.output, "did not answer within"));
    CHECK(clock_type::now() - start < std::chrono::seconds{5});
  }
  SECTION("an answer that is not HTTP, and HTTP that is not a health verdict") {
    for (const std::string& answer :
         {std::string{"garbage\n\n"},
          std::string{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"}}) {
      listener server;
      std::thread t{[&] {
        const int conn = ::accept(server.fd, nullptr, nullptr);
        if (conn < 0) return;
        char buf[4096];
        (void)::recv(conn, buf, sizeof buf, 0);
        (void)::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
        ::close(conn);
      }};
      const auto r = run_vigil({"status", "--url", url_of(server.port)});
      t.join();
      INFO(answer << " -> " << r.output);
      CHECK(r.exit_code == 3);
    }
  }
}

TEST_CASE("vigil jobs: apply, list, get, run, pause, resume, runs, decisions, rm round trip",
          "[cli][jobs]") {
  temp_dir dir;
  daemon_process daemon{{"--tick-interval", "50ms"}};
  const std::string url = url_of(daemon.port());
  const std::string file = write_file(
      dir, "jobs.json",
      json::array({shell_job("backup", yearly, "true"), shell_job("report", "@every 1h", "exit 0")})
          .dump());

  auto applied = run_vigil({"jobs", "apply", "-f", file, "--url", url});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.output, "job backup: created"));
  CHECK(contains(applied.output, "job report: created"));

  applied = run_vigil({"jobs", "apply", "-f", file, "--url", url});
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.output, "job backup: unchanged"));
  CHECK(contains(applied.output, "job report: unchanged"));

  const std::string changed =
      write_file(dir, "backup.json", shell_job("backup", yearly, "echo changed").dump());
  applied = run_vigil({"jobs", "apply", "-f", changed, "--url", url});
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.output, "job backup: changed (command; revision 2)"));

  // stdin
  const std::string third =
      write_file(dir, "third.json", shell_job("third", yearly, "true").dump());
  const auto piped = run_vigil_with_stdin("jobs apply -f - --url " + url, third);
  INFO(piped.output);
  CHECK(piped.exit_code == 0);
  CHECK(contains(piped.output, "job third: created"));

  const auto list = run_vigil({"jobs", "list", "--url", url});
  INFO(list.output);
  CHECK(list.exit_code == 0);
  for (const char* part : {"ID", "SCHEDULE", "NEXT", "LAST RESULT", "LAST SUCCESS", "backup",
                           "report", "third", yearly, "@every 1h", "enabled"})
    CHECK(contains(list.output, part));
  // A page of one, then every page.
  const auto first_page = run_vigil({"jobs", "list", "--limit", "1", "--url", url});
  CHECK(first_page.exit_code == 0);
  CHECK(contains(first_page.output, "1 of 3 jobs shown"));
  CHECK_FALSE(contains(first_page.output, "third"));
  const auto all = run_vigil({"jobs", "list", "--all", "--limit", "1", "--url", url});
  CHECK(all.exit_code == 0);
  for (const char* id : {"backup", "report", "third"}) CHECK(contains(all.output, id));

  const auto get = run_vigil({"jobs", "get", "backup", "--url", url});
  CHECK(get.exit_code == 0);
  const auto view = json::parse(get.output, nullptr, false);
  REQUIRE(view.is_object());
  CHECK(view["id"] == "backup");
  CHECK(view["spec"]["command"]["shell"] == "echo changed");

  const auto run = run_vigil({"jobs", "run", "backup", "--overlap", "allow", "--url", url});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(contains(run.output, "job backup: fired"));
  CHECK(contains(run.output, ", run "));

  const auto paused =
      run_vigil({"jobs", "pause", "report", "--reason", "quiet hours", "--url", url});
  INFO(paused.output);
  CHECK(paused.exit_code == 0);
  CHECK(contains(paused.output, "job report: paused"));
  CHECK(contains(paused.output, "quiet hours"));
  CHECK(contains(run_vigil({"jobs", "list", "--url", url}).output, "enabled,paused"));
  const auto resumed = run_vigil({"jobs", "resume", "report", "--url", url});
  CHECK(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "job report: running"));

  const auto runs = run_vigil({"jobs", "runs", "backup", "--limit", "5", "--url", url});
  INFO(runs.output);
  CHECK(runs.exit_code == 0);
  CHECK(contains(runs.output, "RUN"));
  CHECK(contains(runs.output, "manual"));
  const auto decisions = run_vigil({"jobs", "decisions", "backup", "--url", url});
  INFO(decisions.output);
  CHECK(decisions.exit_code == 0);
  CHECK(contains(decisions.output, "fired"));

  const auto rm = run_vigil({"jobs", "rm", "third", "--url", url});
  CHECK(rm.exit_code == 0);
  CHECK(contains(rm.output, "job third: removed"));
  const auto gone = run_vigil({"jobs", "get", "third", "--url", url});
  INFO(gone.output);
  CHECK(gone.exit_code == 1);
  CHECK(contains(gone.output, "HTTP 404 not_found"));
  CHECK(run_vigil({"jobs", "rm", "third", "--url", url}).exit_code == 1);
}

TEST_CASE_METHOD(cli_fixture,
                 "vigil jobs apply prints the server's refusal with its field and exits 1",
                 "[cli][jobs]") {
  const std::string bad_schedule =
      write_file(dir, "bad.json", shell_job("bad", "not a schedule", "true").dump());
  auto r = run_vigil({"jobs", "apply", "-f", bad_schedule, "--url", url});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "job bad: refused: HTTP 400 invalid_argument"));
  CHECK(contains(r.output, "(field /schedule)"));

  json unknown = shell_job("odd", yearly, "true");
  unknown["colour"] = "blue";
  r = run_vigil({"jobs", "apply", "-f", write_file(dir, "odd.json", unknown.dump()), "--url", url});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "/colour"));

  r = run_vigil({"jobs", "apply", "-f", write_file(dir, "notjson.json", "{oops"), "--url", url});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "is not JSON"));
  r = run_vigil({"jobs", "apply", "-f", write_file(dir, "noid.json", R"({"schedule":"@every 1m"})"),
                 "--url", url});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "/id"));
  CHECK(run_vigil({"jobs", "apply", "-f", dir.file("missing.json"), "--url", url}).exit_code == 1);

  // Nothing was defined by the refusals.
  CHECK(contains(run_vigil({"jobs", "list", "--url", url}).output, "no jobs"));
  // Unreachable is 3, not 1.
  CHECK(run_vigil({"jobs", "list", "--url", url_of(free_port())}).exit_code == 3);
}

TEST_CASE("a job file over the daemon's body limit is reported as too large, not unreachable",
          "[cli][jobs]") {
  temp_dir dir;
  daemon_process daemon{{"--max-body", "1024"}};  // RESTinio reads up to 16 KiB, then cuts
  const std::string url = url_of(daemon.port());
  json job = shell_job("big", yearly, "true");
  job["description"] = std::string(4000, 'x');  // over the limit: the daemon's own 413
  auto r = run_vigil({"jobs", "apply", "-f", write_file(dir, "a.json", job.dump()), "--url", url});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "HTTP 413 payload_too_large"));
  job["description"] = std::string(4'000'000, 'x');  // far over: the connection is cut
  r = run_vigil({"jobs", "apply", "-f", write_file(dir, "b.json", job.dump()), "--url", url});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "the request is too large"));
  CHECK_FALSE(contains(r.output, "unreachable"));
  CHECK(contains(run_vigil({"jobs", "list", "--url", url}).output, "no jobs"));
}

TEST_CASE("vigil jobs passes --token through and never prints it", "[cli][jobs][auth]") {
  temp_dir dir;
  const std::string token = "cli-Token_for.tests~2";
  const std::string tokens = write_file(dir, "tokens", token + "\n");
  ::chmod(tokens.c_str(), 0600);
  daemon_process daemon{{"--auth-token-file", tokens}};
  const std::string url = url_of(daemon.port());
  const std::string file = write_file(dir, "job.json", shell_job("guarded", yearly, "true").dump());

  const auto refused = run_vigil({"jobs", "apply", "-f", file, "--url", url});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "unauthorized"));

  const auto wrong = run_vigil({"jobs", "apply", "-f", file, "--url", url, "--token", "nope"});
  CHECK(wrong.exit_code == 1);
  CHECK(contains(wrong.output, "unauthorized"));
  CHECK_FALSE(contains(wrong.output, "nope"));

  const auto ok = run_vigil({"jobs", "apply", "-f", file, "--url", url, "--token", token});
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.output, "job guarded: created"));
  CHECK_FALSE(contains(ok.output, token));
  const auto paused = run_vigil({"jobs", "pause", "guarded", "--url", url, "--token", token});
  CHECK(paused.exit_code == 0);
  CHECK_FALSE(contains(paused.output, token));
  // The token from VIGIL_TOKEN.
  const auto from_env = run_vigil_with_stdin("jobs resume guarded --url " + url, "/dev/null",
                                             "VIGIL_TOKEN='" + token + "'");
  INFO(from_env.output);
  CHECK(from_env.exit_code == 0);
  CHECK(contains(from_env.output, "job guarded: running"));
  CHECK_FALSE(contains(from_env.output, token));

  // With tokens configured, /health details need one (show_details = when_authorized).
  const auto hidden = run_vigil({"status", "--url", url});
  CHECK(contains(hidden.output, "not shown"));
  const auto shown = run_vigil({"status", "--url", url, "--token", token});
  INFO(shown.output);
  CHECK(contains(shown.output, "scheduler:heartbeat"));
  CHECK_FALSE(contains(shown.output, token));
}

TEST_CASE("help (--help) works on every level of the client commands", "[cli]") {
  const auto top = run_vigil({"--help"});
  CHECK(top.exit_code == 0);
  for (const char* sub : {"serve", "watch", "status", "jobs"}) CHECK(contains(top.output, sub));
  const auto status = run_vigil({"status", "--help"});
  CHECK(status.exit_code == 0);
  for (const char* part : {"--url", "--token", "--json", "--timeout", "VIGIL_TOKEN", "3"})
    CHECK(contains(status.output, part));
  const auto jobs = run_vigil({"jobs", "--help"});
  CHECK(jobs.exit_code == 0);
  for (const char* sub :
       {"list", "get", "apply", "rm", "run", "pause", "resume", "runs", "decisions"})
    CHECK(contains(jobs.output, sub));
  const auto apply = run_vigil({"jobs", "apply", "--help"});
  CHECK(apply.exit_code == 0);
  for (const char* part : {"--file", "--url", "--token"}) CHECK(contains(apply.output, part));
  for (const char* sub : {"list", "get", "rm", "run", "pause", "resume", "runs", "decisions"})
    CHECK(run_vigil({"jobs", sub, "--help"}).exit_code == 0);

  // Usage errors are 2.
  CHECK(run_vigil({"jobs"}).exit_code == 2);
  CHECK(run_vigil({"jobs", "get"}).exit_code == 2);
  CHECK(run_vigil({"jobs", "apply"}).exit_code == 2);
  CHECK(run_vigil({"jobs", "run", "x", "--overlap", "sometimes"}).exit_code == 2);
  const auto bad_url = run_vigil({"status", "--url", "https://example.com:1"});
  CHECK(bad_url.exit_code == 2);
  CHECK(contains(bad_url.output, "--url"));
}

TEST_CASE("the production config in packaging/ loads", "[config][packaging]") {
  const auto config = std::filesystem::path{VIGIL_SOURCE_DIR} / "packaging" / "vigil.toml";
  REQUIRE(std::filesystem::exists(config));
  const auto r = run_vigil({"serve", "--config", config.string(), "--print-config"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* line : {"data_dir = \"/var/lib/vigil\"  # file", "log_format = \"json\"  # file",
                           "listen = \"127.0.0.1:8080\"  # file", "test_hooks = false  # file"})
    CHECK(contains(r.output, line));
}
