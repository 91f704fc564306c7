// Pages of jobs and runs, selected from the state.
#include "model/queries.hpp"

#include <algorithm>
#include <iterator>

namespace vigil::model {

job_page select_jobs(const state& s, const std::string& after, size_t limit, job_filter filter,
                     size_t max_examined, const std::string& prefix) {
  job_page page;
  page.total = s.jobs.size();
  // Ids are ordered, so the jobs with a prefix are one range: from the prefix (or the cursor,
  // when later) to the first id without it.
  auto it =
      after.empty() || after < prefix ? s.jobs.lower_bound(prefix) : s.jobs.upper_bound(after);
  auto in_range = [&](decltype(it) i) {
    return i != s.jobs.end() && i->first.compare(0, prefix.size(), prefix) == 0;
  };
  size_t examined = 0;
  for (; in_range(it) && page.jobs.size() < limit && examined < max_examined; ++it, ++examined)
    if (matches(s, it->second, filter)) page.jobs.push_back(it->second);
  if (in_range(it) && examined > 0) page.next = std::prev(it)->first;
  return page;
}

run_page select_runs(const state& s, const job_state& j, const std::string& before, size_t limit) {
  run_page page;
  auto it = j.runs.rbegin();
  if (!before.empty()) {
    it = std::find(j.runs.rbegin(), j.runs.rend(), before);
    if (it != j.runs.rend()) ++it;
  }
  std::string last;
  for (; it != j.runs.rend() && page.runs.size() < limit; ++it) {
    auto r = s.runs.find(*it);
    if (r == s.runs.end()) continue;
    page.runs.push_back(r->second);
    last = *it;
  }
  if (it != j.runs.rend() && !last.empty()) page.next = last;
  return page;
}

}  // namespace vigil::model
