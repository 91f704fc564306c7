// Group commit: every append queued before a flush goes into the store as one batch.
#include "actors/journal.hpp"
#include "actors/recovery.hpp"

#include <spdlog/spdlog.h>
#include <caf/actor_system.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <vector>

#include "codec/checkpoint.hpp"
#include "codec/events.hpp"
#include "model/decider.hpp"
#include "model/jobs.hpp"

namespace vigil::actors {
namespace {

struct pending_append {
  event_batch batch;
  caf::typed_response_promise<append_ack> promise;
};

struct journal_state {
  journal_config cfg;
  std::vector<pending_append> queue;
  uint64_t next_seq = 0;  ///< the seq the next append must get; 0 = ask the backend
  journal_metrics metrics{histogram{{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}},
                          histogram{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}}, 0};
  static inline const char* name = "journal";
};

using journal_pointer = journal_actor::stateful_pointer<journal_state>;

std::vector<store::stored_event> encode_batch(const event_batch& b, const std::string& epoch) {
  std::vector<store::stored_event> out;
  out.reserve(b.events.size());
  for (const auto& e : b.events) {
    store::stored_event s;
    s.type = std::string(model::event_type(e));
    s.schema_version = model::event_schema_version;
    s.time = b.time;
    s.epoch = epoch;
    s.body = codec::encode_event(e);
    out.push_back(std::move(s));
  }
  return out;
}

/// Writes everything queued in one append, then answers each producer with its own last seq.
/// A batch whose expected seq does not follow the log (it was decided on top of a batch that
/// failed) is refused without writing.
void flush(journal_pointer self) {
  auto queue = std::move(self->state.queue);
  self->state.queue.clear();
  if (queue.empty()) return;
  auto& backend = *self->state.cfg.backend;
  auto& next = self->state.next_seq;
  try {
    if (next == 0) next = backend.last_seq() + 1;
    std::vector<store::stored_event> all;
    std::vector<uint64_t> last_of(queue.size(), 0);  // 0: refused
    uint64_t running = next;
    for (size_t i = 0; i < queue.size(); ++i) {
      if (queue[i].batch.expected_next != running) continue;
      for (auto& e : encode_batch(queue[i].batch, self->state.cfg.epoch))
        all.push_back(std::move(e));
      running += queue[i].batch.events.size();
      last_of[i] = running - 1;
    }
    if (!all.empty()) {
      const double events = static_cast<double>(all.size());
      const auto start = std::chrono::steady_clock::now();
      next = backend.append(next, std::move(all)) + 1;
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      self->state.metrics.append_seconds.observe(took.count());
      self->state.metrics.batch_events.observe(events);
    }
    for (size_t i = 0; i < queue.size(); ++i) {
      if (last_of[i] != 0) {
        queue[i].promise.deliver(append_ack{true, last_of[i], {}, false, false});
      } else {
        queue[i].promise.deliver(append_ack{false, 0,
                                            "sequence conflict: batch expected seq " +
                                                std::to_string(queue[i].batch.expected_next) +
                                                ", log is at " + std::to_string(next),
                                            true, false});
      }
    }
  } catch (const store::sequence_conflict& e) {
    // Someone else writes the shared log now (fenced: another node holds the lease), or wrote
    // where this batch expected to: nothing was written, and retrying cannot help.
    next = 0;
    const bool fenced = dynamic_cast<const store::fenced*>(&e) != nullptr;
    for (auto& p : queue) p.promise.deliver(append_ack{false, 0, e.what(), true, fenced});
  } catch (const std::exception& e) {
    next = 0;  // re-read the log's end before the next attempt
    ++self->state.metrics.append_errors_total;
    for (auto& p : queue) p.promise.deliver(append_ack{false, 0, e.what(), false, false});
  }
}

event_page read_page(const store::store& backend, uint64_t after, uint64_t limit) {
  event_page page;
  page.events = backend.read_after(after, limit);
  page.last_seq = backend.last_seq();
  page.ok = true;
  return page;
}

journal_actor::behavior_type journal(journal_pointer self, journal_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
      [self](append_atom, event_batch& batch) -> caf::typed_response_promise<append_ack> {
        auto promise = self->make_response_promise<append_ack>();
        if (self->state.queue.empty()) self->send(self, caf::flush_atom::value);
        self->state.queue.push_back({std::move(batch), promise});
        return promise;
      },
      [self](caf::flush_atom) { flush(self); },
      [self](checkpoint_atom, const model::state& st) {
        // Everything up to st.log_seq was acknowledged before the scheduler applied it, so the
        // checkpoint covers exactly the log's first st.log_seq events.
        try {
          self->state.cfg.backend->save_checkpoint({st.log_seq, codec::encode_state(st)});
        } catch (const std::exception& e) {
          spdlog::warn("checkpoint at seq {} not saved: {}", st.log_seq, e.what());
        }
      },
      [self](probe_atom) {
        try {
          self->state.cfg.backend->probe();
          return append_ack{true, self->state.cfg.backend->last_seq(), {}, false, false};
        } catch (const std::exception& e) {
          return append_ack{false, 0, e.what(), false, false};
        }
      },
      [self](events_atom, uint64_t after, uint64_t limit) {
        try {
          return read_page(*self->state.cfg.backend, after, limit);
        } catch (const std::exception& e) {
          return event_page{false, {}, 0, e.what()};
        }
      },
      [self](metrics_atom) { return self->state.metrics; },
      [self](lead_atom, const std::string& holder, uint64_t term) {
        self->state.cfg.backend->set_writer_term(holder, term);
        self->state.next_seq = 0;  // others wrote the log since: read its end again
      },
      [self](recover_atom) -> recovered {
        try {
          return recover(*self->state.cfg.backend);
        } catch (const std::exception& e) {
          recovered r;
          r.error = e.what();
          return r;
        }
      },
  };
}

}  // namespace

journal_actor spawn_journal(caf::actor_system& sys, journal_config cfg) {
  // CAF's test coordinator says it detaches nothing: there the journal runs on the test's
  // thread like every other actor, so an actor test steps it message by message.
  if (!sys.scheduler().detaches_utility_actors()) return sys.spawn(journal, std::move(cfg));
  return sys.spawn<caf::detached>(journal, std::move(cfg));
}

}  // namespace vigil::actors
