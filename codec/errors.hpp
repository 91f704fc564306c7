// The API's error body: one shape for every refusal, whichever route gives it.
#pragma once

#include <string>

#include "model/rejection.hpp"

namespace vigil::codec {

/// `{"error": code, "detail": ..., "field": ...}` — the one error shape of the API.
std::string encode_error(const model::rejection& r);

}  // namespace vigil::codec
