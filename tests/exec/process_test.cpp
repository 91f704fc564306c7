// The process supervisor against real child processes: outcomes, environment, group kills,
// output tails, start failures, cancel, shutdown and load. Callbacks are awaited, never slept on.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exec/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_exec.hpp"

namespace {

using namespace std::chrono_literals;
namespace exec = vigil::exec;
namespace model = vigil::model;
using exec::process_outcome;
using exec::process_request;
using exec::process_result;
using namespace vigil::test;

/// Records callbacks; tests wait on its condition variable for what they expect.
struct recorder : result_recorder {
  std::vector<std::string> started_order;
  std::map<std::string, int> started_count;
  std::map<std::string, int> started_pid;
  std::vector<std::string> finished_order;
  std::map<std::string, int> finished_count;
  int alive = 0;  ///< started minus finished-after-start, as the callbacks saw it
  int max_alive = 0;
  std::function<void(const process_result&)> on_finished;  ///< runs outside the recorder lock

  exec::process_supervisor::callbacks callbacks() {
    return {[this](const std::string& id, int pid, model::wall_time, const model::containment&) {
              std::lock_guard lk(mu);
              started_order.push_back(id);
              ++started_count[id];
              started_pid[id] = pid;
              max_alive = std::max(max_alive, ++alive);
              cv.notify_all();
            },
            [this](process_result r) {
              if (on_finished) on_finished(r);
              std::lock_guard lk(mu);
              if (started_count.count(r.run_id) != 0) --alive;
              finished_order.push_back(r.run_id);
              ++finished_count[r.run_id];
              results[r.run_id] = std::move(r);
              cv.notify_all();
            }};
  }

  int wait_started(const std::string& id) {
    std::unique_lock lk(mu);
    REQUIRE(cv.wait_for(lk, 30s, [&] { return started_count.count(id) != 0; }));
    return started_pid.at(id);
  }
  void wait_finished(size_t n) {
    std::unique_lock lk(mu);
    REQUIRE(cv.wait_for(lk, 60s, [&] { return finished_order.size() >= n; }));
  }
};

process_request shell(std::string id, std::string script) {
  process_request r;
  r.run_id = std::move(id);
  r.command.shell = std::move(script);
  return r;
}

process_request argv(std::string id, std::vector<std::string> args) {
  process_request r;
  r.run_id = std::move(id);
  r.command.argv = std::move(args);
  return r;
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  { std::ofstream(path) << text; }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

using supervised = supervision<recorder>;

/// `script`, run as `id` with `timeout` and `grace`, times out, ends by `signal` and says `error`.
void check_timed_out(supervised& f, const std::string& id, const std::string& script,
                     model::duration timeout, model::duration grace, int signal,
                     const std::string& error) {
  auto r = shell(id, script);
  r.timeout = timeout;
  r.kill_grace = grace;
  f.sup.start(r);
  auto res = f.rec.wait_for(id);
  CHECK(res.outcome == process_outcome::timed_out);
  CHECK(res.signal == signal);
  CHECK(res.error == error);
}

}  // namespace

TEST_CASE_METHOD(supervised, "exit codes are reported as exited", "[exec]") {
  sup.start(argv("ok", {"/bin/true"}));
  sup.start(shell("three", "exit 3"));
  auto ok = rec.wait_for("ok");
  auto three = rec.wait_for("three");
  CHECK(ok.outcome == process_outcome::exited);
  CHECK(ok.exit_code == 0);
  CHECK_FALSE(ok.signal);
  CHECK(ok.pid > 0);
  CHECK(rec.wait_started("ok") == ok.pid);
  CHECK(ok.finished_at >= ok.started_at);
  CHECK(three.outcome == process_outcome::exited);
  CHECK(three.exit_code == 3);
}

TEST_CASE_METHOD(supervised, "a process killed by a signal is reported as signaled", "[exec]") {
  sup.start(shell("nine", "kill -9 $$"));
  auto r = rec.wait_for("nine");
  CHECK(r.outcome == process_outcome::signaled);
  CHECK(r.signal == SIGKILL);
  CHECK_FALSE(r.exit_code);
}

TEST_CASE("the child gets a minimal environment, its own variables and its working directory",
          "[exec]") {
  ::setenv("VIGIL_TEST_DAEMON_ONLY", "leak", 1);  // no other thread runs yet
  vigil::test::temp_dir dir;
  recorder rec;
  exec::process_supervisor sup(rec.callbacks());
  auto r =
      shell("env", "echo \"${VIGIL_TEST_DAEMON_ONLY-unset}|$FOO|$BOTH|$VIGIL_RUN_ID|$PATH\"; pwd");
  r.command.env = {{"FOO", "bar"}, {"BOTH", "from-command"}};
  r.extra_env = {{"VIGIL_RUN_ID", "env"}, {"BOTH", "from-caller"}};
  r.command.working_dir = dir.path();
  sup.start(r);
  auto res = rec.wait_for("env");
  ::unsetenv("VIGIL_TEST_DAEMON_ONLY");
  CHECK(res.outcome == process_outcome::exited);
  CHECK(res.output ==
        "unset|bar|from-caller|env|/usr/local/bin:/usr/bin:/bin\n" + dir.path() + "\n");
}

TEST_CASE_METHOD(supervised, "argv is passed verbatim while the shell form is interpreted",
                 "[exec]") {
  sup.start(argv("argv", {"/bin/echo", "a  b", "$HOME", "*"}));
  sup.start(shell("shell", "echo $((1 + 2)) \"a  b\""));
  CHECK(rec.wait_for("argv").output == "a  b $HOME *\n");
  CHECK(rec.wait_for("shell").output == "3 a  b\n");
}

TEST_CASE("argv[0] without a slash is searched in the PATH the child gets", "[exec]") {
  vigil::test::temp_dir dir;
  write_file(dir.file("vigil-probe-tool"), "#!/bin/sh\necho probe \"$1\"\n", 0755);
  recorder rec;
  exec::process_supervisor sup(rec.callbacks());
  sup.start(argv("echo", {"echo", "hi"}));
  auto own = argv("own", {"vigil-probe-tool", "x"});
  own.command.env["PATH"] = dir.path() + ":/usr/bin:/bin";
  sup.start(own);
  sup.start(argv("absent", {"vigil-no-such-tool"}));
  CHECK(rec.wait_for("echo").output == "hi\n");
  auto r = rec.wait_for("own");
  CHECK(r.outcome == process_outcome::exited);
  CHECK(r.output == "probe x\n");
  auto absent = rec.wait_for("absent");
  CHECK(absent.outcome == process_outcome::failed_to_start);
  CHECK(absent.error ==
        "executable not found in PATH (/usr/local/bin:/usr/bin:/bin): "
        "vigil-no-such-tool");
}

TEST_CASE_METHOD(supervised, "stdout and stderr share one pipe in order, stdin is empty",
                 "[exec]") {
  sup.start(shell("mixed", "echo a; echo b >&2; echo c; cat; echo end"));
  auto r = rec.wait_for("mixed");
  CHECK(r.output == "a\nb\nc\nend\n");
  CHECK(r.output_bytes == r.output.size());
  CHECK_FALSE(r.truncated);
}

TEST_CASE("a timeout kills the whole group, a grandchild ignoring SIGTERM included", "[exec]") {
  vigil::test::temp_dir dir;
  recorder rec;
  exec::process_supervisor sup(rec.callbacks());
  std::string pid_file = dir.file("grandchild.pid");
  auto r = shell("slow", "sh -c 'trap \"\" TERM; echo $$ > " + pid_file + ".tmp; mv " + pid_file +
                             ".tmp " + pid_file + "; exec sleep 1000' & wait");
  r.timeout = 1s;
  r.kill_grace = 500ms;
  sup.start(r);
  auto res = rec.wait_for("slow");
  CHECK(res.outcome == process_outcome::timed_out);
  CHECK(res.error == "killed after timeout 1s (+ grace 500ms)");
  CHECK(res.duration >= r.timeout + r.kill_grace);  // the grandchild outlived SIGTERM
  CHECK(res.duration < r.timeout + r.kill_grace + 5s);
  std::string text = read_file(pid_file);
  REQUIRE_FALSE(text.empty());
  pid_t grandchild = std::stoi(text);
  CHECK(eventually([&] { return process_gone(grandchild); }));
}

TEST_CASE_METHOD(supervised, "a leader ignoring SIGTERM is killed after the grace", "[exec]") {
  check_timed_out(*this, "stubborn", "trap '' TERM; while :; do sleep 0.05; done", 100ms, 200ms,
                  SIGKILL, "killed after timeout 100ms (+ grace 200ms)");
}

TEST_CASE_METHOD(supervised, "a timed-out run that SIGTERM ends says it was terminated, not killed",
                 "[exec]") {
  check_timed_out(*this, "polite", "exec sleep 30", 100ms, 20s, SIGTERM,
                  "terminated (SIGTERM) after timeout 100ms, ended within the grace 20s");
}

TEST_CASE("output beyond the limit keeps exactly the tail after a marker", "[exec]") {
  std::string all;
  for (int i = 1; i <= 20000; ++i) all += std::to_string(i) + "\n";
  recorder rec;
  exec::process_supervisor sup(rec.callbacks());
  auto r = argv("seq", {"seq", "1", "20000"});
  r.output_limit = 1000;
  sup.start(r);
  auto small = argv("small", {"seq", "1", "3"});
  small.output_limit = 1000;
  sup.start(small);
  auto res = rec.wait_for("seq");
  CHECK(res.truncated);
  CHECK(res.output_bytes == all.size());
  CHECK(res.output == "[vigil: output truncated, " + std::to_string(all.size() - 1000) +
                          " earlier bytes dropped]\n" + all.substr(all.size() - 1000));
  auto s = rec.wait_for("small");
  CHECK_FALSE(s.truncated);
  CHECK(s.output == "1\n2\n3\n");
}

TEST_CASE_METHOD(supervised, "a flood of output is counted in full and kept within the limit",
                 "[exec]") {
  auto r = argv("flood", {"head", "-c", "50000000", "/dev/zero"});
  r.output_limit = 4096;
  sup.start(r);
  auto res = rec.wait_for("flood", 120s);
  CHECK(res.outcome == process_outcome::exited);
  CHECK(res.output_bytes == 50000000u);
  CHECK(res.truncated);
  std::string marker = "[vigil: output truncated, 49995904 earlier bytes dropped]\n";
  CHECK(res.output == marker + std::string(4096, '\0'));
}

TEST_CASE("start failures are reported with the path at fault and change nothing else", "[exec]") {
  vigil::test::temp_dir dir;
  write_file(dir.file("plain.txt"), "not a program\n", 0644);
  write_file(dir.file("orphan.sh"), "#!/no/such/interpreter\n", 0755);
  recorder rec;
  exec::process_supervisor sup(rec.callbacks());
  sup.start(argv("missing", {"/no/such/binary"}));
  sup.start(argv("plain", {dir.file("plain.txt")}));
  sup.start(argv("orphan", {dir.file("orphan.sh")}));
  auto bad_dir = argv("bad-dir", {"/bin/true"});
  bad_dir.command.working_dir = "/no/such/dir";
  sup.start(bad_dir);
  sup.start(argv("empty", {}));
  sup.start(argv("after", {"/bin/echo", "still working"}));

  auto missing = rec.wait_for("missing");
  CHECK(missing.outcome == process_outcome::failed_to_start);
  CHECK(missing.pid == 0);
  CHECK(missing.error == "executable not found: /no/such/binary");
  auto plain = rec.wait_for("plain");
  CHECK(plain.outcome == process_outcome::failed_to_start);
  CHECK(plain.error == "not executable: " + dir.file("plain.txt") + " (Permission denied)");
  auto orphan = rec.wait_for("orphan");
  CHECK(orphan.outcome == process_outcome::failed_to_start);
  CHECK(orphan.error ==
        "cannot execute " + dir.file("orphan.sh") + ": its interpreter was not found");
  auto bd = rec.wait_for("bad-dir");
  CHECK(bd.outcome == process_outcome::failed_to_start);
  CHECK(bd.error == "working directory /no/such/dir: No such file or directory");
  CHECK(rec.wait_for("empty").outcome == process_outcome::failed_to_start);
  auto after = rec.wait_for("after");
  CHECK(after.outcome == process_outcome::exited);
  CHECK(after.output == "still working\n");
  std::lock_guard lk(rec.mu);
  CHECK(rec.started_count.count("missing") == 0);  // no started for what never ran
}

TEST_CASE("cancel terminates a running group and drops a queued request", "[exec]") {
  recorder rec;
  exec::process_supervisor sup(rec.callbacks(), exec::process_limits{1, 10});
  sup.start(argv("running", {"/bin/sleep", "100"}));
  rec.wait_started("running");
  sup.start(argv("queued", {"/bin/true"}));
  sup.cancel("queued");
  sup.cancel("running");
  sup.cancel("unknown");
  auto r = rec.wait_for("running");
  CHECK(r.outcome == process_outcome::cancelled);
  CHECK(r.signal == SIGTERM);
  auto q = rec.wait_for("queued");
  CHECK(q.outcome == process_outcome::cancelled);
  CHECK(q.pid == 0);
  std::lock_guard lk(rec.mu);
  CHECK(rec.started_count.count("queued") == 0);
}

TEST_CASE_METHOD(supervised, "shutdown lets short runs finish within the grace", "[exec]") {
  sup.start(shell("short", "sleep 0.2; echo done"));
  rec.wait_started("short");
  auto begin = std::chrono::steady_clock::now();
  sup.shutdown(20s);
  CHECK(std::chrono::steady_clock::now() - begin < 20s);
  auto r = rec.wait_for("short", 0s);  // delivered before shutdown returned
  CHECK(r.outcome == process_outcome::exited);
  CHECK(r.output == "done\n");
  CHECK(sup.running() == 0);
  sup.start(argv("late", {"/bin/true"}));  // answered on this thread: the loop is gone
  CHECK(rec.wait_for("late", 0s).error == "supervisor is shut down");
}

TEST_CASE("shutdown terminates long runs after the grace, and kills those ignoring SIGTERM",
          "[exec]") {
  recorder rec;
  exec::process_supervisor sup(rec.callbacks(), exec::process_limits{2, 10});
  sup.start(argv("long", {"/bin/sleep", "100"}));
  auto stubborn = shell("stubborn", "trap '' TERM; sleep 100");
  stubborn.kill_grace = 300ms;
  sup.start(stubborn);
  sup.start(argv("waiting", {"/bin/true"}));  // beyond the cap: never starts
  rec.wait_started("long");
  rec.wait_started("stubborn");
  sup.shutdown(200ms);
  auto l = rec.wait_for("long", 0s);
  CHECK(l.outcome == process_outcome::cancelled);
  CHECK(l.signal == SIGTERM);
  CHECK(l.duration >= 200ms);
  auto s = rec.wait_for("stubborn", 0s);
  CHECK(s.outcome == process_outcome::cancelled);
  CHECK(s.signal == SIGKILL);
  CHECK(rec.wait_for("waiting", 0s).outcome == process_outcome::cancelled);
}

TEST_CASE_METHOD(supervised, "a second shutdown with a shorter grace hurries the first", "[exec]") {
  sup.start(argv("long", {"/bin/sleep", "100"}));
  rec.wait_started("long");
  std::thread patient([this] { sup.shutdown(100s); });
  // The refusal says the first shutdown is in force.
  REQUIRE(eventually([&] {
    sup.start(argv("probe", {"/bin/true"}));
    auto r = rec.wait_for("probe");
    std::lock_guard lk(rec.mu);
    rec.results.erase("probe");
    return r.error == "supervisor is shutting down";
  }));
  sup.shutdown(0s);
  auto l = rec.wait_for("long", 0s);
  CHECK(l.outcome == process_outcome::cancelled);
  CHECK(l.duration < 60s);
  patient.join();
}

TEST_CASE("a hundred concurrent runs are each reported exactly once", "[exec]") {
  recorder rec;
  {
    exec::process_supervisor sup(rec.callbacks());
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t) {
      callers.emplace_back([&sup, t] {
        for (int i = 0; i < 25; ++i)
          sup.start(argv("t" + std::to_string(t * 25 + i), {"/bin/true"}));
      });
    }
    for (auto& c : callers) c.join();
    rec.wait_finished(100);
  }  // destroyed: nothing more can arrive
  CHECK(rec.finished_order.size() == 100);
  CHECK(rec.started_order.size() == 100);
  for (int i = 0; i < 100; ++i) {
    std::string id = "t" + std::to_string(i);
    CHECK(rec.started_count[id] == 1);
    CHECK(rec.finished_count[id] == 1);
    CHECK(rec.results[id].outcome == process_outcome::exited);
    CHECK(rec.results[id].exit_code == 0);
  }
}

TEST_CASE("requests beyond the cap wait in FIFO order and drain", "[exec]") {
  recorder rec;
  exec::process_supervisor sup(rec.callbacks(), exec::process_limits{3, 1000});
  std::vector<std::string> ids;
  for (int i = 0; i < 24; ++i) {
    ids.push_back("q" + std::to_string(i));
    sup.start(shell(ids.back(), "sleep 0.1"));
  }
  rec.wait_finished(ids.size());
  std::lock_guard lk(rec.mu);
  CHECK(rec.started_order == ids);
  CHECK(rec.max_alive == 3);
  for (auto& id : ids) CHECK(rec.results[id].outcome == process_outcome::exited);
}

TEST_CASE("a long queue of quick runs behind a cap of one drains", "[exec]") {
  // Each exit frees the only slot: the next must start without any other wakeup.
  recorder rec;
  exec::process_supervisor sup(rec.callbacks(), exec::process_limits{1, 1000});
  for (int i = 0; i < 500; ++i) sup.start(argv("quick" + std::to_string(i), {"/bin/true"}));
  rec.wait_finished(500);
  std::lock_guard lk(rec.mu);
  CHECK(rec.max_alive == 1);
  CHECK(rec.finished_order.back() == "quick499");
}

TEST_CASE("a full queue refuses with a clear error", "[exec]") {
  recorder rec;
  exec::process_supervisor sup(rec.callbacks(), exec::process_limits{1, 2});
  sup.start(argv("busy", {"/bin/sleep", "100"}));
  rec.wait_started("busy");
  sup.start(argv("w1", {"/bin/true"}));
  sup.start(argv("w2", {"/bin/true"}));
  sup.start(argv("w3", {"/bin/true"}));
  sup.start(argv("busy", {"/bin/true"}));  // already running: refused, the first one untouched
  auto w3 = rec.wait_for("w3");
  CHECK(w3.outcome == process_outcome::failed_to_start);
  CHECK(w3.error == "runner queue full");
  CHECK(sup.queued() == 2);
  sup.cancel("w2");
  sup.cancel("w1");
  CHECK(rec.wait_for("w1").outcome == process_outcome::cancelled);
  CHECK(rec.wait_for("w2").outcome == process_outcome::cancelled);
  {
    std::lock_guard lk(rec.mu);
    CHECK(rec.results.at("busy").error == "run id busy is already active");
    rec.results.erase("busy");
  }
  sup.cancel("busy");
  CHECK(rec.wait_for("busy").outcome == process_outcome::cancelled);
}

TEST_CASE_METHOD(supervised, "a callback may start another run", "[exec]") {
  rec.on_finished = [this](const process_result& r) {
    if (r.run_id == "first") sup.start(argv("second", {"/bin/echo", "chained"}));
  };
  sup.start(argv("first", {"/bin/true"}));
  CHECK(rec.wait_for("second").output == "chained\n");
}

TEST_CASE_METHOD(supervised, "a child that closes its output early still has its exit reported",
                 "[exec]") {
  sup.start(shell("closer", "echo before; exec >&- 2>&-; sleep 0.3; exit 4"));
  auto r = rec.wait_for("closer");
  CHECK(r.outcome == process_outcome::exited);
  CHECK(r.exit_code == 4);
  CHECK(r.output == "before\n");
}

TEST_CASE_METHOD(supervised,
                 "a background grandchild holding the pipe does not delay a normal exit",
                 "[exec]") {
  sup.start(shell("bg", "sleep 60 & echo $!"));
  auto r = rec.wait_for("bg");
  CHECK(r.outcome == process_outcome::exited);
  CHECK(r.duration < 30s);
  REQUIRE(r.output.size() > 1);
  pid_t grandchild = std::stoi(r.output);
  CHECK_FALSE(process_gone(grandchild));  // documented: a normal exit leaves leftovers alone
  ::kill(grandchild, SIGKILL);
}

TEST_CASE("the child gets no stray descriptors, default signals and an empty mask", "[exec]") {
  const careless_parent parent;
  {
    recorder rec;
    exec::process_supervisor sup(rec.callbacks());
    sup.start(shell("fds", parent.fd_probe()));
    sup.start(shell("pipe", "yes | head -c 4"));
    auto sleeper = argv("sleeper", {"/bin/sleep", "100"});
    sleeper.kill_grace = 60s;
    sup.start(sleeper);
    CHECK(rec.wait_for("fds").output == "clean\n");
    CHECK(rec.wait_for("pipe").output == "y\ny\n");  // yes died of SIGPIPE, silently
    rec.wait_started("sleeper");
    sup.cancel("sleeper");
    CHECK(rec.wait_for("sleeper").signal == SIGTERM);  // not blocked in the child
  }
}
