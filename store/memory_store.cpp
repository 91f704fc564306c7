// The in-memory event log.
#include "store/memory_store.hpp"

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
  for (uint64_t i = after; i < events_.size() && out.size() < limit; ++i)
    out.push_back(events_[i]);
  return out;
}

uint64_t memory_store::last_seq() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return events_.size();
}

void memory_store::save_checkpoint(const checkpoint& c) {
  std::lock_guard<std::mutex> guard{mutex_};
  checkpoint_ = c;
}

std::optional<checkpoint> memory_store::load_checkpoint() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return checkpoint_;
}

}  // namespace vigil::store
