// The job-event log lines, as pure functions: which events get a line, at which level, and
// what each names (job, run, attempt, outcome, exit code, signal, error, reason, by).
#include <catch2/catch.hpp>

#include "actors/event_log.hpp"

namespace {

using vigil::actors::describe_event;
using vigil::actors::describe_shutdown_wait;
using vigil::actors::event_log_line;
namespace model = vigil::model;

model::state with_run(const std::string& id, const std::string& job, uint32_t attempt,
                      model::run_status status = model::run_status::running) {
  model::state s;
  model::run_record r;
  r.id = id;
  r.job = job;
  r.attempt = attempt;
  r.status = status;
  s.runs[id] = r;
  return s;
}

model::run_finished finished(model::run_outcome o) {
  model::run_finished f;
  f.run_id = "r1";
  f.outcome = o;
  f.elapsed = std::chrono::milliseconds{1500};
  f.output = std::make_shared<const std::string>("secret output");
  return f;
}

}  // namespace

TEST_CASE("a finished run is a line unless it succeeded, naming job, attempt and how it ended",
          "[joblog]") {
  const auto s = with_run("r1", "backup", 3);
  CHECK_FALSE(describe_event(s, finished(model::run_outcome::succeeded)));

  auto f = finished(model::run_outcome::failed);
  f.exit_code = 2;
  auto line = describe_event(s, f);
  REQUIRE(line);
  CHECK(line->level == event_log_line::warn);
  CHECK(line->text == "run r1 of job backup (attempt 3) failed: exit code 2 after 1.500s");

  f = finished(model::run_outcome::timed_out);
  f.signal = 15;
  line = describe_event(s, f);
  REQUIRE(line);
  CHECK(line->level == event_log_line::warn);
  CHECK(line->text == "run r1 of job backup (attempt 3) timed_out: signal 15 after 1.500s");

  f = finished(model::run_outcome::abandoned);
  f.error = "the daemon stopped while it ran";
  line = describe_event(s, f);
  REQUIRE(line);
  CHECK(line->level == event_log_line::warn);
  CHECK(line->text ==
        "run r1 of job backup (attempt 3) abandoned: the daemon stopped while it ran after 1.500s");

  f = finished(model::run_outcome::cancelled);
  f.signal = 9;
  line = describe_event(s, f);
  REQUIRE(line);
  CHECK(line->level == event_log_line::info);
  CHECK(line->text.find("secret output") == std::string::npos);

  // A run the state does not know is still named by its id.
  line = describe_event(model::state{}, finished(model::run_outcome::failed_to_start));
  REQUIRE(line);
  CHECK(line->text == "run r1 failed_to_start after 1.500s");
}

TEST_CASE("pauses, resumes and retries are info lines with who and why, other events none",
          "[joblog]") {
  const auto s = with_run("r1", "backup", 1);
  model::scheduler_paused p{"a {brace} reason", {}, "http 127.0.0.1"};
  auto line = describe_event(s, p);
  REQUIRE(line);
  CHECK(line->level == event_log_line::info);
  CHECK(line->text == "scheduler paused by http 127.0.0.1 reason \"a {brace} reason\"");
  line = describe_event(s, model::scheduler_resumed{"", {}, "cli"});
  REQUIRE(line);
  CHECK(line->text == "scheduler resumed by cli");
  line = describe_event(s, model::job_paused{"backup", "flaky", {}, "ops"});
  REQUIRE(line);
  CHECK(line->text == "job backup paused by ops reason \"flaky\"");
  line = describe_event(s, model::job_resumed{"backup", "", {}, "ops"});
  REQUIRE(line);
  CHECK(line->text == "job backup resumed by ops");
  model::retry_scheduled r;
  r.run_id = "r1";
  r.attempt = 2;
  line = describe_event(s, r);
  REQUIRE(line);
  CHECK(line->level == event_log_line::info);
  CHECK(line->text.rfind("run r1 of job backup (attempt 1) will be retried as attempt 2 at ", 0) ==
        0);

  CHECK_FALSE(describe_event(s, model::run_started{"r1", 42, {}}));
  CHECK_FALSE(describe_event(s, model::fire_decided{}));
}

TEST_CASE("the shutdown line names the runs still going, at most ten", "[joblog]") {
  CHECK_FALSE(describe_shutdown_wait(model::state{}));
  auto s = with_run("b", "y", 2);
  s.runs["a"] = with_run("a", "x", 1, model::run_status::starting).runs["a"];
  s.runs["done"] = with_run("done", "x", 1, model::run_status::failed).runs["done"];
  auto line = describe_shutdown_wait(s);
  REQUIRE(line);
  CHECK(line->level == event_log_line::warn);
  CHECK(line->text ==
        "shutdown: waiting for 2 runs: run a of job x (attempt 1), run b of job y (attempt 2)");
  for (int i = 0; i < 12; ++i) {
    const std::string id = "r" + std::to_string(10 + i);
    s.runs[id] = with_run(id, "z", 1).runs[id];
  }
  line = describe_shutdown_wait(s);
  REQUIRE(line);
  CHECK(line->text.rfind("shutdown: waiting for 14 runs: ", 0) == 0);
  CHECK(line->text.size() - line->text.rfind(", and 4 more") == std::string(", and 4 more").size());
}
