// Round-robin retention over jobs: count and age limits on finished runs, a count limit on
// decision records.
#include "model/retention.hpp"

#include "model/planner.hpp"

namespace vigil::model {
namespace {

/// What one job would drop now; empty when it is within the policy.
runs_compacted compaction_for(const state& s, const std::string& id, const job_state& j,
                              wall_time now, const retention_policy& p) {
  runs_compacted c;
  c.job = id;
  c.at = now;
  size_t finished = 0;
  for (const auto& run_id : j.runs) {
    auto r = s.runs.find(run_id);
    if (r != s.runs.end() && is_final(r->second.status)) ++finished;
  }
  size_t over = finished > p.runs_per_job ? finished - p.runs_per_job : 0;
  for (const auto& run_id : j.runs) {  // oldest first
    auto r = s.runs.find(run_id);
    if (r == s.runs.end() || !is_final(r->second.status)) continue;
    const bool too_old =
        p.max_age.count() > 0 && r->second.finished_at && now - *r->second.finished_at > p.max_age;
    if (over > 0 || too_old) {
      c.run_ids.push_back(run_id);
      if (over > 0) --over;
    }
  }
  if (j.decisions.size() > p.decisions_per_job)
    c.decisions_dropped = j.decisions.size() - p.decisions_per_job;
  return c;
}

}  // namespace

std::vector<event> plan_retention(state& s, wall_time now, const retention_policy& p,
                                  std::string& cursor) {
  now = wall_time{std::chrono::floor<std::chrono::milliseconds>(now)};
  std::vector<event> out;
  if (s.jobs.empty()) return out;
  auto it = s.jobs.upper_bound(cursor);
  for (size_t seen = 0; seen < std::min(p.jobs_per_cycle, s.jobs.size()); ++seen) {
    if (it == s.jobs.end()) it = s.jobs.begin();
    const std::string id = it->first;
    auto c = compaction_for(s, id, it->second, now, p);
    cursor = id;
    ++it;
    if (c.run_ids.empty() && c.decisions_dropped == 0) continue;
    event e = std::move(c);
    apply_in_place(s, e);  // erases runs only: `it` (a map iterator to another job) stays valid
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vigil::model
