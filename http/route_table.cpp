// The route table: each route's scope and handler, and the templates that paths map to.
#include "http/route_table.hpp"

#include <iterator>

#include "http/route_handlers.hpp"

namespace vigil::http {
namespace {

constexpr auto read = scope::read;
constexpr auto admin = scope::admin;
constexpr bool test_hook = true;

// Reads need `read`: a job's definition carries its environment, runs their output, events and
// streams all of it. /v1/version is build information only, /v1/openapi.json the API's contract.
const route_rule rules[] = {
    {"/health", "GET", read, on_get_health, &open_routes::health},
    {"/livez", "GET", read, on_get_livez, &open_routes::livez},
    {"/readyz", "GET", read, on_get_readyz, &open_routes::readyz},
    {"/v1/version", "GET", std::nullopt, on_get_version},
    {"/v1/openapi.json", "GET", std::nullopt, on_get_openapi},
    {"/v1/scheduler/pause", "POST", admin, on_post_scheduler_pause},
    {"/v1/scheduler/resume", "POST", admin, on_post_scheduler_resume},
    {"/v1/debug/stall", "POST", admin, on_post_debug_stall, nullptr, test_hook},
    {"/v1/events", "GET", read, on_get_events},
    {"/v1/stream/snapshots", "GET", read, on_get_stream_snapshots},
    {"/v1/stream/events", "GET", read, on_get_stream_events},
    {"/v1/snapshot", "GET", read, on_get_snapshot},
    {"/v1/streams", "GET", read, on_get_streams},
    {"/v1/cluster", "GET", read, on_get_cluster},
    {"/metrics", "GET", read, on_get_metrics, &open_routes::metrics},
    {"/v1/jobs", "GET", read, on_get_jobs},
    {"/v1/jobs", "POST", admin, on_post_jobs},
    {"/v1/jobs/{id}", "GET", read, on_get_job},
    {"/v1/jobs/{id}", "PUT", admin, on_put_job},
    {"/v1/jobs/{id}", "DELETE", admin, on_delete_job},
    {"/v1/jobs/{id}/run", "POST", admin, on_post_job_run},
    {"/v1/jobs/{id}/backfill", "POST", admin, on_post_job_backfill},
    {"/v1/jobs/{id}/pause", "POST", admin, on_post_job_pause},
    {"/v1/jobs/{id}/resume", "POST", admin, on_post_job_resume},
    {"/v1/jobs/{id}/runs", "GET", read, on_get_job_runs},
    {"/v1/jobs/{id}/runs/{run_id}", "GET", read, on_get_job_run},
    {"/v1/jobs/{id}/runs/{run_id}/output", "GET", read, on_get_job_run_output},
    {"/v1/jobs/{id}/decisions", "GET", read, on_get_job_decisions},
    {"/v1/jobs/{id}/next", "GET", read, on_get_job_next},
    {"/v1/preview", "GET", read, on_get_preview},
    {"/v1/stream/console", "GET", read, on_get_stream_console},
    // The console's page, script and stylesheet hold no data: the page asks for a token and
    // every request it makes is checked like any other.
    {"/ui", "GET", std::nullopt, on_get_ui},
    {"/ui/{asset}", "GET", std::nullopt, on_get_ui_asset},
};

}  // namespace

const route_rule* route_rules_begin() { return std::begin(rules); }
const route_rule* route_rules_end() { return std::end(rules); }

std::optional<scope> required_scope(const open_routes& open, std::string_view method,
                                    std::string_view route_template) {
  if (method == "HEAD") method = "GET";  // a GET route's headers need what its body needs
  for (const auto& r : rules) {
    if (route_template != r.path || method != r.method) continue;
    if (r.open_when && open.*r.open_when) return std::nullopt;
    return r.needs;
  }
  return admin;
}

std::string allowed_methods(std::string_view route_template, bool test_hooks) {
  std::string out;
  for (const auto& r : rules) {
    if (route_template != r.path || (r.test_hook && !test_hooks)) continue;
    if (!out.empty()) out += ", ";
    out += r.method;
    if (std::string_view{r.method} == "GET") out += ", HEAD";
  }
  return out;
}

namespace {

/// Whether `path` has the template's shape: as many segments, each literal one equal, a
/// `{parameter}` standing for any segment (an empty one too, which the gate then refuses with
/// a 400 naming it).
bool fits(std::string_view path, std::string_view tmpl) {
  while (!path.empty() && !tmpl.empty()) {
    const auto p = path.find('/', 1);
    const auto t = tmpl.find('/', 1);
    const std::string_view ps = path.substr(0, p);
    const std::string_view ts = tmpl.substr(0, t);
    const bool parameter = ts.size() >= 3 && ts[1] == '{' && ts.back() == '}';
    if (!parameter && ps != ts) return false;
    path = p == std::string_view::npos ? std::string_view{} : path.substr(p);
    tmpl = t == std::string_view::npos ? std::string_view{} : tmpl.substr(t);
  }
  return path.empty() && tmpl.empty();
}

}  // namespace

std::string_view route_template_of(std::string_view path) {
  for (const route_rule* r = route_rules_begin(); r != route_rules_end(); ++r)
    if (fits(path, r->path)) return r->path;
  return path;
}

std::string_view route_label(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return route_template_of(path);
}

std::string router_pattern(std::string_view route_template) {
  std::string out;
  for (const char ch : route_template) {
    if (ch == '{')
      out += ':';
    else if (ch != '}')
      out += ch;
  }
  return out;
}

}  // namespace vigil::http
