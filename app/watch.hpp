// `vigil watch`: a daemon's snapshot stream (or its event stream) printed for a human, one line
// per event; reconnects with Last-Event-ID and says so when it sees a gap or a resync.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "app/http_client.hpp"

namespace vigil::app {

struct watch_options {
  http_url url{"127.0.0.1", 8080, ""};
  bool events = false;  ///< /v1/stream/events instead of /v1/stream/snapshots
  uint64_t after = 0;   ///< events: start strictly after this sequence number
  std::chrono::milliseconds idle_timeout{60000};  ///< reconnect after this long silent; 0: never
  std::string token;  ///< bearer token for a daemon with tokens configured; empty: none
};

/// The reconnection delay before attempt `failures + 1`: the server's hint after a stream that
/// was open (failures == 0), doubling from the hint while the daemon is unreachable, at most 30 s.
std::chrono::milliseconds reconnect_delay(std::chrono::milliseconds hint, unsigned failures);

/// Turns stream events into lines, tracking ids, epochs and sequence numbers across reconnects.
class watch_printer {
 public:
  watch_printer(std::ostream& out, bool events, uint64_t after);

  /// Prints the line(s) for one event (each prefixed with the local time of receipt).
  void on_event(const std::string& type, const std::string& data);
  /// Prints one status line (connections, reconnects, errors).
  void note(const std::string& text);

 private:
  void line(const std::string& text);
  void snapshot(const std::string& data);
  void heartbeat(const std::string& data);
  void event(const std::string& data);
  void reset(const std::string& data);
  void close(const std::string& data);

  std::ostream& out_;
  bool events_;
  uint64_t last_seq_;
  std::string epoch_;  ///< the last snapshot's epoch
};

/// Runs until SIGINT/SIGTERM (exit 0) or an answer that retrying cannot fix (exit 1).
int run_watch(const watch_options& opts);

}  // namespace vigil::app
