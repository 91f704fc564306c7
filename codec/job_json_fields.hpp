// A strict reader of one JSON object's members (codec-internal): unknown members, wrong types and
// values out of range become one rejection naming the member by JSON pointer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/rejection.hpp"
#include "model/time.hpp"

namespace vigil::codec {

/// `base` + "/" + `name`, with `name` escaped per RFC 6901 ("~" -> "~0", "/" -> "~1").
std::string child_pointer(std::string_view base, std::string_view name);

/// Nothing when `v` is a string of at most `max_bytes` bytes without NUL (argv and environments
/// cannot carry one); otherwise why not.
std::optional<std::string> text_problem(const nlohmann::json& v, size_t max_bytes);

/// Reads members of one object. The first failure wins and later reads do nothing, so a decoder
/// reads straight down and looks at the error once. Absent members leave `out` untouched (the
/// default); null is a wrong type like any other.
class field_reader {
 public:
  /// `error` is shared with the readers of nested objects.
  field_reader(const nlohmann::json& object, std::string pointer,
               std::optional<model::rejection>& error)
      : object_(object), pointer_(std::move(pointer)), error_(error) {}

  /// Fails on the first member whose name is not in `known` (suggesting a near miss).
  void only(std::initializer_list<std::string_view> known);

  bool ok() const { return !error_.has_value(); }
  const std::string& pointer() const { return pointer_; }
  std::string pointer(std::string_view name) const { return child_pointer(pointer_, name); }
  /// Records a failure at `field` unless one is already recorded.
  void fail(std::string field, std::string detail);
  /// The member, or nullptr when absent or after a failure.
  const nlohmann::json* find(std::string_view name) const;
  /// Fails when the member is absent.
  void require(std::string_view name);

  void text(std::string_view name, size_t max_bytes, std::string& out);
  void flag(std::string_view name, bool& out);
  void whole(std::string_view name, uint64_t min, uint64_t max, uint64_t& out);
  void real(std::string_view name, double min, double max, double& out);
  /// A duration string (parse_duration), at most `max`.
  void span(std::string_view name, model::duration max, model::duration& out);
  /// A string naming one of an enum's values.
  template <class E>
  void choice(std::string_view name, std::optional<E> (*parse)(std::string_view),
              const char* allowed, E& out) {
    const auto* v = find(name);
    if (!v) return;
    const auto value = v->is_string() ? parse(v->get_ref<const std::string&>()) : std::nullopt;
    if (value)
      out = *value;
    else
      fail(pointer(name), std::string("must be one of ") + allowed);
  }
  /// A reader of the member object, or nothing when absent (or not an object: then it fails).
  std::optional<field_reader> object(std::string_view name);

 private:
  const nlohmann::json& object_;
  std::string pointer_;
  std::optional<model::rejection>& error_;
};

}  // namespace vigil::codec
