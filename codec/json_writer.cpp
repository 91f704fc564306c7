// The hot-path JSON writer.
#include "codec/json_writer.hpp"

#include <charconv>
#include <cmath>

namespace vigil::codec {

/// The length of the valid UTF-8 sequence at the start of `s`, or 0 if there is none.
size_t utf8_sequence(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;  // overlong
    if (c == 0xed && b(1) > 0x9f) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xf4 && b(1) > 0x8f) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

void append_quoted(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      // Bytes that are not UTF-8 (a job's binary output, a tail cut mid-character) would make
      // the document unreadable, and an event that cannot be read stops a replay: U+FFFD.
      const size_t n = utf8_sequence(s.substr(i));
      if (n == 0) {
        out += "\\ufffd";
      } else {
        out.append(s.substr(i, n));
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void json_writer::separate() {
  if (need_comma_) out_ += ',';
  need_comma_ = true;
}

json_writer& json_writer::open(char c) {
  separate();
  out_ += c;
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::close(char c) {
  out_ += c;
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::key(std::string_view name) {
  separate();
  append_quoted(out_, name);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::value(std::string_view s) {
  separate();
  append_quoted(out_, s);
  return *this;
}

namespace {

template <class Number>
void append_number(std::string& out, Number n) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, res.ptr);
}

}  // namespace

json_writer& json_writer::value(uint64_t n) {
  separate();
  append_number(out_, n);
  return *this;
}

json_writer& json_writer::value(int64_t n) {
  separate();
  append_number(out_, n);
  return *this;
}

json_writer& json_writer::value(double d) {
  separate();
  if (std::isfinite(d))
    append_number(out_, d);
  else
    out_ += "null";
  return *this;
}

json_writer& json_writer::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

json_writer& json_writer::null() {
  separate();
  out_ += "null";
  return *this;
}

json_writer& json_writer::time(const std::optional<model::wall_time>& t) {
  return t ? value(model::format_rfc3339(*t)) : null();
}

json_writer& json_writer::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

std::string quote(std::string_view text) {
  std::string out;
  append_quoted(out, text);
  return out;
}

}  // namespace vigil::codec
