// The store contract, run against every backend: what the journal may rely on, whichever it has.
#include <catch2/catch.hpp>

#include <memory>

#include "store/memory_store.hpp"
#include "store/sqlite_store.hpp"
#include "tests/store/pg_backend.hpp"
#include "tests/store/store_test_support.hpp"

namespace {

namespace vs = vigil::store;
using namespace vs::testing;  // the sample log and its checks

struct memory_backend {
  vs::memory_store store;
};

struct sqlite_backend {
  vs::testing::temp_dir dir;
  vs::sqlite_store store{dir.file("events.db")};
};

void require_same_event(const vs::stored_event& read, const vs::stored_event& written) {
  CHECK(read.type == written.type);
  CHECK(read.schema_version == written.schema_version);
  CHECK(read.time == written.time);
  CHECK(read.epoch == written.epoch);
  CHECK(read.body == written.body);
}

}  // namespace

TEMPLATE_TEST_CASE("an empty store has last seq 0, no events and no checkpoint", "[store]",
                   memory_backend, sqlite_backend, pg_backend) {
  TestType backend;
  vs::store& store = backend.store;
  CHECK(store.last_seq() == 0);
  CHECK(store.read_after(0, 100).empty());
  CHECK_FALSE(store.load_checkpoint().has_value());
  CHECK(store.load_checkpoints().empty());
}

TEMPLATE_TEST_CASE("appended events get consecutive seqs and read back unchanged, in order",
                   "[store]", memory_backend, sqlite_backend, pg_backend) {
  TestType backend;
  vs::store& store = backend.store;
  REQUIRE(store.append(1, sample_batch(1, 3)) == 3);
  REQUIRE(store.append(4, sample_batch(4, 2)) == 5);
  CHECK(store.last_seq() == 5);

  const auto read = store.read_after(0, 100);
  REQUIRE(seqs_of(read) == seq_range(1, 5));
  const auto written = sample_batch(1, 5);
  for (size_t i = 0; i < read.size(); ++i) require_same_event(read[i], written[i]);
}

TEMPLATE_TEST_CASE("an append with the wrong expected seq is a conflict and writes nothing",
                   "[store]", memory_backend, sqlite_backend, pg_backend) {
  TestType backend;
  vs::store& store = backend.store;
  REQUIRE(store.append(1, sample_batch(1, 3)) == 3);

  CHECK_THROWS_AS(store.append(1, sample_batch(100, 2)), vs::sequence_conflict);  // overwrite
  CHECK_THROWS_AS(store.append(3, sample_batch(100, 2)), vs::sequence_conflict);
  CHECK_THROWS_AS(store.append(6, sample_batch(100, 2)), vs::sequence_conflict);  // a gap
  CHECK(store.last_seq() == 3);
  const auto read = store.read_after(0, 100);
  REQUIRE(seqs_of(read) == seq_range(1, 3));
  CHECK(read[0].body == sample_batch(1, 1)[0].body);

  // The conflict left the store usable: the right seq still goes through.
  CHECK(store.append(4, sample_batch(4, 1)) == 4);
}

TEMPLATE_TEST_CASE("an empty batch writes nothing but is still checked for conflicts", "[store]",
                   memory_backend, sqlite_backend, pg_backend) {
  TestType backend;
  vs::store& store = backend.store;
  REQUIRE(store.append(1, sample_batch(1, 2)) == 2);
  CHECK(store.append(3, {}) == 2);
  CHECK_THROWS_AS(store.append(2, {}), vs::sequence_conflict);
  CHECK(store.last_seq() == 2);
  CHECK(store.read_after(0, 100).size() == 2);
}

TEMPLATE_TEST_CASE("read_after pages through the log", "[store]", memory_backend, sqlite_backend,
                   pg_backend) {
  TestType backend;
  vs::store& store = backend.store;
  for (int first = 1; first <= 10; first += 2) store.append(first, sample_batch(first, 2));

  CHECK(seqs_of(store.read_after(0, 4)) == seq_range(1, 4));
  CHECK(seqs_of(store.read_after(4, 4)) == seq_range(5, 8));
  CHECK(seqs_of(store.read_after(8, 4)) == seq_range(9, 10));
  CHECK(store.read_after(10, 4).empty());
  CHECK(store.read_after(1000, 4).empty());
  CHECK(store.read_after(3, 0).empty());
  CHECK(seqs_of(store.read_after(9, 1)) == seq_range(10, 10));
}

TEMPLATE_TEST_CASE("the newest checkpoint loads first and only the newest three are kept",
                   "[store]", memory_backend, sqlite_backend, pg_backend) {
  TestType backend;
  vs::store& store = backend.store;
  store.append(1, sample_batch(1, 10));

  store.save_checkpoint({2, "state at 2"});
  REQUIRE(store.load_checkpoint().has_value());
  CHECK(store.load_checkpoint()->seq == 2);
  CHECK(store.load_checkpoint()->state == "state at 2");

  store.save_checkpoint({5, "state at 5"});
  store.save_checkpoint({8, "state at 8"});
  store.save_checkpoint({10, "state at 10"});
  CHECK(store.load_checkpoint()->state == "state at 10");
  auto all = store.load_checkpoints();
  REQUIRE(all.size() == 3);
  CHECK(all[0].seq == 10);
  CHECK(all[1].seq == 8);
  CHECK(all[2].seq == 5);
  CHECK(all[2].state == "state at 5");

  // Saving at the same seq again replaces that checkpoint.
  store.save_checkpoint({10, "state at 10, again"});
  CHECK(store.load_checkpoint()->state == "state at 10, again");
  CHECK(store.load_checkpoints().size() == 3);
}
