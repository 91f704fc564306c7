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
};

/// What recovery hands the scheduler at start-up.
struct recovered {
  bool ok = false;
  model::state state;
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
