// Query-string parsing with percent decoding ('+' is a space, as browsers send it).
#include "http/query.hpp"

namespace vigil::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<query> query::parse(std::string_view text) {
  query q;
  size_t pos = 0;
  while (pos <= text.size() && !text.empty()) {
    size_t amp = text.find('&', pos);
    if (amp == std::string_view::npos) amp = text.size();
    const std::string_view part = text.substr(pos, amp - pos);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      auto key = decode(part.substr(0, eq));
      auto value = eq == std::string_view::npos ? std::optional<std::string>{""}
                                                : decode(part.substr(eq + 1));
      if (!key || !value) return std::nullopt;
      q.params_.emplace_back(std::move(*key), std::move(*value));
    }
    pos = amp + 1;
  }
  return q;
}

bool query::has(std::string_view key) const { return get(key).has_value(); }

std::optional<std::string> query::get(std::string_view key) const {
  for (const auto& [k, v] : params_)
    if (k == key) return v;
  return std::nullopt;
}

}  // namespace vigil::http
