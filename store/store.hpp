// The event-log interface every backend implements (memory today; SQLite, PostgreSQL later).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/time.hpp"

namespace vigil::store {

/// One event as stored: the body is the codec's JSON, typed and versioned beside it.
struct stored_event {
  uint64_t seq = 0;
  std::string type;
  int schema_version = 0;
  model::wall_time time{};
  std::string epoch;  ///< the writer's epoch
  std::string body;
};

/// A saved state at a sequence number.
struct checkpoint {
  uint64_t seq = 0;
  std::string state;
};

/// Thrown by append when expected_next does not match: another writer got there first.
struct sequence_conflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Thrown by a shared log's append when the writer no longer holds the lease (another node took
/// it over, so the term or the holder differ): nothing was written, and this writer must stop
/// deciding. A sequence_conflict, because to a journal it means the same — someone else writes
/// the log now — but a caller that can step down tells it apart.
struct fenced : sequence_conflict {
  using sequence_conflict::sequence_conflict;
};

/// Thrown when the backend cannot do its work (disk full, read-only, corrupt).
struct store_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class store {
 public:
  virtual ~store() = default;

  /// Appends a batch atomically; the first event gets `expected_next`, the rest follow.
  /// A mismatch is a sequence_conflict, never an overwrite. Returns the last seq written.
  virtual uint64_t append(uint64_t expected_next, std::vector<stored_event> batch) = 0;

  /// Events with seq > after, at most `limit` of them, in order.
  virtual std::vector<stored_event> read_after(uint64_t after, size_t limit) const = 0;

  /// The last seq written (0 for an empty log).
  virtual uint64_t last_seq() const = 0;

  virtual void save_checkpoint(const checkpoint& c) = 0;
  virtual std::optional<checkpoint> load_checkpoint() const = 0;

  /// Proves the log can take a write again (after a full disk or an I/O error): a small
  /// transaction that touches no event. Throws store_error while it cannot.
  virtual void probe() {}

  /// A shared log: the lease holder and term appends are fenced by from now on (after a
  /// takeover). A log of one writer has no lease and ignores it.
  virtual void set_writer_term(const std::string& /*holder*/, uint64_t /*term*/) {}
  /// Every checkpoint kept, newest first: when the newest fails to decode, start from the next.
  virtual std::vector<checkpoint> load_checkpoints() const {
    auto newest = load_checkpoint();
    return newest ? std::vector<checkpoint>{*newest} : std::vector<checkpoint>{};
  }
};

}  // namespace vigil::store
