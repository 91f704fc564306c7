// One request (or a few: apply reads before it writes, list --all pages and asks for the
// scheduler's state, runs and decisions ask for the job's zone) per action, through app/api_client;
// answers printed as tables in the job's and the viewer's zones, or as JSON or YAML.
#include "app/jobs_cli.hpp"
#include "app/api_client.hpp"
#include "app/http_client.hpp"
#include "app/json_text.hpp"
#include "app/output.hpp"
#include "app/times.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <istream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <thread>
#include <vector>

namespace vigil::app {
namespace {

using json = nlohmann::json;

std::string job_path(const std::string& id) { return "/v1/jobs/" + escape_segment(id); }

std::string last_decision_text(const json& d) {
  if (!d.is_object()) return "-";
  std::string t = text(d, "kind", "?");
  if (d.contains("reason") && d["reason"].is_string() && !d["reason"].get<std::string>().empty())
    t += " (" + d["reason"].get<std::string>() + ")";
  return t;
}

/// "succeeded", "failed (3 in a row)", "-" before the first attempt finished.
std::string last_result_text(const json& status) {
  const std::string outcome = text(status, "last_outcome");
  const std::string in_a_row = text(status, "consecutive_failures", "0");
  if (outcome != "-" && in_a_row != "0" && in_a_row != "1" && outcome != "succeeded" &&
      outcome != "cancelled")
    return outcome + " (" + in_a_row + " in a row)";
  return outcome;
}

/// Green for a success, red for a failure kind, yellow for a cancel.
std::string outcome_colour(const std::string& cell) {
  if (cell.rfind("succeeded", 0) == 0) return "32";
  if (cell.rfind("cancelled", 0) == 0) return "33";
  for (const char* failure : {"failed", "timed_out", "failed_to_start", "abandoned"})
    if (cell.rfind(failure, 0) == 0) return "31";
  return {};
}

/// The scheduler's own state from GET /v1/snapshot (its pause is not any job's); null, with a
/// note on `err`, when the daemon does not say.
json scheduler_state(api& a) {
  const auto r = a.call("GET", "/v1/snapshot");
  const json snap = r.status == 200 ? json::parse(r.body, nullptr, false) : json{};
  if (!snap.is_object() || !snap.contains("scheduler") || !snap["scheduler"].is_object()) {
    a.err() << "vigil: the scheduler's state is unknown (GET /v1/snapshot answered HTTP "
            << r.status << ")\n";
    return nullptr;
  }
  const json& s = snap["scheduler"];
  json out = json::object();
  for (const char* key : {"state", "paused", "paused_since", "pause_reason", "paused_by"})
    out[key] = s.contains(key) ? s[key] : json{};
  return out;
}

/// Jobs from GET /v1/jobs, page after page (`all`) or the first page; `query` ("&full=true")
/// goes on every page's path.
struct job_pages {
  json jobs = json::array();
  uint64_t total = 0;
  bool more = false;  ///< pages were left unread
};

job_pages fetch_jobs(api& a, const std::string& query, unsigned limit, bool all) {
  job_pages got;
  std::string after;
  for (;;) {
    std::string path = "/v1/jobs?limit=" + std::to_string(limit ? limit : 100) + query;
    if (!after.empty()) path += "&after=" + escape_segment(after);
    const json page = a.expect_ok("list jobs", "GET", path);
    if (!page.is_object() || !page.contains("jobs") || !page["jobs"].is_array()) {
      a.err() << "vigil: " << path << " answered without a \"jobs\" array\n";
      throw stop{exit_unreachable};
    }
    for (const auto& j : page["jobs"]) got.jobs.push_back(j);
    if (page.contains("total") && page["total"].is_number_unsigned())
      got.total = page["total"].get<uint64_t>();
    got.more = page.contains("next") && page["next"].is_string();
    if (!got.more || !all) break;
    const std::string next = page["next"].get<std::string>();
    if (next == after) break;  // no progress: do not loop forever
    after = next;
  }
  return got;
}

int list(api& a, const jobs_options& o, std::ostream& out, std::ostream& err) {
  (void)err;
  const job_pages pages = fetch_jobs(a, "", o.limit, o.all);
  const json& jobs = pages.jobs;
  const uint64_t total = pages.total;
  const bool more = pages.more;
  const json scheduler = scheduler_state(a);
  if (o.view.format != output_format::table) {
    print_document(
        out, json{{"scheduler", scheduler}, {"jobs", jobs}, {"total", total}, {"complete", !more}},
        o.view.format);
    return exit_ok;
  }
  if (scheduler.is_object() && scheduler.value("paused", false)) {
    out << "SCHEDULER PAUSED since "
        << show_time(text(scheduler, "paused_since"), "", o.view.viewer) << " by "
        << text(scheduler, "paused_by");
    if (scheduler["pause_reason"].is_string()) out << ": " << text(scheduler, "pause_reason");
    out << "; no job fires until `vigil scheduler resume`\n";
  }
  if (jobs.empty()) {
    out << "no jobs\n";
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "SCHEDULE", "TZ", "STATE", "RUNNING",
                                                 "LAST RESULT", "LAST SUCCESS", "NEXT",
                                                 "LAST DECISION"}};
  for (const auto& j : jobs) {
    std::string state = j.value("enabled", true) ? "enabled" : "disabled";
    if (j.value("paused", false)) state += ",paused";
    const std::string zone = text(j, "time_zone", "");
    const json status = j.contains("status") ? j["status"] : json{};
    rows.push_back({text(j, "id"), text(j, "schedule"), text(j, "time_zone"), state,
                    text(j, "running", "0"), last_result_text(status),
                    show_time(text(status, "last_success_at"), zone, o.view.viewer),
                    show_time(text(j, "next_due"), zone, o.view.viewer),
                    last_decision_text(j.contains("last_decision") ? j["last_decision"] : json{})});
  }
  cell_colour colour;
  if (o.view.coloured())
    colour = [](size_t column, const std::string& cell) {
      return column == 5 ? outcome_colour(cell) : std::string{};
    };
  print_table(out, rows, colour);
  if (more && !o.all)
    out << "(" << jobs.size() << " of " << total << " jobs shown; --all lists every one)\n";
  return exit_ok;
}

/// The job's zone, for showing its times; "" (the viewer's zone alone) when it is gone.
std::string job_zone(api& a, const std::string& id) {
  const auto r = a.call("GET", job_path(id));
  if (r.status != 200) return {};
  const json j = json::parse(r.body, nullptr, false);
  // The job's zone is its definition's ("spec"), not a field of the job object itself.
  return j.is_object() && j.contains("spec") ? text(j["spec"], "time_zone", "") : std::string{};
}

/// The jobs of one apply file's content: one object, or an array of objects, each with an id.
void parse_jobs(const std::string& content, const std::string& name, std::vector<json>& jobs,
                std::ostream& err) {
  json doc;
  try {
    doc = json::parse(content);
  } catch (const json::parse_error& e) {
    err << "vigil: " << name << " is not JSON: " << e.what() << "\n";
    throw stop{exit_refused};
  }
  std::vector<json> found;
  if (doc.is_object()) {
    found.push_back(std::move(doc));
  } else if (doc.is_array()) {
    for (auto& j : doc) found.push_back(std::move(j));
  } else {
    err << "vigil: " << name << ": expected a job object or an array of job objects\n";
    throw stop{exit_refused};
  }
  for (size_t i = 0; i < found.size(); ++i) {
    const json& j = found[i];
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string() ||
        j["id"].get<std::string>().empty()) {
      err << "vigil: " << name << ": job " << i + 1 << " of " << found.size()
          << " has no \"id\" string (field /id)\n";
      throw stop{exit_refused};
    }
    jobs.push_back(std::move(found[i]));
  }
}

std::string read_file(const std::string& path, std::ostream& err) {
  std::ifstream f{path, std::ios::binary};
  if (!f) {
    err << "vigil: cannot read " << path << "\n";
    throw stop{exit_refused};
  }
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// The jobs to apply: from stdin ("-"), a file, or every *.json file of a directory (in name
/// order, not recursively). An id twice is refused: which one was meant?
std::vector<json> read_jobs(const jobs_options& o, std::istream& in, std::ostream& err) {
  std::vector<json> jobs;
  std::error_code ec;
  if (o.file == "-") {
    parse_jobs({std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()}, "stdin",
               jobs, err);
  } else if (std::filesystem::is_directory(o.file, ec)) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(o.file, ec))
      if (e.path().extension() == ".json" && !e.is_directory()) files.push_back(e.path());
    if (ec) {
      err << "vigil: cannot read the directory " << o.file << ": " << ec.message() << "\n";
      throw stop{exit_refused};
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      err << "vigil: " << o.file << " holds no *.json file\n";
      throw stop{exit_refused};
    }
    for (const auto& f : files) parse_jobs(read_file(f.string(), err), f.string(), jobs, err);
  } else {
    parse_jobs(read_file(o.file, err), o.file, jobs, err);
  }
  std::set<std::string> ids;
  for (const auto& j : jobs)
    if (!ids.insert(j["id"].get<std::string>()).second) {
      err << "vigil: job " << j["id"].get<std::string>() << " is defined twice in " << o.file
          << "\n";
      throw stop{exit_refused};
    }
  return jobs;
}

/// What apply does to one job, as the server's dry run answered it.
struct planned_job {
  std::string id;
  const json* job = nullptr;        ///< the definition from the input
  std::string verdict;              ///< created, changed, unchanged
  std::vector<std::string> fields;  ///< changed: the definition's fields that differ
  std::string revision;             ///< the job's revision once applied
  json warnings = json::array();
};

/// The top-level fields of two definitions that differ (both as the server renders them).
std::vector<std::string> changed_fields(const json& before, const json& after) {
  std::set<std::string> keys;
  for (const auto* j : {&before, &after})
    if (j->is_object())
      for (const auto& [k, v] : j->items()) keys.insert(k);
  std::vector<std::string> out;
  for (const auto& k : keys)
    if (!before.is_object() || !after.is_object() || !before.contains(k) || !after.contains(k) ||
        before[k] != after[k])
      out.push_back(k);
  return out;
}

/// apply: every job is checked by the server first (PUT ?dry_run=true) and nothing is written
/// unless all of them pass; then the changed ones are PUT and, with --prune, the daemon's jobs
/// the input lacks are removed. --dry-run stops after the check. Prints the diff.
int apply(api& a, const jobs_options& o, std::istream& in, std::ostream& out, std::ostream& err) {
  const auto jobs = read_jobs(o, in, err);
  if (o.prune && jobs.empty()) {
    err << "vigil: the input holds no job: --prune would remove every job; refusing\n";
    return exit_refused;
  }
  std::map<std::string, json> current;  // id -> the job as the daemon has it
  for (auto& j : fetch_jobs(a, "&full=true", 500, true).jobs)
    if (j.is_object() && j.contains("id") && j["id"].is_string()) {
      std::string id = j["id"].get<std::string>();
      current[std::move(id)] = std::move(j);
    }

  std::vector<planned_job> plan;
  bool refused = false;
  for (const auto& job : jobs) {
    planned_job p;
    p.id = job["id"].get<std::string>();
    p.job = &job;
    const auto r = a.call("PUT", job_path(p.id) + "?dry_run=true", job.dump());
    if (r.status < 200 || r.status >= 300) {
      a.refusal("job " + p.id, r);
      refused = true;
      continue;
    }
    const json would = a.parse(r, job_path(p.id));
    const auto was = current.find(p.id);
    if (r.status == 201 || was == current.end()) {
      p.verdict = "created";
    } else if (would.value("revision", json{}) == was->second.value("revision", json{})) {
      p.verdict = "unchanged";
    } else {
      p.verdict = "changed";
      p.fields = changed_fields(was->second.value("spec", json{}), would.value("spec", json{}));
    }
    if (would.contains("warnings") && would["warnings"].is_array()) p.warnings = would["warnings"];
    p.revision = text(would, "revision", "?");
    plan.push_back(std::move(p));
  }
  if (refused) {
    err << "vigil: nothing was applied: the server refused the jobs above\n";
    return exit_refused;
  }
  std::vector<std::string> deleted;
  if (o.prune) {
    std::set<std::string> wanted;
    for (const auto& p : plan) wanted.insert(p.id);
    for (const auto& [id, j] : current)
      if (!wanted.count(id)) deleted.push_back(id);
  }

  int code = exit_ok;
  if (!o.dry_run) {
    // The check passed, but a write can still fail (no leader, a deadline): stop at the first,
    // remove nothing after it, and say what was written.
    size_t written = 0;
    auto stopped = [&](const std::string& id, const fetch_response& r) {
      a.refusal("job " + id, r);
      err << "vigil: stopped after " << written << " of " << plan.size() + deleted.size()
          << " writes; the jobs before " << id << " were applied, none after it"
          << (deleted.empty() ? "" : " (nothing was removed)") << "\n";
      return exit_refused;
    };
    for (const auto& p : plan) {
      if (p.verdict == "unchanged") continue;
      const auto r = a.call("PUT", job_path(p.id), p.job->dump());
      if (r.status < 200 || r.status >= 300) return stopped(p.id, r);
      ++written;
    }
    for (const auto& id : deleted) {
      const auto r = a.call("DELETE", job_path(id));
      if (r.status != 200 && r.status != 404) return stopped(id, r);  // 404: gone meanwhile
      ++written;
    }
  }

  if (o.view.format != output_format::table) {
    json doc = {{"dry_run", o.dry_run},     {"created", json::array()},
                {"changed", json::array()}, {"unchanged", json::array()},
                {"deleted", deleted},       {"warnings", json::array()}};
    for (const auto& p : plan) {
      if (p.verdict == "changed")
        doc["changed"].push_back({{"id", p.id}, {"fields", p.fields}});
      else
        doc[p.verdict].push_back(p.id);
      for (const auto& w : p.warnings)
        doc["warnings"].push_back(
            {{"job", p.id}, {"field", w.value("field", "")}, {"message", w.value("message", "")}});
    }
    print_document(out, doc, o.view.format);
    return code;
  }
  size_t counts[3] = {0, 0, 0};
  for (const auto& p : plan) {
    out << "job " << p.id << ": " << p.verdict;
    if (!p.fields.empty()) {
      out << " (";
      for (size_t i = 0; i < p.fields.size(); ++i) out << (i ? ", " : "") << p.fields[i];
      out << "; ";
    } else {
      out << " (";
    }
    out << "revision " << p.revision << ")\n";
    ++counts[p.verdict == "created" ? 0 : p.verdict == "changed" ? 1 : 2];
  }
  for (const auto& id : deleted) out << "job " << id << ": deleted\n";
  for (const auto& p : plan)
    for (const auto& w : p.warnings)
      out << "job " << p.id << ": warning: " << w.value("field", "") << ": "
          << w.value("message", "") << "\n";
  out << counts[0] << " created, " << counts[1] << " changed, " << counts[2] << " unchanged, "
      << deleted.size() << " deleted";
  if (o.dry_run) out << " (dry run: nothing was written)";
  out << "\n";
  return code;
}

/// export: every job's definition, as `apply -f` reads it back.
int export_jobs(api& a, const jobs_options& o, std::ostream& out) {
  json specs = json::array();
  for (const auto& j : fetch_jobs(a, "&full=true", 500, true).jobs)
    if (j.is_object() && j.contains("spec")) specs.push_back(j["spec"]);
  print_document(out, specs,
                 o.view.format == output_format::yaml ? output_format::yaml : output_format::json);
  return exit_ok;
}

/// backfill: the decisions for the job's past nominal times in [from, to] nothing decided.
int backfill(api& a, const jobs_options& o, std::ostream& out) {
  const json answer = a.expect_ok("job " + o.id, "POST", job_path(o.id) + "/backfill",
                                  json{{"from", o.from}, {"to", o.to}}.dump());
  if (o.view.format != output_format::table) {
    print_document(out, answer, o.view.format);
    return exit_ok;
  }
  const std::string zone = job_zone(a, o.id);
  const json decisions = answer.value("decisions", json::array());
  if (!decisions.empty()) {
    std::vector<std::vector<std::string>> rows = {{"NOMINAL", "KIND", "REASON", "RUN"}};
    for (const auto& d : decisions)
      rows.push_back({show_time(text(d, "nominal"), zone, o.view.viewer), text(d, "kind"),
                      text(d, "reason"), text(d, "run_id")});
    print_table(out, rows);
  }
  out << "job " << o.id << ": " << text(answer, "nominal_times", "0") << " nominal times from "
      << show_time(text(answer, "from"), zone, o.view.viewer) << " to "
      << show_time(text(answer, "to"), zone, o.view.viewer) << ": " << text(answer, "decided", "0")
      << " decided now, " << text(answer, "already_decided", "0")
      << " decided already (or the schedule's)\n";
  return exit_ok;
}

/// A read of job `o.id` at `path` (with `?name=value` when `value` is set): printed as the
/// document asked for, or, for a table, returned to be printed as one.
std::optional<json> read_for_table(api& a, const jobs_options& o, std::string path,
                                   const char* name, size_t value, std::ostream& out) {
  if (value) path += std::string{"?"} + name + "=" + std::to_string(value);
  json answer = a.expect_ok("job " + o.id, "GET", path);
  if (o.view.format == output_format::table) return answer;
  print_document(out, answer, o.view.format);
  return std::nullopt;
}

int runs(api& a, const jobs_options& o, std::ostream& out) {
  const auto page = read_for_table(a, o, job_path(o.id) + "/runs", "limit", o.limit, out);
  if (!page) return exit_ok;
  const std::string zone = job_zone(a, o.id);
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "STATUS", "ATTEMPT", "NOMINAL", "STARTED", "SECONDS", "EXIT", "ERROR"}};
  for (const auto& r : page->value("runs", json::array())) {
    std::string exit_text = text(r, "exit_code");
    if (r.contains("signal") && !r["signal"].is_null()) exit_text = "signal " + text(r, "signal");
    rows.push_back({text(r, "run_id"), text(r, "status"), text(r, "attempt"),
                    show_time(text(r, "nominal"), zone, o.view.viewer),
                    show_time(text(r, "started_at"), zone, o.view.viewer),
                    text(r, "duration_seconds"), exit_text, text(r, "error")});
  }
  if (rows.size() == 1) {
    out << "no runs of job " << o.id << "\n";
    return exit_ok;
  }
  cell_colour colour;
  if (o.view.coloured())
    colour = [](size_t column, const std::string& cell) {
      return column == 1 ? outcome_colour(cell) : std::string{};
    };
  print_table(out, rows, colour);
  return exit_ok;
}

int decisions(api& a, const jobs_options& o, std::ostream& out) {
  const auto page = read_for_table(a, o, job_path(o.id) + "/decisions", "limit", o.limit, out);
  if (!page) return exit_ok;
  const std::string zone = job_zone(a, o.id);
  std::vector<std::vector<std::string>> rows = {
      {"SEQ", "AT", "KIND", "REASON", "NOMINAL", "COUNT", "RUN"}};
  for (const auto& d : page->value("decisions", json::array()))
    rows.push_back({text(d, "seq"), show_time(text(d, "at"), zone, o.view.viewer), text(d, "kind"),
                    text(d, "reason"), show_time(text(d, "nominal"), zone, o.view.viewer),
                    text(d, "count"), text(d, "run_id")});
  if (rows.size() == 1) {
    out << "no decisions for job " << o.id << "\n";
    return exit_ok;
  }
  print_table(out, rows);
  return exit_ok;
}

int next(api& a, const jobs_options& o, std::ostream& out) {
  const auto found = read_for_table(a, o, job_path(o.id) + "/next", "count", o.count, out);
  if (!found) return exit_ok;
  const json& answer = *found;
  const std::string zone = text(answer, "time_zone", "");
  const json fires = answer.value("fires", json::array());
  if (fires.empty()) {
    out << "job " << o.id << " has no more fire times\n";
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows = {{"#", "FIRE (" + zone + ")"}};
  for (size_t i = 0; i < fires.size(); ++i)
    rows.push_back(
        {std::to_string(i + 1),
         show_time(fires[i].is_string() ? fires[i].get<std::string>() : "-", zone, o.view.viewer)});
  print_table(out, rows);
  const std::string jitter = text(answer, "jitter_offset_seconds", "0");
  if (jitter != "0" && jitter != "0.000")
    out << "(nominal times; each run starts " << jitter << "s later, the job's jitter offset)\n";
  return exit_ok;
}

/// logs -f: the run's output as it is written (GET .../output?follow), every byte once: a
/// dropped connection resumes from the last position (Last-Event-ID). Ends with the run's
/// attempt: how it ended goes to stderr.
int follow_logs(api& a, const jobs_options& o, const std::string& run_id, std::ostream& out,
                std::ostream& err) {
  const std::string target =
      o.client.url.prefix + job_path(o.id) + "/runs/" + escape_segment(run_id) + "/output?follow";
  std::string last_id;
  uint64_t attempt = 0;  // once known, a reconnect stays on the attempt it followed
  unsigned failures = 0;
  for (;;) {
    sse_request req;
    req.url = o.client.url;
    req.target = attempt ? target + "&attempt=" + std::to_string(attempt) : target;
    req.last_event_id = last_id;
    if (o.client.token) req.token = *o.client.token;
    sse_parser parser{last_id};
    std::optional<json> end;
    std::optional<json> closed;
    bool progressed = false;
    const sse_outcome got = read_sse(
        req, parser, [] {},
        [&](const sse_event& e) {
          const json data = json::parse(e.data, nullptr, false);
          if (e.type == "close") closed = data.is_object() ? data : json::object();
          if (e.type == "output" && data.is_object()) {
            progressed = true;
            if (data.contains("attempt") && data["attempt"].is_number_unsigned())
              attempt = data["attempt"].get<uint64_t>();
            if (data.value("dropped", uint64_t{0}) > 0)
              err << "(" << data["dropped"].get<uint64_t>()
                  << " bytes dropped here: the output went faster than it was read, and its "
                     "tail is kept)\n";
            out << data.value("data", std::string{});
            out.flush();
            last_id = e.id;
          } else if (e.type == "end" && data.is_object()) {
            end = data;
          }
        });
    if (end) {
      err << "run " << run_id << " (attempt " << text(*end, "attempt")
          << "): " << text(*end, "outcome");
      if ((*end)["exit_code"].is_number()) err << ", exit " << text(*end, "exit_code");
      if ((*end)["signal"].is_number()) err << ", signal " << text(*end, "signal");
      err << "\n";
      return exit_ok;
    }
    if (closed && text(*closed, "reason") != "shutting down") {
      // The daemon ended the stream for a reason of its own: asking again would get the same.
      err << "vigil: the daemon closed the output stream: " << text(*closed, "reason") << "\n";
      return exit_refused;
    }
    if (got.kind == sse_outcome::refused) {
      fetch_response r;
      r.answered = true;
      r.status = got.status;
      r.body = got.body;
      a.refusal("run " + run_id, r);
      return exit_refused;
    }
    if (progressed) failures = 0;
    if (++failures > 10) {
      err << "vigil: " << o.client.url.text() << ": " << got.detail << "\n";
      return exit_unreachable;
    }
    // A client's pause before it asks again (the stream resumes from the last byte it had).
    std::this_thread::sleep_for(std::chrono::milliseconds{500} * failures);
  }
}

/// What a run printed (stdout and stderr as captured), of the named run or the job's newest:
/// the bytes alone on stdout, so that a pipe gets exactly them; where the run stands (still
/// running, truncated, how it ended) goes to stderr.
int logs(api& a, const jobs_options& o, std::ostream& out, std::ostream& err) {
  std::string run_id = o.run;
  if (run_id.empty()) {
    const json page = a.expect_ok("job " + o.id, "GET", job_path(o.id) + "/runs?limit=1");
    const json newest = page.value("runs", json::array());
    if (newest.empty() || !newest[0].is_object()) {
      err << "no runs of job " << o.id << "\n";
      return exit_ok;
    }
    run_id = text(newest[0], "run_id");
  }
  if (o.follow) return follow_logs(a, o, run_id, out, err);
  const json run =
      a.expect_ok("run " + run_id, "GET", job_path(o.id) + "/runs/" + escape_segment(run_id));
  if (o.view.format != output_format::table) {
    print_document(out, run, o.view.format);
    return exit_ok;
  }
  const std::string status = text(run, "status");
  std::string output = run.value("output", std::string{});
  const bool going = status == "running" || status == "starting";
  if (going) {
    // The record has it only at the end: what it printed so far comes from the process.
    const json live =
        a.expect_ok("run " + run_id, "GET",
                    job_path(o.id) + "/runs/" + escape_segment(run_id) + "/output?max=1048576");
    output = live.value("output", std::string{});
  }
  out << output;
  out.flush();
  err << "run " << run_id << " (attempt " << text(run, "attempt") << "): " << status;
  if (run.contains("exit_code") && run["exit_code"].is_number())
    err << ", exit " << text(run, "exit_code");
  if (run.contains("error") && run["error"].is_string()) err << ", " << text(run, "error");
  err << "\n";
  // The attempts a retry followed: how each ended (the output above is the latest's).
  const json attempts = run.value("attempts", json::array());
  for (const auto& at : attempts) {
    if (text(at, "attempt") == text(run, "attempt")) continue;
    err << "earlier attempt " << text(at, "attempt") << ": " << text(at, "outcome");
    if (at.contains("exit_code") && at["exit_code"].is_number())
      err << ", exit " << text(at, "exit_code");
    if (at.contains("error") && at["error"].is_string()) err << ", " << text(at, "error");
    err << "\n";
  }
  if (status == "running" || status == "starting")
    err << "(still running: the output so far; `vigil jobs logs -f` follows it)\n";
  if (run.value("truncated", false))
    err << "(output truncated: " << output.size() << " of " << text(run, "output_bytes")
        << " bytes kept; the job's output_limit)\n";
  return exit_ok;
}

std::string reason_body(const std::optional<std::string>& reason) {
  if (!reason) return {};
  return json{{"reason", *reason}}.dump();
}

int dispatch(api& a, const jobs_options& o, std::istream& in, std::ostream& out,
             std::ostream& err) {
  using act = jobs_options::action;
  const std::string what = "job " + o.id;
  switch (o.act) {
    case act::list:
      return list(a, o, out, err);
    case act::apply:
      return apply(a, o, in, out, err);
    case act::get:
      // A table of one object would say less than its JSON: the table format prints JSON too.
      print_document(
          out, a.expect_ok(what, "GET", job_path(o.id)),
          o.view.format == output_format::yaml ? output_format::yaml : output_format::json);
      return exit_ok;
    case act::rm:
      a.expect_ok(what, "DELETE", job_path(o.id));
      out << "job " << o.id << ": removed\n";
      return exit_ok;
    case act::run: {
      const std::string body = o.overlap ? json{{"overlap", *o.overlap}}.dump() : std::string{};
      const json d = a.expect_ok(what, "POST", job_path(o.id) + "/run", body);
      out << "job " << o.id << ": " << text(d, "kind", "?") << " (" << text(d, "reason", "?")
          << "), nominal " << text(d, "nominal", "?");
      if (d.contains("run_id") && d["run_id"].is_string()) out << ", run " << text(d, "run_id");
      out << "\n";
      if (d.contains("cancels") && d["cancels"].is_array() && !d["cancels"].empty()) {
        out << "cancels:";
        for (const auto& c : d["cancels"])
          out << " " << (c.is_string() ? c.get<std::string>() : c.dump());
        out << "\n";
      }
      // Nothing will run: a script waiting for this run must not take it for started.
      return text(d, "kind") == "skipped" ? exit_skipped : exit_ok;
    }
    case act::pause:
    case act::resume: {
      const bool pause = o.act == act::pause;
      const json j = a.expect_ok(what, "POST", job_path(o.id) + (pause ? "/pause" : "/resume"),
                                 reason_body(o.reason));
      const bool paused = j.is_object() && j.value("paused", false);
      out << "job " << o.id << ": " << (paused ? "paused" : "running");
      if (paused) {
        out << " since " << text(j, "paused_since") << " by " << text(j, "paused_by");
        if (j.contains("pause_reason") && j["pause_reason"].is_string())
          out << ": " << j["pause_reason"].get<std::string>();
      } else {
        out << "; next due " << text(j, "next_due", "none");
      }
      out << "\n";
      return exit_ok;
    }
    case act::runs:
      return runs(a, o, out);
    case act::decisions:
      return decisions(a, o, out);
    case act::next:
      return next(a, o, out);
    case act::logs:
      return logs(a, o, out, err);
    case act::export_:
      return export_jobs(a, o, out);
    case act::backfill:
      return backfill(a, o, out);
  }
  return exit_usage;
}

}  // namespace

int run_jobs(const jobs_options& opts, std::istream& in, std::ostream& out, std::ostream& err) {
  api a{opts.client, err};
  try {
    const int code = dispatch(a, opts, in, out, err);
    out.flush();
    return code;
  } catch (const stop& s) {
    out.flush();
    return s.code;
  }
}

}  // namespace vigil::app
