// The hub actor: live streams of snapshots and of the durable event log, bounded per client.
#pragma once

#include <functional>

#include "actors/interfaces.hpp"

namespace vigil::actors {

struct hub_config {
  health_actor health;    ///< asked for the verdict carried by heartbeat events
  journal_actor journal;  ///< read for event streams
  size_t max_clients = 1024;
  model::duration heartbeat_interval = std::chrono::seconds{15};
  /// Console streams get the verdict this often: their status bar shows the heartbeat's age.
  model::duration console_heartbeat_interval = std::chrono::seconds{1};
  /// An event stream further behind the log's end than this is closed with a reason.
  uint64_t max_event_lag = 100'000;
  size_t event_page = 256;          ///< events read from the journal per write
  output_actor output;              ///< read for output streams (none: they end at once)
  size_t output_chunk = 32 * 1024;  ///< output bytes read per write
  std::function<model::mono_time()> mono_clock;
  std::function<model::wall_time()> wall_clock;
};

hub_actor spawn_hub(caf::actor_system& sys, hub_config cfg);

}  // namespace vigil::actors
