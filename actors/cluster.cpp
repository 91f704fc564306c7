// The lease and the tail: the database rounds of a cluster node, off the scheduler's thread.
//
// Lease round (every renew_every as leader, twice as often as follower):
//   leader:   renew (fenced by term and holder); valid until send + TTL − margin
//   follower: read the row; campaign once it stayed unchanged for a TTL on this node's own
//             monotonic clock and the scheduler has folded the log to its end
// and after each round the scheduler hears where this node stands (lease_news).
#include "actors/cluster.hpp"

#include <spdlog/spdlog.h>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>
#include <memory>

#include "store/pg_store.hpp"

namespace vigil::actors {
namespace {

struct seen_node {
  std::string seen_at;  ///< the database time of its last heartbeat, as text
  model::mono_time changed{};
};

struct lease_state {
  lease_config cfg;
  scheduler_actor scheduler;
  std::unique_ptr<store::pg_store> db;
  model::lease_watch watch;
  model::leader_validity validity;
  bool leading = false;
  bool draining = false;
  uint64_t term = 0;
  std::string leader_node;
  std::string leader_url;
  uint64_t position = 0;  ///< the scheduler's fold position
  uint64_t log_end = 0;
  uint64_t takeovers = 0;
  double renew_seconds = 0;
  bool reachable = true;
  std::string error;
  model::mono_time last_heartbeat{};
  std::vector<store::node_row> nodes;
  std::map<std::string, seen_node> seen;
  static inline const char* name = "lease";
};

using lease_pointer = lease_actor::stateful_pointer<lease_state>;

store::pg_store& database(lease_pointer self) {
  auto& st = self->state;
  if (!st.db) st.db = std::make_unique<store::pg_store>(st.cfg.conninfo, store::writer_identity{});
  return *st.db;
}

void step_down(lease_pointer self, const std::string& why) {
  auto& st = self->state;
  if (!st.leading) return;
  st.leading = false;
  st.validity.step_down();
  st.watch = {};  // wait a whole TTL from now before campaigning again
  spdlog::warn("lease: stepping down from term {}: {}", st.term, why);
}

/// One round with the database: renew or watch (and maybe take over), heartbeat when due.
void round(lease_pointer self) {
  auto& st = self->state;
  const auto& t = st.cfg.timing;
  auto& db = database(self);
  const auto sent = st.cfg.mono_clock();
  if (st.leading) {
    const bool held = db.renew_lease();
    const auto answered = st.cfg.mono_clock();
    st.renew_seconds = model::to_seconds(answered - sent);
    if (!held)
      step_down(self, "another node holds the lease");
    else if (!st.validity.renewed(sent, answered, t))
      step_down(self, "the renewal was answered after the lease's deadline");
  }
  if (!st.leading) {
    const auto row = db.read_lease();
    const auto answered = st.cfg.mono_clock();
    st.renew_seconds = model::to_seconds(answered - sent);
    st.watch.observe({row.term, row.renewals}, answered);
    st.term = row.term;
    st.leader_node = row.holder;
    st.leader_url = row.holder_url;
    st.log_end = db.last_seq();
    const bool caught_up = st.position >= st.log_end;
    if (!st.draining && !st.cfg.url.empty() && st.scheduler &&
        st.watch.may_campaign(answered, t, caught_up)) {
      const auto asked = st.cfg.mono_clock();
      if (db.take_over(row, st.cfg.node, st.cfg.url)) {
        st.validity = {};
        if (st.validity.renewed(asked, st.cfg.mono_clock(), t)) {
          st.leading = true;
          st.term = db.writer().term;
          st.leader_node = st.cfg.node;
          st.leader_url = st.cfg.url;
          ++st.takeovers;
          spdlog::info(
              "lease: took over as leader, term {} (the lease of {} term {} was not "
              "renewed for {} ms)",
              st.term, row.holder.empty() ? "nobody" : row.holder, row.term,
              std::chrono::duration_cast<std::chrono::milliseconds>(
                  answered - st.watch.changed_at().value_or(answered))
                  .count());
        }
      }
    }
  }
  const auto now = st.cfg.mono_clock();
  if (!st.cfg.url.empty() && now - st.last_heartbeat >= st.cfg.heartbeat_every) {
    st.last_heartbeat = now;
    const model::node_record me{
        st.cfg.node, st.cfg.url, st.cfg.epoch, st.cfg.version, st.leading ? "leader" : "follower",
        st.position, 0};
    db.heartbeat(me, std::chrono::duration_cast<std::chrono::milliseconds>(
                         st.cfg.wall_clock().time_since_epoch())
                         .count());
    st.nodes = db.read_nodes();
    for (const auto& n : st.nodes) {
      auto& s = st.seen[n.record.node];
      if (s.seen_at != n.seen_at) s = {n.seen_at, now};
    }
  }
  st.reachable = true;
  st.error.clear();
}

lease_news news(lease_pointer self) {
  auto& st = self->state;
  const auto now = st.cfg.mono_clock();
  lease_news n;
  auto& c = n.standing;
  c.role = st.leading ? model::cluster_role::leader : model::cluster_role::follower;
  c.term = st.term;
  c.leader_node = st.leader_node;
  c.leader_url = st.leader_url;
  if (!st.leading && st.watch.changed_at()) c.leader_silent_for = now - *st.watch.changed_at();
  c.store_reachable = st.reachable;
  c.store_error = st.error;
  c.takeovers_total = st.takeovers;
  c.renew_seconds = st.renew_seconds;
  if (st.leading) n.valid_until = st.validity.valid_until();
  n.log_end = st.log_end;
  return n;
}

lease_actor::behavior_type lease(lease_pointer self, lease_config cfg) {
  self->state.cfg = std::move(cfg);
  self->send(self, tick_atom::value);
  return {
      [self](tick_atom) {
        auto& st = self->state;
        try {
          round(self);
        } catch (const std::exception& e) {
          // The database is unreachable (or refused): a leader cannot renew, so its validity
          // runs out by itself and it steps down then, not before.
          if (st.reachable) spdlog::warn("lease: {}", e.what());
          st.reachable = false;
          st.error = e.what();
          st.db.reset();  // connect again next round
        }
        if (st.leading && !st.validity.valid(st.cfg.mono_clock()))
          step_down(self, "the lease could not be renewed in time");
        if (st.scheduler) self->send(st.scheduler, lease_atom::value, news(self));
        const auto every = st.leading ? st.cfg.timing.renew_every : st.cfg.timing.renew_every / 2;
        self->delayed_send(self, every, tick_atom::value);
      },
      [self](position_atom, uint64_t seq) { self->state.position = seq; },
      [self](watch_atom, scheduler_actor& s) { self->state.scheduler = std::move(s); },
      [self](advertise_atom, std::string& url) { self->state.cfg.url = std::move(url); },
      [self](drain_atom) {
        // Shutting down: no new term from this node (a leader keeps renewing until it exits,
        // so its last runs' ends can still be logged).
        self->state.draining = true;
      },
      [self](cluster_atom) {
        auto& st = self->state;
        const auto now = st.cfg.mono_clock();
        model::cluster_view v;
        v.clustered = true;
        v.observer = st.cfg.node;
        v.term = st.term;
        v.leader_node = st.leader_node;
        v.leader_url = st.leader_url;
        v.log_end = std::max(st.log_end, st.position);
        v.lease_ttl = st.cfg.timing.ttl;
        for (const auto& n : st.nodes) {
          model::cluster_member m{n.record, {}};
          auto it = st.seen.find(n.record.node);
          if (it != st.seen.end()) m.last_seen = now - it->second.changed;
          v.nodes.push_back(std::move(m));
        }
        return v;
      },
  };
}

struct tail_state {
  tail_config cfg;
  scheduler_actor scheduler;
  std::unique_ptr<store::pg_store> db;
  uint64_t after = 0;
  bool failing = false;
  static inline const char* name = "tail";
};

using tail_pointer = tail_actor::stateful_pointer<tail_state>;

/// Waits for a notification (or the poll interval), then sends whatever follows `after`.
void tail_round(tail_pointer self) {
  auto& st = self->state;
  if (!st.db) {
    st.db = std::make_unique<store::pg_store>(st.cfg.conninfo, store::writer_identity{});
    st.db->listen();
  }
  for (;;) {
    auto events = st.db->read_after(st.after, st.cfg.page_limit);
    if (events.empty()) break;
    st.after = events.back().seq;
    const bool full = events.size() >= st.cfg.page_limit;
    self->send(st.scheduler, follow_atom::value, follow_page{std::move(events)});
    if (!full) break;
  }
  st.db->wait_for_notification(st.cfg.poll_every);
}

tail_actor::behavior_type tail(tail_pointer self, tail_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.after = self->state.cfg.after;
  return {
      [self](tick_atom) {
        auto& st = self->state;
        try {
          tail_round(self);
          st.failing = false;
          self->send(self, tick_atom::value);
        } catch (const std::exception& e) {
          if (!st.failing) spdlog::warn("tail: {}", e.what());
          st.failing = true;
          st.db.reset();
          self->delayed_send(self, st.cfg.poll_every, tick_atom::value);
        }
      },
      [self](position_atom, uint64_t seq) { self->state.after = seq; },
      [self](watch_atom, scheduler_actor& s) {
        const bool first = !self->state.scheduler;
        self->state.scheduler = std::move(s);
        if (first) self->send(self, tick_atom::value);
      },
  };
}

}  // namespace

lease_actor spawn_lease(caf::actor_system& sys, lease_config cfg) {
  return sys.spawn<caf::detached>(lease, std::move(cfg));
}

tail_actor spawn_tail(caf::actor_system& sys, tail_config cfg) {
  return sys.spawn<caf::detached>(tail, std::move(cfg));
}

}  // namespace vigil::actors
