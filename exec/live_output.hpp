// What a running process has printed so far: the tail its run's record gets (the last
// output_limit bytes of stdout and stderr, interleaved as written), readable while it runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "codec/json_writer.hpp"

namespace vigil::exec {

/// How an attempt's process ended, as far as its output is concerned (the `end` of a follow).
struct output_end {
  std::string outcome;  ///< a run outcome: succeeded, failed, timed_out, cancelled, ...
  std::optional<int> exit_code;
  std::optional<int> signal;
};

/// Writes `outcome`, `exit_code` and `signal` into the JSON object `w` has open (an output
/// stream's `end` event and an output read's `end` have these members).
void write_end_members(codec::json_writer& w, const output_end& e);

/// Bytes from one position of an attempt's output, as read.
struct output_read {
  uint64_t offset = 0;   ///< where `bytes` start: the position asked for, or later when dropped
  uint64_t dropped = 0;  ///< bytes between the position asked for and `offset` the tail lost
  uint64_t total = 0;    ///< bytes written so far; `offset + bytes.size()` is the next position
  std::string bytes;
  std::optional<output_end> ended;  ///< the process has ended: nothing follows `total`
};

/// The ring of the last `limit` bytes written plus the count of all bytes, guarded by a mutex:
/// the process supervisor's thread appends, any thread reads. Positions count every byte the
/// process wrote, from 0, whether the ring still holds it or not. Memory: at most `limit`
/// bytes, however much is written.
class live_output {
 public:
  explicit live_output(size_t limit) : limit_(limit) {}

  void append(const char* data, size_t n);
  /// The process ended: readers see `ended` once they reach `total`, and a waiting one is told.
  void end(output_end how);

  /// Up to `max` bytes from `offset` (from the oldest byte kept, when the ring has dropped
  /// bytes before it; nothing when `offset` is at or past the end).
  output_read read(uint64_t offset, size_t max) const;

  /// `notify` is called once, from the writer's thread, at the next append or end after
  /// `offset` — or at once (on the caller's thread) when bytes after `offset` are there already
  /// or the process has ended. One notification at a time: a new one replaces the old.
  void notify_after(uint64_t offset, std::function<void()> notify);

  /// The run record's text: the tail in order, after a marker line when bytes were dropped
  /// ("[vigil: output truncated, N earlier bytes dropped]").
  std::string text() const;
  uint64_t total() const;
  bool truncated() const;

 private:
  /// Oldest kept byte's position; call with mu_ held.
  uint64_t first_kept() const { return total_ - ring_.size(); }

  mutable std::mutex mu_;
  size_t limit_;
  std::vector<char> ring_;  ///< grows to `limit_`, then wraps at head_
  size_t head_ = 0;         ///< once full: where the oldest byte is
  uint64_t total_ = 0;
  std::optional<output_end> ended_;
  std::function<void()> notify_;
};

using live_output_ptr = std::shared_ptr<live_output>;

}  // namespace vigil::exec
