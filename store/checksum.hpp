// CRC-32C (Castagnoli), table-driven: the checksum on every stored event and checkpoint.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::store {

/// CRC-32C of `data`, extending `crc`: crc32c(b, crc32c(a)) == crc32c(a + b), crc32c("") == 0.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

/// The CRC-32C of a record's fields, each framed so that no two field lists share a byte
/// stream: integers as 8 little-endian bytes, strings as their 8-byte length then their bytes.
class field_checksum {
 public:
  field_checksum& add(uint64_t value);
  field_checksum& add(std::string_view text);
  uint32_t value() const { return crc_; }

 private:
  uint32_t crc_ = 0;
};

}  // namespace vigil::store
