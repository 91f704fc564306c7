// Run containment against real processes: a cgroup per run (where this machine lets the tests
// make one; skipped with the reason printed where not), process groups, and orphans of a
// previous daemon found again by what run_started recorded.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exec/containment.hpp"
#include "exec/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_exec.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
namespace exec = vigil::exec;
namespace model = vigil::model;
using exec::process_outcome;
using exec::process_result;
using namespace vigil::test;

struct recorder : result_recorder {
  std::map<std::string, model::containment> started;

  exec::process_supervisor::callbacks callbacks() {
    return {[this](const std::string& id, int, model::wall_time, const model::containment& c) {
              std::lock_guard lk(mu);
              started[id] = c;
              cv.notify_all();
            },
            [this](process_result r) {
              std::lock_guard lk(mu);
              results[r.run_id] = std::move(r);
              cv.notify_all();
            }};
  }
};

/// A cgroup subtree of this test's own, or nothing (then the test says why and passes).
struct cgroup_root {
  vigil::test::temp_dir key;
  exec::containment_root root = exec::prepare_containment_root(key.path());
  ~cgroup_root() {
    if (!root.path.empty()) ::rmdir(root.path.c_str());
  }
  bool usable() const {
    if (root.path.empty()) WARN("skipped: no cgroup can be made here: " << root.why);
    return !root.path.empty();
  }
};

/// A process group the test starts itself, as a previous daemon would have: `sh -c script`
/// in a group of its own, optionally moved into `cgroup` before it runs anything.
struct foreign_run {
  pid_t pid = 0;
  explicit foreign_run(const std::string& script, const std::string& cgroup = {}) {
    int gate[2];
    REQUIRE(::pipe2(gate, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&fa);
    ::posix_spawn_file_actions_adddup2(&fa, gate[0], 0);
    ::posix_spawnattr_init(&attr);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    ::posix_spawnattr_setpgroup(&attr, 0);
    // It waits on stdin until it is in its cgroup, so nothing of it starts outside.
    const std::string gated = "read go; " + script;
    std::vector<std::string> args{"/bin/sh", "-c", gated};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(::posix_spawn(&pid, "/bin/sh", &fa, &attr, argv.data(), environ) == 0);
    ::posix_spawn_file_actions_destroy(&fa);
    ::posix_spawnattr_destroy(&attr);
    ::close(gate[0]);
    if (!cgroup.empty()) {
      REQUIRE(::mkdir(cgroup.c_str(), 0755) == 0);
      std::ofstream(cgroup + "/cgroup.procs") << pid;
      REQUIRE(read_file(cgroup + "/cgroup.procs").find(std::to_string(pid)) != std::string::npos);
    }
    REQUIRE(::write(gate[1], "go\n", 3) == 3);
    ::close(gate[1]);
  }
  ~foreign_run() {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  model::containment containment(const std::string& cgroup = {}) const {
    return model::containment{cgroup, pid, exec::process_start_time(pid)};
  }
};

using supervised = supervision<recorder>;

/// A cgroup root of the test's own and a supervisor, which stops before the root goes.
struct in_cgroups {
  cgroup_root cg;
  recorder rec;
  exec::process_supervisor sup{rec.callbacks()};

  /// A request for run `id` in the cgroup of `key`'s first attempt.
  exec::process_request request(const std::string& id, const std::string& key) const {
    exec::process_request r;
    r.run_id = id;
    r.cgroup = exec::run_cgroup_path(cg.root.path, key, 1);
    return r;
  }
};

}  // namespace

TEST_CASE_METHOD(in_cgroups, "a run with a cgroup starts inside it, its descendants too",
                 "[exec][cgroup]") {
  if (!cg.usable()) return;
  auto r = request("inside", "job@20260101T000000Z");
  r.command.shell = "sh -c 'cat /proc/self/cgroup'";
  sup.start(r);
  const auto res = rec.wait_for("inside");
  CHECK(res.outcome == process_outcome::exited);
  CHECK(res.exit_code == 0);
  const std::string leaf = r.cgroup.substr(r.cgroup.rfind('/'));
  CHECK(res.output.find(leaf + "\n") != std::string::npos);
  std::lock_guard lk(rec.mu);
  const auto& c = rec.started.at("inside");
  CHECK(c.cgroup == r.cgroup);
  CHECK(c.pgid == res.pid);
  CHECK(c.start_time != 0);
  CHECK_FALSE(std::filesystem::exists(r.cgroup));  // removed once empty
}

TEST_CASE_METHOD(in_cgroups,
                 "a setsid child ignoring SIGTERM is killed on timeout through the cgroup",
                 "[exec][cgroup]") {
  if (!cg.usable()) return;
  vigil::test::temp_dir dir;
  const std::string pid_file = dir.file("escaped.pid");
  auto r = request("escape", "escape@1");
  // The child leaves the process group (setsid): a group kill alone never reaches it.
  r.command.shell = "setsid sh -c 'trap \"\" TERM; echo $$ > " + pid_file + ".tmp; mv " + pid_file +
                    ".tmp " + pid_file +
                    "; exec sleep 1000' & "
                    "while [ ! -s " +
                    pid_file + " ]; do sleep 0.01; done; exec sleep 1000";
  r.timeout = 500ms;
  r.kill_grace = 300ms;
  sup.start(r);
  const auto res = rec.wait_for("escape");
  CHECK(res.outcome == process_outcome::timed_out);
  const std::string text = read_file(pid_file);
  REQUIRE_FALSE(text.empty());
  const pid_t escaped = std::stoi(text);
  CHECK(::getsid(escaped) != ::getsid(res.pid));  // it did leave the session
  // Reported only once the cgroup is empty: it is dead by now, not eventually.
  CHECK(process_gone(escaped));
  CHECK_FALSE(std::filesystem::exists(r.cgroup));
}

TEST_CASE_METHOD(supervised, "without a cgroup the process group contains the run", "[exec]") {
  exec::process_request r;
  r.run_id = "group";
  r.command.argv = {"/bin/true"};
  sup.start(r);
  const auto res = rec.wait_for("group");
  CHECK(res.exit_code == 0);
  std::lock_guard lk(rec.mu);
  const auto& c = rec.started.at("group");
  CHECK(c.cgroup.empty());
  CHECK(c.pgid == res.pid);
  CHECK(c.start_time != 0);
}

TEST_CASE_METHOD(supervised, "an orphan whose processes are gone is not adopted",
                 "[exec][orphans]") {
  model::containment c;
  {
    foreign_run gone("exit 0");
    c = gone.containment();
  }  // killed and reaped
  exec::orphan_request o;
  o.run_id = "gone";
  o.contained = c;
  CHECK_FALSE(sup.adopt(o));
  // A live process whose start time differs is a reused pid, not the run.
  foreign_run other("exec sleep 30");
  o.contained = other.containment();
  o.contained.start_time += 1;
  CHECK_FALSE(sup.adopt(o));
  o.contained.start_time -= 1;
  o.policy = model::orphan_policy::kill;
  o.kill_grace = 200ms;
  CHECK(sup.adopt(o));
  CHECK(rec.wait_for("gone").orphan);
}

TEST_CASE_METHOD(
    supervised, "orphans = kill stops a live process group, a grandchild ignoring SIGTERM included",
    "[exec][orphans]") {
  vigil::test::temp_dir dir;
  const std::string pid_file = dir.file("grandchild.pid");
  foreign_run run("sh -c 'trap \"\" TERM; echo $$ > " + pid_file + "; exec sleep 1000' & wait");
  REQUIRE(eventually([&] { return !read_file(pid_file).empty(); }));
  const pid_t grandchild = std::stoi(read_file(pid_file));
  exec::orphan_request o;
  o.run_id = "orphan";
  o.contained = run.containment();
  o.policy = model::orphan_policy::kill;
  o.kill_grace = 300ms;
  REQUIRE(sup.adopt(o));
  const auto res = rec.wait_for("orphan");
  CHECK(res.orphan);
  CHECK(res.outcome == process_outcome::cancelled);
  CHECK(res.duration >= o.kill_grace);  // the grandchild outlived SIGTERM
  CHECK(process_gone(grandchild));
  CHECK(res.error.find("orphans = kill") != std::string::npos);
}

TEST_CASE_METHOD(in_cgroups,
                 "orphans = wait watches a live cgroup until it empties, its timeout applying",
                 "[exec][orphans][cgroup]") {
  if (!cg.usable()) return;
  const std::string short_cg = exec::run_cgroup_path(cg.root.path, "short@1", 1);
  const std::string long_cg = exec::run_cgroup_path(cg.root.path, "long@1", 1);
  foreign_run short_run("sleep 1", short_cg);
  foreign_run long_run("setsid sleep 1000 & exec sleep 1000", long_cg);
  exec::orphan_request o;
  o.run_id = "short";
  o.contained = short_run.containment(short_cg);
  o.policy = model::orphan_policy::wait;
  REQUIRE(sup.adopt(o));
  o.run_id = "long";
  o.contained = long_run.containment(long_cg);
  o.timeout = 500ms;
  o.kill_grace = 200ms;
  REQUIRE(sup.adopt(o));
  const auto waited = rec.wait_for("short");
  CHECK(waited.outcome == process_outcome::exited);
  CHECK(waited.orphan);
  CHECK(waited.duration >= 500ms);  // it was waited for, not killed
  const auto timed = rec.wait_for("long");
  CHECK(timed.outcome == process_outcome::timed_out);
  CHECK_FALSE(exec::cgroup_populated(long_cg));  // the setsid sleep too
  CHECK_FALSE(std::filesystem::exists(short_cg));
  CHECK_FALSE(std::filesystem::exists(long_cg));
}

TEST_CASE("in a cgroup the child gets no stray descriptors, default signals and an empty mask",
          "[exec][cgroup]") {
  cgroup_root cg;
  if (!cg.usable()) return;
  const careless_parent parent;
  {
    recorder rec;
    exec::process_supervisor sup(rec.callbacks());
    auto in_cgroup = [&](std::string id, std::string script) {
      exec::process_request r;
      r.run_id = id;
      r.cgroup = exec::run_cgroup_path(cg.root.path, id, 1);
      r.command.shell = std::move(script);
      return r;
    };
    sup.start(in_cgroup("fds", parent.fd_probe()));
    sup.start(in_cgroup("pipe", "yes | head -c 4"));
    auto sleeper = in_cgroup("sleeper", "exec /bin/sleep 100");
    sleeper.kill_grace = 60s;
    sup.start(sleeper);
    CHECK(rec.wait_for("fds").output == "clean\n");
    CHECK(rec.wait_for("pipe").output == "y\ny\n");  // yes died of SIGPIPE, silently
    REQUIRE(eventually([&] {
      std::lock_guard lk(rec.mu);
      return rec.started.count("sleeper") != 0;
    }));
    CHECK(rec.started.at("sleeper").cgroup == sleeper.cgroup);
    sup.cancel("sleeper");
    CHECK(rec.wait_for("sleeper").signal == SIGTERM);  // not blocked in the child
  }
}

TEST_CASE_METHOD(in_cgroups, "a start failure in a cgroup names the culprit and leaves no cgroup",
                 "[exec][cgroup]") {
  if (!cg.usable()) return;
  auto r = request("nodir", "nodir");
  r.command.argv = {"/bin/true"};
  r.command.working_dir = "/nonexistent/vigil-test";
  sup.start(r);
  const auto res = rec.wait_for("nodir");
  CHECK(res.outcome == process_outcome::failed_to_start);
  CHECK(res.error.find("working directory /nonexistent/vigil-test") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(r.cgroup));
}

TEST_CASE_METHOD(supervised, "orphans = wait watches a process group until only zombies are left",
                 "[exec][orphans]") {
  // The leader is this test's child: once it exits it stays a zombie until the test reaps it,
  // as an orphan does under an init that does not reap.
  foreign_run run("exec sleep 1");
  exec::orphan_request o;
  o.run_id = "waited";
  o.contained = run.containment();
  o.policy = model::orphan_policy::wait;
  REQUIRE(sup.adopt(o));
  const auto res = rec.wait_for("waited");
  CHECK(res.orphan);
  CHECK(res.outcome == process_outcome::exited);
  CHECK(res.duration >= 500ms);  // waited for, not stopped
  CHECK(process_gone(run.pid));
  CHECK(::kill(-run.pid, 0) == 0);  // a zombie still answers for its group: not a sign of life
  CHECK(res.error.find("orphans = wait") != std::string::npos);
}

TEST_CASE_METHOD(in_cgroups,
                 "a cgroup that leftovers of a normal exit hold is removed once they end",
                 "[exec][cgroup]") {
  if (!cg.usable()) return;
  auto r = request("leftover", "leftover");
  r.command.shell = "sleep 1 >/dev/null 2>&1 & echo done";
  sup.start(r);
  const auto res = rec.wait_for("leftover");
  CHECK(res.exit_code == 0);
  CHECK(exec::cgroup_populated(r.cgroup));  // the background sleep was not killed
  CHECK(eventually([&] { return !std::filesystem::exists(r.cgroup); }));
}
