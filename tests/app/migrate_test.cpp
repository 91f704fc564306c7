// `vigil migrate` on the real binary: a single node's fixture logs copied into PostgreSQL,
// verified, refused into a non-empty store, and never printing the target's password.
#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <string>

#include "store/pg.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/fixture_log.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace vs = vigil::store;
using vigil::test::run_vigil;

int64_t sqlite_count(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  const int64_t n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST_CASE("vigil migrate copies a fixture log and its checkpoint into PostgreSQL, verified",
          "[migrate][pg]") {
  for (const std::string name : {"log-v1", "log-v2"}) {
    INFO(name);
    vigil::test::temp_dir dir;
    const auto db = vigil::test::restore_fixture(VIGIL_FIXTURES "/" + name + ".sql", dir.path());
    // Trust authentication ignores the password; it is there to prove it is never printed.
    const std::string target =
        vigil::test::pg_instance::shared().fresh_conninfo() + " password=hunter2-migrate";

    const auto r = run_vigil({"migrate", "--from", dir.path(), "--to", target});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const int64_t events = sqlite_count(db, "SELECT count(*) FROM events");
    CHECK(r.output.find("migrated " + std::to_string(events) + " events") != std::string::npos);
    CHECK(r.output.find("verified") != std::string::npos);
    CHECK(r.output.find("hunter2-migrate") == std::string::npos);

    vs::pg::connection raw{target};
    CHECK(raw.exec_ok("SELECT count(*) FROM vigil_events", {}, "count").integer(0, 0) == events);
    CHECK(raw.exec_ok("SELECT max(seq) FROM vigil_events", {}, "max").integer(0, 0) ==
          sqlite_count(db, "SELECT max(seq) FROM events"));
    if (sqlite_count(db, "SELECT count(*) FROM checkpoints") > 0)
      CHECK(raw.exec_ok("SELECT max(seq) FROM vigil_checkpoints", {}, "cp").integer(0, 0) ==
            sqlite_count(db, "SELECT max(seq) FROM checkpoints"));

    // A second run finds a log there and writes nothing.
    const auto again = run_vigil({"migrate", "--from", dir.path(), "--to", target});
    INFO(again.output);
    CHECK(again.exit_code == 1);
    CHECK(again.output.find("already holds an event log") != std::string::npos);
    CHECK(again.output.find("hunter2-migrate") == std::string::npos);
    CHECK(raw.exec_ok("SELECT count(*) FROM vigil_events", {}, "count").integer(0, 0) == events);
  }
}

TEST_CASE("vigil migrate refuses a missing source, a running daemon's directory and no target",
          "[migrate][pg]") {
  const std::string target = vigil::test::pg_instance::shared().fresh_conninfo();
  vigil::test::temp_dir dir;

  auto missing = run_vigil({"migrate", "--from", dir.file("nothing-here"), "--to", target});
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("no event log") != std::string::npos);

  const std::string data = dir.file("data");
  {
    vigil::test::daemon_process daemon{{"--data-dir", data}};
    auto busy = run_vigil({"migrate", "--from", data, "--to", target});
    INFO(busy.output);
    CHECK(busy.exit_code == 1);
    CHECK(busy.output.find("in use") != std::string::npos);
  }
  // Refused before the target was touched: not even the schema was created.
  vs::pg::connection raw{target};
  CHECK(raw.exec_ok("SELECT to_regclass('vigil_events') IS NULL", {}, "table").text(0, 0) == "t");

  auto no_target = run_vigil({"migrate", "--from", data});
  CHECK(no_target.exit_code == 1);
  CHECK(no_target.output.find("VIGIL_STORE") != std::string::npos);

  auto bad_flag = run_vigil({"migrate", "--to", target});
  CHECK(bad_flag.exit_code == 2);  // --from is required
}
