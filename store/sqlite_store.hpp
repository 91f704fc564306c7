// The durable event log: SQLite in WAL mode, synchronous=FULL, every row checksummed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace vigil::store {

/// The embedded default backend. One connection, used from one thread (the journal's); the
/// data directory's lock makes it the only writer. Readable with the sqlite3 shell: tables
/// `events`, `checkpoints` and `meta`.
class sqlite_store final : public store {
 public:
  /// Opens or creates the log at `db_path`, verifies the rows after the newest checkpoint and
  /// discards a torn tail (see recovery_notes). Throws store_error when the file cannot be
  /// opened, was written by a newer format, or is corrupt before its last valid row.
  explicit sqlite_store(const std::string& db_path);
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  /// One transaction; returns only after COMMIT. On a SQLite error (disk full, I/O error,
  /// read-only) nothing is written, store_error is thrown and the store stays usable.
  uint64_t append(uint64_t expected_next, std::vector<stored_event> batch) override;
  /// Verifies each row's checksum and that seqs are contiguous; store_error when not.
  std::vector<stored_event> read_after(uint64_t after, size_t limit) const override;
  uint64_t last_seq() const override;
  /// Keeps the newest three; refuses a checkpoint beyond the end of the log.
  void save_checkpoint(const checkpoint& c) override;
  /// The newest checkpoint whose checksum verifies; a bad one is skipped and noted.
  std::optional<checkpoint> load_checkpoint() const override;
  std::vector<checkpoint> load_checkpoints() const override;
  /// Rewrites one row of `meta` in a transaction: fails exactly when an append would.
  void probe() override;

  /// What opening (or loading checkpoints) had to repair or skip, one sentence each.
  const std::vector<std::string>& recovery_notes() const { return notes_; }

 private:
  struct connection;

  void open_log();
  void verify_tail(uint64_t after);
  std::vector<checkpoint> verified_checkpoints(size_t at_most) const;
  void note(std::string text) const;

  std::unique_ptr<connection> conn_;
  uint64_t last_seq_ = 0;
  mutable std::vector<std::string> notes_;
};

}  // namespace vigil::store
