// Live output: the runner registers each attempt's output ring; reads come from HTTP handlers
// and the hub. A read that finds nothing new may wait: it is kept with a deadline, and the ring
// is asked to send one `wake` when bytes or the end arrive (so a chatty process costs one
// message per waiting round, not one per chunk). The scheduler is never in this path; runs that
// do not run here (ended long ago, on another node) are answered from its record.
#include "actors/output.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <vector>

namespace vigil::actors {
namespace {

struct live_entry {
  std::string job;
  uint32_t attempt = 1;
  live_output_ptr out;
  std::optional<model::mono_time> ended_seen;  ///< when a tick first found it ended
};

struct pending_read {
  output_query q;
  model::mono_time deadline;
  caf::typed_response_promise<output_answer> promise;
};

struct output_state {
  output_config cfg;
  scheduler_actor scheduler;
  std::unordered_map<std::string, live_entry> live;
  std::unordered_map<std::string, std::vector<pending_read>> waiting;  ///< by run id
  size_t waiting_count = 0;
  static inline const char* name = "output";
};

using output_pointer = output_actor::stateful_pointer<output_state>;

output_answer answer(const live_entry& e, const output_query& q) {
  output_answer a;
  a.live = true;
  a.attempt = e.attempt;
  a.read = e.out->read(q.offset, q.max);
  a.run_status = a.read.ended ? a.read.ended->outcome : "running";
  return a;
}

bool has_news(const output_read& r) { return !r.bytes.empty() || r.dropped > 0 || r.ended; }

/// Asks the ring for one wake once bytes after the lowest waiting position arrive.
void arm(output_pointer self, const std::string& run_id) {
  auto& st = self->state;
  auto w = st.waiting.find(run_id);
  auto e = st.live.find(run_id);
  if (w == st.waiting.end() || w->second.empty() || e == st.live.end()) return;
  uint64_t lowest = w->second.front().q.offset;
  for (const auto& p : w->second) lowest = std::min(lowest, p.q.offset);
  e->second.out->notify_after(lowest, [me = output_actor{self}, run_id] {
    caf::anon_send(me, wake_atom::value, run_id);
  });
}

/// Answers the waiting reads of a run that have something now (all of them when `all`).
void settle(output_pointer self, const std::string& run_id, bool all) {
  auto& st = self->state;
  auto w = st.waiting.find(run_id);
  if (w == st.waiting.end()) return;
  auto e = st.live.find(run_id);
  const auto now = st.cfg.mono_clock();
  auto& reads = w->second;
  for (auto it = reads.begin(); it != reads.end();) {
    output_answer a;
    if (e != st.live.end()) a = answer(e->second, it->q);
    const bool gone = e == st.live.end();
    if (gone) {
      // Let go of meanwhile: the record answers (it has the end by now).
      self->request(st.scheduler, caf::infinite, output_atom::value, it->q)
          .then([p = it->promise](output_answer& r) mutable { p.deliver(std::move(r)); },
                [p = it->promise](caf::error&) mutable {
                  output_answer r;
                  r.status = 503;
                  r.error = "the scheduler is not answering";
                  p.deliver(std::move(r));
                });
    }
    if (gone || all || has_news(a.read) || it->deadline <= now) {
      if (!gone) it->promise.deliver(std::move(a));
      it = reads.erase(it);
      --st.waiting_count;
    } else {
      ++it;
    }
  }
  if (reads.empty()) st.waiting.erase(w);
  else arm(self, run_id);
}

caf::result<output_answer> read(output_pointer self, output_query& q) {
  auto& st = self->state;
  auto e = st.live.find(q.run_id);
  if (e == st.live.end() || e->second.job != q.job) {
    auto promise = self->make_response_promise<output_answer>();
    if (!st.scheduler) {
      output_answer a;
      a.status = 503;
      a.error = "the scheduler is not ready";
      promise.deliver(std::move(a));
      return promise;
    }
    self->request(st.scheduler, caf::infinite, output_atom::value, q)
        .then([promise](output_answer& a) mutable { promise.deliver(std::move(a)); },
              [promise](caf::error& err) mutable {
                output_answer a;
                a.status = 503;
                a.error = "the scheduler is not answering: " + to_string(err);
                promise.deliver(std::move(a));
              });
    return promise;
  }
  output_answer a = answer(e->second, q);
  if (has_news(a.read) || q.wait <= model::duration::zero() ||
      st.waiting_count >= st.cfg.max_waiting)
    return a;
  auto promise = self->make_response_promise<output_answer>();
  st.waiting[q.run_id].push_back({q, st.cfg.mono_clock() + q.wait, promise});
  ++st.waiting_count;
  arm(self, q.run_id);
  return promise;
}

/// Every 250 ms: waits past their deadline are answered (nothing new), ended outputs past
/// their linger are let go (the oldest first beyond max_ended).
void tick(output_pointer self) {
  auto& st = self->state;
  const auto now = st.cfg.mono_clock();
  std::vector<std::string> runs;
  for (const auto& [id, reads] : st.waiting) runs.push_back(id);
  for (const auto& id : runs) settle(self, id, false);
  std::multimap<model::mono_time, std::string> ended;
  for (auto& [id, e] : st.live) {
    if (!e.ended_seen && e.out->read(e.out->total(), 0).ended) e.ended_seen = now;
    if (e.ended_seen) ended.emplace(*e.ended_seen, id);
  }
  size_t over = ended.size() > st.cfg.max_ended ? ended.size() - st.cfg.max_ended : 0;
  for (const auto& [seen, id] : ended) {
    if (over == 0 && now - seen < st.cfg.linger) break;
    if (over > 0) --over;
    st.live.erase(id);
    settle(self, id, true);
  }
  self->delayed_send(self, std::chrono::milliseconds{250}, tick_atom::value);
}

output_actor::behavior_type output(output_pointer self, output_config cfg) {
  self->state.cfg = std::move(cfg);
  self->send(self, tick_atom::value);
  return {
      [self](output_atom, const std::string& run_id, const std::string& job, uint32_t attempt,
             live_output_ptr& out) {
        // A retry's attempt replaces the one before it; a reader of the old one saw its end.
        self->state.live[run_id] = live_entry{job, attempt, std::move(out), std::nullopt};
        settle(self, run_id, false);
      },
      [self](output_atom, output_query& q) { return read(self, q); },
      [self](wake_atom, const std::string& run_id) { settle(self, run_id, false); },
      [self](tick_atom) { tick(self); },
      [self](watch_atom, scheduler_actor& s) { self->state.scheduler = std::move(s); },
  };
}

}  // namespace

output_actor spawn_output(caf::actor_system& sys, output_config cfg) {
  return sys.spawn(output, std::move(cfg));
}

}  // namespace vigil::actors
