// Readers and writers of the fields that stored documents share (event bodies and
// checkpoints): codec/*.cpp only, as they expose nlohmann/json. Every field is checked and
// nothing throws: a reader answers false and the document is refused.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "codec/json_writer.hpp"
#include "model/job.hpp"
#include "model/run.hpp"
#include "model/time.hpp"

namespace vigil::codec {

void write_strings(json_writer& w, const std::vector<std::string>& v);
void write_containment(json_writer& w, const model::containment& c);

/// A string member.
bool get(const nlohmann::json& j, const char* k, std::string& out);
/// An RFC 3339 time.
bool get(const nlohmann::json& j, const char* k, model::wall_time& out);
/// An RFC 3339 time, or nothing when absent or null.
bool get(const nlohmann::json& j, const char* k, std::optional<model::wall_time>& out);
bool get(const nlohmann::json& j, const char* k, bool& out);
/// An integer, or nothing when absent or null.
bool get(const nlohmann::json& j, const char* k, std::optional<int>& out);
/// An array of strings; empty when absent.
bool get(const nlohmann::json& j, const char* k, std::vector<std::string>& out);

/// An unsigned number, narrowed to `N`.
template <class N>
bool get_uint(const nlohmann::json& j, const char* k, N& out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number_unsigned()) return false;
  out = static_cast<N>(it->get<uint64_t>());
  return true;
}

/// Optional: bodies and checkpoints from before containment was recorded have none.
bool get_containment(const nlohmann::json& j, std::optional<model::containment>& out);
/// A [first, last] pair of times, first not after last.
bool get_range(const nlohmann::json& r, std::pair<model::wall_time, model::wall_time>& out);
/// A job definition as the log holds it (decode_job_spec_value under "/spec").
bool get_spec(const nlohmann::json& j, const char* k, std::shared_ptr<const model::job_spec>& out);
/// A run's output tail; an empty one is no tail.
bool get_output(const nlohmann::json& j, std::shared_ptr<const std::string>& out);
/// A duration in nanoseconds; clears `ok` when absent or not an integer.
int64_t get_ns(const nlohmann::json& j, const char* k, bool& ok);

}  // namespace vigil::codec
