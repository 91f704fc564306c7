// Every atom and message payload the actors exchange, declared in one place.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "model/commands.hpp"
#include "model/events.hpp"
#include "model/health.hpp"
#include "model/rejection.hpp"
#include "model/snapshot.hpp"
#include "model/state.hpp"
#include "store/store.hpp"

namespace vigil::actors {

// CAF 0.17 atoms: at most 10 characters each.
using tick_atom = caf::atom_constant<caf::atom("tick")>;          ///< scheduler -> itself
using command_atom = caf::atom_constant<caf::atom("command")>;    ///< http -> scheduler
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;  ///< scheduler -> sinks
using append_atom = caf::atom_constant<caf::atom("append")>;      ///< scheduler -> journal
using recover_atom = caf::atom_constant<caf::atom("recover")>;    ///< scheduler -> journal
using drain_atom = caf::atom_constant<caf::atom("drain")>;        ///< app -> scheduler, health
using watch_atom = caf::atom_constant<caf::atom("watch")>;        ///< app -> health
using stall_atom = caf::atom_constant<caf::atom("stall")>;        ///< test hook: wedge an actor
using checkpoint_atom = caf::atom_constant<caf::atom("checkpoint")>;  ///< scheduler -> journal
using probe_atom = caf::atom_constant<caf::atom("probe")>;            ///< scheduler -> journal
using events_atom = caf::atom_constant<caf::atom("events")>;          ///< http -> journal

/// The scheduler's answer to a command: done (durable), or refused.
struct command_result {
  bool accepted = false;
  model::rejection rejected;     ///< set when !accepted
  bool changed = false;          ///< false when the command was already satisfied
  model::snapshot_ptr snapshot;  ///< the first snapshot that includes the command's events
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
