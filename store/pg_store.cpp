// The shared event log on PostgreSQL: one fenced statement per append, checksummed rows.
#include "store/pg_store.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string_view>

#include "store/pg.hpp"
#include "store/row_checksum.hpp"

namespace vigil::store {
namespace {

constexpr int64_t format_version = 1;
constexpr int64_t checkpoints_kept = 3;
/// The advisory lock key under which the schema is created: two nodes starting at once
/// otherwise race on CREATE TABLE IF NOT EXISTS (a unique violation in pg_type).
constexpr const char* schema_lock_key = "7620617";

constexpr const char* schema_sql[] = {
    "CREATE TABLE IF NOT EXISTS vigil_meta(key text PRIMARY KEY, value text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vigil_events(seq bigint PRIMARY KEY, term bigint NOT NULL, "
    "type text NOT NULL, schema_version integer NOT NULL, at_ms bigint NOT NULL, "
    "epoch text NOT NULL, body text NOT NULL, crc bigint NOT NULL, "
    "committed_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS vigil_checkpoints(seq bigint PRIMARY KEY, state text NOT NULL, "
    "crc bigint NOT NULL, at_ms bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vigil_lease(name text PRIMARY KEY, term bigint NOT NULL, "
    "holder text NOT NULL, holder_url text NOT NULL, renewals bigint NOT NULL, "
    "renewed_at timestamptz)",
    "INSERT INTO vigil_lease(name, term, holder, holder_url, renewals) "
    "VALUES ('scheduler', 0, '', '', 0) ON CONFLICT DO NOTHING",
    "CREATE TABLE IF NOT EXISTS vigil_nodes(node text PRIMARY KEY, url text NOT NULL, "
    "epoch text NOT NULL, version text NOT NULL, role text NOT NULL, log_seq bigint NOT NULL, "
    "seen_at timestamptz NOT NULL)",
    "ALTER TABLE vigil_nodes ADD COLUMN IF NOT EXISTS clock_skew_ms bigint NOT NULL DEFAULT 0",
    "INSERT INTO vigil_meta(key, value) VALUES ('format_version', '1') ON CONFLICT DO NOTHING",
};

/// The fenced append: the lease row FOR SHARE (a takeover waits for this statement, so every
/// event of a term commits before the next term begins), the tail, and the insert only when
/// both hold. Answers (lease held?, the tail before, rows inserted).
constexpr const char* append_sql = R"sql(
WITH lease AS (
  SELECT term FROM vigil_lease WHERE name = 'scheduler' AND term = $1 AND holder = $2 FOR SHARE
), tail AS (
  SELECT COALESCE(max(seq), 0) AS last FROM vigil_events
), ins AS (
  INSERT INTO vigil_events(seq, term, type, schema_version, at_ms, epoch, body, crc)
  SELECT $3::bigint + x.o - 1, $1::bigint, x.t, x.v::integer, x.ms::bigint, x.ep, x.b, x.c::bigint
    FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         WITH ORDINALITY AS x(t, v, ms, ep, b, c, o)
   WHERE EXISTS (SELECT 1 FROM lease) AND (SELECT last FROM tail) = $3::bigint - 1
  RETURNING seq
), counted AS (
  SELECT count(*) AS n FROM ins
)
SELECT (SELECT count(*) FROM lease), (SELECT last FROM tail), n,
       CASE WHEN n > 0 THEN pg_notify('vigil_log', ($3::bigint + n - 1)::text) END
  FROM counted
)sql";

std::string seq_text(uint64_t seq) { return std::to_string(seq); }

}  // namespace

pg_store::pg_store(const std::string& conninfo, writer_identity writer)
    : conn_(std::make_unique<pg::connection>(conninfo)), writer_(std::move(writer)) {
  auto& c = *conn_;
  // An acknowledged append is on the server's disk whatever the server's default says, and
  // stays so after a reconnect; a stronger server setting (remote_write, remote_apply for a
  // synchronous standby) is kept, only off and local are raised to on.
  c.on_every_session(
      {"DO $$ BEGIN IF current_setting('synchronous_commit') IN ('off', 'local') THEN "
       "PERFORM set_config('synchronous_commit', 'on', false); END IF; END $$"});
  c.exec_ok("BEGIN", {}, "cannot create the schema");
  try {
    c.exec_ok("SELECT pg_advisory_xact_lock($1::bigint)", {schema_lock_key},
              "cannot lock the schema");
    for (const char* sql : schema_sql) c.exec_ok(sql, {}, "cannot create the schema");
    c.exec_ok("COMMIT", {}, "cannot create the schema");
  } catch (...) {
    c.exec("ROLLBACK");
    throw;
  }
  const auto version = c.exec_ok("SELECT value FROM vigil_meta WHERE key = 'format_version'", {},
                                 "cannot read format_version");
  if (version.rows() != 1) throw store_error(c.name() + ": no format_version in vigil_meta");
  const std::string v = version.text(0, 0);
  if (v != std::to_string(format_version))
    throw store_error("the event log at " + c.name() + " has format_version " + v +
                      ", this vigil reads " + std::to_string(format_version) + "; refusing it");
}

pg_store::~pg_store() = default;

uint64_t pg_store::append(uint64_t expected_next, std::vector<stored_event> batch) {
  auto& c = *conn_;
  std::vector<std::string> versions, times, crcs;
  std::vector<std::string_view> types, epochs, bodies;
  uint64_t seq = expected_next;
  for (auto& e : batch) {
    e.seq = seq++;
    types.push_back(e.type);
    versions.push_back(std::to_string(e.schema_version));
    times.push_back(std::to_string(to_ms(e.time)));
    epochs.push_back(e.epoch);
    bodies.push_back(e.body);
    crcs.push_back(std::to_string(event_crc(e)));
  }
  auto views = [](const std::vector<std::string>& v) {
    return std::vector<std::string_view>(v.begin(), v.end());
  };
  const auto r =
      c.exec(append_sql,
             {seq_text(writer_.term), writer_.holder, seq_text(expected_next),
              pg::text_array(types), pg::text_array(views(versions)), pg::text_array(views(times)),
              pg::text_array(epochs), pg::text_array(bodies), pg::text_array(views(crcs))});
  if (!r.ok()) {
    // Two writers with the same identity raced for the same seqs: the primary key held.
    if (r.sqlstate() == "23505")
      throw sequence_conflict("expected next sequence " + seq_text(expected_next) +
                              " was taken by a concurrent append");
    throw store_error("append failed (" + c.name() + "): " + r.message());
  }
  if (r.integer(0, 0) == 0)
    throw fenced("term " + seq_text(writer_.term) + " of " + writer_.holder +
                 " no longer holds the lease; nothing written");
  const auto last = static_cast<uint64_t>(r.integer(0, 1));
  if (last + 1 != expected_next)
    throw sequence_conflict("expected next sequence " + seq_text(expected_next) + ", log is at " +
                            seq_text(last + 1));
  return expected_next + batch.size() - 1;
}

std::vector<stored_event> pg_store::read_after(uint64_t after, size_t limit) const {
  std::vector<stored_event> out;
  if (limit == 0) return out;
  auto& c = *conn_;
  const auto wanted = std::min<uint64_t>(limit, std::numeric_limits<int64_t>::max());
  const auto r = c.exec_ok(
      "SELECT seq, type, schema_version, at_ms, epoch, body, crc FROM vigil_events "
      "WHERE seq > $1 ORDER BY seq LIMIT $2",
      {seq_text(after), seq_text(wanted)}, "cannot read events");
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    stored_event e;
    e.seq = static_cast<uint64_t>(r.integer(i, 0));
    e.type = r.text(i, 1);
    e.schema_version = static_cast<int>(r.integer(i, 2));
    e.time = model::wall_time{std::chrono::milliseconds{r.integer(i, 3)}};
    e.epoch = r.text(i, 4);
    e.body = r.text(i, 5);
    const uint64_t expected = after + out.size() + 1;
    if (e.seq != expected)
      throw store_error("event log corrupt at seq " + seq_text(expected) + ": event missing (" +
                        c.name() + ")");
    if (r.integer(i, 6) != event_crc(e))
      throw store_error("event log corrupt at seq " + seq_text(expected) + ": checksum mismatch (" +
                        c.name() + ")");
    out.push_back(std::move(e));
  }
  return out;
}

uint64_t pg_store::last_seq() const {
  const auto r = conn_->exec_ok("SELECT COALESCE(max(seq), 0) FROM vigil_events", {},
                                "cannot read the end of the log");
  return static_cast<uint64_t>(r.integer(0, 0));
}

void pg_store::save_checkpoint(const checkpoint& cp) {
  auto& c = *conn_;
  const uint64_t end = last_seq();
  if (cp.seq > end)
    throw store_error("event log " + c.name() + ": cannot save a checkpoint at seq " +
                      seq_text(cp.seq) + ", the log ends at seq " + seq_text(end));
  const int64_t now_ms = to_ms(std::chrono::system_clock::now());
  // One short transaction on this connection: it touches no lease row, so no takeover waits.
  c.exec_ok("BEGIN", {}, "checkpoint failed");
  try {
    c.exec_ok(
        "INSERT INTO vigil_checkpoints(seq, state, crc, at_ms) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (seq) DO UPDATE SET state = excluded.state, crc = excluded.crc, "
        "at_ms = excluded.at_ms",
        {seq_text(cp.seq), cp.state, std::to_string(checkpoint_crc(cp.seq, now_ms, cp.state)),
         std::to_string(now_ms)},
        "checkpoint failed");
    c.exec_ok(
        "DELETE FROM vigil_checkpoints WHERE seq NOT IN "
        "(SELECT seq FROM vigil_checkpoints ORDER BY seq DESC LIMIT $1)",
        {std::to_string(checkpoints_kept)}, "checkpoint failed");
    c.exec_ok("COMMIT", {}, "checkpoint failed at commit");
  } catch (...) {
    c.exec("ROLLBACK");
    throw;
  }
}

std::optional<checkpoint> pg_store::load_checkpoint() const {
  auto newest = verified_checkpoints(1);
  if (newest.empty()) return std::nullopt;
  return std::move(newest.front());
}

std::vector<checkpoint> pg_store::load_checkpoints() const {
  return verified_checkpoints(std::numeric_limits<size_t>::max());
}

std::vector<checkpoint> pg_store::verified_checkpoints(size_t at_most) const {
  std::vector<checkpoint> out;
  const auto r =
      conn_->exec_ok("SELECT seq, state, crc, at_ms FROM vigil_checkpoints ORDER BY seq DESC", {},
                     "cannot read checkpoints");
  for (int i = 0; i < r.rows() && out.size() < at_most; ++i) {
    checkpoint cp;
    cp.seq = static_cast<uint64_t>(r.integer(i, 0));
    cp.state = r.text(i, 1);
    if (r.integer(i, 2) != checkpoint_crc(cp.seq, r.integer(i, 3), cp.state)) {
      note("checkpoint at seq " + seq_text(cp.seq) + " failed its checksum; skipped");
      continue;
    }
    out.push_back(std::move(cp));
  }
  return out;
}

void pg_store::probe() {
  conn_->exec_ok(
      "INSERT INTO vigil_meta(key, value) VALUES ('last_probe', now()::text) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      {}, "probe failed");
}

lease_row pg_store::read_lease() const {
  const auto r = conn_->exec_ok(
      "SELECT term, holder, holder_url, renewals FROM vigil_lease WHERE name = 'scheduler'", {},
      "cannot read the lease");
  lease_row row;
  if (r.rows() == 1) {
    row.term = static_cast<uint64_t>(r.integer(0, 0));
    row.holder = r.text(0, 1);
    row.holder_url = r.text(0, 2);
    row.renewals = static_cast<uint64_t>(r.integer(0, 3));
  }
  return row;
}

bool pg_store::renew_lease() {
  const auto r = conn_->exec_ok(
      "UPDATE vigil_lease SET renewals = renewals + 1, renewed_at = now() "
      "WHERE name = 'scheduler' AND term = $1 AND holder = $2 RETURNING renewals",
      {seq_text(writer_.term), writer_.holder}, "cannot renew the lease");
  return r.rows() == 1;
}

bool pg_store::take_over(const lease_row& seen, const std::string& holder, const std::string& url) {
  const auto r = conn_->exec_ok(
      "UPDATE vigil_lease SET term = term + 1, holder = $3, holder_url = $4, renewals = 0, "
      "renewed_at = now() WHERE name = 'scheduler' AND term = $1 AND renewals = $2 "
      "RETURNING term",
      {seq_text(seen.term), seq_text(seen.renewals), holder, url}, "cannot take the lease over");
  if (r.rows() != 1) return false;
  writer_ = {holder, static_cast<uint64_t>(r.integer(0, 0))};
  return true;
}

void pg_store::heartbeat(const model::node_record& me, int64_t wall_ms) {
  conn_->exec_ok(
      "INSERT INTO vigil_nodes(node, url, epoch, version, role, log_seq, seen_at, clock_skew_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6::bigint, now(), "
      "$7::bigint - (extract(epoch FROM now()) * 1000)::bigint) "
      "ON CONFLICT (node) DO UPDATE SET url = excluded.url, epoch = excluded.epoch, "
      "version = excluded.version, role = excluded.role, log_seq = excluded.log_seq, "
      "seen_at = excluded.seen_at, clock_skew_ms = excluded.clock_skew_ms",
      {me.node, me.url, me.epoch, me.version, me.role, seq_text(me.log_seq),
       std::to_string(wall_ms)},
      "cannot write this node's heartbeat");
}

std::vector<node_row> pg_store::read_nodes() const {
  const auto r = conn_->exec_ok(
      "SELECT node, url, epoch, version, role, log_seq, clock_skew_ms, "
      "to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
      "FROM vigil_nodes ORDER BY node",
      {}, "cannot read the nodes");
  std::vector<node_row> out;
  for (int i = 0; i < r.rows(); ++i) {
    node_row n;
    n.record.node = r.text(i, 0);
    n.record.url = r.text(i, 1);
    n.record.epoch = r.text(i, 2);
    n.record.version = r.text(i, 3);
    n.record.role = r.text(i, 4);
    n.record.log_seq = static_cast<uint64_t>(r.integer(i, 5));
    n.record.clock_skew_ms = r.integer(i, 6);
    n.seen_at = r.text(i, 7);
    out.push_back(std::move(n));
  }
  return out;
}

void pg_store::listen() {
  // Part of every session: a reconnect listens again before anything else runs on it.
  conn_->on_every_session({"LISTEN vigil_log"});
}

bool pg_store::wait_for_notification(std::chrono::milliseconds timeout) {
  return conn_->wait_for_notification(timeout);
}

void pg_store::note(std::string text) const {
  if (std::find(notes_.begin(), notes_.end(), text) == notes_.end())
    notes_.push_back(std::move(text));
}

}  // namespace vigil::store
