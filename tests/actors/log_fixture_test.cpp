// Schema evolution: a log written by an earlier vigil (event schema v1, kept as SQL text in
// tests/fixtures/log-v1.sql) must stay readable by every later version, upgraded on read.
#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "actors/journal.hpp"
#include "actors/system.hpp"
#include "codec/checkpoint.hpp"
#include "codec/events.hpp"
#include "model/decider.hpp"
#include "model/jobs.hpp"
#include "model/planner.hpp"
#include "store/sqlite_store.hpp"
#include "tests/support/fixture_log.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace actors = vigil::actors;
namespace model = vigil::model;

using vigil::test::restore_fixture;

/// What the journal actor rebuilds from `backend` at start-up.
actors::recovered recover(std::shared_ptr<vigil::store::sqlite_store> backend) {
  caf::actor_system_config cfg;
  actors::configure(cfg, 2);
  caf::actor_system sys{cfg};
  auto journal = actors::spawn_journal(sys, {std::move(backend), "test"});
  caf::scoped_actor self{sys};
  actors::recovered r;
  self->request(journal, caf::infinite, actors::recover_atom::value)
      .receive([&](actors::recovered& got) { r = std::move(got); },
               [](caf::error& e) { FAIL(to_string(e)); });
  caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
  return r;
}

/// The checkpoint encoding of a state in a canonical form: runs (an unordered map in the state,
/// so in no particular order in the encoding) sorted by id, pretty-printed for readable diffs.
std::string canonical_state(const model::state& s) {
  auto j = nlohmann::json::parse(vigil::codec::encode_state(s));
  auto& runs = j["runs"];
  if (runs.is_array())
    std::sort(runs.begin(), runs.end(),
              [](const auto& a, const auto& b) { return a["id"] < b["id"]; });
  return j.dump(2) + "\n";
}

/// A full replay of every event in the log, without checkpoints. `cursors` gets one line per
/// event: its seq and every job's cursor after it.
model::state replay_all(const vigil::store::sqlite_store& backend, std::string& cursors) {
  model::state s;
  for (const auto& e : backend.read_after(0, 1000)) {
    auto decoded = vigil::codec::decode_event(e.type, e.schema_version, e.body);
    REQUIRE(decoded);
    model::fold_stored(s, *decoded, e.seq);
    cursors += std::to_string(e.seq) + " " + e.type;
    for (const auto& [id, j] : s.jobs) cursors += " " + id + "=" + model::format_rfc3339(j->cursor);
    cursors += "\n";
  }
  return s;
}

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("the fixture logs recover to the state captured before event schema v3",
          "[actors][journal][schema]") {
  // tests/fixtures/log-v*.state.json: the checkpoint encoding of what each fixture recovered to
  // with the code of event schema v2, captured before v3 moved the cursor rule out of apply.
  // Upgrading old events on read must reproduce it exactly, by a full replay and from the
  // newest checkpoint plus the tail alike; log-v*.cursors.txt has every job's cursor after each
  // event of the full replay, so a cursor that lags and catches up again is caught too.
  for (const std::string name : {"log-v1", "log-v2"}) {
    INFO(name);
    vigil::test::temp_dir dir;
    const auto db_path = restore_fixture(VIGIL_FIXTURES "/" + name + ".sql", dir.path());
    auto backend = std::make_shared<vigil::store::sqlite_store>(db_path);
    const std::string golden = read_text(VIGIL_FIXTURES "/" + name + ".state.json");
    std::string cursors;
    model::state full = replay_all(*backend, cursors);
    CHECK(canonical_state(full) == golden);
    CHECK(cursors == read_text(VIGIL_FIXTURES "/" + name + ".cursors.txt"));
    const actors::recovered r = recover(backend);
    REQUIRE(r.ok);
    CHECK(canonical_state(r.state) == golden);
    // apply left the look-ahead to recovery, which computed it once (log-v2 has jobs due).
    CHECK(r.state.unscheduled.empty());
    model::refresh_schedules(full);
    CHECK(r.state.timetable == full.timetable);
    CHECK(r.state.timetable.empty() == (name == "log-v1"));
  }
}

TEST_CASE("a log written with event schema v1 is still read, upgraded, to the same state",
          "[actors][journal][schema]") {
  vigil::test::temp_dir dir;
  const auto db_path = restore_fixture(VIGIL_FIXTURES "/log-v1.sql", dir.path());
  auto backend = std::make_shared<vigil::store::sqlite_store>(db_path);
  CHECK(backend->recovery_notes().empty());
  REQUIRE(backend->last_seq() == 11);

  // Every event decodes, and v1 bodies gain by = "unknown".
  for (const auto& e : backend->read_after(0, 100)) {
    INFO("seq " << e.seq);
    CHECK(e.schema_version == 1);
    auto decoded = vigil::codec::decode_event(e.type, e.schema_version, e.body);
    REQUIRE(decoded);
    const auto* paused = std::get_if<vigil::model::scheduler_paused>(&*decoded);
    const auto* resumed = std::get_if<vigil::model::scheduler_resumed>(&*decoded);
    REQUIRE((paused != nullptr) != (resumed != nullptr));  // v1 had only these two
    CHECK((paused ? paused->by : resumed->by) == "unknown");
  }

  const actors::recovered r = recover(backend);
  REQUIRE(r.ok);
  CHECK(r.checkpoint_seq == 8);  // the v1 checkpoint (no paused_by) is still usable
  CHECK(r.replayed == 3);
  CHECK(r.state.log_seq == 11);
  CHECK(r.state.paused);
  CHECK(r.state.pause_reason == "left paused by the v1 fixture");
  CHECK(r.state.paused_by == "unknown");
  REQUIRE(r.state.paused_since);
  CHECK(model::format_rfc3339(*r.state.paused_since) == "2026-11-28T02:06:40.399Z");
}

TEST_CASE("a log with jobs and runs written with event schema v2 reads back, upgraded",
          "[actors][journal][schema]") {
  // tests/fixtures/log-v2.sql: a real daemon's log (four jobs: success, failure with retry,
  // timeouts with buffer_one, a disabled cron job; a manual run, job and scheduler pauses,
  // a removal) and the checkpoints it took at seq 41 and 81. Future schema changes must keep
  // reading it.
  vigil::test::temp_dir dir;
  const auto db_path = restore_fixture(VIGIL_FIXTURES "/log-v2.sql", dir.path());
  auto backend = std::make_shared<vigil::store::sqlite_store>(db_path);
  CHECK(backend->recovery_notes().empty());
  REQUIRE(backend->last_seq() == 82);

  // Every event decodes, and today's encoder writes the very same body (bodies are stable),
  // except fire_decided: v3 adds what v2 lacked (origin, cursor), and reads back the same.
  model::state replayed;
  for (const auto& e : backend->read_after(0, 1000)) {
    INFO("seq " << e.seq << " " << e.type);
    CHECK(e.schema_version == 2);
    auto decoded = vigil::codec::decode_event(e.type, e.schema_version, e.body);
    REQUIRE(decoded);
    CHECK(vigil::model::event_type(*decoded) == e.type);
    if (auto* d = std::get_if<model::fire_decided>(&*decoded)) {
      const std::string v3 = vigil::codec::encode_event(*decoded);
      CHECK(v3 != e.body);
      auto again = vigil::codec::decode_event(e.type, model::event_schema_version, v3);
      REQUIRE(again);
      // A skip decided in the millisecond of its nominal time: v2 cannot say whether it was
      // manual, so apply moves the cursor as v2 did. seq 33 is the schedule's own.
      CHECK(d->legacy_cursor == (e.seq == 33));
      model::fire_decided expected = *d;
      expected.legacy_cursor = false;  // never written
      CHECK(*again == model::event{expected});
    } else {
      CHECK(vigil::codec::encode_event(*decoded) == e.body);
    }
    model::fold_stored(replayed, *decoded, e.seq);
  }

  const actors::recovered r = recover(backend);
  REQUIRE(r.ok);
  // Its two checkpoints (41, 81) were written before retried runs kept their earlier attempts,
  // and both hold a retried run: from them the state would lack those attempts, so recovery
  // passes over them and replays the whole log (once: the next checkpoint has them).
  CHECK(r.checkpoint_seq == 0);
  CHECK(r.replayed == 82);
  REQUIRE(r.notes.size() >= 2);
  CHECK(r.notes[0].find("checkpoint at seq 81 cannot be used (written before earlier attempts "
                        "were kept") == 0);
  // The full replay is the state, field by field.
  CHECK(r.state == replayed);
  // A checkpoint of it, written now, is used again and gives the same state.
  {
    backend->save_checkpoint({r.state.log_seq, vigil::codec::encode_state(r.state)});
    const actors::recovered from_new = recover(backend);
    REQUIRE(from_new.ok);
    CHECK(from_new.checkpoint_seq == r.state.log_seq);
    CHECK(from_new.state == replayed);
  }
  const auto& s = r.state;
  CHECK(s.jobs.size() == 3);  // "slow" was removed, with its runs
  CHECK(s.jobs.count("slow") == 0);
  CHECK_FALSE(s.jobs.at("cron")->spec->enabled);
  CHECK(s.jobs.at("cron")->revision == 2);
  CHECK(s.jobs.at("flaky")->spec->time_zone == "Europe/Berlin");
  CHECK(s.jobs.at("flaky")->counters.retries >= 1);
  CHECK(s.jobs.at("ok")->counters.succeeded >= 2);
  CHECK_FALSE(s.jobs.at("ok")->paused);
  CHECK(s.jobs.at("ok")->held_from.has_value());  // its pause is remembered for catch-up reasons
  CHECK(s.totals.timed_out >= 1);
  bool manual = false;
  for (const auto& d : s.jobs.at("ok")->decisions) manual = manual || d.reason == "manual";
  CHECK(manual);
}
