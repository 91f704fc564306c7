// Times for a human reader of the client commands: in the job's zone and in the viewer's
// (`--tz`, else TZ, else the system's), never in UTC only.
#pragma once

#include <optional>
#include <string>

#include <cctz/time_zone.h>

namespace vigil::app {

/// The zone a reader reads times in.
struct viewer_zone {
  std::string name;  ///< as asked for ("" for the system's)
  cctz::time_zone zone;
};

/// `name` as an IANA zone; nothing when the tz database has no such zone.
std::optional<viewer_zone> load_viewer_zone(const std::string& name);
/// TZ (cctz's reading of it), else /etc/localtime, else UTC.
viewer_zone system_viewer_zone();

/// An RFC 3339 time from the API for a human: "2026-11-29 02:30:00 CET" in `job_zone`, then
/// " = 01:30:00 UTC" (with the date when it differs) in the viewer's zone when that reads
/// differently. With an empty or unknown `job_zone`, the viewer's zone alone. Text that is not
/// RFC 3339 (e.g. "-") is returned as it is.
std::string show_time(const std::string& rfc3339, const std::string& job_zone,
                      const viewer_zone& viewer);

}  // namespace vigil::app
