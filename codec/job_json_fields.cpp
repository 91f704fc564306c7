// The strict member reader behind the job definition codec.
#include "codec/job_json_fields.hpp"

#include <algorithm>
#include <vector>

#include "model/duration.hpp"

namespace vigil::codec {
namespace {

using nlohmann::json;

/// Levenshtein distance, for "did you mean" on misspelled member names (names are short).
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string child_pointer(std::string_view base, std::string_view name) {
  std::string out(base);
  out += '/';
  for (const char ch : name) {
    if (ch == '~')
      out += "~0";
    else if (ch == '/')
      out += "~1";
    else
      out += ch;
  }
  return out;
}

std::optional<std::string> text_problem(const json& v, size_t max_bytes) {
  if (!v.is_string()) return "must be a string";
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > max_bytes) return "must be at most " + std::to_string(max_bytes) + " bytes";
  if (s.find('\0') != std::string::npos) return "must not contain NUL characters";
  return std::nullopt;
}

void field_reader::only(std::initializer_list<std::string_view> known) {
  if (!ok()) return;
  for (const auto& [name, value] : object_.items()) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string detail = "unknown field";
    for (const auto k : known) {
      // Names up to 64 bytes only: the distance is quadratic and a long name is no typo.
      if (name.size() <= 64 && edit_distance(name, k) <= 2) {
        detail += "; did you mean '" + std::string(k) + "'?";
        break;
      }
    }
    fail(pointer(name), std::move(detail));
    return;
  }
}

void field_reader::fail(std::string field, std::string detail) {
  if (ok())
    error_ = model::rejection{model::errc::invalid_argument, std::move(detail), std::move(field)};
}

const json* field_reader::find(std::string_view name) const {
  if (!ok()) return nullptr;
  const auto it = object_.find(name);
  return it == object_.end() ? nullptr : &*it;
}

void field_reader::require(std::string_view name) {
  if (ok() && !object_.contains(name)) fail(pointer(name), "is required");
}

void field_reader::text(std::string_view name, size_t max_bytes, std::string& out) {
  const auto* v = find(name);
  if (!v) return;
  if (auto problem = text_problem(*v, max_bytes)) return fail(pointer(name), std::move(*problem));
  out = v->get<std::string>();
}

void field_reader::flag(std::string_view name, bool& out) {
  const auto* v = find(name);
  if (!v) return;
  if (!v->is_boolean()) return fail(pointer(name), "must be a boolean");
  out = v->get<bool>();
}

void field_reader::whole(std::string_view name, uint64_t min, uint64_t max, uint64_t& out) {
  const auto* v = find(name);
  if (!v) return;
  const std::string range =
      "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!v->is_number_integer()) return fail(pointer(name), range);
  // nlohmann keeps non-negative integers unsigned; a signed one here is negative.
  if (!v->is_number_unsigned()) return fail(pointer(name), range);
  const auto n = v->get<uint64_t>();
  if (n < min || n > max) return fail(pointer(name), range);
  out = n;
}

void field_reader::real(std::string_view name, double min, double max, double& out) {
  const auto* v = find(name);
  if (!v) return;
  if (!v->is_number()) return fail(pointer(name), "must be a number");
  const auto d = v->get<double>();
  if (!(d >= min && d <= max)) {
    return fail(pointer(name),
                "must be a number from " + json(min).dump() + " to " + json(max).dump());
  }
  out = d == 0 ? 0.0 : d;  // no negative zero: it would encode as "-0"
}

void field_reader::span(std::string_view name, model::duration max, model::duration& out) {
  const auto* v = find(name);
  if (!v) return;
  if (!v->is_string()) return fail(pointer(name), "must be a duration string like \"30s\"");
  const auto& s = v->get_ref<const std::string&>();
  if (!s.empty() && s.front() == '-') return fail(pointer(name), "must not be negative");
  const auto d = model::parse_duration(s);
  if (!d) {
    return fail(pointer(name),
                "must be a number with a unit (ns, us, ms, s, m, h), like \"30s\" or \"1.5m\"");
  }
  if (*d > max) return fail(pointer(name), "must be at most " + model::format_duration(max));
  out = *d;
}

std::optional<field_reader> field_reader::object(std::string_view name) {
  const auto* v = find(name);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    fail(pointer(name), "must be an object");
    return std::nullopt;
  }
  return field_reader(*v, pointer(name), error_);
}

}  // namespace vigil::codec
