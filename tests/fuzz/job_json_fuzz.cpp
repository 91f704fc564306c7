// Fuzzes decode_job_spec with any bytes: an accepted spec must survive encode -> decode
// unchanged; a refusal must say why and point at a field with a well-formed JSON pointer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "codec/job_json.hpp"

namespace m = vigil::model;
namespace codec = vigil::codec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto decoded = codec::decode_job_spec(body);
  if (const auto* r = std::get_if<m::rejection>(&decoded)) {
    if (r->detail.empty() || r->code != m::errc::invalid_argument) std::abort();
    if (!r->field.empty() && r->field.front() != '/') std::abort();
    return 0;
  }
  const auto& spec = std::get<m::job_spec>(decoded);
  const auto encoded = codec::encode_job_spec(spec);
  const auto again = codec::decode_job_spec(encoded);
  if (!std::holds_alternative<m::job_spec>(again)) std::abort();
  if (!(std::get<m::job_spec>(again) == spec)) std::abort();
  // The canonical form is a fixed point.
  if (codec::encode_job_spec(std::get<m::job_spec>(again)) != encoded) std::abort();
  return 0;
}
