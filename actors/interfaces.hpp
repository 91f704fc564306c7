// The typed interface of every actor, one alias each.
#pragma once

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace vigil::actors {

/// Anything that takes snapshots; the ok reply is what lets the publisher coalesce.
using snapshot_sink =
    caf::typed_actor<caf::replies_to<snapshot_atom, model::snapshot_ptr>::with<caf::ok_atom>>;

using journal_actor =
    caf::typed_actor<caf::replies_to<append_atom, event_batch>::with<append_ack>,
                     caf::replies_to<recover_atom>::with<recovered>,
                     caf::reacts_to<caf::flush_atom>, caf::reacts_to<checkpoint_atom, model::state>,
                     caf::replies_to<probe_atom>::with<append_ack>,
                     caf::replies_to<events_atom, uint64_t, uint64_t>::with<event_page>,
                     caf::replies_to<metrics_atom>::with<journal_metrics>,
                     /// Append under this lease holder and term from now on (a takeover).
                     caf::reacts_to<lead_atom, std::string, uint64_t>>;

using scheduler_actor = caf::typed_actor<
    caf::reacts_to<tick_atom>, caf::reacts_to<wake_atom>,
    caf::replies_to<command_atom, model::command>::with<command_result>,
    caf::replies_to<query_atom, job_query>::with<job_answer>,
    /// The per-job metrics, none beyond this many jobs.
    caf::replies_to<metrics_atom, uint64_t>::with<model::job_metrics>,
    caf::replies_to<drain_atom>::with<caf::ok_atom>, caf::reacts_to<hurry_atom>,
    caf::reacts_to<started_atom, std::string, int, model::wall_time, model::containment>,
    caf::reacts_to<finished_atom, model::run_finished>, caf::reacts_to<stall_atom, model::duration>,
    caf::reacts_to<lease_atom, lease_news>, caf::reacts_to<follow_atom, follow_page>,
    caf::reacts_to<expire_atom>,
    /// A run's output from its record (the output actor asks, for runs that
    /// do not run here).
    caf::replies_to<output_atom, output_query>::with<output_answer>>;

/// The lease: campaigns, renews, heartbeats this node into the cluster view (its own database
/// connection, its own thread). position: how far the scheduler has folded the log (a node
/// that lags does not campaign). cluster: the node list, for GET /v1/cluster.
/// watch: the scheduler to report to; advertise: this node's URL once it listens (a node not
/// yet reachable neither campaigns nor heartbeats).
using lease_actor = caf::typed_actor<
    caf::reacts_to<tick_atom>, caf::reacts_to<watch_atom, scheduler_actor>,
    caf::reacts_to<advertise_atom, std::string>, caf::reacts_to<position_atom, uint64_t>,
    caf::replies_to<cluster_atom>::with<model::cluster_view>, caf::reacts_to<drain_atom>>;

/// The tail: reads what others append (LISTEN/NOTIFY, polling as a fallback) and sends it to
/// the scheduler in order. position: read again after this seq (the scheduler found a gap).
using tail_actor =
    caf::typed_actor<caf::reacts_to<tick_atom>, caf::reacts_to<watch_atom, scheduler_actor>,
                     caf::reacts_to<position_atom, uint64_t>>;

/// Runs processes for the scheduler; reports back to whoever sent the orders. drain: start
/// nothing more, let running ones finish up to the grace, then stop them; replies when all ended.
/// orphans: adopts a previous daemon's runs whose processes still live (they are reported
/// finished, abandoned, once gone) and answers with their ids.
using runner_actor =
    caf::typed_actor<caf::reacts_to<run_atom, run_order>, caf::reacts_to<cancel_atom, std::string>,
                     caf::replies_to<drain_atom, model::duration>::with<caf::ok_atom>,
                     caf::reacts_to<hurry_atom>,
                     caf::replies_to<orphans_atom, std::vector<orphan_order>>::with<
                         std::vector<std::string>>,  ///< the ids of those still alive
                     caf::reacts_to<caf::ok_atom>>;  ///< its own drain thread: all ended

/// Running runs' output: the runner hands over each attempt's live output (run id, job,
/// attempt); readers ask for bytes from a position, waiting for more if they like; runs not
/// running here are answered from the scheduler's record. wake: a live output has news (sent
/// from the supervisor's thread, at most once per waiting reader). tick: waits expire, ended
/// outputs are let go.
using output_actor = caf::typed_actor<
    caf::reacts_to<output_atom, std::string, std::string, uint32_t, exec::live_output_ptr>,
    caf::replies_to<output_atom, output_query>::with<output_answer>,
    caf::reacts_to<wake_atom, std::string>, caf::reacts_to<tick_atom>,
    caf::reacts_to<watch_atom, scheduler_actor>>;

using health_actor =
    caf::typed_actor<caf::replies_to<snapshot_atom, model::snapshot_ptr>::with<caf::ok_atom>,
                     caf::replies_to<caf::get_atom>::with<model::health_report>,
                     caf::reacts_to<watch_atom, scheduler_actor>, caf::reacts_to<drain_atom>,
                     caf::reacts_to<stall_atom, model::duration>>;

using hub_actor = caf::typed_actor<
    caf::replies_to<snapshot_atom, model::snapshot_ptr>::with<caf::ok_atom>,
    caf::reacts_to<subscribe_atom, stream_request>, caf::reacts_to<written_atom, uint64_t, bool>,
    caf::reacts_to<heartbeat_atom>, caf::reacts_to<wait_atom, snapshot_wait>,
    /// An output stream's next read (after a pause: the run has not started).
    caf::reacts_to<output_atom, uint64_t>, caf::replies_to<caf::get_atom>::with<stream_stats>,
    caf::replies_to<drain_atom>::with<caf::ok_atom>>;

}  // namespace vigil::actors
