// Building a snapshot from the scheduler's state in one step.
#include "model/snapshot.hpp"

namespace vigil::model {

snapshot_ptr make_snapshot(const identity& id, uint64_t version, phase p, const state& s,
                           const cycle_stats& cycles, const journal_status& journal,
                           duration tick_interval, wall_time started_at, wall_time now,
                           uint64_t overdue, const run_durations& durations,
                           const cluster_status& cluster) {
  auto snap = std::make_shared<snapshot>();
  snap->node = id.node;
  snap->epoch = id.epoch;
  snap->version = version;
  snap->log_seq = s.log_seq;
  snap->last_updated = now;
  snap->started_at = started_at;
  snap->status = status_of(p, s);
  snap->tick_interval = tick_interval;
  snap->cycles = cycles;
  snap->paused_since = s.paused_since;
  snap->pause_reason = s.pause_reason;
  snap->paused_by = s.paused_by;
  snap->journal = journal;
  snap->cluster = cluster;
  auto& j = snap->jobs;
  j.total = s.jobs.size();
  j.paused = s.jobs_paused;
  j.disabled = s.jobs_disabled;
  j.runs_starting = s.runs_starting;
  j.runs_running = s.runs_running;
  j.runs_buffered = s.runs_buffered;
  j.runs_retry_wait = s.runs_retry_wait;
  j.totals = s.totals;
  j.overdue = overdue;
  j.durations = durations;
  if (!s.paused && !s.timetable.empty()) j.next_due = s.timetable.begin()->first;
  return snap;
}

}  // namespace vigil::model
