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
                     caf::reacts_to<caf::flush_atom>,
                     caf::reacts_to<checkpoint_atom, model::state>,
                     caf::replies_to<probe_atom>::with<append_ack>,
                     caf::replies_to<events_atom, uint64_t, uint64_t>::with<event_page>,
                     caf::replies_to<metrics_atom>::with<journal_metrics>>;

using scheduler_actor =
    caf::typed_actor<caf::reacts_to<tick_atom>,
                     caf::replies_to<command_atom, model::command>::with<command_result>,
                     caf::replies_to<drain_atom>::with<caf::ok_atom>,
                     caf::reacts_to<stall_atom, model::duration>>;

using health_actor =
    caf::typed_actor<caf::replies_to<snapshot_atom, model::snapshot_ptr>::with<caf::ok_atom>,
                     caf::replies_to<caf::get_atom>::with<model::health_report>,
                     caf::reacts_to<watch_atom, scheduler_actor>,
                     caf::reacts_to<drain_atom>,
                     caf::reacts_to<stall_atom, model::duration>>;

using hub_actor =
    caf::typed_actor<caf::replies_to<snapshot_atom, model::snapshot_ptr>::with<caf::ok_atom>,
                     caf::reacts_to<subscribe_atom, stream_request>,
                     caf::reacts_to<written_atom, uint64_t, bool>,
                     caf::reacts_to<heartbeat_atom>,
                     caf::reacts_to<wait_atom, snapshot_wait>,
                     caf::replies_to<caf::get_atom>::with<stream_stats>,
                     caf::replies_to<drain_atom>::with<caf::ok_atom>>;

}  // namespace vigil::actors
