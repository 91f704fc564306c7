// YAML for `-o yaml`: a JSON value written as block-style YAML 1.2 that a YAML parser reads back
// as the same value (strings that could read as anything else are double-quoted).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace vigil::app {

/// The value as a YAML document (no `---`), ending with a newline.
std::string to_yaml(const nlohmann::json& value);

}  // namespace vigil::app
