// CRC-32C against published check values, and the framing of record fields.
#include "store/checksum.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace vs = vigil::store;

TEST_CASE("crc32c matches the published check values", "[store][checksum]") {
  CHECK(vs::crc32c("") == 0u);
  CHECK(vs::crc32c("123456789") == 0xE3069283u);
  // RFC 3720 (iSCSI), appendix B.4.
  CHECK(vs::crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(vs::crc32c(std::string(32, '\xFF')) == 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending += static_cast<char>(i);
  CHECK(vs::crc32c(ascending) == 0x46DD794Eu);
}

TEST_CASE("crc32c extends across pieces as over the whole", "[store][checksum]") {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += static_cast<char>(i * 7 + 3);
  for (size_t cut : {0, 1, 7, 8, 9, 63, 500, 999, 1000})
    CHECK(vs::crc32c(text.substr(cut), vs::crc32c(text.substr(0, cut))) == vs::crc32c(text));
}

TEST_CASE("field checksums tell apart fields that concatenate alike", "[store][checksum]") {
  const auto ab_c = vs::field_checksum{}.add("ab").add("c").value();
  const auto a_bc = vs::field_checksum{}.add("a").add("bc").value();
  CHECK(ab_c != a_bc);
  CHECK(vs::field_checksum{}.add(uint64_t{1}).value() !=
        vs::field_checksum{}.add(uint64_t{2}).value());
  CHECK(vs::field_checksum{}.add("ab").add("c").value() == ab_c);
}
