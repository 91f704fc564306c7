// The API's error body (nlohmann's dump, as clients have always read it).
#include "codec/errors.hpp"

#include <nlohmann/json.hpp>

namespace vigil::codec {

std::string encode_error(const model::rejection& r) {
  nlohmann::json j{{"error", model::to_string(r.code)}, {"detail", r.detail}};
  if (!r.field.empty()) j["field"] = r.field;
  // A detail or field may quote the caller's bytes: what is not UTF-8 becomes U+FFFD (as in
  // json_writer) instead of the strict dump's exception.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vigil::codec
