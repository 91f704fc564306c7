// Names of the job policies and the shape of a job id.
#include "model/job.hpp"

namespace vigil::model {

const char* to_string(overlap_policy p) {
  switch (p) {
    case overlap_policy::skip:
      return "skip";
    case overlap_policy::buffer_one:
      return "buffer_one";
    case overlap_policy::buffer_all:
      return "buffer_all";
    case overlap_policy::cancel_other:
      return "cancel_other";
    case overlap_policy::allow:
      return "allow";
  }
  return "skip";
}

const char* to_string(catchup_policy p) {
  switch (p) {
    case catchup_policy::none:
      return "none";
    case catchup_policy::latest:
      return "latest";
    case catchup_policy::all:
      return "all";
  }
  return "none";
}

std::optional<overlap_policy> parse_overlap_policy(std::string_view text) {
  for (const auto p : {overlap_policy::skip, overlap_policy::buffer_one, overlap_policy::buffer_all,
                       overlap_policy::cancel_other, overlap_policy::allow}) {
    if (text == to_string(p)) return p;
  }
  return std::nullopt;
}

std::optional<catchup_policy> parse_catchup_policy(std::string_view text) {
  for (const auto p : {catchup_policy::none, catchup_policy::latest, catchup_policy::all}) {
    if (text == to_string(p)) return p;
  }
  return std::nullopt;
}

const char* to_string(orphan_policy p) { return p == orphan_policy::wait ? "wait" : "kill"; }

std::optional<orphan_policy> parse_orphan_policy(std::string_view text) {
  for (const auto p : {orphan_policy::wait, orphan_policy::kill}) {
    if (text == to_string(p)) return p;
  }
  return std::nullopt;
}

bool valid_job_id(std::string_view id) {
  if (id.empty() || id.size() > job_limits::max_id_bytes || id.front() == '.') return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace vigil::model
