// The daemon's URL as the client commands accept it.
#include "app/http_url.hpp"

#include <algorithm>
#include <cctype>

#include "model/number.hpp"

namespace vigil::app {

std::string http_url::text() const {
  return "http://" + host + ":" + std::to_string(port) + prefix;
}

std::string ascii_lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::optional<http_url> parse_http_url(const std::string& text, std::string& why) {
  const std::string scheme = "http://";
  if (ascii_lower(text.substr(0, 8)) == "https://") {
    why = "http://HOST:PORT (https is not supported)";
    return std::nullopt;
  }
  if (ascii_lower(text.substr(0, scheme.size())) != scheme) {
    why = "http://HOST:PORT, e.g. http://127.0.0.1:8080";
    return std::nullopt;
  }
  const std::string rest = text.substr(scheme.size());
  if (rest.find_first_of("?#") != std::string::npos) {
    why = "http://HOST:PORT without a query or fragment";
    return std::nullopt;
  }
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? std::string{} : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    why = "http://HOST:PORT without user information";
    return std::nullopt;
  }
  if (!authority.empty() && authority.front() == '[') {
    why = "http://HOST:PORT with an IPv4 address or a host name (no IPv6 literals)";
    return std::nullopt;
  }
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) {
    why = "http://HOST:PORT with a port, e.g. http://127.0.0.1:8080";
    return std::nullopt;
  }
  http_url url;
  url.host = authority.substr(0, colon);
  const std::string port = authority.substr(colon + 1);
  if (url.host.empty() || !std::all_of(url.host.begin(), url.host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
      })) {
    why = "http://HOST:PORT with HOST an IPv4 address or a host name";
    return std::nullopt;
  }
  const auto port_number = model::parse_uint(port, 65535);
  if (!port_number || *port_number == 0) {
    why = "http://HOST:PORT with PORT from 1 to 65535";
    return std::nullopt;
  }
  url.port = static_cast<uint16_t>(*port_number);
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      why = "http://HOST:PORT[/PATH] without spaces or control characters";
      return std::nullopt;
    }
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  url.prefix = path;
  return url;
}

}  // namespace vigil::app
