// A store that hands every call to another: the base of decorators that count, fail or fence
// appends (tests and benches), so each overrides only what it changes.
#pragma once

#include <memory>
#include <utility>

#include "store/store.hpp"

namespace vigil::store {

class forwarding_store : public store {
 public:
  explicit forwarding_store(std::shared_ptr<store> inner) : inner_(std::move(inner)) {}

  uint64_t append(uint64_t expected_next, std::vector<stored_event> batch) override {
    return inner_->append(expected_next, std::move(batch));
  }
  std::vector<stored_event> read_after(uint64_t after, size_t limit) const override {
    return inner_->read_after(after, limit);
  }
  uint64_t last_seq() const override { return inner_->last_seq(); }
  void save_checkpoint(const checkpoint& c) override { inner_->save_checkpoint(c); }
  std::optional<checkpoint> load_checkpoint() const override { return inner_->load_checkpoint(); }
  std::vector<checkpoint> load_checkpoints() const override { return inner_->load_checkpoints(); }
  void probe() override { inner_->probe(); }
  void set_writer_term(const std::string& holder, uint64_t term) override {
    inner_->set_writer_term(holder, term);
  }

  store& inner() { return *inner_; }
  const store& inner() const { return *inner_; }

 private:
  std::shared_ptr<store> inner_;
};

}  // namespace vigil::store
