// The SQLite log across restarts: durability, torn tails, corruption, checkpoints, the file format.
#include "store/sqlite_store.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <optional>

#include "tests/store/store_test_support.hpp"

namespace {

namespace vs = vigil::store;
using Catch::Matchers::Contains;
using namespace vs::testing;  // the sample log and its checks

/// A temp dir holding a log of `events` events, written and closed.
struct written_log {
  vs::testing::temp_dir dir;
  std::string path = dir.file("events.db");

  explicit written_log(int events) {
    vs::sqlite_store store{path};
    for (int first = 1; first <= events; first += 4)
      store.append(first, sample_batch(first, std::min(4, events - first + 1)));
  }
};

}  // namespace

TEST_CASE("events and checkpoints survive closing and reopening the log", "[store][sqlite]") {
  written_log log{20};
  {
    vs::sqlite_store store{log.path};
    store.save_checkpoint({12, "state at 12"});
  }
  vs::sqlite_store store{log.path};
  CHECK(store.recovery_notes().empty());
  CHECK(store.last_seq() == 20);
  const auto read = store.read_after(0, 100);
  REQUIRE(seqs_of(read) == seq_range(1, 20));
  const auto written = sample_batch(1, 20);
  for (size_t i = 0; i < read.size(); ++i) {
    CHECK(read[i].body == written[i].body);
    CHECK(read[i].time == written[i].time);
    CHECK(read[i].epoch == written[i].epoch);
  }
  REQUIRE(store.load_checkpoint().has_value());
  CHECK(store.load_checkpoint()->state == "state at 12");
  CHECK(store.append(21, sample_batch(21, 1)) == 21);
}

TEST_CASE("a body altered in the middle of the log refuses to start, naming its seq",
          "[store][sqlite]") {
  written_log log{10};
  raw_db{log.path}.exec("UPDATE events SET body = '{\"n\":666}' WHERE seq = 5");

  CHECK_THROWS_WITH(
      vs::sqlite_store{log.path},
      Contains("event log corrupt at seq 5: checksum mismatch") && Contains("refusing to start"));
  // Refusing is all it did: every row is still there for an operator to inspect.
  CHECK(raw_db{log.path}.column("SELECT count(*) FROM events") == std::vector<std::string>{"10"});
}

TEST_CASE("an event missing from the middle of the log refuses to start, naming its seq",
          "[store][sqlite]") {
  written_log log{10};
  raw_db{log.path}.exec("DELETE FROM events WHERE seq = 5");
  CHECK_THROWS_WITH(vs::sqlite_store{log.path}, Contains("corrupt at seq 5: event missing"));
}

TEST_CASE("a torn tail is discarded and reported, and appending continues after it",
          "[store][sqlite]") {
  written_log log{10};
  raw_db{log.path}.exec("UPDATE events SET body = 'torn' WHERE seq >= 9");
  {
    vs::sqlite_store store{log.path};
    CHECK(store.recovery_notes() ==
          std::vector<std::string>{"discarded 2 torn events at seq 9-10"});
    CHECK(store.last_seq() == 8);
    CHECK(seqs_of(store.read_after(0, 100)) == seq_range(1, 8));
    CHECK_THROWS_AS(store.append(11, sample_batch(11, 1)), vs::sequence_conflict);
    CHECK(store.append(9, sample_batch(9, 2)) == 10);
  }
  vs::sqlite_store store{log.path};
  CHECK(store.recovery_notes().empty());
  CHECK(store.last_seq() == 10);
  CHECK(store.read_after(8, 10).back().body == sample_batch(10, 1)[0].body);
}

TEST_CASE("damage below the newest checkpoint is caught when those rows are read",
          "[store][sqlite]") {
  written_log log{10};
  vs::sqlite_store{log.path}.save_checkpoint({8, "state at 8"});
  raw_db{log.path}.exec("UPDATE events SET body = 'flipped' WHERE seq = 3");

  // Opening verifies only the tail after the checkpoint, so it starts...
  vs::sqlite_store store{log.path};
  CHECK(seqs_of(store.read_after(8, 100)) == seq_range(9, 10));
  // ...but a full replay still refuses to hand out the damaged row.
  CHECK_THROWS_WITH(store.read_after(0, 100), Contains("event log corrupt at seq 3"));
  CHECK(seqs_of(store.read_after(0, 2)) == seq_range(1, 2));
}

TEST_CASE("a row altered while the log is open is caught by read_after", "[store][sqlite]") {
  vs::testing::temp_dir dir;
  vs::sqlite_store store{dir.file("events.db")};
  store.append(1, sample_batch(1, 10));
  raw_db{dir.file("events.db")}.exec("UPDATE events SET epoch = 'forged' WHERE seq = 6");
  CHECK_THROWS_WITH(store.read_after(0, 100),
                    Contains("event log corrupt at seq 6: checksum mismatch"));
  raw_db{dir.file("events.db")}.exec("DELETE FROM events WHERE seq = 6");
  CHECK_THROWS_WITH(store.read_after(4, 100),
                    Contains("event log corrupt at seq 6: event missing"));
}

TEST_CASE("a corrupted newest checkpoint falls back to the older one", "[store][sqlite]") {
  written_log log{10};
  {
    vs::sqlite_store store{log.path};
    store.save_checkpoint({4, "state at 4"});
    store.save_checkpoint({8, "state at 8"});
  }
  raw_db{log.path}.exec("UPDATE checkpoints SET state = 'garbage' WHERE seq = 8");

  vs::sqlite_store store{log.path};
  REQUIRE(store.load_checkpoint().has_value());
  CHECK(store.load_checkpoint()->seq == 4);
  CHECK(store.load_checkpoint()->state == "state at 4");
  REQUIRE(store.load_checkpoints().size() == 1);
  CHECK(store.recovery_notes() ==
        std::vector<std::string>{"checkpoint at seq 8 failed its checksum; skipped"});
  CHECK(store.last_seq() == 10);
}

TEST_CASE("a checkpoint beyond the end of the log is refused", "[store][sqlite]") {
  written_log log{3};
  vs::sqlite_store store{log.path};
  CHECK_THROWS_AS(store.save_checkpoint({4, "from the future"}), vs::store_error);
  CHECK_FALSE(store.load_checkpoint().has_value());
  store.save_checkpoint({3, "state at 3"});
  CHECK(store.load_checkpoint()->seq == 3);
}

TEST_CASE("the log is laid out for the sqlite3 shell", "[store][sqlite]") {
  written_log log{2};
  raw_db db{log.path};
  CHECK(db.column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") ==
        std::vector<std::string>{"checkpoints", "events", "meta"});
  CHECK(
      db.column("SELECT name FROM pragma_table_info('events') ORDER BY cid") ==
      std::vector<std::string>{"seq", "type", "schema_version", "time_ms", "epoch", "body", "crc"});
  CHECK(db.column("SELECT name FROM pragma_table_info('checkpoints') ORDER BY cid") ==
        std::vector<std::string>{"seq", "state", "crc", "time_ms"});
  CHECK(db.column("SELECT value FROM meta WHERE key = 'format_version'") ==
        std::vector<std::string>{"1"});
  CHECK(db.column("PRAGMA journal_mode") == std::vector<std::string>{"wal"});
  CHECK(db.column("SELECT time_ms FROM events WHERE seq = 1") ==
        std::vector<std::string>{"1764000001000"});
}

TEST_CASE("a log written by a newer format is refused, naming its version", "[store][sqlite]") {
  written_log log{2};
  raw_db{log.path}.exec("UPDATE meta SET value = '99' WHERE key = 'format_version'");
  CHECK_THROWS_WITH(vs::sqlite_store{log.path}, Contains("format_version 99"));
}

TEST_CASE("a file that is not a vigil log is refused, naming its path", "[store][sqlite]") {
  vs::testing::temp_dir dir;
  SECTION("not a database at all") {
    std::ofstream{dir.file("events.db")} << std::string(8192, 'z');
    CHECK_THROWS_WITH(vs::sqlite_store{dir.file("events.db")}, Contains(dir.file("events.db")));
  }
  SECTION("another application's database") {
    raw_db{dir.file("events.db")}.exec("CREATE TABLE customers(id INTEGER PRIMARY KEY)");
    CHECK_THROWS_WITH(vs::sqlite_store{dir.file("events.db")}, Contains("not a vigil event log"));
  }
  SECTION("a directory that does not exist") {
    CHECK_THROWS_WITH(vs::sqlite_store{dir.file("missing/events.db")},
                      Contains("cannot open event log " + dir.file("missing/events.db")));
  }
}
