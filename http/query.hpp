// Query strings: `a=1&verbose&b=x%20y`. Keys without '=' are flags; malformed escapes fail.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::http {

class query {
 public:
  /// Nothing when a percent escape is malformed.
  static std::optional<query> parse(std::string_view text);

  bool has(std::string_view key) const;
  /// The first value of `key` (empty for a flag), or nothing when absent.
  std::optional<std::string> get(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace vigil::http
