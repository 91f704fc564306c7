// The in-memory event log.
#include "store/memory_store.hpp"

#include <algorithm>

namespace vigil::store {

uint64_t memory_store::append(uint64_t expected_next, std::vector<stored_event> batch) {
  std::lock_guard<std::mutex> guard{mutex_};
  const uint64_t next = events_.size() + 1;
  if (expected_next != next)
    throw sequence_conflict("expected next sequence " + std::to_string(expected_next) +
                            ", log is at " + std::to_string(next));
  for (auto& e : batch) {
    e.seq = events_.size() + 1;
    events_.push_back(std::move(e));
  }
  return events_.size();
}

std::vector<stored_event> memory_store::read_after(uint64_t after, size_t limit) const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<stored_event> out;
  for (uint64_t i = after; i < events_.size() && out.size() < limit; ++i) out.push_back(events_[i]);
  return out;
}

uint64_t memory_store::last_seq() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return events_.size();
}

void memory_store::save_checkpoint(const checkpoint& c) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto at = std::find_if(checkpoints_.begin(), checkpoints_.end(),
                         [&](const checkpoint& kept) { return kept.seq <= c.seq; });
  if (at != checkpoints_.end() && at->seq == c.seq)
    *at = c;
  else
    checkpoints_.insert(at, c);
  if (checkpoints_.size() > 3) checkpoints_.resize(3);
}

std::optional<checkpoint> memory_store::load_checkpoint() const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (checkpoints_.empty()) return std::nullopt;
  return checkpoints_.front();
}

std::vector<checkpoint> memory_store::load_checkpoints() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return checkpoints_;
}

}  // namespace vigil::store
