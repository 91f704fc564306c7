// Run orders -> processes -> started/finished messages. The supervisor does the waiting on its
// own thread; this actor only hands orders over, so it never blocks either (except drain, which
// waits on a helper thread and answers through a promise).
#include "actors/runner.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "exec/containment.hpp"
#include "exec/process.hpp"
#include "model/duration.hpp"
#include "model/run.hpp"

namespace vigil::actors {

model::run_finished to_run_finished(const exec::process_result& r) {
  model::run_finished f;
  f.run_id = r.run_id;
  if (r.orphan) {  // a previous daemon's run: how it ended is unknown
    f.outcome = model::run_outcome::abandoned;
    f.error = r.error;
    f.elapsed = r.duration;
    f.at = r.finished_at;
    return f;
  }
  switch (r.outcome) {
    case exec::process_outcome::exited:
      f.outcome = r.exit_code == 0 ? model::run_outcome::succeeded : model::run_outcome::failed;
      break;
    case exec::process_outcome::signaled:
      f.outcome = model::run_outcome::failed;
      break;
    case exec::process_outcome::timed_out:
      f.outcome = model::run_outcome::timed_out;
      break;
    case exec::process_outcome::cancelled:
      f.outcome = model::run_outcome::cancelled;
      break;
    case exec::process_outcome::failed_to_start:
      f.outcome = model::run_outcome::failed_to_start;
      break;
  }
  f.exit_code = r.exit_code;
  f.signal = r.signal;
  f.elapsed = r.duration;
  if (!r.output.empty()) f.output = std::make_shared<const std::string>(r.output);
  f.truncated = r.truncated;
  f.output_bytes = r.output_bytes;
  f.error = r.error;
  f.at = r.finished_at;
  return f;
}

namespace {

/// Shared with the supervisor's callbacks: who to report to, and what is still running.
struct reporting {
  std::mutex mu;
  caf::strong_actor_ptr report_to;
  std::set<std::string> live;
};

struct runner_state {
  runner_config cfg;
  std::shared_ptr<reporting> rep = std::make_shared<reporting>();
  std::shared_ptr<exec::process_supervisor> sup;
  bool draining = false;
  std::vector<caf::typed_response_promise<caf::ok_atom>> drain_waiters;
  bool drained = false;
  static inline const char* name = "runner";
};

using runner_pointer = runner_actor::stateful_pointer<runner_state>;

scheduler_actor target(reporting& rep) {
  std::lock_guard<std::mutex> lock{rep.mu};
  return caf::actor_cast<scheduler_actor>(rep.report_to);
}

std::string describe(const model::containment& c) {
  if (!c.cgroup.empty()) return "cgroup " + c.cgroup;
  return "process group " + std::to_string(c.pgid);
}

/// Hands each orphan that still lives to the supervisor; the others are abandoned by the
/// scheduler at once. Either way one warn line says what is done.
std::vector<std::string> adopt_orphans(runner_pointer self, const std::vector<orphan_order>& os) {
  auto& st = self->state;
  auto warn = [&](const std::string& line) {
    if (st.cfg.warn) st.cfg.warn(line);
  };
  {
    std::lock_guard<std::mutex> lock{st.rep->mu};
    if (!st.rep->report_to) st.rep->report_to = self->current_sender();
  }
  std::vector<std::string> alive;
  for (const auto& o : os) {
    const std::string who =
        "run " + o.run_id + " of job " + std::string(model::job_of_run(o.run_id));
    std::optional<model::containment> c = o.contained;
    // A run not yet logged as started may have started all the same: its cgroup path is known.
    if (!c && !st.cfg.containment_root.empty())
      c = model::containment{exec::run_cgroup_path(st.cfg.containment_root, o.run_id, o.attempt), 0,
                             0};
    exec::orphan_request r;
    r.run_id = o.run_id;
    r.policy = o.policy.value_or(st.cfg.orphans);
    r.timeout = o.timeout;
    r.kill_grace = o.kill_grace;
    if (c) r.contained = *c;
    if (!c || !st.sup->adopt(r)) {
      warn(who + " was " + o.status + " when the previous daemon stopped" +
           (c ? "; nothing of it runs now (" + describe(*c) + ")"
              : "; its processes cannot be looked for (no containment recorded)") +
           ": abandoned");
      continue;
    }
    {
      std::lock_guard<std::mutex> lock{st.rep->mu};
      st.rep->live.insert(o.run_id);
    }
    alive.push_back(o.run_id);
    warn(who + " outlived the previous daemon (" + describe(*c) + "): " +
         (r.policy == model::orphan_policy::wait
              ? std::string{"waiting for it to end (orphans = wait)"}
              : "stopping it, KILL after " + model::format_duration(r.kill_grace) +
                    " (orphans = kill)") +
         "; it stays active until then, then it is abandoned");
  }
  return alive;
}

runner_actor::behavior_type runner(runner_pointer self, runner_config cfg) {
  self->state.cfg = cfg;
  auto rep = self->state.rep;
  exec::process_supervisor::callbacks cb;
  cb.started = [rep](const std::string& run_id, int pid, model::wall_time at,
                     const model::containment& contained) {
    if (auto to = target(*rep)) caf::anon_send(to, started_atom::value, run_id, pid, at, contained);
  };
  cb.finished = [rep, warn = cfg.warn](exec::process_result r) {
    {
      std::lock_guard<std::mutex> lock{rep->mu};
      rep->live.erase(r.run_id);
    }
    if (r.orphan && warn)
      warn("run " + r.run_id + " of job " + std::string(model::job_of_run(r.run_id)) + ": " +
           r.error + ": abandoned");
    auto f = to_run_finished(r);
    // Its followers learn of the end now, from the same ring that gave them its bytes.
    if (r.live) r.live->end({model::to_string(f.outcome), f.exit_code, f.signal});
    if (auto to = target(*rep)) caf::anon_send(to, finished_atom::value, std::move(f));
  };
  exec::process_limits limits;
  limits.max_running = cfg.max_running;
  self->state.sup = std::make_shared<exec::process_supervisor>(std::move(cb), limits);
  // When the actor goes, nothing it started may outlive it.
  self->attach_functor([sup = self->state.sup] { sup->shutdown(model::duration{0}); });
  return {
      [self](run_atom, run_order& o) {
        auto rep = self->state.rep;
        {
          std::lock_guard<std::mutex> lock{rep->mu};
          if (!rep->report_to) rep->report_to = self->current_sender();
          rep->live.insert(o.run_id);
        }
        exec::process_request r;
        r.run_id = o.run_id;
        r.command = std::move(o.command);
        r.extra_env = {{"VIGIL_JOB_ID", o.job},
                       {"VIGIL_RUN_ID", o.run_id},
                       {"VIGIL_ATTEMPT", std::to_string(o.attempt)},
                       {"VIGIL_NOMINAL_TIME", model::format_rfc3339(o.nominal)}};
        r.timeout = o.timeout;
        r.kill_grace = o.kill_grace;
        r.output_limit = o.output_limit;
        r.live = std::make_shared<exec::live_output>(o.output_limit);
        // Registered before the process can print: readers find it from its first byte on.
        if (self->state.cfg.output)
          caf::anon_send(self->state.cfg.output, output_atom::value, o.run_id, o.job, o.attempt,
                         r.live);
        if (!self->state.cfg.containment_root.empty())
          r.cgroup = exec::run_cgroup_path(self->state.cfg.containment_root, o.run_id, o.attempt);
        self->state.sup->start(std::move(r));
      },
      [self](cancel_atom, const std::string& run_id) { self->state.sup->cancel(run_id); },
      [self](orphans_atom, const std::vector<orphan_order>& os) { return adopt_orphans(self, os); },
      [self](hurry_atom) {
        std::set<std::string> live;
        {
          std::lock_guard<std::mutex> lock{self->state.rep->mu};
          live = self->state.rep->live;
        }
        for (const auto& id : live) self->state.sup->cancel(id);
      },
      [self](drain_atom, model::duration grace) {
        auto& st = self->state;
        auto promise = self->make_response_promise<caf::ok_atom>();
        if (st.drained) {
          promise.deliver(caf::ok_atom::value);
          return promise;
        }
        st.drain_waiters.push_back(promise);
        if (!st.draining) {
          // shutdown() waits for the processes: on a thread of its own, not this actor's. It
          // reports back by message; a promise is only delivered from this actor's own thread.
          st.draining = true;
          std::thread([sup = st.sup, grace, me = runner_actor{self}]() {
            sup->shutdown(grace);
            caf::anon_send(me, caf::ok_atom::value);
          }).detach();
        }
        return promise;
      },
      [self](caf::ok_atom) {
        auto& st = self->state;
        st.drained = true;
        for (auto& w : st.drain_waiters) w.deliver(caf::ok_atom::value);
        st.drain_waiters.clear();
      },
  };
}

}  // namespace

runner_actor spawn_runner(caf::actor_system& sys, runner_config cfg) {
  return sys.spawn(runner, cfg);
}

}  // namespace vigil::actors
