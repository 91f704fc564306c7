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
  exec::live_output_ptr out;
  std::optional<model::mono_time> ended_seen;  ///< when a tick first found it ended
  /// The attempt before (a retry replaced it), kept for its followers until this one goes.
  uint32_t previous_attempt = 0;
  exec::live_output_ptr previous;
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

/// The ring a query reads: the latest attempt's, or the one before when it names that one.
const exec::live_output_ptr* ring_of(const live_entry& e, const output_query& q,
                                     uint32_t& attempt) {
  attempt = e.attempt;
  if (!q.attempt || *q.attempt == e.attempt) return &e.out;
  if (*q.attempt == e.previous_attempt && e.previous) {
    attempt = e.previous_attempt;
    return &e.previous;
  }
  return nullptr;
}

output_answer answer(const live_entry& e, const output_query& q) {
  output_answer a;
  a.live = true;
  const auto* ring = ring_of(e, q, a.attempt);
  if (!ring) {
    a.refused = model::rejection{
        model::errc::not_found,
        "attempt " + std::to_string(*q.attempt) + " of run '" + q.run_id +
            "' is not running here (its output is in the run's record once it ended)",
        ""};
    return a;
  }
  a.read = (*ring)->read(q.offset, q.max);
  a.run_status = "running";
  return a;
}

/// A read that reached the end of an attempt that ended: the end is told from the run's record,
/// once the scheduler has made it durable — not from the process alone.
bool at_end(const output_answer& a) { return !a.refused && a.read.ended.has_value(); }

bool has_news(const exec::output_read& r) { return !r.bytes.empty() || r.dropped > 0 || r.ended; }

/// Answers `promise` from the scheduler's record of the run.
void from_record(output_pointer self, const output_query& q,
                 caf::typed_response_promise<output_answer> promise) {
  auto& st = self->state;
  if (!st.scheduler) {
    output_answer a;
    a.refused = model::rejection{model::errc::unavailable, "the scheduler is not ready", ""};
    promise.deliver(std::move(a));
    return;
  }
  self->request(st.scheduler, caf::infinite, output_atom::value, q)
      .then([promise](output_answer& a) mutable { promise.deliver(std::move(a)); },
            [promise](caf::error& err) mutable {
              output_answer a;
              a.refused = model::rejection{model::errc::unavailable,
                                           "the scheduler is not answering: " + to_string(err), ""};
              promise.deliver(std::move(a));
            });
}

/// Delivers a live answer, or, at the end of an attempt, the record's (durable) answer.
void deliver(output_pointer self, const output_query& q, output_answer a,
             caf::typed_response_promise<output_answer> promise) {
  if (!at_end(a)) {
    promise.deliver(std::move(a));
    return;
  }
  if (a.read.bytes.empty() && a.read.dropped == 0) return from_record(self, q, std::move(promise));
  // The bytes are the ring's; the end that follows them is the record's once it is durable.
  auto& st = self->state;
  if (!st.scheduler) {
    a.read.ended.reset();
    promise.deliver(std::move(a));
    return;
  }
  output_query at_total = q;
  at_total.offset = a.read.total;
  at_total.max = 0;
  self->request(st.scheduler, caf::infinite, output_atom::value, at_total)
      .then(
          [promise, a](output_answer& r) mutable {
            if (!r.refused && r.read.ended) {
              a.read.ended = r.read.ended;
              a.run_status = r.run_status;
            } else {
              a.read.ended.reset();
            }
            promise.deliver(std::move(a));
          },
          [promise, a](caf::error&) mutable {
            a.read.ended.reset();
            promise.deliver(std::move(a));
          });
}

/// Asks the ring for one wake once bytes after the lowest waiting position arrive.
void arm(output_pointer self, const std::string& run_id) {
  auto& st = self->state;
  auto w = st.waiting.find(run_id);
  auto e = st.live.find(run_id);
  if (w == st.waiting.end() || w->second.empty() || e == st.live.end()) return;
  uint64_t lowest = w->second.front().q.offset;
  for (const auto& p : w->second) lowest = std::min(lowest, p.q.offset);
  // A weak handle: the ring (which the supervisor may still hold) must not keep the actor.
  e->second.out->notify_after(lowest, [me = caf::weak_actor_ptr{self->ctrl()}, run_id] {
    if (auto strong = me.lock())
      caf::anon_send(caf::actor_cast<output_actor>(strong), wake_atom::value, run_id);
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
    if (e == st.live.end()) {  // let go of meanwhile: the record answers
      from_record(self, it->q, it->promise);
    } else {
      output_answer a = answer(e->second, it->q);
      if (!(all || a.refused || has_news(a.read) || it->deadline <= now)) {
        ++it;
        continue;
      }
      deliver(self, it->q, std::move(a), it->promise);
    }
    it = reads.erase(it);
    --st.waiting_count;
  }
  if (reads.empty())
    st.waiting.erase(w);
  else
    arm(self, run_id);
}

caf::result<output_answer> read(output_pointer self, output_query& q) {
  auto& st = self->state;
  auto promise = self->make_response_promise<output_answer>();
  auto e = st.live.find(q.run_id);
  if (e == st.live.end() || e->second.job != q.job) {
    from_record(self, q, promise);
    return promise;
  }
  output_answer a = answer(e->second, q);
  if (a.refused || has_news(a.read) || q.wait <= model::duration::zero()) {
    deliver(self, q, std::move(a), promise);
    return promise;
  }
  if (st.waiting_count >= st.cfg.max_waiting) {
    // Answering at once would have the reader ask again at once: refuse instead.
    a.refused = model::rejection{
        model::errc::unavailable,
        "too many reads are waiting for output (" + std::to_string(st.cfg.max_waiting) + ")", ""};
    promise.deliver(std::move(a));
    return promise;
  }
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
             exec::live_output_ptr& out) {
        auto& live = self->state.live;
        auto it = live.find(run_id);
        if (it != live.end() && it->second.attempt == attempt) return;  // a duplicate order
        live_entry e{job, attempt, std::move(out), std::nullopt, 0, nullptr};
        if (it != live.end()) {
          // A retry's attempt: the one before stays readable for its followers meanwhile.
          e.previous_attempt = it->second.attempt;
          e.previous = std::move(it->second.out);
        }
        live[run_id] = std::move(e);
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
