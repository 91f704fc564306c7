// The durable event log on SQLite: prepared statements, one transaction per call, verified rows.
#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <string_view>

#include "store/row_checksum.hpp"

namespace vigil::store {
namespace {

constexpr int64_t format_version = 1;
constexpr int64_t checkpoints_kept = 3;

constexpr const char* schema_sql = R"sql(
CREATE TABLE events(seq INTEGER PRIMARY KEY, type TEXT NOT NULL, schema_version INTEGER NOT NULL,
                    time_ms INTEGER NOT NULL, epoch TEXT NOT NULL, body TEXT NOT NULL,
                    crc INTEGER NOT NULL);
CREATE TABLE checkpoints(seq INTEGER PRIMARY KEY, state TEXT NOT NULL, crc INTEGER NOT NULL,
                         time_ms INTEGER NOT NULL);
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta(key, value) VALUES ('format_version', '1');
)sql";

struct statement_deleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using statement = std::unique_ptr<sqlite3_stmt, statement_deleter>;

/// One use of a prepared statement: reset on exit, so no read transaction outlives the call.
class statement_use {
 public:
  explicit statement_use(const statement& s) : s_(s.get()) {}
  ~statement_use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

std::string text_column(sqlite3_stmt* s, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
  return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(s, column)))
              : std::string();
}

void bind_text(sqlite3_stmt* s, int index, const std::string& text) {
  // The strings outlive the step that reads them, so SQLite need not copy them.
  sqlite3_bind_text64(s, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

/// A row of `events` as read, with whether its checksum matches.
struct event_row {
  stored_event event;
  bool intact = false;
};

event_row read_event_row(sqlite3_stmt* s) {
  event_row row;
  auto& e = row.event;
  e.seq = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
  e.type = text_column(s, 1);
  e.schema_version = sqlite3_column_int(s, 2);
  e.time = model::wall_time{std::chrono::milliseconds{sqlite3_column_int64(s, 3)}};
  e.epoch = text_column(s, 4);
  e.body = text_column(s, 5);
  row.intact = sqlite3_column_int64(s, 6) == event_crc(e);
  return row;
}

std::string seq_range(uint64_t first, uint64_t last) {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

}  // namespace

/// The connection and its prepared statements, reused for the life of the store.
struct sqlite_store::connection {
  std::string path;
  sqlite3* db = nullptr;
  statement begin, commit, rollback;
  statement max_seq, insert_event, read_events, delete_events_after;
  statement insert_checkpoint, prune_checkpoints, read_checkpoints, write_probe;

  // close_v2 waits for the statements, which are finalized after this body runs.
  ~connection() { sqlite3_close_v2(db); }

  [[noreturn]] void fail(const std::string& what) const {
    throw store_error("event log " + path + ": " + what + ": " + sqlite3_errmsg(db));
  }
  [[noreturn]] void corrupt(uint64_t seq, const std::string& why) const {
    throw store_error("event log corrupt at seq " + std::to_string(seq) + ": " + why + " (" + path +
                      ")");
  }
  statement prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
      fail(std::string("cannot prepare \"") + sql + "\"");
    return statement{s};
  }
  void exec(const char* sql, const char* what) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(what);
  }
  void step_done(sqlite3_stmt* s, const char* what) {
    if (sqlite3_step(s) != SQLITE_DONE) fail(what);
  }
  /// The first column of a one-row query, or nothing when it returns no row.
  std::optional<std::string> query_text(const char* sql, const char* what) {
    auto s = prepare(sql);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail(what);
    return text_column(s.get(), 0);
  }
  uint64_t query_max_seq() {
    statement_use s{max_seq};
    if (sqlite3_step(s.get()) != SQLITE_ROW) fail("cannot read the last seq");
    return static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
  }

  /// BEGIN IMMEDIATE … COMMIT; rolls back when left without commit, as by an exception.
  class transaction {
   public:
    transaction(connection& c, const char* what) : c_(c) {
      // An earlier failure may have left a transaction open; never build on top of it.
      if (!sqlite3_get_autocommit(c_.db)) roll_back();
      statement_use s{c_.begin};
      c_.step_done(s.get(), what);
    }
    ~transaction() {
      if (!sqlite3_get_autocommit(c_.db)) roll_back();
    }
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;

    void commit(const char* what) {
      statement_use s{c_.commit};
      c_.step_done(s.get(), what);
    }

   private:
    void roll_back() noexcept {
      statement_use s{c_.rollback};
      sqlite3_step(s.get());
    }
    connection& c_;
  };
};

sqlite_store::sqlite_store(const std::string& db_path) : conn_(std::make_unique<connection>()) {
  auto& c = *conn_;
  c.path = db_path;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(db_path.c_str(), &c.db, flags, nullptr) != SQLITE_OK) {
    const std::string why = c.db ? sqlite3_errmsg(c.db) : "out of memory";
    throw store_error("cannot open event log " + db_path + ": " + why);
  }
  const auto mode = c.query_text("PRAGMA journal_mode=WAL", "cannot open");
  if (mode != "wal")
    throw store_error("event log " + db_path + ": cannot use WAL mode (journal_mode is " +
                      mode.value_or("unknown") + ")");
  c.exec("PRAGMA synchronous=FULL", "cannot set synchronous=FULL");
  c.begin = c.prepare("BEGIN IMMEDIATE");
  c.commit = c.prepare("COMMIT");
  c.rollback = c.prepare("ROLLBACK");
  open_log();
}

sqlite_store::~sqlite_store() = default;

void sqlite_store::open_log() {
  auto& c = *conn_;
  connection::transaction txn{c, "cannot open"};
  const auto has_meta =
      c.query_text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                   "cannot read the schema");
  const auto version = has_meta == "1"
                           ? c.query_text("SELECT value FROM meta WHERE key = 'format_version'",
                                          "cannot read format_version")
                           : std::nullopt;
  if (version) {
    int64_t v = 0;
    try {
      v = std::stoll(*version);
    } catch (const std::exception&) {
      throw store_error("event log " + c.path + ": unreadable format_version '" + *version + "'");
    }
    if (v > format_version)
      throw store_error("event log " + c.path + " has format_version " + std::to_string(v) +
                        ", newer than this vigil reads (" + std::to_string(format_version) +
                        "); refusing to open");
    if (v < 1)
      throw store_error("event log " + c.path + ": invalid format_version " + std::to_string(v));
  } else {
    // No format_version: a fresh file (create the schema) or someone else's database.
    const auto tables = c.query_text("SELECT count(*) FROM sqlite_master", "cannot read schema");
    if (tables != "0") throw store_error(c.path + " is not a vigil event log (no format_version)");
    c.exec(schema_sql, "cannot create the schema");
  }

  c.max_seq = c.prepare("SELECT coalesce(max(seq), 0) FROM events");
  c.insert_event = c.prepare(
      "INSERT INTO events(seq, type, schema_version, time_ms, epoch, body, crc) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  c.read_events = c.prepare(
      "SELECT seq, type, schema_version, time_ms, epoch, body, crc FROM events "
      "WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  c.delete_events_after = c.prepare("DELETE FROM events WHERE seq > ?1");
  c.insert_checkpoint = c.prepare(
      "INSERT OR REPLACE INTO checkpoints(seq, state, crc, time_ms) VALUES (?1, ?2, ?3, ?4)");
  c.prune_checkpoints = c.prepare(
      "DELETE FROM checkpoints WHERE seq NOT IN "
      "(SELECT seq FROM checkpoints ORDER BY seq DESC LIMIT ?1)");
  c.read_checkpoints =
      c.prepare("SELECT seq, state, crc, time_ms FROM checkpoints ORDER BY seq DESC");

  // Rows up to a verified checkpoint were verified when it was taken; check the rest.
  const auto newest = verified_checkpoints(1);
  const uint64_t from = newest.empty() ? 0 : newest.front().seq;
  verify_tail(from);
  last_seq_ = c.query_max_seq();
  if (last_seq_ < from)
    throw store_error("event log " + c.path + ": checkpoint at seq " + std::to_string(from) +
                      " is beyond the end of the log (seq " + std::to_string(last_seq_) +
                      "); refusing to start");
  txn.commit("cannot finish opening");
}

void sqlite_store::verify_tail(uint64_t after) {
  auto& c = *conn_;
  uint64_t expected = after + 1;  // the seq the next row must have
  uint64_t bad_first = 0, bad_last = 0, bad_count = 0;
  std::string first_problem;
  {
    statement_use s{c.read_events};
    sqlite3_bind_int64(s.get(), 1, static_cast<int64_t>(after));
    sqlite3_bind_int64(s.get(), 2, -1);
    for (int rc; (rc = sqlite3_step(s.get())) != SQLITE_DONE;) {
      if (rc != SQLITE_ROW) c.fail("cannot verify events");
      const auto row = read_event_row(s.get());
      if (first_problem.empty() && row.intact && row.event.seq == expected) {
        ++expected;
        continue;
      }
      if (first_problem.empty())
        first_problem = row.event.seq != expected ? "event missing" : "checksum mismatch";
      // A valid row after a bad one: the damage is in the middle, and dropping it loses events.
      if (row.intact) c.corrupt(expected, first_problem + "; refusing to start");
      if (bad_count++ == 0) bad_first = row.event.seq;
      bad_last = row.event.seq;
    }
  }
  if (bad_count == 0) return;
  // Nothing valid follows: a torn tail, never acknowledged as a whole. Remove it.
  statement_use d{c.delete_events_after};
  sqlite3_bind_int64(d.get(), 1, static_cast<int64_t>(expected - 1));
  c.step_done(d.get(), "cannot discard the torn tail");
  note("discarded " + std::to_string(bad_count) + " torn event" + (bad_count == 1 ? "" : "s") +
       " at seq " + seq_range(bad_first, bad_last));
}

uint64_t sqlite_store::append(uint64_t expected_next, std::vector<stored_event> batch) {
  auto& c = *conn_;
  connection::transaction txn{c, "append failed"};
  // Read inside the write transaction: the authoritative end, whatever the cache says.
  const uint64_t next = c.query_max_seq() + 1;
  if (expected_next != next)
    throw sequence_conflict("expected next sequence " + std::to_string(expected_next) +
                            ", log is at " + std::to_string(next));
  uint64_t seq = expected_next;
  {
    statement_use s{c.insert_event};
    for (auto& e : batch) {
      e.seq = seq++;
      sqlite3_bind_int64(s.get(), 1, static_cast<int64_t>(e.seq));
      bind_text(s.get(), 2, e.type);
      sqlite3_bind_int64(s.get(), 3, e.schema_version);
      sqlite3_bind_int64(s.get(), 4, to_ms(e.time));
      bind_text(s.get(), 5, e.epoch);
      bind_text(s.get(), 6, e.body);
      sqlite3_bind_int64(s.get(), 7, event_crc(e));
      c.step_done(s.get(), "append failed");
      sqlite3_reset(s.get());
    }
  }
  txn.commit("append failed at commit");
  last_seq_ = seq - 1;
  return last_seq_;
}

void sqlite_store::probe() {
  auto& c = *conn_;
  if (!c.write_probe)
    // With 64 KiB of room to spare, not just the few bytes a timestamp needs: a disk that is
    // still all but full must not pass for writable.
    c.write_probe = c.prepare(
        "INSERT OR REPLACE INTO meta(key, value) VALUES('last_probe', ?1), "
        "('probe_room', zeroblob(65536))");
  connection::transaction txn{c, "probe failed"};
  // Bound without a copy (SQLITE_STATIC): the text must outlive the statement's step.
  const std::string now_ms = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  {
    statement_use s{c.write_probe};
    bind_text(s.get(), 1, now_ms);
    c.step_done(s.get(), "probe failed");
  }
  txn.commit("probe failed at commit");
}

std::vector<stored_event> sqlite_store::read_after(uint64_t after, size_t limit) const {
  std::vector<stored_event> out;
  if (limit == 0 || after >= last_seq_) return out;
  auto& c = *conn_;
  const uint64_t wanted = std::min<uint64_t>(limit, last_seq_ - after);
  out.reserve(wanted);
  statement_use s{c.read_events};
  sqlite3_bind_int64(s.get(), 1, static_cast<int64_t>(after));
  sqlite3_bind_int64(s.get(), 2, static_cast<int64_t>(wanted));
  for (int rc; (rc = sqlite3_step(s.get())) != SQLITE_DONE;) {
    if (rc != SQLITE_ROW) c.fail("cannot read events");
    auto row = read_event_row(s.get());
    const uint64_t expected = after + out.size() + 1;
    if (row.event.seq != expected) c.corrupt(expected, "event missing");
    if (!row.intact) c.corrupt(expected, "checksum mismatch");
    out.push_back(std::move(row.event));
  }
  if (out.size() < wanted) c.corrupt(after + out.size() + 1, "event missing");
  return out;
}

uint64_t sqlite_store::last_seq() const { return last_seq_; }

void sqlite_store::save_checkpoint(const checkpoint& cp) {
  auto& c = *conn_;
  if (cp.seq > last_seq_)
    throw store_error("event log " + c.path + ": cannot save a checkpoint at seq " +
                      std::to_string(cp.seq) + ", the log ends at seq " +
                      std::to_string(last_seq_));
  const int64_t now_ms = to_ms(std::chrono::system_clock::now());
  connection::transaction txn{c, "checkpoint failed"};
  {
    statement_use s{c.insert_checkpoint};
    sqlite3_bind_int64(s.get(), 1, static_cast<int64_t>(cp.seq));
    bind_text(s.get(), 2, cp.state);
    sqlite3_bind_int64(s.get(), 3, checkpoint_crc(cp.seq, now_ms, cp.state));
    sqlite3_bind_int64(s.get(), 4, now_ms);
    c.step_done(s.get(), "checkpoint failed");
  }
  {
    statement_use s{c.prune_checkpoints};
    sqlite3_bind_int64(s.get(), 1, checkpoints_kept);
    c.step_done(s.get(), "checkpoint failed");
  }
  txn.commit("checkpoint failed at commit");
}

std::optional<checkpoint> sqlite_store::load_checkpoint() const {
  auto newest = verified_checkpoints(1);
  if (newest.empty()) return std::nullopt;
  return std::move(newest.front());
}

std::vector<checkpoint> sqlite_store::load_checkpoints() const {
  return verified_checkpoints(std::numeric_limits<size_t>::max());
}

std::vector<checkpoint> sqlite_store::verified_checkpoints(size_t at_most) const {
  auto& c = *conn_;
  std::vector<checkpoint> out;
  statement_use s{c.read_checkpoints};
  for (int rc; out.size() < at_most && (rc = sqlite3_step(s.get())) != SQLITE_DONE;) {
    if (rc != SQLITE_ROW) c.fail("cannot read checkpoints");
    checkpoint cp;
    cp.seq = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
    cp.state = text_column(s.get(), 1);
    if (sqlite3_column_int64(s.get(), 2) !=
        checkpoint_crc(cp.seq, sqlite3_column_int64(s.get(), 3), cp.state)) {
      note("checkpoint at seq " + std::to_string(cp.seq) + " failed its checksum; skipped");
      continue;
    }
    out.push_back(std::move(cp));
  }
  return out;
}

void sqlite_store::note(std::string text) const {
  if (std::find(notes_.begin(), notes_.end(), text) == notes_.end())
    notes_.push_back(std::move(text));
}

}  // namespace vigil::store
