// This API's OpenAPI document, compiled into the binary: docs/openapi.yaml converted to JSON at
// build time (cmake/openapi_json.py), embedded by cmake/embed_assets.cmake.
#pragma once

#include <string_view>

#include "http/ui_assets.hpp"

namespace vigil::http {

/// "openapi.json" (application/json), served as GET /v1/openapi.json; nothing for any other name.
const ui_asset* find_api_document(std::string_view name);

}  // namespace vigil::http
