// The shared event log on PostgreSQL: fenced appends by the lease holder, verified reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/cluster.hpp"
#include "store/store.hpp"

namespace vigil::store {

namespace pg {
class connection;
}

/// Who appends: the node holding the lease, and the term it holds it for.
struct writer_identity {
  std::string holder;
  uint64_t term = 0;
};

/// The lease row as read: `renewals` changes on every renewal, `term` on every takeover.
struct lease_row {
  uint64_t term = 0;
  std::string holder;  ///< empty: never held
  std::string holder_url;
  uint64_t renewals = 0;
};

/// A node's row of vigil_nodes: its record, and the database time of its last heartbeat.
struct node_row {
  model::node_record record;
  std::string seen_at;  ///< RFC 3339, for change detection only
};

/// The PostgreSQL backend. Tables vigil_meta, vigil_events, vigil_checkpoints, vigil_lease and
/// vigil_nodes, created if missing; every statement is one autocommit round trip, so no
/// transaction stays open between calls (one would block a takeover). One connection, used
/// from one thread (the journal's).
class pg_store final : public store {
 public:
  /// Connects, creates the schema if missing (safe when several nodes start at once) and
  /// checks format_version. Throws store_error naming the redacted conninfo.
  pg_store(const std::string& conninfo, writer_identity writer);
  ~pg_store() override;
  pg_store(const pg_store&) = delete;
  pg_store& operator=(const pg_store&) = delete;

  /// The term this store appends under, e.g. after this node took the lease over.
  void set_writer(writer_identity writer) { writer_ = std::move(writer); }
  void set_writer_term(const std::string& holder, uint64_t term) override {
    writer_ = {holder, term};
  }
  const writer_identity& writer() const { return writer_; }

  /// One statement that fences itself: the lease row is read FOR SHARE and must still name
  /// this writer's term and holder, and expected_next - 1 must be the log's tail; otherwise
  /// nothing is written (`fenced`, or `sequence_conflict` for a wrong position). Returns after
  /// the commit (synchronous_commit on) and notifies channel vigil_log with the last seq.
  uint64_t append(uint64_t expected_next, std::vector<stored_event> batch) override;
  /// Verifies each row's checksum and that seqs are contiguous; store_error when not.
  std::vector<stored_event> read_after(uint64_t after, size_t limit) const override;
  /// Reads the tail from the database: other writers may have appended since.
  uint64_t last_seq() const override;
  /// Keeps the newest three; refuses a checkpoint beyond the end of the log.
  void save_checkpoint(const checkpoint& c) override;
  std::optional<checkpoint> load_checkpoint() const override;
  std::vector<checkpoint> load_checkpoints() const override;
  void probe() override;

  /// The lease as it is now.
  lease_row read_lease() const;
  /// Renews the lease if this writer still holds it; false when it does not (deposed).
  bool renew_lease();
  /// The takeover compare-and-set: bumps the term and names `holder` only if the row still has
  /// the term and renewal count the caller saw. On success this store writes under the new term.
  bool take_over(const lease_row& seen, const std::string& holder, const std::string& url);

  /// Writes this node's row of vigil_nodes (its own wall clock beside, for the skew).
  void heartbeat(const model::node_record& me, int64_t wall_ms);
  /// Every node that ever heartbeat, by name.
  std::vector<node_row> read_nodes() const;
  /// LISTENs on vigil_log (again after a reconnect): appends notify it with their last seq.
  void listen();
  /// Waits up to `timeout` for a notification on this connection; true if one came (all
  /// pending ones are consumed). False on timeout; store_error when the connection broke.
  bool wait_for_notification(std::chrono::milliseconds timeout);
  /// What loading had to skip, one sentence each (a checkpoint that failed its checksum).
  const std::vector<std::string>& recovery_notes() const { return notes_; }

 private:
  std::vector<checkpoint> verified_checkpoints(size_t at_most) const;
  void note(std::string text) const;

  std::unique_ptr<pg::connection> conn_;
  writer_identity writer_;
  mutable std::vector<std::string> notes_;
};

}  // namespace vigil::store
