// What the job routes answer: views of jobs, runs and decisions, rendered by http/ from the
// values the scheduler answers with (model/queries.hpp: shared job cells, copied runs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codec/json_writer.hpp"
#include "model/commands.hpp"
#include "model/job_status.hpp"
#include "model/jobs.hpp"
#include "model/planner.hpp"
#include "model/queries.hpp"
#include "model/state.hpp"

namespace vigil::codec {

/// The counters' members ("decisions", "outcomes", "retries") inside an object being written:
/// the same shape in a job's view and in the snapshot's "jobs".
void write_counter_members(json_writer& w, const model::job_counters& c);

/// One job: its definition, where it is, what it did (counters), its next due time.
std::string render_job(const model::job_state& j);
/// A page of jobs: {"jobs": [...], "total": n, "next": id|null}, summaries or (`full`) whole
/// jobs; `total` counts every job defined.
std::string render_job_page(const model::job_page& page, bool full = false);
/// The answer to POST/PUT of a job: its view (as it is, or as it would be on a dry run) with
/// "warnings" (never absent) and "dry_run".
std::string render_define_answer(std::string job_view,
                                 const std::vector<model::definition_warning>& warnings,
                                 bool dry_run);
/// A run; with its output tail when `with_output`. A running run's duration is its time so far
/// at `now` (the moment of the answer, not of any event).
std::string render_run(const model::run_record& r, bool with_output, model::wall_time now);
/// A page of a job's runs: {"runs": [...], "next": run id|null}.
std::string render_run_page(const model::run_page& page, model::wall_time now);
/// A page of a job's decisions, newest first, with seq < before (0: from the newest).
std::string render_decisions(const model::job_state& j, uint64_t before, size_t limit);
/// A job's next nominal times (model::next_nominals), in the job's zone.
std::string render_next(const model::job_state& j, const std::vector<model::wall_time>& fires);
/// The answer to a manual run: the decision and, when it fired or buffered, the run id.
std::string render_decision(const model::fire_decided& d);
/// The answer to a backfill: the decisions it made (`events`, none on a repeat) and how many of
/// the range's `nominal_times` were decided or owed already.
std::string render_backfill(const model::backfill_job& b, size_t nominal_times,
                            const std::vector<model::event>& events);

}  // namespace vigil::codec
