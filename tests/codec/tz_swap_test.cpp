// Replay depends on the log alone: a log decided with this machine's tz database replays to the
// same state in a process whose tz database says something else for its zones (a tzdata update,
// another node of a cluster) or lacks them. Zones are loaded once per process, so the replay
// runs in a fresh copy of this test binary with TZDIR pointing at a doctored zoneinfo tree.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "codec/checkpoint.hpp"
#include "codec/events.hpp"
#include "model/decider.hpp"
#include "model/jobs.hpp"
#include "model/planner.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_model.hpp"

namespace codec = vigil::codec;
namespace m = vigil::model;
namespace fs = std::filesystem;

namespace {

using namespace std::chrono_literals;

constexpr const char* child_test = "tz swap replay half in a fresh process";

/// A summer instant at which Europe/Berlin is +02:00 in the real tz database.
const m::wall_time summer = *m::parse_rfc3339("2026-07-01T12:00:00Z");

std::shared_ptr<const m::job_spec> spec(const std::string& id, const char* schedule,
                                        const char* zone, m::overlap_policy overlap,
                                        m::catchup_policy catchup) {
  auto s = vigil::test::shared_spec(id, schedule);
  s->time_zone = zone;
  s->overlap = overlap;
  s->catchup = catchup;
  s->catchup_window = 6h;
  s->misfire_grace = 30s;
  return s;
}

/// Three days of a scheduler across the Berlin and New York spring-forward gaps: cron jobs in
/// those zones, catch-up after a pause, overlaps, manual runs. Returns the log; `live` is the
/// state it was decided into, on this machine's tz database.
std::vector<m::event> decide_log(m::state& live) {
  std::vector<m::event> log;
  std::mt19937_64 rng{29};
  auto take = [&](std::vector<m::event> events) {
    for (auto& e : events) log.push_back(std::move(e));
  };
  auto command = [&](const m::command& c, m::wall_time now) {
    auto d = m::decide(live, c, now);
    REQUIRE(std::holds_alternative<std::vector<m::event>>(d));
    for (const auto& e : std::get<std::vector<m::event>>(d)) m::apply_in_place(live, e);
    take(std::get<std::vector<m::event>>(d));
  };
  m::wall_time now = *m::parse_rfc3339("2026-03-27T20:00:00Z");
  const m::wall_time end = *m::parse_rfc3339("2026-03-30T20:00:00Z");
  using o = m::overlap_policy;
  using c = m::catchup_policy;
  command(
      m::define_job{spec("nightly", "30 2 * * *", "Europe/Berlin", o::skip, c::latest), true, "t"},
      now);
  command(m::define_job{spec("early", "*/10 1-3 * * *", "Europe/Berlin", o::buffer_one, c::all),
                        true, "t"},
          now);
  command(m::define_job{spec("ny", "15 * * * *", "America/New_York", o::cancel_other, c::none),
                        true, "t"},
          now);
  command(m::define_job{spec("utc", "@every 20m", "UTC", o::skip, c::all), true, "t"}, now);
  int step = 0;
  while (now < end) {
    now += std::chrono::minutes(1 + rng() % 9);
    ++step;
    if (step % 97 == 0) command(m::pause_scheduler{"deploy", "t"}, now);
    if (step % 97 == 5) command(m::resume_scheduler{"", "t"}, now);
    if (step % 31 == 0) command(m::run_job{"nightly", std::nullopt, "t"}, now);
    if (step % 37 == 0) command(m::run_job{"early", m::overlap_policy::skip, "t"}, now);
    take(m::plan_cycle(live, now));
    for (const auto& [id, status] : vigil::test::going_runs(live)) {
      if (status == m::run_status::starting) {
        take(m::on_run_started(live, id, 1000 + step, now));
      } else if (rng() % 3 == 0) {
        auto f = vigil::test::report(
            id, rng() % 4 ? m::run_outcome::succeeded : m::run_outcome::failed, now);
        take(m::on_run_finished(live, f));
      }
    }
  }
  return log;
}

void write_log(const std::string& path, const std::vector<m::event>& log) {
  std::ofstream out{path};
  for (const auto& e : log)  // bodies are JSON on one line: no raw tab or newline inside
    out << m::event_type(e) << '\t' << m::event_schema_version << '\t' << codec::encode_event(e)
        << '\n';
  REQUIRE(out.good());
}

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Runs the replay half in a fresh copy of this binary, with `tzdir` as its tz database.
/// Returns its first output line (what Europe/Berlin's offset was in summer there) and the
/// state it replayed to, as a checkpoint body.
std::pair<std::string, std::string> replay_elsewhere(const vigil::test::temp_dir& dir,
                                                     const std::string& tzdir) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string out = dir.file("replayed.out");
  fs::remove(out);
  const std::string cmd = "TZDIR='" + tzdir + "' VIGIL_REPLAY_LOG='" + dir.file("log.tsv") +
                          "' VIGIL_REPLAY_OUT='" + out + "' '" + self + "' '" + child_test +
                          "' >'" + dir.file("child.txt") + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  INFO(read_text(dir.file("child.txt")));
  REQUIRE(rc == 0);
  const std::string text = read_text(out);
  const auto nl = text.find('\n');
  REQUIRE(nl != std::string::npos);
  return {text.substr(0, nl), text.substr(nl + 1)};
}

}  // namespace

TEST_CASE("a log replays to the same state where the tz database says otherwise or is missing",
          "[codec][replay][tz]") {
  m::state live;
  const auto log = decide_log(live);
  std::map<std::string, int> decided;
  for (const auto& e : log)
    if (const auto* d = std::get_if<m::fire_decided>(&e)) ++decided[d->job];
  for (const char* job : {"nightly", "early", "ny", "utc"}) {
    INFO(job);
    CHECK(decided[job] > 1);
  }
  CHECK(live.totals.missed + live.totals.skipped > 0);

  vigil::test::temp_dir dir;
  write_log(dir.file("log.tsv"), log);
  const fs::path real = "/usr/share/zoneinfo";
  REQUIRE(fs::exists(real / "Asia/Kolkata"));
  // Other rules under the same names: no DST, other offsets.
  const fs::path swapped = dir.file("swapped");
  fs::create_directories(swapped / "Europe");
  fs::create_directories(swapped / "America");
  fs::copy_file(real / "Asia/Kolkata", swapped / "Europe/Berlin");
  fs::copy_file(real / "Australia/Lord_Howe", swapped / "America/New_York");
  // No zones at all: every definition's zone is missing.
  const fs::path empty = dir.file("empty");
  fs::create_directories(empty);

  for (const auto& [name, tzdir, berlin] :
       {std::tuple<std::string, std::string, std::string>{"as shipped", real.string(), "+02:00"},
        {"other rules", swapped.string(), "+05:30"},
        {"no zones", empty.string(), "missing"}}) {
    INFO(name);
    const auto [offset, body] = replay_elsewhere(dir, tzdir);
    CHECK(offset == berlin);  // the replaying process did see that tz database
    auto replayed = codec::decode_state(body);
    REQUIRE(replayed);
    CHECK(*replayed == live);
  }
}

TEST_CASE(child_test, "[.][tz_child]") {
  // Only run by the test above, in a process of its own (hidden from the suite).
  const char* in = std::getenv("VIGIL_REPLAY_LOG");
  const char* out = std::getenv("VIGIL_REPLAY_OUT");
  REQUIRE(in);
  REQUIRE(out);
  m::state s;
  std::ifstream log{in};
  std::string line;
  while (std::getline(log, line)) {
    const auto a = line.find('\t');
    const auto b = line.find('\t', a + 1);
    REQUIRE(b != std::string::npos);
    auto e = codec::decode_event(line.substr(0, a), std::stoi(line.substr(a + 1, b - a - 1)),
                                 line.substr(b + 1));
    REQUIRE(e);
    m::fold_stored(s, std::move(*e), s.log_seq + 1);
  }
  m::refresh_schedules(s);  // as recovery does: the look-ahead on this tz database
  const auto berlin = m::load_zone("Europe/Berlin");
  std::ofstream o{out};
  o << (berlin ? m::format_rfc3339_in(summer, *berlin).substr(19) : std::string("missing")) << '\n'
    << codec::encode_state(s);
  REQUIRE(o.good());
}
