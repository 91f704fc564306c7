// Where a client command finds the daemon: `http://HOST:PORT[/prefix]`, checked once on the
// command line so that every later request can only go where the user said.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vigil::app {

/// `http://HOST:PORT[/prefix]`: HOST an IPv4 address or a host name.
struct http_url {
  std::string host;
  uint16_t port = 0;
  std::string prefix;  ///< a path prefix without its trailing '/', usually empty

  std::string text() const;  ///< back to `http://host:port/prefix`
};

/// `s` with A-Z as a-z (schemes, header values): no locale.
std::string ascii_lower(std::string s);

/// The URL, or nothing with what was expected in `why` (for "expected <why>").
std::optional<http_url> parse_http_url(const std::string& text, std::string& why);

}  // namespace vigil::app
