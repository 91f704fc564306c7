// A minimal JSON writer for the hot paths (/health at tens of thousands of requests a second):
// appends to one string, no intermediate tree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/time.hpp"

namespace vigil::codec {

class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  /// Writes `"name":` (with a separating comma when needed).
  json_writer& key(std::string_view name);

  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  json_writer& value(const std::string& s) { return value(std::string_view{s}); }
  json_writer& value(uint64_t n);
  json_writer& value(int64_t n);
  json_writer& value(double d);  ///< null when not finite
  json_writer& value(bool b);
  json_writer& null();
  /// An RFC 3339 time, or null.
  json_writer& time(const std::optional<model::wall_time>& t);
  /// A whole number, or null.
  json_writer& number_or_null(const std::optional<int64_t>& n) { return n ? value(*n) : null(); }
  /// A string, or null when empty.
  json_writer& text_or_null(const std::string& s) { return s.empty() ? null() : value(s); }
  /// Pre-encoded JSON, inserted as one value.
  json_writer& raw(std::string_view json);

 private:
  json_writer& open(char c);
  json_writer& close(char c);
  void separate();

  std::string& out_;
  bool need_comma_ = false;
};

/// What `write(w)` writes to a new writer, as one string.
template <class Write>
std::string written(Write&& write) {
  std::string out;
  json_writer w{out};
  write(w);
  return out;
}

/// Appends `s` as a JSON string literal, quotes included. Bytes that are not UTF-8 become
/// U+FFFD, so the result always parses.
void append_quoted(std::string& out, std::string_view s);

/// Escapes a string for inclusion in a JSON document (with the quotes).
std::string quote(std::string_view text);

}  // namespace vigil::codec
