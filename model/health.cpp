// Turning a snapshot and its age into pass / warn / fail, check by check.
#include "model/health.hpp"

#include "model/duration.hpp"

#include <algorithm>

namespace vigil::model {
namespace {

health_check heartbeat_check(const health_input& in, const health_thresholds& th) {
  health_check c;
  c.name = "scheduler:heartbeat";
  c.observed_unit = "s";
  c.warn_threshold = to_seconds(th.heartbeat_warn_after());
  c.fail_threshold = to_seconds(th.heartbeat_fail_after());
  if (in.scheduler_down) {
    c.status = health_status::fail;
    c.output = "scheduler actor is gone";
    return c;
  }
  if (in.snap == nullptr) {
    // Never pass without a snapshot; a wedge only once the start-up grace is spent.
    c.status = in.uptime <= th.startup_grace ? health_status::warn : health_status::fail;
    c.output = "no snapshot yet";
    return c;
  }
  c.observed_value = to_seconds(in.age);
  if (in.age <= th.heartbeat_warn_after()) {
    c.status = health_status::pass;
  } else if (in.age <= th.heartbeat_fail_after()) {
    c.status = health_status::warn;
    c.output = "heartbeat is late";
  } else {
    c.status = health_status::fail;
    c.output = "heartbeat is stale: the scheduling loop is not progressing";
  }
  return c;
}

health_check progress_check(const health_input& in, const health_thresholds& th) {
  health_check c;
  c.name = "scheduler:progress";
  c.observed_unit = "consecutive_failures";
  c.warn_threshold = 1;
  c.fail_threshold = th.max_consecutive_failures;
  if (in.snap == nullptr) {
    c.status = health_status::fail;
    c.output = "no snapshot yet";
    return c;
  }
  const uint32_t failures = in.snap->cycles.consecutive_failures;
  c.observed_value = failures;
  if (failures == 0) {
    c.status = health_status::pass;
  } else if (failures < th.max_consecutive_failures) {
    c.status = health_status::warn;
    c.output = "last cycle failed: " + in.snap->cycles.last_error;
  } else {
    c.status = health_status::fail;
    c.output =
        std::to_string(failures) + " consecutive cycles failed: " + in.snap->cycles.last_error;
  }
  return c;
}

health_check state_check(const health_input& in, const health_thresholds& th) {
  health_check c;
  c.name = "scheduler:state";
  c.observed_unit = "state";
  c.observed_text = in.snap ? to_string(in.snap->status) : "none";
  if (in.snap == nullptr) {
    c.status = health_status::fail;
    c.output = "no snapshot yet";
    return c;
  }
  if (in.shutting_down) {
    c.status = health_status::fail;
    c.output = "shutting down";
    return c;
  }
  switch (in.snap->status) {
    case scheduler_status::running:
      c.status = health_status::pass;
      break;
    case scheduler_status::paused:
      c.status = health_status::warn;
      c.output = "paused by operator";
      if (!in.snap->pause_reason.empty()) c.output += ": " + in.snap->pause_reason;
      break;
    case scheduler_status::starting:
      c.status = in.uptime <= th.startup_grace ? health_status::warn : health_status::fail;
      c.output = in.uptime <= th.startup_grace ? "starting" : "still starting after the grace";
      break;
    case scheduler_status::draining:
    case scheduler_status::stopped:
      c.status = health_status::fail;
      c.output = to_string(in.snap->status);
      break;
  }
  return c;
}

/// A log that cannot write refuses every command: fail, and not ready, but alive.
health_check journal_check(const health_input& in) {
  health_check c;
  c.name = "journal:writable";
  c.observed_unit = "state";
  if (in.snap == nullptr) {
    c.status = health_status::fail;
    c.observed_text = "unknown";
    c.output = "no snapshot yet";
    return c;
  }
  c.observed_text = in.snap->journal.ok ? "writable" : "failing";
  c.status = in.snap->journal.ok ? health_status::pass : health_status::fail;
  if (!in.snap->journal.ok) c.output = "event log refuses writes: " + in.snap->journal.error;
  return c;
}

/// A job whose nominal time passed beyond its grace with nothing decided: the loop is not
/// keeping up (or cannot log its decisions). A missed run nobody decided is the lie to catch.
health_check overdue_check(const health_input& in) {
  health_check c;
  c.name = "jobs:overdue";
  c.observed_unit = "jobs";
  c.fail_threshold = 1;
  if (in.snap == nullptr) {
    c.status = health_status::fail;
    c.output = "no snapshot yet";
    return c;
  }
  c.observed_value = static_cast<double>(in.snap->jobs.overdue);
  if (in.snap->jobs.overdue == 0) {
    c.status = health_status::pass;
  } else {
    c.status = health_status::fail;
    c.output = std::to_string(in.snap->jobs.overdue) +
               " job(s) due beyond their grace with no decision recorded";
  }
  return c;
}

/// On a shared log: whether the store answers and some node holds the lease. A follower that
/// has not seen the lease row change for three TTLs follows nobody (a failover takes one).
health_check cluster_check(const snapshot& snap) {
  const auto& cl = snap.cluster;
  health_check c;
  c.name = "cluster:leader";
  c.observed_unit = "seconds";
  c.observed_value = to_seconds(cl.leader_silent_for);
  c.fail_threshold = to_seconds(3 * cl.lease_ttl);
  c.status = health_status::pass;
  if (!cl.store_reachable) {
    c.status = health_status::fail;
    c.output = "store unreachable: " + cl.store_error;
  } else if (cl.role == cluster_role::leader) {
    c.observed_value = 0;
  } else if (cl.leader_node.empty()) {
    c.status = health_status::fail;
    c.output = "no leader: no node has taken the lease";
  } else if (cl.leader_silent_for >= 3 * cl.lease_ttl) {
    c.status = health_status::fail;
    c.output = "no leader: the lease (held by " + cl.leader_node + ", term " +
               std::to_string(cl.term) + ") has not been renewed for " +
               format_duration(
                   std::chrono::duration_cast<std::chrono::milliseconds>(cl.leader_silent_for));
  }
  return c;
}

}  // namespace

const char* to_string(health_status s) {
  switch (s) {
    case health_status::pass:
      return "pass";
    case health_status::warn:
      return "warn";
    case health_status::fail:
      break;
  }
  return "fail";
}

verdict judge(const health_input& in, const health_thresholds& th) {
  verdict v;
  v.checks = {heartbeat_check(in, th), progress_check(in, th), state_check(in, th),
              journal_check(in), overdue_check(in)};
  const bool clustered = in.snap != nullptr && in.snap->cluster.enabled;
  if (clustered) v.checks.push_back(cluster_check(*in.snap));
  v.status = health_status::pass;
  for (const auto& c : v.checks) v.status = std::max(v.status, c.status);
  // Liveness is the heartbeat alone: pause, drain and dependencies never kill a pod.
  // Readiness is about taking traffic: a slow cycle or overdue jobs fail /health, not it; a
  // follower with no leader still serves reads, one whose store does not answer does not.
  const bool up = in.snap != nullptr && (in.snap->status == scheduler_status::running ||
                                         in.snap->status == scheduler_status::paused);
  for (auto& c : v.checks) {
    const bool failed = c.status == health_status::fail;
    c.in_livez = c.name == "scheduler:heartbeat";
    c.in_readyz = c.name != "scheduler:progress" && c.name != "jobs:overdue";
    if (c.name == "cluster:leader") {
      c.blocks_ready = !in.snap->cluster.store_reachable;
    } else if (c.name == "scheduler:state") {
      // `starting` warns in /health but is not ready.
      c.blocks_ready = failed || !up;
      if (!failed && !up) c.ready_output = "not running yet: " + c.observed_text;
    } else {
      c.blocks_ready = c.in_readyz && failed;
    }
  }
  v.live = std::none_of(v.checks.begin(), v.checks.end(), [](const health_check& c) {
    return c.in_livez && c.status == health_status::fail;
  });
  v.ready = std::none_of(v.checks.begin(), v.checks.end(),
                         [](const health_check& c) { return c.in_readyz && c.blocks_ready; });
  return v;
}

}  // namespace vigil::model
