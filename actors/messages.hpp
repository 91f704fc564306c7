// Every atom and message payload the actors exchange, declared in one place.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/stream_writer.hpp"
#include "exec/live_output.hpp"
#include "model/commands.hpp"
#include "model/events.hpp"
#include "model/health.hpp"
#include "model/job_status.hpp"
#include "model/jobs.hpp"
#include "model/orders.hpp"
#include "model/queries.hpp"
#include "model/rejection.hpp"
#include "model/snapshot.hpp"
#include "model/state.hpp"
#include "store/store.hpp"

namespace vigil::actors {

// CAF 0.17 atoms: at most 10 characters each.
using tick_atom = caf::atom_constant<caf::atom("tick")>;              ///< scheduler -> itself
using command_atom = caf::atom_constant<caf::atom("command")>;        ///< http -> scheduler
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;      ///< scheduler -> sinks
using append_atom = caf::atom_constant<caf::atom("append")>;          ///< scheduler -> journal
using recover_atom = caf::atom_constant<caf::atom("recover")>;        ///< app (start-up) -> journal
using drain_atom = caf::atom_constant<caf::atom("drain")>;            ///< app -> scheduler, health
using watch_atom = caf::atom_constant<caf::atom("watch")>;            ///< app -> health
using stall_atom = caf::atom_constant<caf::atom("stall")>;            ///< test hook: wedge an actor
using checkpoint_atom = caf::atom_constant<caf::atom("checkpoint")>;  ///< scheduler -> journal
using probe_atom = caf::atom_constant<caf::atom("probe")>;            ///< scheduler -> journal
using events_atom = caf::atom_constant<caf::atom("events")>;          ///< http -> journal
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;    ///< http -> hub
using written_atom = caf::atom_constant<caf::atom("written")>;        ///< I/O thread -> hub
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;    ///< hub -> itself
using wait_atom = caf::atom_constant<caf::atom("wait")>;              ///< http -> hub
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;  ///< http -> journal, scheduler
using wake_atom = caf::atom_constant<caf::atom("wake")>;  ///< scheduler -> itself: a fire is due
using run_atom = caf::atom_constant<caf::atom("run")>;    ///< scheduler -> runner
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;      ///< scheduler -> runner
using started_atom = caf::atom_constant<caf::atom("started")>;    ///< runner -> scheduler
using finished_atom = caf::atom_constant<caf::atom("finished")>;  ///< runner -> scheduler
using query_atom = caf::atom_constant<caf::atom("query")>;        ///< http -> scheduler: job reads
using hurry_atom = caf::atom_constant<caf::atom("hurry")>;        ///< app -> scheduler -> runner
using orphans_atom = caf::atom_constant<caf::atom("orphans")>;    ///< scheduler -> runner, at start
using lease_atom = caf::atom_constant<caf::atom("lease")>;        ///< lease -> scheduler: standing
using follow_atom = caf::atom_constant<caf::atom("follow")>;      ///< tail -> scheduler: new events
using lead_atom = caf::atom_constant<caf::atom("lead")>;      ///< scheduler -> journal: the term
using expire_atom = caf::atom_constant<caf::atom("expire")>;  ///< scheduler -> itself: lease ends
using position_atom = caf::atom_constant<caf::atom("position")>;  ///< scheduler -> lease, tail
using cluster_atom = caf::atom_constant<caf::atom("cluster")>;    ///< http -> lease: the node list
using advertise_atom = caf::atom_constant<caf::atom("advertise")>;  ///< app -> lease: our URL
using output_atom = caf::atom_constant<caf::atom("output")>;        ///< runner, http, hub -> output

/// The scheduler's answer to a command: done (durable), or refused.
struct command_result {
  bool accepted = false;
  model::rejection rejected;         ///< set when !accepted
  bool changed = false;              ///< false when the command was already satisfied
  model::snapshot_ptr snapshot;      ///< the first snapshot that includes the command's events
  std::vector<model::event> events;  ///< what became durable (e.g. a manual run's decision)
  std::string leader_url;  ///< refused with not_leader: where the leader is reachable, if known
  // Job commands: what http/ renders the answer from (the scheduler renders nothing).
  std::optional<model::command> command;  ///< the job command answered (none: scheduler's)
  std::optional<model::job_cell> job;     ///< define, pause, resume: the job once applied
  std::vector<model::definition_warning> warnings;  ///< define: what its author should know
  bool created = false;                             ///< define: a job was created (201)
  size_t backfill_times = 0;  ///< backfill: the job's nominal times in the range

  /// Accepted: durable (or, on a dry run, decided), `changed` unless already satisfied.
  static command_result done(bool changed, model::snapshot_ptr snap,
                             std::vector<model::event> events) {
    command_result r;
    r.accepted = true;
    r.changed = changed;
    r.snapshot = std::move(snap);
    r.events = std::move(events);
    return r;
  }
  static command_result refusal(model::rejection why) {
    command_result r;
    r.rejected = std::move(why);
    return r;
  }
};

/// A read of jobs, runs or decisions; answered by the scheduler from its durable state.
struct job_query {
  enum kind_type { list, get, runs, run, decisions, next } kind = list;
  std::string job;
  std::string run_id;
  std::string cursor;  ///< list: after this id; runs: before this run id
  model::job_filter filter = model::job_filter::all;  ///< list: only the jobs it selects
  std::string prefix;                                 ///< list: only ids that start with it
  bool full = false;        ///< list: whole jobs (definitions included), not summaries
  uint64_t before_seq = 0;  ///< decisions: before this seq (0: newest)
  size_t limit = 100;
  size_t count = 10;  ///< next: how many fires
};

/// The answer to a job_query, as values from the durable state (http/ renders them).
struct job_answer {
  std::optional<model::rejection> refused;  ///< no such job or run (not_found)
  std::optional<model::job_cell> job;       ///< get, decisions, next: the job
  model::job_page jobs;                     ///< list: the page
  model::run_page runs;                     ///< runs: the page; run: that one run
  model::wall_time now{};  ///< the scheduler's clock when it answered (a running run's age)
};

/// A read of a run's output: up to `max` bytes from byte `offset`. With `wait` > 0 and nothing
/// after `offset` yet, the answer waits for bytes, the attempt's end or the wait to pass.
struct output_query {
  std::string job;
  std::string run_id;
  uint64_t offset = 0;
  size_t max = 64 * 1024;
  model::duration wait{0};
  /// That attempt's output (a follower stays on the attempt it began with); none: the latest.
  std::optional<uint32_t> attempt;
};

/// The answer: from the running process (`live`) or from the run's record.
struct output_answer {
  /// not_found: no such run (or attempt) of the job; unavailable: too many waiting reads.
  std::optional<model::rejection> refused;
  std::string run_status;  ///< the run's status: running (live), or the record's
  uint32_t attempt = 1;
  bool live = false;  ///< read from the process while it runs (or just ended) on this node
  exec::output_read read;
};

/// A run to start (model/orders.hpp: decided by model::orders_for).
using run_order = model::run_order;

/// A run a previous daemon left starting or running: the runner looks whether it still lives.
struct orphan_order {
  std::string run_id;
  uint32_t attempt = 1;
  std::string status;                           ///< starting or running
  std::optional<model::containment> contained;  ///< from its run_started, when logged
  std::optional<model::orphan_policy> policy;   ///< the job's; none: the daemon's setting
  model::duration timeout{0};                   ///< what is left of the job's timeout; 0: none
  model::duration kill_grace{std::chrono::seconds(10)};
};

/// Events the scheduler asks the journal to make durable, in order. `expected_next` is the
/// seq the first event must get: a batch decided on top of one that failed can never land.
struct event_batch {
  std::vector<model::event> events;
  model::wall_time time{};
  uint64_t expected_next = 0;
};

/// The journal's answer: durable up to last_seq, or why not.
struct append_ack {
  bool ok = false;
  uint64_t last_seq = 0;
  std::string error;
  /// Refused for a sequence conflict (decided on top of a failed batch), not a storage fault.
  bool conflict = false;
  /// Refused because this writer no longer holds the shared log's lease: step down.
  bool fenced = false;
};

/// What recovery yields at start-up: the state and how it was rebuilt.
struct recovered {
  bool ok = false;
  model::state state;
  std::string error;
  std::vector<std::string> notes;  ///< checkpoints skipped, replay length, ...
  uint64_t checkpoint_seq = 0;     ///< where replay started (0: from the beginning)
  uint64_t replayed = 0;           ///< events applied after the checkpoint
};

/// A page of the durable log, for GET /v1/events.
struct event_page {
  bool ok = false;
  std::vector<store::stored_event> events;
  uint64_t last_seq = 0;  ///< the log's end when the page was read
  std::string error;
};

/// What a client asked to follow.
struct stream_request {
  /// console: snapshots, events and frequent heartbeats on one connection (the web console's
  /// one stream per tab). output: a run's output as it is written (job, run_id, after).
  enum kind_type { snapshots, events, console, output } kind = snapshots;
  stream_writer_ptr writer;
  std::string last_event_id;       ///< from the Last-Event-ID header, if any
  uint64_t after = 0;              ///< events, console: resume strictly after this seq
  bool from_end = false;           ///< console without ?after=: only events from now on
  std::vector<std::string> types;  ///< events: only these types (empty: all)
  std::string job;                 ///< events: only events whose body names this job
  std::string run_id;              ///< output: the run followed (of `job`)
  uint32_t attempt = 0;            ///< output: that attempt (0: the latest)
};

/// The hub's counters, for GET /v1/streams (and later /metrics).
struct stream_stats {
  uint64_t snapshot_clients = 0;
  uint64_t event_clients = 0;
  uint64_t console_clients = 0;
  uint64_t output_clients = 0;
  uint64_t coalesced_total = 0;
  uint64_t refused_total = 0;              ///< over the client cap
  uint64_t disconnected_write_failed = 0;  ///< write error or write timeout (client gone/stalled)
  uint64_t disconnected_too_slow = 0;      ///< event stream lagging beyond the bound
  uint64_t disconnected_shutdown = 0;
  uint64_t completed = 0;  ///< output streams that ended with their run's `end`
};

using model::histogram;

/// The journal's own counters, for GET /metrics: kept in its state, answered on metrics_atom.
struct journal_metrics {
  histogram append_seconds;          ///< one observation per commit (store append), in seconds
  histogram batch_events;            ///< events per commit
  uint64_t append_errors_total = 0;  ///< commits that threw
};

/// What the lease actor knows after each round with the database, for the scheduler: where
/// this node stands as the snapshot shows it (role, term, leader, silence, store, takeovers,
/// round trip), until when it may act as leader (its own monotonic clock), and the log's end.
struct lease_news {
  model::cluster_status standing;
  std::optional<model::mono_time> valid_until;  ///< leader only: act strictly before this
  uint64_t log_end = 0;                         ///< the database's last seq as read this round
};

/// Events another node appended, read by the tail in order (seqs contiguous within a page).
struct follow_page {
  std::vector<store::stored_event> events;
};

/// A long poll of GET /v1/snapshot: answered with the latest snapshot as soon as it differs from
/// `etag`, or when the wait ends (then it may still match). Null only before any snapshot.
struct snapshot_wait {
  std::string etag;  ///< "<epoch>-<version>" the client has; empty: answer at once
  model::duration wait{};
  std::function<void(model::snapshot_ptr)> answer;
};

}  // namespace vigil::actors

// Local-only payloads: they never cross a process boundary.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::snapshot_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::health_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::duration)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::command_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::event_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::append_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::recovered)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::event_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::state)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::stream_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::stream_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::snapshot_wait)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::journal_metrics)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::run_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<vigil::actors::orphan_order>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::containment)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::job_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::job_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::job_metrics)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::run_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::wall_time)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::lease_news)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::follow_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::cluster_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::output_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::output_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::exec::live_output_ptr)
