// The checksums of stored rows, one definition for every durable backend (SQLite, PostgreSQL).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "store/checksum.hpp"
#include "store/store.hpp"

namespace vigil::store {

/// Milliseconds since the Unix epoch: how backends store an event's time.
inline int64_t to_ms(model::wall_time t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// Covers every field of the event, seq included, so a row moved or altered fails it.
inline int64_t event_crc(const stored_event& e) {
  return field_checksum{}
      .add(e.seq)
      .add(e.type)
      .add(static_cast<uint64_t>(e.schema_version))
      .add(static_cast<uint64_t>(to_ms(e.time)))
      .add(e.epoch)
      .add(e.body)
      .value();
}

inline int64_t checkpoint_crc(uint64_t seq, int64_t time_ms, const std::string& state) {
  return field_checksum{}.add(seq).add(static_cast<uint64_t>(time_ms)).add(state).value();
}

}  // namespace vigil::store
