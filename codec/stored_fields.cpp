// The shared readers and writers of stored documents' fields.
#include "codec/stored_fields.hpp"

#include "codec/job_json_internal.hpp"

namespace vigil::codec {

using nlohmann::json;

void write_strings(json_writer& w, const std::vector<std::string>& v) {
  w.begin_array();
  for (const auto& s : v) w.value(s);
  w.end_array();
}

void write_containment(json_writer& w, const model::containment& c) {
  w.begin_object().key("cgroup").value(c.cgroup);
  w.key("pgid").value(static_cast<uint64_t>(c.pgid < 0 ? 0 : c.pgid));
  w.key("start_time").value(c.start_time).end_object();
}

bool get(const json& j, const char* k, std::string& out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool get(const json& j, const char* k, model::wall_time& out) {
  std::string s;
  if (!get(j, k, s)) return false;
  auto t = model::parse_rfc3339(s);
  if (!t) return false;
  out = *t;
  return true;
}

bool get(const json& j, const char* k, std::optional<model::wall_time>& out) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) {
    out.reset();
    return true;
  }
  model::wall_time t;
  if (!get(j, k, t)) return false;
  out = t;
  return true;
}

bool get(const json& j, const char* k, bool& out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_boolean()) return false;
  out = it->get<bool>();
  return true;
}

bool get_containment(const json& j, std::optional<model::containment>& out) {
  auto it = j.find("containment");
  if (it == j.end() || it->is_null()) {
    out.reset();
    return true;
  }
  model::containment c;
  if (!it->is_object() || !get(*it, "cgroup", c.cgroup) || !get_uint(*it, "pgid", c.pgid) ||
      !get_uint(*it, "start_time", c.start_time))
    return false;
  out = std::move(c);
  return true;
}

bool get(const json& j, const char* k, std::optional<int>& out) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) {
    out.reset();
    return true;
  }
  if (!it->is_number_integer()) return false;
  out = it->get<int>();
  return true;
}

bool get(const json& j, const char* k, std::vector<std::string>& out) {
  auto it = j.find(k);
  if (it == j.end()) {
    out.clear();
    return true;
  }
  if (!it->is_array()) return false;
  out.clear();
  for (const auto& x : *it) {
    if (!x.is_string()) return false;
    out.push_back(x.get<std::string>());
  }
  return true;
}

bool get_range(const json& r, std::pair<model::wall_time, model::wall_time>& out) {
  if (!r.is_array() || r.size() != 2 || !r[0].is_string() || !r[1].is_string()) return false;
  const auto first = model::parse_rfc3339(r[0].get<std::string>());
  const auto last = model::parse_rfc3339(r[1].get<std::string>());
  if (!first || !last || *last < *first) return false;
  out = {*first, *last};
  return true;
}

bool get_spec(const json& j, const char* k, std::shared_ptr<const model::job_spec>& out) {
  auto it = j.find(k);
  if (it == j.end()) return false;
  auto spec = decode_job_spec_value(*it, "/spec");
  if (!std::holds_alternative<model::job_spec>(spec)) return false;
  out = std::make_shared<const model::job_spec>(std::get<model::job_spec>(std::move(spec)));
  return true;
}

bool get_output(const json& j, std::shared_ptr<const std::string>& out) {
  std::string s;
  if (!get(j, "output", s)) return false;
  out = s.empty() ? nullptr : std::make_shared<const std::string>(std::move(s));
  return true;
}

int64_t get_ns(const json& j, const char* k, bool& ok) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number_integer()) {
    ok = false;
    return 0;
  }
  return it->get<int64_t>();
}

}  // namespace vigil::codec
