// CRC-32C, slicing-by-8: eight 256-entry tables built at compile time, no dependency.
#include "store/checksum.hpp"

#include <array>
#include <cstddef>

namespace vigil::store {
namespace {

constexpr uint32_t castagnoli = 0x82F63B78u;  // reflected polynomial 0x1EDC6F41

using crc_tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr crc_tables make_tables() {
  crc_tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ (castagnoli & (0u - (c & 1u)));
    t[0][i] = c;
  }
  // Table k advances a byte through k further zero bytes, so eight bytes fold in one step.
  for (size_t k = 1; k < 8; ++k)
    for (size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFu];
  return t;
}

constexpr crc_tables tables = make_tables();

uint32_t load_le32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

}  // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  crc = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    const uint32_t lo = crc ^ load_le32(p);
    const uint32_t hi = load_le32(p + 4);
    crc = tables[7][lo & 0xFFu] ^ tables[6][(lo >> 8) & 0xFFu] ^ tables[5][(lo >> 16) & 0xFFu] ^
          tables[4][lo >> 24] ^ tables[3][hi & 0xFFu] ^ tables[2][(hi >> 8) & 0xFFu] ^
          tables[1][(hi >> 16) & 0xFFu] ^ tables[0][hi >> 24];
  }
  for (; n > 0; ++p, --n) crc = (crc >> 8) ^ tables[0][(crc ^ *p) & 0xFFu];
  return ~crc;
}

field_checksum& field_checksum::add(uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFFu);
  crc_ = crc32c(std::string_view(bytes, sizeof bytes), crc_);
  return *this;
}

field_checksum& field_checksum::add(std::string_view text) {
  add(static_cast<uint64_t>(text.size()));
  crc_ = crc32c(text, crc_);
  return *this;
}

}  // namespace vigil::store
