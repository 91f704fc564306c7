// The job API end to end against the real binary: strict validation that changes nothing,
// real processes with retries and output, overlap on manual runs, pause/resume, previews across
// DST, restarts (SIGKILL and SIGTERM) with the journal holding every outcome.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/sys_replies.hpp"

namespace {

/// '@' in run ids is a legal path character; percent-encode it anyway, as clients may.
std::string escape_run(const std::string& run_id) {
  std::string out;
  for (char ch : run_id) {
    if (ch == '@')
      out += "%40";
    else
      out += ch;
  }
  return out;
}

/// A job that never fires by itself while the tests run (01:00 UTC on January 1st).
constexpr const char* yearly = "0 1 1 1 *";

json shell_job(const std::string& id, const std::string& schedule, const std::string& shell,
               const json& extra = json::object()) {
  json j = {{"id", id}, {"schedule", schedule}, {"command", {{"shell", shell}}}};
  for (const auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

json define(http_client& c, const json& job) {
  const auto r = c.post("/v1/jobs", job.dump());
  INFO(r.body);
  REQUIRE(r.status == 201);
  return parse(r);
}

json get_run(http_client& c, const std::string& job, const std::string& run_id) {
  const auto r = c.get("/v1/jobs/" + job + "/runs/" + escape_run(run_id));
  INFO(r.body);
  REQUIRE(r.status == 200);
  return parse(r);
}

/// Waits until the run's status is one of `statuses`; the run record then.
json wait_run_status(http_client& c, const std::string& job, const std::string& run_id,
                     const std::vector<std::string>& statuses,
                     std::chrono::milliseconds timeout = 10s) {
  json run;
  const bool ok = eventually(timeout, [&] {
    const auto r = c.get("/v1/jobs/" + job + "/runs/" + escape_run(run_id));
    if (r.status != 200) return false;
    run = json::parse(r.body);
    for (const auto& s : statuses)
      if (run["status"] == s) return true;
    return false;
  });
  INFO("run " << run_id << ": " << run.dump());
  REQUIRE(ok);
  return run;
}

/// POST /v1/jobs/{id}/run; the decision.
json run_now(http_client& c, const std::string& job, const std::string& body = "") {
  const auto r = c.post("/v1/jobs/" + job + "/run", body);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return parse(r);
}

uint64_t last_seq(http_client& c) {
  return parse(c.get("/v1/events?after=0&limit=1"))["last_seq"].get<uint64_t>();
}

uint64_t decided(const json& job_view) {
  const auto& d = job_view["counters"]["decisions"];
  return d["fired"].get<uint64_t>() + d["skipped"].get<uint64_t>() + d["buffered"].get<uint64_t>() +
         d["missed"].get<uint64_t>();
}

/// True while a process group still has a member that is not a zombie.
bool group_alive(pid_t pgid) {
  if (::kill(-pgid, 0) != 0) return false;
  std::ifstream stat{"/proc/" + std::to_string(pgid) + "/stat"};
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

/// Job processes the daemon left behind (SIGKILL leaves them): their groups die with the test.
struct group_reaper {
  std::vector<pid_t> groups;
  ~group_reaper() {
    for (pid_t g : groups)
      if (g > 1 && group_alive(g)) ::kill(-g, SIGKILL);
  }
};

}  // namespace

TEST_CASE("invalid job definitions are 400s naming the field, and change nothing", "[http][jobs]") {
  daemon_process d{{"--max-body", "4096"}};
  http_client c{d.port()};
  const uint64_t seq_before = last_seq(c);

  const json good = shell_job("ok-job", "@every 1m", "true");
  auto with = [&](const std::string& pointer, const json& value) {
    json j = good;
    j[json::json_pointer(pointer)] = value;
    return j.dump();
  };
  auto without = [&](const std::string& key) {
    json j = good;
    j.erase(key);
    return j.dump();
  };
  json both = good;
  both["command"]["argv"] = {"/bin/true"};
  json neither = good;
  neither["command"] = {{"env", json::object()}};
  json argv_job = good;
  argv_job["command"] = {{"argv", {"/bin/echo", 5}}};
  json empty_program = good;
  empty_program["command"] = {{"argv", {"", "x"}}};
  json empty_argv = good;
  empty_argv["command"] = {{"argv", json::array()}};

  struct bad_case {
    std::string body;
    std::string field;  // "" when the body as a whole is at fault
  };
  const std::vector<bad_case> cases = {
      // The body as a whole.
      {R"({"id": "x", "schedule": )", ""},
      {"[1, 2]", ""},
      {"\"a job\"", ""},
      {"", ""},
      // id
      {without("id"), "/id"},
      {with("/id", 42), "/id"},
      {with("/id", ".hidden"), "/id"},
      {with("/id", "has space"), "/id"},
      {with("/id", std::string(129, 'a')), "/id"},
      // schedule, time_zone
      {without("schedule"), "/schedule"},
      {with("/schedule", "61 * * * *"), "/schedule"},
      {with("/schedule", json::array()), "/schedule"},
      {with("/time_zone", "Mars/Olympus_Mons"), "/time_zone"},
      {with("/time_zone", 1), "/time_zone"},
      // command and what is inside it
      {without("command"), "/command"},
      {with("/command", "echo hi"), "/command"},
      {both.dump(), "/command"},
      {neither.dump(), "/command"},
      {empty_argv.dump(), "/command/argv"},
      {argv_job.dump(), "/command/argv/1"},
      {empty_program.dump(), "/command/argv/0"},
      {with("/command/shell", ""), "/command/shell"},
      {with("/command/shell", 7), "/command/shell"},
      {with("/command/env", json::array({"A=1"})), "/command/env"},
      {with("/command/env", {{"FOO", 1}}), "/command/env/FOO"},
      {with("/command/env", {{"1ABC", "x"}}), "/command/env/1ABC"},
      {with("/command/env", {{"A/B", "x"}}), "/command/env/A~1B"},  // RFC 6901 escaping
      {with("/command/env", {{"VIGIL_RUN_ID", "x"}}), "/command/env/VIGIL_RUN_ID"},
      {with("/command/working_dir", "relative/dir"), "/command/working_dir"},
      {with("/command/cwd", "/tmp"), "/command/cwd"},  // unknown inside command
      // scalars at the top level
      {with("/description", false), "/description"},
      {with("/description", std::string(1025, 'd')), "/description"},
      {with("/enabled", "yes"), "/enabled"},
      {with("/timeout", "5 parsecs"), "/timeout"},
      {with("/timeout", "-1s"), "/timeout"},
      {with("/kill_grace", 10), "/kill_grace"},
      {with("/output_limit", -1), "/output_limit"},
      {with("/output_limit", 2 * 1024 * 1024), "/output_limit"},
      {with("/output_limit", 1.5), "/output_limit"},
      {with("/overlap", "sometimes"), "/overlap"},
      {with("/buffer_limit", 0), "/buffer_limit"},
      {with("/catchup", "most"), "/catchup"},
      {with("/catchup_window", "1000h"), "/catchup_window"},
      {with("/misfire_grace", true), "/misfire_grace"},
      {with("/jitter", "25h"), "/jitter"},
      {with("/jitter", nullptr), "/jitter"},  // null is a wrong type, not "absent"
      // dst
      {with("/dst", "skip"), "/dst"},
      {with("/dst/gap", "maybe"), "/dst/gap"},
      {with("/dst/fold", "thrice"), "/dst/fold"},
      {with("/dst/spring", "skip"), "/dst/spring"},
      // retry
      {with("/retry", 3), "/retry"},
      {with("/retry/max_attempts", 0), "/retry/max_attempts"},
      {with("/retry/max_attempts", 101), "/retry/max_attempts"},
      {with("/retry/initial_backoff", "soon"), "/retry/initial_backoff"},
      {with("/retry", {{"initial_backoff", "10s"}, {"max_backoff", "1s"}}), "/retry/max_backoff"},
      {with("/retry/multiplier", 0.5), "/retry/multiplier"},
      {with("/retry/multiplier", "2"), "/retry/multiplier"},
      {with("/retry/jitter", 2), "/retry/jitter"},
      {with("/retry/backoff", "1s"), "/retry/backoff"},
      // unknown and repeated members at the top level
      {with("/owner", "me"), "/owner"},
      {with("/enabeld", true), "/enabeld"},
      {R"({"id":"dup","schedule":"@every 1m","command":{"shell":"true"},"enabled":true,"enabled":false})",
       "/enabled"},
      {R"({"id":"dup","schedule":"@every 1m","command":{"shell":"true","shell":"false"}})",
       "/command/shell"},
  };
  REQUIRE(cases.size() >= 25);
  for (const auto& bc : cases) {
    INFO("POST body " << bc.body.substr(0, 300));
    check_error(c.post("/v1/jobs", bc.body), 400, "invalid_argument", bc.field);
  }
  // A near miss is suggested.
  CHECK(parse(c.post("/v1/jobs", with("/enabeld", true)))["detail"].get<std::string>().find(
            "did you mean 'enabled'") != std::string::npos);

  // PUT: the body's id must match the path's; the same validation applies.
  check_error(c.request("PUT", "/v1/jobs/other-id", good.dump()), 400, "invalid_argument", "/id");
  check_error(c.request("PUT", "/v1/jobs/ok-job", with("/retry/jitter", -0.1)), 400,
              "invalid_argument", "/retry/jitter");
  check_error(c.request("PUT", "/v1/jobs/ok-job", "{"), 400, "invalid_argument");
  // A bad id in the path of a PUT without an id in the body.
  check_error(c.request("PUT", "/v1/jobs/.dot", without("id")), 400, "invalid_argument", "/id");

  // Bodies on the job command routes.
  check_error(c.post("/v1/jobs/ok-job/run", R"({"overlap":"never"})"), 400, "invalid_argument",
              "/overlap");
  check_error(c.post("/v1/jobs/ok-job/run", R"({"overlap":1})"), 400, "invalid_argument",
              "/overlap");
  check_error(c.post("/v1/jobs/ok-job/run", R"({"force":true})"), 400, "invalid_argument",
              "/force");
  check_error(c.post("/v1/jobs/ok-job/run", "[]"), 400, "invalid_argument");
  check_error(c.post("/v1/jobs/ok-job/pause", R"({"reason":5})"), 400, "invalid_argument",
              "/reason");
  check_error(c.post("/v1/jobs/ok-job/resume", R"({"why":"x"})"), 400, "invalid_argument", "/why");

  // Over --max-body: 413 on every route that takes a body.
  json big = good;
  big["description"] = std::string(5000, 'x');
  check_error(c.post("/v1/jobs", big.dump()), 413, "payload_too_large");
  check_error(c.request("PUT", "/v1/jobs/ok-job", big.dump()), 413, "payload_too_large");
  check_error(c.post("/v1/jobs/ok-job/run", std::string(5000, ' ')), 413, "payload_too_large");
  check_error(c.post("/v1/jobs/ok-job/pause", std::string(5000, ' ')), 413, "payload_too_large");

  // Nothing of it changed any state.
  const json list = parse(c.get("/v1/jobs"));
  CHECK(list["jobs"].empty());
  CHECK(list["total"] == 0);
  CHECK(last_seq(c) == seq_before);
  CHECK(parse(c.get("/health"))["jobs"]["total"] == 0);
}

TEST_CASE("per-job routes answer 404 for an unknown job, a second POST of an id is 409",
          "[http][jobs]") {
  daemon_process d{{}};
  http_client c{d.port()};
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/v1/jobs/ghost"},
      {"DELETE", "/v1/jobs/ghost"},
      {"POST", "/v1/jobs/ghost/run"},
      {"POST", "/v1/jobs/ghost/pause"},
      {"POST", "/v1/jobs/ghost/resume"},
      {"GET", "/v1/jobs/ghost/runs"},
      {"GET", "/v1/jobs/ghost/runs/ghost@20260101T000000"},
      {"GET", "/v1/jobs/ghost/decisions"},
      {"GET", "/v1/jobs/ghost/next"},
  };
  for (const auto& [method, target] : routes) {
    INFO(method << " " << target);
    check_error(c.request(method, target), 404, "not_found");
  }
  CHECK(last_seq(c) == 0);  // none of it changed anything
  // PUT is the one per-job route that does not need the job: it defines it.
  auto put = c.request("PUT", "/v1/jobs/ghost", shell_job("ghost", yearly, "true").dump());
  CHECK(put.status == 201);
  CHECK(parse(put)["revision"] == 1);
  REQUIRE(c.request("DELETE", "/v1/jobs/ghost").status == 200);
  const uint64_t seq = last_seq(c);
  CHECK(seq == 2);

  const json job = shell_job("twice", yearly, "true");
  const json created = define(c, job);
  CHECK(created["id"] == "twice");
  CHECK(created["revision"] == 1);
  CHECK(created["spec"]["schedule"] == yearly);
  CHECK(created["spec"]["retry"]["max_attempts"] == 1);  // defaults filled in
  check_error(c.post("/v1/jobs", job.dump()), 409, "conflict", "/id");
  CHECK(last_seq(c) == seq + 1);
  // A run of another job, or no such run, is 404 under an existing job too.
  check_error(c.get("/v1/jobs/twice/runs/ghost@20260101T000000"), 404, "not_found");
  // PUT of the same definition changes nothing; PUT of a new one is revision 2.
  auto r = c.request("PUT", "/v1/jobs/twice", job.dump());
  CHECK(r.status == 200);
  CHECK(parse(r)["revision"] == 1);
  CHECK(last_seq(c) == seq + 1);
  json changed = job;
  changed["description"] = "now described";
  changed.erase("id");  // PUT takes the id from the path
  r = c.request("PUT", "/v1/jobs/twice", changed.dump());
  CHECK(r.status == 200);
  CHECK(parse(r)["revision"] == 2);
  CHECK(parse(r)["spec"]["description"] == "now described");
  // DELETE, then it is gone everywhere.
  r = c.request("DELETE", "/v1/jobs/twice");
  CHECK(r.status == 200);
  CHECK(parse(r)["removed"] == "twice");
  check_error(c.get("/v1/jobs/twice"), 404, "not_found");
  check_error(c.request("DELETE", "/v1/jobs/twice"), 404, "not_found");
  // Wrong methods on job routes are 405 with Allow.
  r = c.request("PATCH", "/v1/jobs/twice");
  CHECK(r.status == 405);
  CHECK(r.header("allow") == "GET, HEAD, PUT, DELETE");
  r = c.get("/v1/jobs/twice/run");
  CHECK(r.status == 405);
  CHECK(r.header("allow") == "POST");
}

TEST_CASE("bad query parameters on job routes and /v1/preview are 400s naming the parameter",
          "[http][jobs]") {
  daemon_process d{{}};
  http_client c{d.port()};
  define(c, shell_job("q", yearly, "true"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/jobs?limit=0", "limit"},
      {"/v1/jobs?limit=1001", "limit"},
      {"/v1/jobs?limit=ten", "limit"},
      {"/v1/jobs/q/runs?limit=0", "limit"},
      {"/v1/jobs/q/runs?limit=101", "limit"},
      {"/v1/jobs/q/decisions?limit=-1", "limit"},
      {"/v1/jobs/q/decisions?before=x", "before"},
      {"/v1/jobs/q/next?count=0", "count"},
      {"/v1/jobs/q/next?count=1001", "count"},
      {"/v1/preview", "schedule"},
      {"/v1/preview?schedule=", "schedule"},
      {"/v1/preview?schedule=99+*+*+*+*", "schedule"},
      {"/v1/preview?schedule=@every+1m&tz=Not/AZone", "tz"},
      {"/v1/preview?schedule=@every+1m&after=yesterday", "after"},
      {"/v1/preview?schedule=@every+1m&count=0", "count"},
      {"/v1/preview?schedule=@every+1m&count=1001", "count"},
      {"/v1/preview?schedule=@every+1m&dst_gap=never", "dst_gap"},
      {"/v1/preview?schedule=@every+1m&dst_fold=twice", "dst_fold"},
  };
  for (const auto& [target, field] : cases) {
    INFO(target);
    check_error(c.get(target), 400, "invalid_argument", field);
  }
  check_error(c.get("/v1/preview?schedule=%zz"), 400, "invalid_argument");
  // Past the supported range: a 400 that names the range, not "not an RFC 3339 time".
  const json beyond =
      parse(c.get("/v1/preview?schedule=0+0+*+*+*&after=2400-02-01T00:00:00Z"), 400);
  CHECK(beyond["field"] == "after");
  CHECK(beyond["detail"].get<std::string>().find(
            "outside the supported range 1678-01-01T00:00:00Z..2262-01-01T00:00:00Z") !=
        std::string::npos);
  const json at_2300 = parse(c.get("/v1/preview?schedule=%40at+2300-01-01T00:00:00Z"), 400);
  CHECK(at_2300["field"] == "schedule");
  CHECK(at_2300["detail"].get<std::string>().find("outside the supported range") !=
        std::string::npos);
  // At the end of the range the list stops: fires after `after` only, never wrapped to 1677.
  const json last =
      parse(c.get("/v1/preview?schedule=0+0+*+*+*&tz=UTC&after=2261-12-29T12:00:00Z&count=5"));
  REQUIRE(last["fires"].size() == 2);
  CHECK(last["fires"][0] == "2261-12-30T00:00:00+00:00");
  CHECK(last["fires"][1] == "2261-12-31T00:00:00+00:00");
  CHECK(
      parse(c.get("/v1/preview?schedule=0+0+29+2+*&after=2261-03-01T00:00:00Z"))["fires"].empty());
  // Malformed path parameters name the one at fault ('|' may not appear unescaped in a path).
  check_error(c.get("/v1/jobs/a|b"), 400, "invalid_argument", "id");
  check_error(c.get("/v1/jobs/q/runs/a|b"), 400, "invalid_argument", "run_id");
  // And the good ones answer.
  const json list = parse(c.get("/v1/jobs?limit=1"));
  CHECK(list["jobs"].size() == 1);
  CHECK(list["jobs"][0]["id"] == "q");
  CHECK(list["next"].is_null());
  const json next = parse(c.get("/v1/jobs/q/next?count=2"));
  REQUIRE(next["fires"].size() == 2);
  CHECK(next["fires"][0].get<std::string>().substr(5, 14) == "01-01T01:00:00");
}

TEST_CASE("a failing job runs as a real process, retries, and records exit code and output",
          "[http][jobs]") {
  daemon_process d{{"--tick-interval", "100ms", "--job-shutdown-grace", "1s"}};
  http_client c{d.port()};
  const json created =
      define(c, shell_job("fails", "@every 1s", "echo out-of-the-job; echo to-stderr >&2; exit 3",
                          {{"retry", {{"max_attempts", 2}, {"initial_backoff", "100ms"}}}}));
  CHECK(created["schedulable"] == true);
  CHECK(created["next_due"].is_string());

  json failed;
  const bool done = eventually(15s, [&] {
    const json runs = parse(c.get("/v1/jobs/fails/runs"));
    for (const auto& r : runs["runs"])
      if (r["status"] == "failed") {
        failed = r;
        return true;
      }
    return false;
  });
  INFO(parse(c.get("/v1/jobs/fails/runs")).dump(1));
  REQUIRE(done);
  CHECK(failed["attempt"] == 2);
  CHECK(failed["exit_code"] == 3);
  CHECK(failed["signal"].is_null());
  CHECK(failed["reason"] == "schedule");
  CHECK(failed["job"] == "fails");
  CHECK(failed["pid"].is_number());
  CHECK_FALSE(failed.contains("output"));  // lists leave the output out
  const std::string run_id = failed["run_id"];
  const json full = get_run(c, "fails", run_id);
  CHECK(full["output"].get<std::string>().find("out-of-the-job") != std::string::npos);
  CHECK(full["output"].get<std::string>().find("to-stderr") != std::string::npos);
  CHECK(full["output_bytes"].get<uint64_t>() >= full["output"].get<std::string>().size());
  CHECK(full["finished_at"].is_string());
  // Both attempts are kept as they ended, the first not overwritten by the retry.
  REQUIRE(full["attempts"].size() == 2);
  for (int i = 0; i < 2; ++i) {
    const json& a = full["attempts"][i];
    INFO(a.dump());
    CHECK(a["attempt"] == i + 1);
    CHECK(a["outcome"] == "failed");
    CHECK(a["exit_code"] == 3);
    CHECK(a["started_at"].is_string());
    CHECK(a["finished_at"].is_string());
  }
  CHECK(full["attempts"][0]["finished_at"] <= full["attempts"][1]["started_at"]);
  CHECK(full["attempts"][1]["finished_at"] == full["finished_at"]);
  // The raw '@' works as well as %40.
  CHECK(c.get("/v1/jobs/fails/runs/" + run_id).status == 200);

  // The decision that caused it: fired, naming the run.
  bool found = false;
  const json decisions = parse(c.get("/v1/jobs/fails/decisions?limit=1000"));
  for (const auto& dd : decisions["decisions"])
    if (dd["run_id"] == run_id) {
      found = true;
      CHECK(dd["kind"] == "fired");
      CHECK(dd["reason"] == "schedule");
      CHECK(dd["count"] == 1);
    }
  CHECK(found);

  const json view = parse(c.get("/v1/jobs/fails"));
  CHECK(view["counters"]["outcomes"]["failed"].get<uint64_t>() >= 2);  // both attempts
  CHECK(view["counters"]["retries"].get<uint64_t>() >= 1);
  CHECK(view["counters"]["decisions"]["fired"].get<uint64_t>() >= 1);

  const auto h = c.get("/health");
  CHECK(h.status == 200);
  const json health = parse(h);
  CHECK(health["status"] == "pass");
  CHECK(health["jobs"]["total"] == 1);
  CHECK(health["jobs"]["overdue"] == 0);
  CHECK(health["jobs"]["outcomes"]["failed"].get<uint64_t>() >= 2);
  CHECK(health["jobs"]["retries"].get<uint64_t>() >= 1);
  CHECK(health["jobs"]["decisions"]["fired"].get<uint64_t>() >= 1);
  CHECK(health["checks"]["jobs:overdue"][0]["status"] == "pass");
  const auto m = c.get("/metrics");
  CHECK(m.status == 200);
  CHECK(m.body.find("vigil_") != std::string::npos);
  stop_daemon(d);
}

TEST_CASE("a manual run follows the overlap policy, or the one the request names", "[http][jobs]") {
  daemon_process d{{"--tick-interval", "100ms", "--job-shutdown-grace", "1s"}};
  http_client c{d.port()};
  group_reaper reaper;
  define(c, shell_job("sleeper", yearly, "sleep 30", {{"kill_grace", "1s"}}));
  const json first = run_now(c, "sleeper");
  CHECK(first["job"] == "sleeper");
  CHECK(first["kind"] == "fired");
  CHECK(first["reason"] == "manual");
  CHECK(first["cancels"].empty());
  const std::string run_id = first["run_id"];
  CHECK(run_id.find("sleeper@manual-") == 0);
  const json running = wait_run_status(c, "sleeper", run_id, {"running"});
  reaper.groups.push_back(running["pid"].get<pid_t>());

  const json skipped = run_now(c, "sleeper");
  CHECK(skipped["kind"] == "skipped");
  CHECK(skipped["reason"] == "overlap");
  CHECK(skipped["run_id"].is_null());
  const json allowed = run_now(c, "sleeper", R"({"overlap":"allow"})");
  CHECK(allowed["kind"] == "fired");
  CHECK(allowed["reason"] == "manual");
  REQUIRE(allowed["run_id"].is_string());
  CHECK(allowed["run_id"] != run_id);
  const json second = wait_run_status(c, "sleeper", allowed["run_id"], {"running"});
  reaper.groups.push_back(second["pid"].get<pid_t>());
  const json view = parse(c.get("/v1/jobs/sleeper"));
  CHECK(view["active_runs"].size() == 2);
  CHECK(view["counters"]["decisions"]["fired"] == 2);
  CHECK(view["counters"]["decisions"]["skipped"] == 1);

  // cancel_other: the new run fires and names the runs it cancels.
  const json other = run_now(c, "sleeper", R"({"overlap":"cancel_other"})");
  CHECK(other["kind"] == "fired");
  CHECK(other["cancels"].size() == 2);
  const json cancelled = wait_run_status(c, "sleeper", run_id, {"cancelled"});
  CHECK(cancelled["finished_at"].is_string());
  const json third = wait_run_status(c, "sleeper", other["run_id"], {"running"});
  reaper.groups.push_back(third["pid"].get<pid_t>());
  stop_daemon(d);
  for (pid_t g : reaper.groups) CHECK_FALSE(group_alive(g));  // a clean stop leaves nothing
}

TEST_CASE("a paused job decides nothing, on resume the paused nominal times are missed",
          "[http][jobs]") {
  daemon_process d{{"--tick-interval", "100ms", "--job-shutdown-grace", "1s"}};
  http_client c{d.port()};
  define(c, shell_job("ticker", "@every 1s", "true",
                      {{"misfire_grace", "200ms"}, {"catchup", "none"}}));
  REQUIRE(eventually(
      5s, [&] { return parse(c.get("/v1/jobs/ticker"))["counters"]["decisions"]["fired"] >= 1; }));
  auto r = c.post("/v1/jobs/ticker/pause", R"({"reason":"quiet please"})");
  REQUIRE(r.status == 200);
  const json paused = parse(r);
  CHECK(paused["paused"] == true);
  CHECK(paused["pause_reason"] == "quiet please");
  CHECK(paused["paused_by"] == "http 127.0.0.1");
  CHECK(paused["schedulable"] == false);
  CHECK(paused["next_due"].is_null());
  const uint64_t at_pause = decided(paused);
  const uint64_t seq_at_pause = last_seq(c);
  // Pausing again is no change.
  r = c.post("/v1/jobs/ticker/pause");
  CHECK(r.status == 200);
  CHECK(parse(r)["pause_reason"] == "quiet please");
  CHECK(parse(c.get("/health"))["jobs"]["paused"] == 1);

  // Over 1.5 periods (so that a nominal time inside the pause is later than the misfire
  // grace when it resumes), nothing is decided for it.
  const auto until = clock_type::now() + 1600ms;
  while (clock_type::now() < until) {
    const json v = parse(c.get("/v1/jobs/ticker"));
    REQUIRE(decided(v) == at_pause);
    std::this_thread::sleep_for(100ms);
  }
  r = c.post("/v1/jobs/ticker/resume", R"({"reason":"go on"})");
  REQUIRE(r.status == 200);
  CHECK(parse(r)["paused"] == false);
  json missed;
  REQUIRE(eventually(5s, [&] {
    const json ds = parse(c.get("/v1/jobs/ticker/decisions"));
    for (const auto& dd : ds["decisions"])
      if (dd["kind"] == "missed" && dd["reason"] == "paused") {
        missed = dd;
        return true;
      }
    return false;
  }));
  CHECK(missed["count"].get<uint64_t>() >= 1);
  CHECK(missed["run_id"].is_null());
  CHECK(missed["seq"].get<uint64_t>() > seq_at_pause);
  CHECK(missed["nominal"].get<std::string>() <= missed["last"].get<std::string>());
  CHECK(paused["paused_since"].get<std::string>() <= missed["nominal"].get<std::string>());
  // And it goes on firing afterwards.
  const uint64_t fired_at_pause = paused["counters"]["decisions"]["fired"];
  CHECK(eventually(5s, [&] {
    return parse(c.get("/v1/jobs/ticker"))["counters"]["decisions"]["fired"] > fired_at_pause;
  }));
  stop_daemon(d);
}

TEST_CASE("preview: a daily 02:30 in Europe/Berlin across the spring-forward gap", "[http][jobs]") {
  daemon_process d{{}};
  http_client c{d.port()};
  const std::string base =
      "/v1/preview?schedule=30+2+*+*+*&tz=Europe/Berlin&after=2026-03-28T00:00:00Z&count=3";
  auto r = c.get(base);
  REQUIRE(r.status == 200);
  json j = parse(r);
  CHECK(j["schedule"] == "30 2 * * *");
  CHECK(j["tz"] == "Europe/Berlin");
  CHECK(j["fires"] == json({"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00",
                            "2026-03-30T02:30:00+02:00"}));
  j = parse(c.get(base + "&dst_gap=run_at_end"));
  CHECK(j["fires"][1] == "2026-03-29T03:00:00+02:00");
  j = parse(c.get(base + "&dst_gap=skip"));
  CHECK(j["fires"] == json({"2026-03-28T02:30:00+01:00", "2026-03-30T02:30:00+02:00",
                            "2026-03-31T02:30:00+02:00"}));
  // Nothing of it is state.
  CHECK(last_seq(c) == 0);
}

TEST_CASE(
    "jobs, runs and counters survive a restart, a run cut off by SIGKILL is stopped and "
    "abandoned",
    "[http][jobs]") {
  temp_dir dir;
  const std::vector<std::string> args = {
      "--data-dir", dir.path(), "--tick-interval", "100ms", "--job-shutdown-grace", "1s"};
  group_reaper reaper;
  json quick_before, quick_runs_before, quick_run_before, totals_before;
  std::string long_run;
  pid_t long_pid = 0;
  {
    daemon_process d{args};
    http_client c{d.port()};
    define(c, shell_job("quick", yearly, "echo quick-output"));
    const json fired = run_now(c, "quick");
    const std::string quick_run = fired["run_id"];
    wait_run_status(c, "quick", quick_run, {"succeeded"});
    define(c, shell_job("long", yearly, "sleep 30"));
    long_run = run_now(c, "long")["run_id"];
    const json running = wait_run_status(c, "long", long_run, {"running"});
    long_pid = running["pid"].get<pid_t>();
    reaper.groups.push_back(long_pid);
    quick_before = parse(c.get("/v1/jobs/quick"));
    quick_runs_before = parse(c.get("/v1/jobs/quick/runs"));
    quick_run_before = get_run(c, "quick", quick_run);
    totals_before = parse(c.get("/health"))["jobs"];
    CHECK(quick_run_before["output"] == "quick-output\n");
    d.signal(SIGKILL);
    REQUIRE(d.wait_exit(10s) == 128 + SIGKILL);
  }
  // vigil cannot stop its children when it is SIGKILLed: the job is still there.
  CHECK(group_alive(long_pid));

  daemon_process d{args};
  http_client c{d.port()};
  const json abandoned = wait_run_status(c, "long", long_run, {"abandoned"});
  CHECK(abandoned["error"].get<std::string>().find("daemon stopped") != std::string::npos);
  CHECK(abandoned["pid"] == long_pid);
  CHECK(abandoned["finished_at"].is_string());
  // The restarted daemon stopped the orphan (orphans = kill, the default) before it recorded
  // the run abandoned: nothing of the old run is left running.
  CHECK_FALSE(group_alive(long_pid));

  const json list = parse(c.get("/v1/jobs"));
  CHECK(list["total"] == 2);
  CHECK(parse(c.get("/v1/jobs/quick")) == quick_before);
  CHECK(parse(c.get("/v1/jobs/quick/runs")) == quick_runs_before);
  CHECK(get_run(c, "quick", quick_run_before["run_id"]) == quick_run_before);
  const json long_view = parse(c.get("/v1/jobs/long"));
  CHECK(long_view["counters"]["outcomes"]["abandoned"] == 1);
  CHECK(long_view["active_runs"].empty());
  json totals = parse(c.get("/health"))["jobs"];
  CHECK(totals["total"] == 2);
  CHECK(totals["outcomes"]["succeeded"] == totals_before["outcomes"]["succeeded"]);
  CHECK(totals["outcomes"]["abandoned"] ==
        totals_before["outcomes"]["abandoned"].get<uint64_t>() + 1);
  CHECK(totals["decisions"] == totals_before["decisions"]);
  CHECK(totals["runs"]["running"] == 0);
  stop_daemon(d);
}

namespace {

struct shutdown_outcome {
  json run;            ///< the run record after a restart
  double seconds = 0;  ///< from the (first) SIGTERM to the daemon's exit
  std::string output;  ///< what the daemon printed
};

/// Starts a daemon with `grace`, runs `shell` by hand, waits for it to run, sends SIGTERM
/// (twice when `second_signal`), and checks the shutdown contract: /readyz 503 at once, no new
/// commands, exit 0. Then restarts on the same data dir and returns the run as recorded.
shutdown_outcome shutdown_while_running(const std::string& shell, const std::string& grace,
                                        const std::string& kill_grace, bool second_signal) {
  temp_dir dir;
  group_reaper reaper;
  shutdown_outcome out;
  std::string run_id;
  {
    daemon_process d{
        {"--data-dir", dir.path(), "--tick-interval", "100ms", "--job-shutdown-grace", grace}};
    http_client c{d.port()};
    define(c, shell_job("job", yearly, shell, {{"kill_grace", kill_grace}}));
    run_id = run_now(c, "job")["run_id"];
    const json running = wait_run_status(c, "job", run_id, {"running"});
    reaper.groups.push_back(running["pid"].get<pid_t>());
    REQUIRE(c.get("/readyz").status == 200);

    const auto signalled = clock_type::now();
    d.signal(SIGTERM);
    // Readiness flips at once (well before any grace).
    CHECK(eventually(1s, [&] { return c.get("/readyz").status == 503; }));
    // No new fires once the scheduler drains: commands are refused. (A command may still be
    // accepted in the instant between readiness flipping and the scheduler hearing of the
    // drain: they are told one after the other.)
    CHECK(eventually(2s,
                     [&] { return parse(c.get("/health"))["scheduler"]["state"] == "draining"; }));
    check_error(c.post("/v1/jobs/job/run", R"({"overlap":"allow"})"), 503, "unavailable");
    if (second_signal) d.signal(SIGTERM);
    const auto code = d.wait_exit(30s);
    out.seconds = std::chrono::duration<double>(clock_type::now() - signalled).count();
    out.output = d.output();
    INFO(out.output);
    REQUIRE(code == 0);
    CHECK(out.output.find("drain timed out") == std::string::npos);
  }
  for (pid_t g : reaper.groups) CHECK_FALSE(group_alive(g));
  daemon_process d{{"--data-dir", dir.path()}};
  http_client c{d.port()};
  out.run = get_run(c, "job", run_id);
  stop_daemon(d);
  return out;
}

}  // namespace

TEST_CASE("SIGTERM while a job runs: it finishes within the grace, its outcome is logged",
          "[http][shutdown]") {
  const auto out = shutdown_while_running("sleep 1.5; echo finished-anyway", "10s", "1s", false);
  INFO(out.output);
  CHECK(out.run["status"] == "succeeded");
  CHECK(out.run["exit_code"] == 0);
  CHECK(out.run["output"] == "finished-anyway\n");
  CHECK(out.seconds < 8);  // it waited for the job, not for the grace
}

TEST_CASE("SIGTERM while a job runs past the grace: it is stopped and logged as cancelled",
          "[http][shutdown]") {
  const auto out = shutdown_while_running("sleep 30", "1s", "1s", false);
  INFO(out.output);
  CHECK(out.run["status"] == "cancelled");
  CHECK(out.run["finished_at"].is_string());
  CHECK(out.seconds >= 0.9);  // the grace was given
  CHECK(out.seconds < 8);     // and not much more: TERM, then KILL after kill_grace at worst
}

TEST_CASE("a second SIGTERM stops running jobs at once", "[http][shutdown]") {
  const auto out = shutdown_while_running("sleep 60", "60s", "1s", true);
  INFO(out.output);
  CHECK(out.run["status"] == "cancelled");
  CHECK(out.seconds < 5);
  CHECK(out.output.find("second signal") != std::string::npos);
}

TEST_CASE(
    "dry runs write nothing, a schedule that never fires is accepted with a warning, "
    "?full=true pages whole jobs",
    "[http][jobs][dry_run]") {
  daemon_process d{{}};
  http_client c{d.port()};
  const uint64_t before = last_seq(c);
  const json job = shell_job("nightly", yearly, "true");

  // POST ?dry_run=true: the answer a real POST would get (201, the job), and nothing written.
  const auto dry = c.post("/v1/jobs?dry_run=true", job.dump());
  const json would = parse(dry, 201);
  CHECK(would["id"] == "nightly");
  CHECK(would["dry_run"] == true);
  CHECK(would["warnings"] == json::array());
  CHECK(would["spec"]["schedule"] == yearly);
  CHECK(c.get("/v1/jobs/nightly").status == 404);
  CHECK(last_seq(c) == before);
  // Validation is the real one: a bad field is the same 400, a bad flag a 400 naming it.
  check_error(c.post("/v1/jobs?dry_run=true", shell_job("bad", "every day", "true").dump()), 400,
              "invalid_argument", "/schedule");
  check_error(c.post("/v1/jobs?dry_run=maybe", job.dump()), 400, "invalid_argument", "dry_run");

  const json created = define(c, job);
  CHECK(created["dry_run"] == false);
  CHECK(created["warnings"] == json::array());
  const uint64_t defined = last_seq(c);
  // A second POST would be a conflict, dry or not; a dry PUT answers 200 and changes nothing.
  check_error(c.post("/v1/jobs?dry_run=true", job.dump()), 409, "conflict", "/id");
  json changed = job;
  changed["command"]["shell"] = "echo changed";
  const json put = parse(c.request("PUT", "/v1/jobs/nightly?dry_run", changed.dump()), 200);
  CHECK(put["dry_run"] == true);
  CHECK(put["spec"]["command"]["shell"] == "echo changed");
  CHECK(put["revision"] == created["revision"].get<uint64_t>() + 1);
  CHECK(parse(c.get("/v1/jobs/nightly"))["spec"]["command"]["shell"] == "true");
  CHECK(last_seq(c) == defined);

  // A schedule that can never fire is accepted, and the answer says so.
  for (const std::string never : {"0 0 30 2 *", "@at 2001-01-01T00:00:00Z"}) {
    INFO(never);
    const json j = define(c, shell_job(never[0] == '@' ? "past" : "feb30", never, "true"));
    REQUIRE(j["warnings"].size() == 1);
    CHECK(j["warnings"][0]["field"] == "/schedule");
    CHECK(j["warnings"][0]["message"].get<std::string>().find("never fires") != std::string::npos);
    CHECK(j["next_due"].is_null());
    CHECK(j["completed"] == false);  // nothing was ever decided: never fires, not completed
  }
  // A manual run of it is no schedule's decision: still not completed once it ran.
  const std::string manual = parse(c.post("/v1/jobs/feb30/run"), 200)["run_id"];
  wait_run_status(c, "feb30", manual, {"succeeded"});
  CHECK(parse(c.get("/v1/jobs/feb30"))["completed"] == false);

  // ?full=true pages whole definitions (what `vigil jobs export` reads); summaries do not.
  const json page = parse(c.get("/v1/jobs?full=true&limit=2"), 200);
  REQUIRE(page["jobs"].size() == 2);
  CHECK(page["jobs"][0]["id"] == "feb30");
  CHECK(page["jobs"][0]["spec"]["schedule"] == "0 0 30 2 *");
  CHECK(page["next"] == "nightly");
  const json rest = parse(c.get("/v1/jobs?full=true&after=nightly"), 200);
  REQUIRE(rest["jobs"].size() == 1);
  CHECK(rest["jobs"][0]["id"] == "past");
  CHECK_FALSE(parse(c.get("/v1/jobs"))["jobs"][0].contains("spec"));
  check_error(c.get("/v1/jobs?full=yes"), 400, "invalid_argument", "full");
  stop_daemon(d);
}

TEST_CASE("a one-shot @at job that ran reads completed, and ?status=completed finds it",
          "[http][jobs]") {
  daemon_process d{{"--tick-interval", "100ms"}};
  http_client c{d.port()};
  // Due in a moment: fires once, then nothing more will ever be due.
  const auto soon = std::chrono::system_clock::now() + 1s;
  const std::time_t tt = std::chrono::system_clock::to_time_t(soon) + 1;
  char at[32];
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
  const json created = define(c, shell_job("once", std::string{"@at "} + at, "true"));
  CHECK(created["completed"] == false);
  CHECK(created["warnings"] == json::array());
  define(c, shell_job("yearly", yearly, "true"));
  json view;
  REQUIRE(eventually(15s, [&] {
    view = parse(c.get("/v1/jobs/once"));
    return view["completed"] == true;
  }));
  CHECK(view["status"]["last_outcome"] == "succeeded");
  CHECK(view["next_due"].is_null());
  const json done = parse(c.get("/v1/jobs?status=completed"), 200);
  REQUIRE(done["jobs"].size() == 1);
  CHECK(done["jobs"][0]["id"] == "once");
  CHECK(done["jobs"][0]["completed"] == true);
  stop_daemon(d);
}

TEST_CASE("backfill over HTTP decides each past nominal time once, a repeat decides nothing",
          "[http][jobs][backfill]") {
  daemon_process d{{"--tick-interval", "100ms"}};
  http_client c{d.port()};
  define(c, shell_job("daily", "0 3 * * *", "true", {{"overlap", "allow"}}));
  const std::string range = R"({"from":"2026-01-01T00:00:00Z","to":"2026-01-05T23:59:59Z"})";
  const json first = parse(c.post("/v1/jobs/daily/backfill", range), 200);
  CHECK(first["job"] == "daily");
  CHECK(first["nominal_times"] == 5);
  CHECK(first["decided"] == 5);
  CHECK(first["already_decided"] == 0);
  REQUIRE(first["decisions"].size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    const json& dd = first["decisions"][i];
    CHECK(dd["kind"] == "fired");
    CHECK(dd["reason"] == "backfill");
    CHECK(dd["nominal"] == "2026-01-0" + std::to_string(i + 1) + "T03:00:00.000Z");
  }
  // Each run is real: it runs and succeeds like any other.
  for (const auto& dd : first["decisions"])
    CHECK(wait_run_status(c, "daily", dd["run_id"], {"succeeded"})["reason"] == "backfill");
  const uint64_t seq = last_seq(c);
  const json again = parse(c.post("/v1/jobs/daily/backfill", range), 200);
  CHECK(again["decided"] == 0);
  CHECK(again["already_decided"] == 5);
  CHECK(again["decisions"] == json::array());
  CHECK(last_seq(c) == seq);  // nothing appended
  // The decisions are in the job's history like any other.
  const json decisions = parse(c.get("/v1/jobs/daily/decisions?limit=100"));
  size_t backfilled = 0;
  for (const auto& dd : decisions["decisions"]) backfilled += dd["reason"] == "backfill";
  CHECK(backfilled == 5);

  check_error(c.post("/v1/jobs/daily/backfill", R"({"from":"2026-01-01T00:00:00Z"})"), 400,
              "invalid_argument", "/to");
  check_error(c.post("/v1/jobs/daily/backfill",
                     R"({"from":"2026-01-05T00:00:00Z","to":"2026-01-01T00:00:00Z"})"),
              400, "invalid_argument", "/from");
  check_error(c.post("/v1/jobs/daily/backfill",
                     R"({"from":"2026-01-01T00:00:00Z","to":"2999-01-01T00:00:00Z"})"),
              400, "invalid_argument", "/to");
  check_error(c.post("/v1/jobs/daily/backfill",
                     R"({"from":"2020-01-01T00:00:00Z","to":"2026-01-01T00:00:00Z"})"),
              400, "invalid_argument", "/to");  // 2,193 days: over 1000 nominal times
  check_error(c.post("/v1/jobs/daily/backfill", R"({"from":"yesterday","to":"x"})"), 400,
              "invalid_argument", "/from");
  check_error(c.post("/v1/jobs/daily/backfill", R"({"from":"2026-01-01T00:00:00Z",)"
                                                R"("to":"2026-01-02T00:00:00Z","n":1})"),
              400, "invalid_argument", "/n");
  check_error(c.post("/v1/jobs/nope/backfill", range), 404, "not_found");
  stop_daemon(d);
}
