// A hand-written reader for flat objects of ASCII strings (measured ~5x nlohmann on replay).
#include "codec/event_body.hpp"

namespace vigil::codec {
namespace {

bool ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// A JSON string of ASCII characters at s[i]; false for anything else.
bool read_string(std::string_view s, size_t& i, std::string& out) {
  const size_t n = s.size();
  if (i >= n || s[i] != '"') return false;
  ++i;
  out.clear();
  for (;;) {
    const size_t start = i;
    while (i < n) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++i;
    }
    out.append(s.data() + start, i - start);
    if (i >= n) return false;
    if (s[i] == '"') {
      ++i;
      return true;
    }
    if (s[i] != '\\' || ++i >= n) return false;  // a control character or a non-ASCII byte
    switch (s[i]) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        if (i + 4 >= n) return false;
        int v = 0;
        for (size_t k = 1; k <= 4; ++k) {
          const int h = hex(s[i + k]);
          if (h < 0) return false;
          v = v * 16 + h;
        }
        if (v >= 0x80) return false;  // UTF-8 and surrogates: the general parser's job
        out += static_cast<char>(v);
        i += 4;
        break;
      }
      default:
        return false;
    }
    ++i;
  }
}

}  // namespace

std::optional<flat_body> parse_flat_body(std::string_view s) {
  flat_body out;
  std::string key, ignored;
  size_t i = 0;
  const size_t n = s.size();
  auto skip = [&] {
    while (i < n && ws(s[i])) ++i;
  };
  skip();
  if (i >= n || s[i] != '{') return std::nullopt;
  ++i;
  skip();
  if (i < n && s[i] == '}') {
    ++i;
  } else {
    for (;;) {
      if (!read_string(s, i, key)) return std::nullopt;
      skip();
      if (i >= n || s[i] != ':') return std::nullopt;
      ++i;
      skip();
      std::string* target = &ignored;
      bool* seen = nullptr;
      if (key == "reason")
        target = &out.reason, seen = &out.has_reason;
      else if (key == "by")
        target = &out.by, seen = &out.has_by;
      else if (key == "at")
        target = &out.at, seen = &out.has_at;
      if (!read_string(s, i, *target)) return std::nullopt;
      if (seen) *seen = true;
      skip();
      if (i < n && s[i] == ',') {
        ++i;
        skip();
        continue;
      }
      if (i < n && s[i] == '}') {
        ++i;
        break;
      }
      return std::nullopt;
    }
  }
  skip();
  if (i != n) return std::nullopt;
  return out;
}

}  // namespace vigil::codec
