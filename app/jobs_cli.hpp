// `vigil jobs list|get|apply|export|rm|run|pause|resume|runs|decisions|next|logs|backfill`: the job
// API for a human (or, with `-o json|yaml`, for a script). Exit codes: 0 done, 1 refused by the
// server (its error, detail and field, printed), 2 a bad command line, 3 the daemon unreachable or
// answering something that is not its API, 5 a manual run decided `skipped`.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "app/status.hpp"

namespace vigil::app {

struct jobs_options {
  enum class action {
    list,
    get,
    apply,
    export_,
    rm,
    run,
    pause,
    resume,
    runs,
    decisions,
    next,
    logs,
    backfill
  };

  client_options client;
  view_options view;
  action act = action::list;
  std::string id;                      ///< every action but list and apply
  std::string run;                     ///< logs: the run's id; empty: the job's newest run
  bool follow = false;                 ///< logs -f: stream the output as it is written
  bool all = false;                    ///< list: every page, not only the first
  std::string file;                    ///< apply: a file, a directory of *.json, or "-" (stdin)
  bool prune = false;                  ///< apply: remove the daemon's jobs the input lacks
  bool dry_run = false;                ///< apply: print what would change, write nothing
  std::string from, to;                ///< backfill: the range (RFC 3339)
  std::optional<std::string> overlap;  ///< run: the overlap policy for this run
  std::optional<std::string> reason;   ///< pause, resume
  unsigned limit = 0;  ///< list (page size), runs, decisions; 0: the server's default
  unsigned count = 0;  ///< next: how many fire times; 0: the server's default
};

/// Runs one action. `in` is read when apply's file is "-".
int run_jobs(const jobs_options& opts, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace vigil::app
