// What the scheduler does after events are durable, decided purely: the orders the runner gets
// (starts and cancels) and whether a checkpoint is due. The scheduler actor only sends them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "model/events.hpp"
#include "model/job.hpp"
#include "model/state.hpp"
#include "model/time.hpp"

namespace vigil::model {

/// A run to start: everything the runner needs, copied out of the job's definition.
struct run_order {
  std::string run_id;
  std::string job;
  uint32_t attempt = 1;
  wall_time nominal{};
  command_spec command;
  duration timeout{0};
  duration kill_grace{std::chrono::seconds(10)};
  size_t output_limit = 64 * 1024;
};

/// A run to stop (a cancel_other decision, or its job removed).
struct cancel_order {
  std::string run_id;
};

using order = std::variant<run_order, cancel_order>;

/// The orders `events`, just made durable and applied to `durable`, ask for, in event order:
/// a cancel for every run a decision or a removal cancels, then a start for a fired decision's
/// run or a dispatched run, if that run is still `starting` in `durable` (a run cancelled or
/// finished by a later event of the same batch gets none) and its job still exists.
std::vector<order> orders_for(const state& durable, const std::vector<event>& events);

/// When to checkpoint: every `every` events or `interval` of time with new events, whichever
/// comes first (0 turns either off). With many jobs a checkpoint is big (copying, encoding and
/// writing 100k jobs takes seconds of the journal's time), so the count grows with the jobs
/// (at least 4 events per job) and the interval by one interval per 10,000 jobs: the cost stays
/// O(1) per event.
struct checkpoint_policy {
  uint64_t every = 1000;
  duration interval = std::chrono::seconds{60};
};

/// Whether a checkpoint is due with `fresh` events since the last one, taken `since` ago, and
/// `jobs` jobs in the state. Never with no fresh event.
bool checkpoint_due(const checkpoint_policy& p, uint64_t fresh, size_t jobs, duration since);

}  // namespace vigil::model
