// `vigil migrate`: a single node's log and newest checkpoint, copied into an empty shared store.
#pragma once

#include <iosfwd>
#include <string>

namespace vigil::app {

struct migrate_options {
  std::string from;  ///< the data directory of a stopped single-node daemon
  std::string to;    ///< a postgresql:// URL or conninfo (from --to or VIGIL_STORE)
};

/// Copies every event (seq, type, schema version, time, epoch and body unchanged) and the
/// newest checkpoint, then verifies: every event read back equals the source's, and both logs
/// fold to the same state. Exit codes: 0 copied and verified; 1 refused (the target is not
/// empty, the source cannot be opened or locked, a verification failed). The target's
/// password never appears in what it prints.
int run_migrate(const migrate_options& opts, std::ostream& out, std::ostream& err);

}  // namespace vigil::app
