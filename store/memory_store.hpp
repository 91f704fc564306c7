// The in-memory event log: the same contract as the durable backends, for tests and dev runs.
#pragma once

#include <mutex>

#include "store/store.hpp"

namespace vigil::store {

class memory_store final : public store {
 public:
  uint64_t append(uint64_t expected_next, std::vector<stored_event> batch) override;
  std::vector<stored_event> read_after(uint64_t after, size_t limit) const override;
  uint64_t last_seq() const override;
  void save_checkpoint(const checkpoint& c) override;
  std::optional<checkpoint> load_checkpoint() const override;
  std::vector<checkpoint> load_checkpoints() const override;

 private:
  // The journal owns the store on one thread; the lock only keeps test readers honest.
  mutable std::mutex mutex_;
  std::vector<stored_event> events_;
  std::vector<checkpoint> checkpoints_;  ///< newest first, at most three, like the durable store
};

}  // namespace vigil::store
