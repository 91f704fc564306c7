// The API's error body (nlohmann's dump, as clients have always read it).
#include "codec/errors.hpp"

#include <nlohmann/json.hpp>

namespace vigil::codec {

std::string encode_error(const model::rejection& r) {
  nlohmann::json j{{"error", model::to_string(r.code)}, {"detail", r.detail}};
  if (!r.field.empty()) j["field"] = r.field;
  return j.dump();
}

}  // namespace vigil::codec
