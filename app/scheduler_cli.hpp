// `vigil scheduler pause|resume [--reason R]` and `vigil preview 'EXPR' [--tz Z] [-n N]`: the
// scheduler's own switch, and the fire times of any schedule before a job is written with it.
// Exit codes as `vigil jobs`: 0 done, 1 refused (its error and field printed), 2 a bad command
// line, 3 unreachable.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "app/status.hpp"

namespace vigil::app {

struct scheduler_options {
  client_options client;
  bool pause = true;                  ///< false: resume
  std::optional<std::string> reason;  ///< recorded in the event log
};

struct preview_options {
  client_options client;
  view_options view;
  std::string schedule;  ///< as written in a job definition
  std::string tz;        ///< the schedule's zone; "" for the server's default (UTC)
  unsigned count = 0;    ///< 0: the server's default
};

int run_scheduler(const scheduler_options& opts, std::ostream& out, std::ostream& err);
int run_preview(const preview_options& opts, std::ostream& out, std::ostream& err);

}  // namespace vigil::app
