// The immutable snapshot: every field from one moment, published whole, never changed after.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "model/cluster.hpp"
#include "model/histogram.hpp"
#include "model/state.hpp"
#include "model/time.hpp"

namespace vigil::model {

/// Who published a snapshot: stable node name plus a random id per process start.
struct identity {
  std::string node;
  std::string epoch;
};

/// How long finished attempts ran (this process only, like cycle_stats).
using run_durations = histogram;

/// Jobs and runs in a few numbers, all kept up to date on apply: O(1) per snapshot however many
/// jobs exist (only the overdue scan looks at the timetable, and only at its late head).
struct jobs_summary {
  uint64_t total = 0;
  uint64_t paused = 0;
  uint64_t disabled = 0;
  uint64_t runs_starting = 0;
  uint64_t runs_running = 0;
  uint64_t runs_buffered = 0;
  uint64_t runs_retry_wait = 0;
  job_counters totals;   ///< decisions by kind, attempts by outcome, retries
  uint64_t overdue = 0;  ///< due beyond grace with no decision (counted up to a cap)
  std::optional<wall_time> next_due;
  run_durations durations = run_duration_histogram();
};

struct snapshot {
  std::string node;
  std::string epoch;
  uint64_t version = 0;      ///< +1 on every publish, strictly increasing within an epoch
  uint64_t log_seq = 0;      ///< last durable event applied
  wall_time last_updated{};  ///< when this snapshot was taken (reported, never judged)
  wall_time started_at{};    ///< when this process started
  scheduler_status status = scheduler_status::starting;
  duration tick_interval{};
  cycle_stats cycles;
  std::optional<wall_time> paused_since;
  std::string pause_reason;
  std::string paused_by;
  journal_status journal;
  jobs_summary jobs;
  cluster_status cluster;  ///< enabled only on a shared (PostgreSQL) log
};

using snapshot_ptr = std::shared_ptr<const snapshot>;

/// Builds the next snapshot from the scheduler's parts at `now`.
snapshot_ptr make_snapshot(const identity& id, uint64_t version, phase p, const state& s,
                           const cycle_stats& cycles, const journal_status& journal,
                           duration tick_interval, wall_time started_at, wall_time now,
                           uint64_t overdue = 0,
                           const run_durations& durations = run_duration_histogram(),
                           const cluster_status& cluster = {});

}  // namespace vigil::model
