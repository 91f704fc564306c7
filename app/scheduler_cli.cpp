// POST /v1/scheduler/pause|resume and GET /v1/preview, through app/api_client.
#include "app/scheduler_cli.hpp"
#include "app/api_client.hpp"
#include "app/json_text.hpp"
#include "app/output.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <vector>

namespace vigil::app {

using json = nlohmann::json;

int run_scheduler(const scheduler_options& opts, std::ostream& out, std::ostream& err) {
  api a{opts.client, err};
  try {
    const std::string body = opts.reason ? json{{"reason", *opts.reason}}.dump() : std::string{};
    const json j = a.expect_ok(opts.pause ? "pause the scheduler" : "resume the scheduler", "POST",
                               opts.pause ? "/v1/scheduler/pause" : "/v1/scheduler/resume", body);
    const bool changed = j.is_object() && j.value("changed", false);
    const json s = j.is_object() && j.contains("snapshot") && j["snapshot"].is_object()
                       ? j["snapshot"].value("scheduler", json::object())
                       : json::object();
    if (opts.pause) {
      out << "scheduler: " << (changed ? "paused" : "already paused") << " (by "
          << text(s, "paused_by");
      if (s.contains("pause_reason") && s["pause_reason"].is_string())
        out << ": " << s["pause_reason"].get<std::string>();
      out << ")\n";
    } else {
      out << "scheduler: " << (changed ? "resumed" : "already running") << "\n";
    }
    out.flush();
    return exit_ok;
  } catch (const stop& s) {
    out.flush();
    return s.code;
  }
}

int run_preview(const preview_options& opts, std::ostream& out, std::ostream& err) {
  api a{opts.client, err};
  try {
    std::string path = "/v1/preview?schedule=" + escape_segment(opts.schedule);
    if (!opts.tz.empty()) path += "&tz=" + escape_segment(opts.tz);
    if (opts.count) path += "&count=" + std::to_string(opts.count);
    const json answer = a.expect_ok("preview '" + opts.schedule + "'", "GET", path);
    if (opts.view.format != output_format::table) {
      print_document(out, answer, opts.view.format);
      return exit_ok;
    }
    const std::string zone = text(answer, "tz", "UTC");
    const json fires = answer.value("fires", json::array());
    if (fires.empty()) {
      out << "'" << opts.schedule << "' has no fire times (after now, in " << zone << ")\n";
      return exit_ok;
    }
    std::vector<std::vector<std::string>> rows = {{"#", "FIRE (" + zone + ")"}};
    for (size_t i = 0; i < fires.size(); ++i)
      rows.push_back({std::to_string(i + 1),
                      show_time(fires[i].is_string() ? fires[i].get<std::string>() : "-", zone,
                                opts.view.viewer)});
    print_table(out, rows);
    out.flush();
    return exit_ok;
  } catch (const stop& s) {
    out.flush();
    return s.code;
  }
}

}  // namespace vigil::app
