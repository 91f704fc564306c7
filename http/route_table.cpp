// The route table: which scope each route needs, and the templates that paths map to.
#include "http/route_table.hpp"

#include <iterator>

namespace vigil::http {
namespace {

constexpr auto read = scope::read;
constexpr auto admin = scope::admin;
const char* const debug_stall = "/v1/debug/stall";

// Reads need `read`: a job's definition carries its environment, runs their output, events and
// streams all of it. /v1/version is build information only, /v1/openapi.json the API's contract.
const route_rule rules[] = {
    {"/health", "GET", read, &open_routes::health},
    {"/livez", "GET", read, &open_routes::livez},
    {"/readyz", "GET", read, &open_routes::readyz},
    {"/v1/version", "GET", std::nullopt},
    {"/v1/openapi.json", "GET", std::nullopt},
    {"/v1/scheduler/pause", "POST", admin},
    {"/v1/scheduler/resume", "POST", admin},
    {debug_stall, "POST", admin},
    {"/v1/events", "GET", read},
    {"/v1/stream/snapshots", "GET", read},
    {"/v1/stream/events", "GET", read},
    {"/v1/snapshot", "GET", read},
    {"/v1/streams", "GET", read},
    {"/v1/cluster", "GET", read},
    {"/metrics", "GET", read, &open_routes::metrics},
    {"/v1/jobs", "GET", read},
    {"/v1/jobs", "POST", admin},
    {"/v1/jobs/{id}", "GET", read},
    {"/v1/jobs/{id}", "PUT", admin},
    {"/v1/jobs/{id}", "DELETE", admin},
    {"/v1/jobs/{id}/run", "POST", admin},
    {"/v1/jobs/{id}/backfill", "POST", admin},
    {"/v1/jobs/{id}/pause", "POST", admin},
    {"/v1/jobs/{id}/resume", "POST", admin},
    {"/v1/jobs/{id}/runs", "GET", read},
    {"/v1/jobs/{id}/runs/{run_id}", "GET", read},
    {"/v1/jobs/{id}/runs/{run_id}/output", "GET", read},
    {"/v1/jobs/{id}/decisions", "GET", read},
    {"/v1/jobs/{id}/next", "GET", read},
    {"/v1/preview", "GET", read},
    {"/v1/stream/console", "GET", read},
    // The console's page, script and stylesheet hold no data: the page asks for a token and
    // every request it makes is checked like any other.
    {"/ui", "GET", std::nullopt},
    {"/ui/{asset}", "GET", std::nullopt},
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
    if (route_template != r.path || (!test_hooks && route_template == debug_stall)) continue;
    if (!out.empty()) out += ", ";
    out += r.method;
    if (std::string_view{r.method} == "GET") out += ", HEAD";
  }
  return out;
}

std::string_view route_template_of(std::string_view path) {
  constexpr std::string_view ui = "/ui/";
  if (path.size() > ui.size() && path.substr(0, ui.size()) == ui) return "/ui/{asset}";
  constexpr std::string_view jobs = "/v1/jobs/";
  if (path.substr(0, jobs.size()) != jobs) return path;
  auto rest = path.substr(jobs.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return "/v1/jobs/{id}";
  rest = rest.substr(slash);
  if (rest == "/run") return "/v1/jobs/{id}/run";
  if (rest == "/backfill") return "/v1/jobs/{id}/backfill";
  if (rest == "/pause") return "/v1/jobs/{id}/pause";
  if (rest == "/resume") return "/v1/jobs/{id}/resume";
  if (rest == "/runs") return "/v1/jobs/{id}/runs";
  if (rest == "/decisions") return "/v1/jobs/{id}/decisions";
  if (rest == "/next") return "/v1/jobs/{id}/next";
  if (rest.substr(0, 6) == "/runs/") {
    const auto run_end = rest.find('/', 6);
    if (run_end == std::string_view::npos) return "/v1/jobs/{id}/runs/{run_id}";
    if (rest.substr(run_end) == "/output") return "/v1/jobs/{id}/runs/{run_id}/output";
  }
  return path;
}

}  // namespace vigil::http
