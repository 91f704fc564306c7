// `vigil jobs list|get|apply|rm|run|pause|resume|runs|decisions`: the job API for a human.
// Exit codes: 0 done, 1 refused by the server (its error, detail and field, printed),
// 2 a bad command line, 3 the daemon unreachable or answering something that is not its API.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "app/status.hpp"

namespace vigil::app {

struct jobs_options {
  enum class action { list, get, apply, rm, run, pause, resume, runs, decisions };

  client_options client;
  action act = action::list;
  std::string id;                     ///< every action but list and apply
  bool all = false;                   ///< list: every page, not only the first
  std::string file;                   ///< apply: a path, or "-" for stdin
  std::optional<std::string> overlap;  ///< run: the overlap policy for this run
  std::optional<std::string> reason;   ///< pause, resume
  unsigned limit = 0;                  ///< list (page size), runs, decisions; 0: the server's default
};

/// Runs one action. `in` is read when apply's file is "-".
int run_jobs(const jobs_options& opts, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace vigil::app
