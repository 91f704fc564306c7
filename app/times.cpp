// Formatting through cctz, the library the model's schedules already use.
#include "app/times.hpp"

#include "model/time.hpp"

namespace vigil::app {

std::optional<viewer_zone> load_viewer_zone(const std::string& name) {
  viewer_zone v;
  v.name = name;
  if (name.empty() || !cctz::load_time_zone(name, &v.zone)) return std::nullopt;
  return v;
}

viewer_zone system_viewer_zone() { return viewer_zone{"", cctz::local_time_zone()}; }

std::string show_time(const std::string& rfc3339, const std::string& job_zone,
                      const viewer_zone& viewer) {
  const auto t = model::parse_rfc3339(rfc3339);
  if (!t) return rfc3339;
  const auto at = std::chrono::time_point_cast<std::chrono::seconds>(*t);
  cctz::time_zone job;
  if (job_zone.empty() || !cctz::load_time_zone(job_zone, &job))
    return cctz::format("%Y-%m-%d %H:%M:%S %Z", at, viewer.zone);
  const std::string in_job = cctz::format("%Y-%m-%d %H:%M:%S %Z", at, job);
  const std::string in_viewer = cctz::format("%Y-%m-%d %H:%M:%S %Z", at, viewer.zone);
  if (in_job == in_viewer) return in_job;
  // The date only when it is not the job zone's date.
  const bool same_date = in_job.compare(0, 10, in_viewer, 0, 10) == 0;
  return in_job + " = " + (same_date ? in_viewer.substr(11) : in_viewer);
}

}  // namespace vigil::app
