// Block mappings and sequences, plain scalars only where no YAML 1.1 or 1.2 reader can take
// them for a number, a boolean, a null, a time or an indicator; JSON's quoting otherwise (a JSON
// string is a valid YAML double-quoted scalar).
#include "app/yaml.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace vigil::app {
namespace {

using json = nlohmann::json;

bool reserved_word(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::array<const char*, 11> words = {"true", "false", "yes", "no", "on", "off",
                                                    "null", "y",     "n",   "~",  "nan"};
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return s == w; });
}

/// A string that reads back as itself without quotes: starts with a letter, then letters,
/// digits, `_ . / @ + -` and single inner spaces.
bool plain_ok(const std::string& s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front())) || reserved_word(s))
    return false;
  if (s.back() == ' ') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '@' || c == '+' || c == '-')
      continue;
    if (c == ' ' && s[i - 1] != ' ') continue;
    return false;
  }
  return true;
}

std::string scalar(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return plain_ok(s) ? s : v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (v.is_object()) return "{}";  // only empty ones get here
  if (v.is_array()) return "[]";
  std::string text = v.dump();  // null, true, false and numbers are the same in both
  // YAML 1.1 readers (PyYAML) take 1e-05 for a string: a float needs its dot.
  if (v.is_number_float() && text.find('.') == std::string::npos) {
    const size_t e = text.find_first_of("eE");
    text.insert(e == std::string::npos ? text.size() : e, ".0");
  }
  return text;
}

bool nested(const json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

void block(std::string& out, const json& v, size_t indent);

/// A nested value after "key:" or "-": on the next lines, or (a sequence item's mapping or
/// sequence) starting on the same line.
void item(std::string& out, const json& v, size_t indent, bool same_line) {
  if (!nested(v)) {
    out += " " + scalar(v) + "\n";
    return;
  }
  if (!same_line) {
    out += "\n";
    block(out, v, indent);
    return;
  }
  std::string inner;
  block(inner, v, indent);
  out += " " + inner.substr(indent);
}

void block(std::string& out, const json& v, size_t indent) {
  const std::string pad(indent, ' ');
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      out += pad + scalar(json(key)) + ":";
      item(out, value, indent + 2, false);
    }
    return;
  }
  for (const auto& value : v) {
    out += pad + "-";
    item(out, value, indent + 2, true);
  }
}

}  // namespace

std::string to_yaml(const json& value) {
  if (!nested(value)) return scalar(value) + "\n";
  std::string out;
  block(out, value, 0);
  return out;
}

}  // namespace vigil::app
