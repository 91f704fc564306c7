// What only the PostgreSQL store promises: fenced appends, the lease's compare-and-set, a
// checked format, verified rows and a conninfo whose password never shows.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/pg.hpp"
#include "store/pg_store.hpp"
#include "tests/store/pg_backend.hpp"
#include "tests/store/store_test_support.hpp"
#include "tests/support/pg_instance.hpp"

namespace {

namespace vs = vigil::store;
using namespace vs::testing;  // the sample log and its checks

int64_t count_events(vs::pg::connection& raw) {
  return raw.exec_ok("SELECT count(*) FROM vigil_events", {}, "count").integer(0, 0);
}

}  // namespace

TEST_CASE("fenced: a term bumped from another connection makes the append write nothing",
          "[store][pg]") {
  pg_backend leader;
  REQUIRE(leader.store.append(1, sample_batch(1, 3)) == 3);

  // Another node takes the lease over, on its own connection.
  vs::pg_store other{leader.conninfo, {}};
  const auto seen = other.read_lease();
  REQUIRE(seen.holder == "contract-test");
  REQUIRE(other.take_over(seen, "node-b", "http://127.0.0.1:2"));
  CHECK(other.writer().term == seen.term + 1);

  // The deposed leader's next append is at the right position, and still refused.
  CHECK_THROWS_AS(leader.store.append(4, sample_batch(4, 2)), vs::fenced);
  CHECK_FALSE(leader.store.renew_lease());
  vs::pg::connection raw{leader.conninfo};
  CHECK(count_events(raw) == 3);
  CHECK(leader.store.last_seq() == 3);

  // The new holder writes under its term; the log records which term wrote each event.
  CHECK(other.append(4, sample_batch(4, 1)) == 4);
  const auto terms = raw.exec_ok("SELECT term FROM vigil_events ORDER BY seq", {}, "terms");
  REQUIRE(terms.rows() == 4);
  CHECK(terms.integer(0, 0) == static_cast<int64_t>(seen.term));
  CHECK(terms.integer(3, 0) == static_cast<int64_t>(seen.term + 1));
}

TEST_CASE("gap: an append past the tail is a sequence conflict, not a fence, and writes nothing",
          "[store][pg]") {
  pg_backend b;
  REQUIRE(b.store.append(1, sample_batch(1, 2)) == 2);
  try {
    b.store.append(4, sample_batch(4, 1));  // tail + 2
    FAIL("the append went through");
  } catch (const vs::fenced&) {
    FAIL("a gap was reported as a fence");
  } catch (const vs::sequence_conflict&) {
  }
  CHECK(b.store.last_seq() == 2);
  CHECK(seqs_of(b.store.read_after(0, 10)) == seq_range(1, 2));
}

TEST_CASE("bodies with quotes, backslashes, braces and any UTF-8 are stored byte for byte",
          "[store][pg]") {
  pg_backend b;
  auto batch = sample_batch(1, 4);
  batch[0].body = R"({"a":"q\"uote","b":"back\\slash"})";
  batch[1].body = "{\"x\":\"{,}\\\"\",\"nl\":\"line\nbreak\ttab\"}";
  batch[2].body = "{\"u\":\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"}";
  batch[3].body = "";
  batch[3].epoch = "ep\"och\\";
  const auto written = batch;
  REQUIRE(b.store.append(1, std::move(batch)) == 4);
  const auto read = b.store.read_after(0, 10);
  REQUIRE(read.size() == 4);
  for (size_t i = 0; i < read.size(); ++i) {
    CHECK(read[i].body == written[i].body);
    CHECK(read[i].epoch == written[i].epoch);
    CHECK(read[i].type == written[i].type);
    CHECK(read[i].time == written[i].time);
  }
}

TEST_CASE("a row altered in the database fails its checksum on read", "[store][pg]") {
  pg_backend b;
  REQUIRE(b.store.append(1, sample_batch(1, 3)) == 3);
  vs::pg::connection raw{b.conninfo};
  raw.exec_ok("UPDATE vigil_events SET body = body || ' ' WHERE seq = 2", {}, "damage");
  CHECK(b.store.read_after(0, 1).size() == 1);
  CHECK_THROWS_WITH(b.store.read_after(0, 10), Catch::Contains("checksum mismatch"));
}

TEST_CASE("a log written by a newer format is refused on open", "[store][pg]") {
  pg_backend b;
  vs::pg::connection raw{b.conninfo};
  raw.exec_ok("UPDATE vigil_meta SET value = '2' WHERE key = 'format_version'", {}, "bump");
  CHECK_THROWS_WITH((vs::pg_store{b.conninfo, {}}), Catch::Contains("format_version 2"));
}

TEST_CASE("two nodes creating the schema at once both open it", "[store][pg]") {
  const std::string conninfo = vigil::test::pg_instance::shared().fresh_conninfo();
  std::atomic<int> opened{0};
  std::string errors;
  std::mutex m;
  auto open = [&] {
    try {
      vs::pg_store s{conninfo, {}};
      ++opened;
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock{m};
      errors += e.what();
    }
  };
  for (int round = 0; round < 5; ++round) {
    std::thread a{open}, c{open};
    a.join();
    c.join();
  }
  CHECK(errors.empty());
  CHECK(opened == 10);
  vs::pg::connection raw{conninfo};
  CHECK(raw.exec_ok("SELECT count(*) FROM vigil_lease", {}, "lease").integer(0, 0) == 1);
}

TEST_CASE("the password of a store URL or conninfo never appears in a message", "[store][pg]") {
  CHECK(vs::pg::redact("postgresql://vigil:s3cret@db.example:5432/vigil") ==
        "postgresql://vigil:***@db.example:5432/vigil");
  CHECK(vs::pg::redact("postgres://u:p%40ss@h/d?sslmode=require") ==
        "postgres://u:***@h/d?sslmode=require");
  CHECK(vs::pg::redact("postgresql://h/d?user=u&password=s3cret&sslmode=require") ==
        "postgresql://h/d?user=u&password=***&sslmode=require");
  CHECK(vs::pg::redact("host=h password=s3cret user=u") == "host=h password=*** user=u");
  CHECK(vs::pg::redact("host=h password = 'sec ret' user=u") == "host=h password = *** user=u");
  CHECK(vs::pg::redact("postgresql://vigil@h/d") == "postgresql://vigil@h/d");

  // A failing connection names where it tried, never the password.
  try {
    vs::pg::connection c{
        "host=127.0.0.1 port=1 user=vigil password=hunter2-s3cret "
        "connect_timeout=2"};
    FAIL("connected to port 1");
  } catch (const vs::store_error& e) {
    const std::string what = e.what();
    CHECK(what.find("hunter2-s3cret") == std::string::npos);
    CHECK(what.find("password=***") != std::string::npos);
  }
  try {
    vs::pg_store s{"postgresql://vigil:hunter2-s3cret@127.0.0.1:1/vigil?connect_timeout=2", {}};
    FAIL("connected to port 1");
  } catch (const vs::store_error& e) {
    CHECK(std::string(e.what()).find("hunter2-s3cret") == std::string::npos);
  }
}

TEST_CASE("takeover race: of two nodes running the compare-and-set at once, exactly one wins",
          "[store][pg]") {
  const std::string conninfo = vigil::test::pg_instance::shared().fresh_conninfo();
  vs::pg_store a{conninfo, {}}, b{conninfo, {}};
  constexpr int rounds = 1000;
  std::mutex m;
  std::condition_variable cv;
  int round = -1;  // the round both threads may run; -1: not yet
  int done = 0;    // threads finished with the current round
  vs::lease_row seen;
  int wins_a = 0, wins_b = 0, both = 0, neither = 0;
  bool won[2] = {false, false};
  auto contender = [&](int who, vs::pg_store& s) {
    for (int r = 0; r < rounds; ++r) {
      vs::lease_row mine;
      {
        std::unique_lock<std::mutex> lock{m};
        cv.wait(lock, [&] { return round == r; });
        mine = seen;
      }
      const bool w = s.take_over(mine, who == 0 ? "node-a" : "node-b", "");
      std::lock_guard<std::mutex> lock{m};
      won[who] = w;
      ++done;
      cv.notify_all();
    }
  };
  std::thread ta{contender, 0, std::ref(a)}, tb{contender, 1, std::ref(b)};
  for (int r = 0; r < rounds; ++r) {
    const auto row = a.read_lease();
    std::unique_lock<std::mutex> lock{m};
    seen = row;
    done = 0;
    round = r;
    cv.notify_all();
    cv.wait(lock, [&] { return done == 2; });
    if (won[0] && won[1])
      ++both;
    else if (!won[0] && !won[1])
      ++neither;
    else if (won[0])
      ++wins_a;
    else
      ++wins_b;
  }
  ta.join();
  tb.join();
  CHECK(both == 0);
  CHECK(neither == 0);
  CHECK(wins_a + wins_b == rounds);
  // Every round bumped the term exactly once: the fencing token never repeats.
  CHECK(a.read_lease().term == static_cast<uint64_t>(rounds));
}

TEST_CASE("a takeover issued while an append is in flight commits after it", "[store][pg]") {
  pg_backend leader;
  REQUIRE(leader.store.append(1, sample_batch(1, 1)) == 1);
  // The append, held open: the same lock on the lease row that the fenced statement takes.
  vs::pg::connection in_flight{leader.conninfo};
  in_flight.exec_ok("BEGIN", {}, "begin");
  in_flight.exec_ok("SELECT term FROM vigil_lease WHERE name = 'scheduler' FOR SHARE", {}, "lock");
  in_flight.exec_ok(
      "INSERT INTO vigil_events(seq, term, type, schema_version, at_ms, epoch, body, crc) "
      "SELECT 2, term, 'x', 3, 0, 'e', '{}', 0 FROM vigil_lease",
      {}, "insert");

  vs::pg_store follower{leader.conninfo, {}};
  const auto seen = follower.read_lease();
  std::atomic<bool> taken{false};
  std::thread takeover{[&] { taken = follower.take_over(seen, "node-b", ""); }};

  // Wait until the takeover's UPDATE is blocked on the row lock (never a fixed sleep).
  vs::pg::connection watcher{leader.conninfo};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool waiting = false;
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    waiting = watcher
                  .exec_ok(
                      "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                      "'Lock' AND query LIKE 'UPDATE vigil_lease SET term%'",
                      {}, "watch")
                  .integer(0, 0) == 1;
  }
  REQUIRE(waiting);
  CHECK_FALSE(taken.load());
  in_flight.exec_ok("COMMIT", {}, "commit");
  takeover.join();
  CHECK(taken.load());
  // The new term's catch-up read sees the append that was in flight.
  CHECK(follower.last_seq() == 2);
}

TEST_CASE(
    "appends are durable on every session: synchronous_commit off is raised, again after "
    "a reconnect",
    "[store][pg]") {
  // A server (here: a database) whose default is off: the store's sessions must not inherit it.
  const std::string conninfo = vigil::test::pg_instance::shared().fresh_conninfo();
  {
    vs::pg::connection admin{conninfo};
    admin.exec_ok("ALTER DATABASE vigil SET synchronous_commit = off", {}, "alter");
  }
  vs::pg::connection c{conninfo};
  CHECK(c.exec_ok("SHOW synchronous_commit", {}, "show").text(0, 0) == "off");
  c.on_every_session(
      {"DO $$ BEGIN IF current_setting('synchronous_commit') IN ('off', 'local') THEN "
       "PERFORM set_config('synchronous_commit', 'on', false); END IF; END $$"});
  CHECK(c.exec_ok("SHOW synchronous_commit", {}, "show").text(0, 0) == "on");
  // The server ends the session: the next statement runs on a new one, set up again.
  const auto pid = c.exec_ok("SELECT pg_backend_pid()", {}, "pid").text(0, 0);
  vs::pg::connection killer{conninfo};
  killer.exec_ok("SELECT pg_terminate_backend($1::int)", {pid}, "terminate");
  CHECK_THROWS_AS(c.exec("SELECT 1"), vs::store_error);  // the broken session is reported
  CHECK(c.exec_ok("SHOW synchronous_commit", {}, "show").text(0, 0) == "on");
  CHECK(c.exec_ok("SELECT pg_backend_pid()", {}, "pid").text(0, 0) != pid);

  // And the store itself: its appends run with synchronous_commit on.
  vs::pg_store store{conninfo, {}};
  REQUIRE(store.take_over(store.read_lease(), "node-a", ""));
  CHECK(store.append(1, sample_batch(1, 1)) == 1);
  {
    vs::pg::connection admin{conninfo};
    admin.exec_ok("ALTER DATABASE vigil RESET synchronous_commit", {}, "reset");
  }
}
