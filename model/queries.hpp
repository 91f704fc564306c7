// The reads the API makes of the state, as values: a page of jobs, a page of a job's runs. The
// scheduler selects them from the state it owns; http/ renders them (job cells are shared and
// copied on write, run records are copies, so nothing the scheduler changes later is seen).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "model/job_status.hpp"
#include "model/run.hpp"
#include "model/state.hpp"

namespace vigil::model {

/// A page of jobs by id.
struct job_page {
  std::vector<job_cell> jobs;
  uint64_t total = 0;               ///< every job defined
  std::optional<std::string> next;  ///< the cursor of the next page, if there is one
};

/// The jobs after `after` (exclusive) that `filter` selects and whose ids start with `prefix`,
/// at most `limit`. At most `max_examined` jobs are looked at, so that one request never walks
/// all of them on the scheduler's thread: a filtered page may be short (even empty) with `next`
/// set, the last id looked at.
job_page select_jobs(const state& s, const std::string& after, size_t limit,
                     job_filter filter = job_filter::all, size_t max_examined = 10'000,
                     const std::string& prefix = {});

/// A page of a job's runs, newest first.
struct run_page {
  std::vector<run_record> runs;
  std::optional<std::string> next;  ///< the run id to ask `before` for the next page
};

/// Runs of `j` before run `before` (exclusive; empty: from the newest), at most `limit`.
run_page select_runs(const state& s, const job_state& j, const std::string& before, size_t limit);

}  // namespace vigil::model
