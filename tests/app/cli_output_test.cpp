// The read commands' output against the real binary and a real daemon: golden tables and JSON
// (jobs whose every field is fixed: one-shot schedules far ahead, never run), YAML that a YAML
// parser reads back as the JSON, times in the job's zone and the viewer's, the paused banner,
// colour only when asked for or on a terminal, VIGIL_URL, --version, unknown commands, the
// skipped manual run's exit code, `jobs next`, `preview`, `scheduler`, and shell completion.
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/sys_test.hpp"

namespace {

/// `sh -c '<script>'` with the binary as $VIGIL; stdout only unless the script redirects.
run_result shell(const std::string& script) {
  return run_shell("VIGIL='" + std::string{VIGIL_BINARY} + "'; " + script);
}

std::string golden(const std::string& name) {
  std::ifstream f{std::string{VIGIL_FIXTURES} + "/cli/" + name, std::ios::binary};
  REQUIRE(f.good());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// Two jobs whose summaries never change while the tests run: one-shot times years ahead.
json fixed_jobs() {
  return json::array({{{"id", "backup"},
                       {"schedule", "@at 2030-01-01T01:00:00Z"},
                       {"time_zone", "Europe/Berlin"},
                       {"command", {{"shell", "true"}}}},
                      {{"id", "report"},
                       {"schedule", "@at 2031-06-15T12:30:00Z"},
                       {"time_zone", "America/New_York"},
                       {"enabled", false},
                       {"command", {{"shell", "true"}}}}});
}

}  // namespace

TEST_CASE_METHOD(cli_fixture, "vigil jobs list prints the golden table and the golden JSON",
                 "[cli][output]") {
  const std::string file = write_file(dir, "jobs.json", fixed_jobs().dump());
  REQUIRE(run_vigil({"jobs", "apply", "-f", file, "--url", url}).exit_code == 0);

  const auto table = shell("$VIGIL jobs list --tz Asia/Tokyo --url " + url);
  CHECK(table.exit_code == 0);
  CHECK(table.output == golden("jobs_list.txt"));
  // The viewer's zone comes from TZ when --tz is not given.
  CHECK(shell("TZ=Asia/Tokyo $VIGIL jobs list --url " + url).output == golden("jobs_list.txt"));

  const auto as_json = shell("$VIGIL jobs list -o json --url " + url);
  CHECK(as_json.exit_code == 0);
  CHECK(json::parse(as_json.output) == json::parse(golden("jobs_list.json")));
  CHECK(as_json.output == golden("jobs_list.json"));  // byte for byte: 2 spaces, sorted keys

  const auto next = shell("$VIGIL jobs next backup --tz Asia/Tokyo --url " + url);
  CHECK(next.exit_code == 0);
  CHECK(next.output == golden("jobs_next.txt"));
}

TEST_CASE_METHOD(cli_fixture, "yaml output (-o yaml) reads back as the same value as -o json",
                 "[cli][output]") {
  // Strings that a careless emitter would let YAML read as something else.
  json job = fixed_jobs()[0];
  job["description"] = "yes: no # not a comment";
  job["command"]["env"] = {{"A", "1.0"},
                           {"B", ""},
                           {"C", "null"},
                           {"D", "- item"},
                           {"E", "2030-01-01"},
                           {"F", "~"},
                           {"G", "tab\there \"quoted\""},
                           {"H", "über"},
                           {"I", "on"},
                           {"J", "@at"},
                           {"K", "0x1F"}};
  const std::string file = write_file(dir, "job.json", job.dump());
  REQUIRE(run_vigil({"jobs", "apply", "-f", file, "--url", url}).exit_code == 0);
  const char* to_json =
      " | python3 -c 'import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin)))'";
  for (const std::string& command :
       {std::string{"jobs get backup"}, std::string{"jobs list"}, std::string{"jobs next backup"},
        std::string{"jobs runs backup"}, std::string{"jobs decisions backup"},
        std::string{"status"}}) {
    INFO(command);
    const auto as_json = shell("$VIGIL " + command + " -o json --url " + url);
    const auto as_yaml = shell("$VIGIL " + command + " -o yaml --url " + url + to_json);
    REQUIRE(as_yaml.exit_code == 0);
    const json a = json::parse(as_json.output, nullptr, false);
    const json b = json::parse(as_yaml.output, nullptr, false);
    REQUIRE(a.is_object());
    if (command == "status") {  // the snapshot's age moves between the two reads
      CHECK(b["status"] == a["status"]);
      CHECK(b["checks"].size() == a["checks"].size());
    } else {
      CHECK(a == b);
    }
  }
}

TEST_CASE_METHOD(
    cli_fixture,
    "a paused scheduler shows a banner above the table, and scheduler resume removes it",
    "[cli][output]") {
  REQUIRE(run_vigil(
              {"jobs", "apply", "-f", write_file(dir, "j.json", fixed_jobs().dump()), "--url", url})
              .exit_code == 0);
  const auto paused = run_vigil({"scheduler", "pause", "--reason", "disk swap", "--url", url});
  INFO(paused.output);
  CHECK(paused.exit_code == 0);
  CHECK(contains(paused.output, "scheduler: paused"));
  CHECK(contains(paused.output, "disk swap"));
  CHECK(contains(run_vigil({"scheduler", "pause", "--url", url}).output,
                 "scheduler: already paused"));

  const auto list = shell("$VIGIL jobs list --tz Asia/Tokyo --url " + url);
  INFO(list.output);
  CHECK(list.output.rfind("SCHEDULER PAUSED since ", 0) == 0);
  CHECK(contains(list.output, " JST by http 127.0.0.1: disk swap;"));
  // The banner goes above the same table.
  CHECK(list.output.substr(list.output.find('\n') + 1) == golden("jobs_list.txt"));
  const json j = json::parse(shell("$VIGIL jobs list -o json --url " + url).output);
  CHECK(j["scheduler"]["paused"] == true);
  CHECK(j["scheduler"]["pause_reason"] == "disk swap");

  const auto resumed = run_vigil({"scheduler", "resume", "--url", url});
  CHECK(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "scheduler: resumed"));
  CHECK(shell("$VIGIL jobs list --tz Asia/Tokyo --url " + url).output == golden("jobs_list.txt"));
}

TEST_CASE_METHOD(cli_fixture, "LAST RESULT is coloured only when asked for, not on a pipe",
                 "[cli][output]") {
  json jobs = fixed_jobs();
  jobs[1]["enabled"] = true;
  jobs[1]["command"]["shell"] = "exit 3";
  REQUIRE(run_vigil({"jobs", "apply", "-f", write_file(dir, "j.json", jobs.dump()), "--url", url})
              .exit_code == 0);
  // Both manual runs finish: read until their outcomes are in (bounded; nothing sleeps).
  http_client c{daemon.port()};
  REQUIRE(run_vigil({"jobs", "run", "backup", "--url", url}).exit_code == 0);
  REQUIRE(run_vigil({"jobs", "run", "report", "--url", url}).exit_code == 0);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  auto finished = [&](const char* id) {
    const json j = json::parse(c.get(std::string{"/v1/jobs/"} + id).body, nullptr, false);
    return j.is_object() && j["status"]["last_outcome"].is_string();
  };
  while (!(finished("backup") && finished("report")) && std::chrono::steady_clock::now() < until) {
  }
  REQUIRE(finished("backup"));
  REQUIRE(finished("report"));
  const auto plain = shell("$VIGIL jobs list --url " + url);
  INFO(plain.output);
  CHECK(contains(plain.output, "succeeded"));
  CHECK(contains(plain.output, "failed"));
  CHECK_FALSE(contains(plain.output, "\x1b["));
  const auto coloured = shell("$VIGIL jobs list --color always --url " + url);
  CHECK(contains(coloured.output, "\x1b[32msucceeded\x1b[0m"));
  CHECK(contains(coloured.output, "\x1b[31mfailed\x1b[0m"));
  CHECK_FALSE(contains(shell("NO_COLOR=1 $VIGIL jobs list --url " + url).output, "\x1b["));
  // A terminal gets colour by default (script(1) gives the command a pseudo-terminal).
  const auto tty = shell("script -qec \"$VIGIL jobs list --url " + url + "\" /dev/null");
  CHECK(contains(tty.output, "\x1b[32msucceeded\x1b[0m"));
}

TEST_CASE_METHOD(cli_fixture, "a skipped manual run exits 5, a fired one exits 0",
                 "[cli][output]") {
  json job = fixed_jobs()[0];
  job["command"]["shell"] = "sleep 5";
  job["overlap"] = "skip";
  REQUIRE(run_vigil({"jobs", "apply", "-f", write_file(dir, "j.json", job.dump()), "--url", url})
              .exit_code == 0);
  const auto fired = run_vigil({"jobs", "run", "backup", "--url", url});
  INFO(fired.output);
  CHECK(fired.exit_code == 0);
  CHECK(contains(fired.output, "fired"));
  // The first run occupies the job from its decision on (starting, then running).
  const auto skipped = run_vigil({"jobs", "run", "backup", "--url", url});
  INFO(skipped.output);
  CHECK(skipped.exit_code == 5);
  CHECK(contains(skipped.output, "job backup: skipped (overlap)"));
  REQUIRE(run_vigil({"jobs", "rm", "backup", "--url", url}).exit_code == 0);  // stops the sleep
}

TEST_CASE("vigil preview shows a schedule's fires in its zone and the viewer's", "[cli][output]") {
  daemon_process daemon{{}};
  const std::string url = url_of(daemon.port());
  const auto r =
      shell("TZ=UTC $VIGIL preview '@at 2030-03-31T00:30:00Z' --tz Europe/Berlin --url " + url);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output == "#  FIRE (Europe/Berlin)\n1  2030-03-31 01:30:00 CET = 00:30:00 UTC\n");
  const auto n = shell("$VIGIL preview '*/5 * * * *' -n 3 -o json --url " + url);
  CHECK(json::parse(n.output)["fires"].size() == 3);
  const auto bad = shell("$VIGIL preview '0 0 32 * *' --url " + url + " 2>&1");
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.output, "(field schedule)"));
  const auto bad_zone = shell("$VIGIL preview '@daily' --tz Mars/Olympus --url " + url + " 2>&1");
  CHECK(bad_zone.exit_code == 1);
  CHECK(contains(bad_zone.output, "(field tz)"));
  CHECK(run_vigil({"preview", "--url", url}).exit_code == 2);  // the schedule is required
}

TEST_CASE("VIGIL_URL sets the daemon, --url wins over it, a bad one is named", "[cli]") {
  daemon_process daemon{{}};
  const std::string url = url_of(daemon.port());
  CHECK(shell("VIGIL_URL=" + url + " $VIGIL jobs list").output == "no jobs\n");
  CHECK(shell("VIGIL_URL=http://127.0.0.1:1 $VIGIL jobs list --url " + url).output == "no jobs\n");
  const auto bad = shell("VIGIL_URL=localhost $VIGIL jobs list 2>&1");
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.output, "VIGIL_URL"));
  const auto bad_tz = run_vigil({"jobs", "list", "--tz", "Nowhere/Atlantis", "--url", url});
  CHECK(bad_tz.exit_code == 2);
  CHECK(contains(bad_tz.output, "--tz"));
  const auto bad_format = run_vigil({"jobs", "list", "-o", "xml", "--url", url});
  CHECK(bad_format.exit_code == 2);
  CHECK(contains(bad_format.output, "--output"));
}

TEST_CASE("vigil --version, and an unknown command names itself", "[cli]") {
  const auto v = run_vigil({"--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.output.rfind("vigil 0.1.0", 0) == 0);
  const auto top = run_vigil({"frobnicate"});
  CHECK(top.exit_code == 2);
  CHECK(contains(top.output, "unknown command 'frobnicate' for 'vigil'"));
  const auto jobs = run_vigil({"jobs", "lsit"});
  CHECK(jobs.exit_code == 2);
  CHECK(contains(jobs.output, "unknown command 'lsit' for 'vigil jobs'"));
  CHECK(contains(jobs.output, "list"));
  const auto sched = run_vigil({"scheduler", "stop"});
  CHECK(sched.exit_code == 2);
  CHECK(contains(sched.output, "unknown command 'stop' for 'vigil scheduler'"));
}

TEST_CASE("bash completion comes from the command definition and completes in bash",
          "[cli][completion]") {
  // Completes `vigil <words...> <cur>` with the generated function; prints COMPREPLY.
  auto complete = [](const std::string& words) {
    return shell("bash -c 'source <(\"$0\" completion bash); COMP_WORDS=(vigil " + words +
                 "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _vigil; echo \"${COMPREPLY[*]}\"' "
                 "\"$VIGIL\"")
        .output;
  };
  const std::string top = complete("\"\"");
  for (const char* word : {"serve", "watch", "status", "jobs", "scheduler", "preview", "completion",
                           "migrate", "--version"})
    CHECK(contains(top, word));
  CHECK(complete("jobs n") == "next\n");
  CHECK(complete("scheduler \"\"") == "pause resume --help -h --help-all\n");
  // Flags and their values in between do not lose the command path.
  CHECK(contains(complete("jobs list --url http://x:1 --t"), "--tz"));
  CHECK(contains(complete("jobs list --url http://x:1 --t"), "--token"));
  CHECK(contains(complete("preview x -"), "--count"));
}

TEST_CASE("zsh completion lists the same commands and flags", "[cli][completion]") {
  const auto z = run_vigil({"completion", "zsh"});
  CHECK(z.exit_code == 0);
  CHECK(z.output.rfind("#compdef vigil\n", 0) == 0);
  CHECK(contains(z.output, "\" jobs next\") cmd=\" jobs next\" ;;"));
  CHECK(contains(z.output, "\" scheduler\") candidates=(pause resume --help -h --help-all) ;;"));
  CHECK(contains(z.output, "compdef _vigil vigil"));
  CHECK(run_vigil({"completion", "fish"}).exit_code == 2);
}

TEST_CASE_METHOD(
    cli_fixture,
    "vigil jobs logs prints what the newest or the named run printed, its status apart",
    "[cli][output]") {
  json job = fixed_jobs()[0];
  job["command"]["shell"] = "printf 'line one\\nline two\\n'; exit 3";
  job["retry"] = {{"max_attempts", 2}, {"initial_backoff", "100ms"}};
  REQUIRE(run_vigil({"jobs", "apply", "-f", write_file(dir, "j.json", job.dump()), "--url", url})
              .exit_code == 0);
  // Before any run: nothing on stdout, the reason on stderr.
  const auto none = shell("$VIGIL jobs logs backup --url " + url + " 2>" + dir.file("err"));
  CHECK(none.exit_code == 0);
  CHECK(none.output.empty());
  CHECK(shell("cat " + dir.file("err")).output == "no runs of job backup\n");

  const auto fired = run_vigil({"jobs", "run", "backup", "--url", url});
  REQUIRE(fired.exit_code == 0);
  // Until the run has ended (its output is recorded then); bounded, polled.
  http_client c{daemon.port()};
  std::string run_id;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  for (;;) {
    const auto page = json::parse(c.get("/v1/jobs/backup/runs").body);
    if (!page["runs"].empty() && page["runs"][0]["status"] == "failed") {
      run_id = page["runs"][0]["run_id"].get<std::string>();
      break;
    }
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }

  const auto newest = shell("$VIGIL jobs logs backup --url " + url + " 2>" + dir.file("err"));
  CHECK(newest.exit_code == 0);
  CHECK(newest.output == "line one\nline two\n");  // byte for byte, nothing else on stdout
  const auto status = shell("cat " + dir.file("err")).output;
  CHECK(contains(status, "run " + run_id + " (attempt 2): failed, exit 3"));
  CHECK(contains(status, "earlier attempt 1: failed, exit 3"));
  const auto named =
      shell("$VIGIL jobs logs backup '" + run_id + "' --url " + url + " 2>/dev/null");
  CHECK(named.output == "line one\nline two\n");
  const auto as_json = shell("$VIGIL jobs logs backup -o json --url " + url);
  CHECK(json::parse(as_json.output)["output"] == "line one\nline two\n");
  // An unknown run is the server's 404, named.
  const auto unknown = shell("$VIGIL jobs logs backup nope --url " + url + " 2>&1");
  CHECK(unknown.exit_code == 1);
  CHECK(contains(unknown.output, "nope"));
}

TEST_CASE_METHOD(
    cli_fixture,
    "vigil jobs apply prints the diff, --dry-run writes nothing, --prune removes the rest",
    "[cli][output][apply]") {
  http_client c{daemon.port()};
  auto last_seq = [&] {
    return json::parse(c.get("/v1/events?after=0&limit=1").body)["last_seq"].get<uint64_t>();
  };
  // The daemon has backup and report; the directory changes backup, keeps report, adds audit.
  REQUIRE(run_vigil({"jobs", "apply", "-f", write_file(dir, "now.json", fixed_jobs().dump()),
                     "--url", url})
              .exit_code == 0);
  REQUIRE(run_vigil({"jobs", "apply", "-f",
                     write_file(dir, "old.json",
                                json{{"id", "old"},
                                     {"schedule", "@at 2032-01-01T00:00:00Z"},
                                     {"command", {{"shell", "true"}}}}
                                    .dump()),
                     "--url", url})
              .exit_code == 0);
  const std::string set = dir.file("set");
  REQUIRE(shell("mkdir " + set).exit_code == 0);
  json backup = fixed_jobs()[0];
  backup["command"]["shell"] = "echo changed";
  backup["schedule"] = "@at 2030-02-01T01:00:00Z";
  write_file(dir, "set/1-backup.json", backup.dump());
  write_file(dir, "set/2-more.json",
             json::array({fixed_jobs()[1],
                          {{"id", "audit"},
                           {"schedule", "@at 2033-03-03T03:03:03Z"},
                           {"command", {{"argv", {"/bin/true"}}}}}})
                 .dump());
  write_file(dir, "set/notes.txt", "not a job: only *.json files are read");
  const uint64_t before = last_seq();

  const auto dry = shell("$VIGIL jobs apply -f " + set + " --prune --dry-run --url " + url);
  CHECK(dry.exit_code == 0);
  CHECK(dry.output == golden("jobs_apply_dry_run.txt"));
  const auto dry_json =
      shell("$VIGIL jobs apply -f " + set + " --prune --dry-run -o json --url " + url);
  CHECK(dry_json.exit_code == 0);
  CHECK(dry_json.output == golden("jobs_apply_dry_run.json"));
  CHECK(last_seq() == before);  // nothing in the log after a dry run
  CHECK(c.get("/v1/jobs/audit").status == 404);
  CHECK(c.get("/v1/jobs/old").status == 200);

  const auto applied = shell("$VIGIL jobs apply -f " + set + " --prune --url " + url);
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.output, "1 created, 1 changed, 1 unchanged, 1 deleted\n"));
  CHECK(c.get("/v1/jobs/audit").status == 200);
  CHECK(c.get("/v1/jobs/old").status == 404);
  CHECK(json::parse(c.get("/v1/jobs/backup").body)["spec"]["command"]["shell"] == "echo changed");
  // Applied again: nothing to do, nothing written.
  const uint64_t settled = last_seq();
  const auto again = shell("$VIGIL jobs apply -f " + set + " --prune --url " + url);
  CHECK(contains(again.output, "0 created, 0 changed, 3 unchanged, 0 deleted\n"));
  CHECK(last_seq() == settled);

  // One bad job: the server's refusal is printed and nothing at all is written.
  write_file(
      dir, "set/3-bad.json",
      json{{"id", "bad"}, {"schedule", "every day"}, {"command", {{"shell", "true"}}}}.dump());
  const auto refused = shell("$VIGIL jobs apply -f " + set + " --url " + url + " 2>&1");
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "job bad"));
  CHECK(contains(refused.output, "/schedule"));
  CHECK(contains(refused.output, "nothing was applied"));
  CHECK(last_seq() == settled);
  // An id twice is refused before anything is asked; --prune with nothing refuses.
  write_file(dir, "set/3-bad.json", backup.dump());
  CHECK(shell("$VIGIL jobs apply -f " + set + " --url " + url + " 2>&1").exit_code == 1);
  CHECK(shell("echo '[]' | $VIGIL jobs apply -f - --prune --url " + url + " 2>&1").exit_code == 1);
  CHECK(last_seq() == settled);
}

TEST_CASE_METHOD(cli_fixture,
                 "vigil jobs export reads back through apply as unchanged, and warnings are shown",
                 "[cli][output][apply]") {
  REQUIRE(run_vigil(
              {"jobs", "apply", "-f", write_file(dir, "j.json", fixed_jobs().dump()), "--url", url})
              .exit_code == 0);
  const auto exported = shell("$VIGIL jobs export --url " + url + " > " + dir.file("all.json"));
  CHECK(exported.exit_code == 0);
  const json all = json::parse(shell("cat " + dir.file("all.json")).output);
  REQUIRE(all.is_array());
  REQUIRE(all.size() == 2);
  CHECK(all[0]["id"] == "backup");
  CHECK(all[1]["enabled"] == false);
  const auto back = shell("$VIGIL jobs apply -f " + dir.file("all.json") + " --url " + url);
  CHECK(back.output ==
        "job backup: unchanged (revision 1)\njob report: unchanged (revision 1)\n"
        "0 created, 0 changed, 2 unchanged, 0 deleted\n");
  // A schedule that never fires: accepted, and the warning is shown.
  const auto warned = shell(
      "echo '{\"id\":\"feb30\",\"schedule\":\"0 0 30 2 *\",\"command\":{\"shell\":\"true\"}}' | "
      "$VIGIL jobs apply -f - --url " +
      url);
  CHECK(warned.exit_code == 0);
  CHECK(contains(warned.output, "job feb30: created (revision 1)\n"));
  CHECK(contains(warned.output, "job feb30: warning: /schedule: '0 0 30 2 *' has no time after"));
}

TEST_CASE_METHOD(cli_fixture,
                 "vigil jobs backfill prints the golden table and JSON, a repeat decides nothing",
                 "[cli][output][backfill]") {
  const json daily = {{"id", "daily"},
                      {"schedule", "30 2 * * *"},
                      {"time_zone", "Europe/Berlin"},
                      {"overlap", "buffer_one"},
                      {"command", {{"shell", "true"}}}};
  REQUIRE(run_vigil({"jobs", "apply", "-f", write_file(dir, "d.json", daily.dump()), "--url", url})
              .exit_code == 0);
  const std::string range = " --from 2026-03-28T00:00:00Z --to 2026-03-30T23:00:00Z";
  const auto table = shell("$VIGIL jobs backfill daily" + range + " --tz Asia/Tokyo --url " + url);
  CHECK(table.exit_code == 0);
  CHECK(table.output == golden("jobs_backfill.txt"));
  const auto again = shell("$VIGIL jobs backfill daily" + range + " -o json --url " + url);
  CHECK(again.exit_code == 0);
  CHECK(again.output == golden("jobs_backfill_again.json"));
  const auto future = shell(
      "$VIGIL jobs backfill daily --from 2026-01-01T00:00:00Z --to "
      "2999-01-01T00:00:00Z --url " +
      url + " 2>&1");
  CHECK(future.exit_code == 1);
  CHECK(contains(future.output, "/to"));
}

TEST_CASE_METHOD(cli_fixture,
                 "vigil jobs logs -f follows a running run's output to its end, every byte once",
                 "[cli][output]") {
  json job = fixed_jobs()[0];
  job["command"]["shell"] =
      "i=1; while [ $i -le 15 ]; do echo line $i; i=$((i+1)); sleep 0.1; done; exit 4";
  REQUIRE(run_vigil({"jobs", "apply", "-f", write_file(dir, "j.json", job.dump()), "--url", url})
              .exit_code == 0);
  REQUIRE(run_vigil({"jobs", "run", "backup", "--url", url}).exit_code == 0);
  // Started while the run goes (its first lines are out, most are not yet).
  const auto followed = shell("$VIGIL jobs logs -f backup --url " + url + " 2>" + dir.file("err"));
  CHECK(followed.exit_code == 0);
  std::string expected;
  for (int i = 1; i <= 15; ++i) expected += "line " + std::to_string(i) + "\n";
  CHECK(followed.output == expected);
  const std::string status = shell("cat " + dir.file("err")).output;
  CHECK(contains(status, "(attempt 1): failed, exit 4"));
}
