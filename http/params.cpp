// Request parameters: whole numbers in a range, flags, lists, decoded path segments.
#include "http/params.hpp"

#include <algorithm>
#include <cctype>
#include <exception>

#include "model/number.hpp"

namespace vigil::http {

std::optional<uint64_t> number_param(const query& params, const char* name, uint64_t fallback,
                                     uint64_t lo, uint64_t hi) {
  const auto text = params.get(name);
  if (!text) return fallback;
  const auto v = model::parse_uint(*text, hi);
  if (!v || *v < lo) return std::nullopt;
  return v;
}

std::optional<bool> flag_param(const query& params, const char* name) {
  const auto text = params.get(name);
  if (!text) return false;
  if (text->empty() || *text == "true" || *text == "1") return true;
  if (*text == "false" || *text == "0") return false;
  return std::nullopt;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::optional<std::string> path_param(const restinio::router::route_params_t& params,
                                      const char* name) {
  const auto raw = params[name];
  try {
    return restinio::utils::unescape_percent_encoding<restinio::utils::relaxed_unescape_traits>(
        raw);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool is_position_or_empty(std::string_view text) {
  return text.empty() || model::parse_uint(text).has_value();
}

std::optional<std::string> empty_parameter(std::string_view path, std::string_view tmpl) {
  while (!path.empty() && !tmpl.empty()) {
    const auto p = path.find('/', 1);
    const auto t = tmpl.find('/', 1);
    const auto segment = path.substr(1, p == std::string_view::npos ? p : p - 1);
    const auto pattern = tmpl.substr(1, t == std::string_view::npos ? t : t - 1);
    if (segment.empty() && pattern.size() > 2 && pattern.front() == '{')
      return std::string{pattern.substr(1, pattern.size() - 2)};
    if (p == std::string_view::npos || t == std::string_view::npos) break;
    path.remove_prefix(p);
    tmpl.remove_prefix(t);
  }
  return std::nullopt;
}

bool valid_percent_encoding(std::string_view path) {
  auto hex = [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; };
  for (size_t i = 0; i < path.size(); ++i)
    if (path[i] == '%' && (i + 2 >= path.size() || !hex(path[i + 1]) || !hex(path[i + 2])))
      return false;
  return true;
}

std::string requester(const restinio::request_handle_t& req) {
  return "http " + req->remote_endpoint().address().to_string();
}

}  // namespace vigil::http
