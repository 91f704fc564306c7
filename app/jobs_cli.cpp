// One request (or a few: apply reads before it writes, list --all pages) per action, through
// app/sse_reader's fetch; answers printed as tables or pretty JSON.
#include "app/jobs_cli.hpp"
#include "app/json_text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <istream>
#include <iterator>
#include <optional>
#include <ostream>
#include <vector>

namespace vigil::app {
namespace {

using json = nlohmann::json;

/// A path segment, percent-encoded beyond RFC 3986's unreserved characters.
std::string escape_segment(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}


/// Thrown when an action cannot go on; carries its exit code (the message is already printed).
struct stop {
  int code;
};

class api {
 public:
  api(const client_options& c, std::ostream& err) : c_(c), err_(err) {}

  /// One request. Unreachable or garbage: prints why and throws stop{3}.
  fetch_response call(const std::string& method, const std::string& path,
                      const std::string& body = {}) {
    fetch_request req;
    req.url = c_.url;
    req.method = method;
    req.target = c_.url.prefix + path;
    req.body = body;
    req.headers = c_.auth_headers();
    req.timeout = c_.timeout;
    fetch_response r = fetch(req);
    if (!r.answered) {
      err_ << "vigil: " << c_.url.text() << " is unreachable: " << r.error << "\n";
      throw stop{exit_unreachable};
    }
    return r;
  }

  /// The body as a JSON value, or stop{3} when it is not JSON (not the vigil API).
  json parse(const fetch_response& r, const std::string& path) {
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded()) {
      err_ << "vigil: " << c_.url.text() << path << " answered HTTP " << r.status
           << " with a body that is not JSON; is this a vigil daemon?\n";
      throw stop{exit_unreachable};
    }
    return j;
  }

  /// "vigil: <what>: refused: HTTP 400 invalid_argument: <detail> (field /schedule)".
  void refusal(const std::string& what, const fetch_response& r) {
    const json j = json::parse(r.body, nullptr, false);
    err_ << "vigil: " << what << ": refused: HTTP " << r.status;
    if (j.is_object() && j.contains("error")) {
      err_ << " " << text(j, "error") << ": " << text(j, "detail", "");
      if (j.contains("field") && j["field"].is_string())
        err_ << " (field " << j["field"].get<std::string>() << ")";
    } else if (!r.head.reason.empty()) {
      err_ << " " << r.head.reason;
    }
    err_ << "\n";
  }

  /// An answer with a 2xx status as JSON; otherwise prints the refusal and throws stop{1}.
  json expect_ok(const std::string& what, const std::string& method, const std::string& path,
                 const std::string& body = {}) {
    const auto r = call(method, path, body);
    if (r.status < 200 || r.status >= 300) {
      refusal(what, r);
      throw stop{exit_refused};
    }
    return parse(r, path);
  }

 private:
  const client_options& c_;
  std::ostream& err_;
};

/// Columns padded to their widest cell; the last one is not padded.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string job_path(const std::string& id) { return "/v1/jobs/" + escape_segment(id); }

std::string last_decision_text(const json& d) {
  if (!d.is_object()) return "-";
  std::string t = text(d, "kind", "?") + " " + text(d, "nominal", "?");
  if (d.contains("reason") && d["reason"].is_string() && !d["reason"].get<std::string>().empty())
    t += " (" + d["reason"].get<std::string>() + ")";
  return t;
}

int list(api& a, const jobs_options& o, std::ostream& out, std::ostream& err) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "SCHEDULE", "TZ", "STATE", "RUNNING", "NEXT DUE", "LAST DECISION"}};
  std::string after;
  uint64_t total = 0;
  size_t shown = 0;
  bool more = false;
  for (;;) {
    std::string path = "/v1/jobs?limit=" + std::to_string(o.limit ? o.limit : 100);
    if (!after.empty()) path += "&after=" + escape_segment(after);
    const json page = a.expect_ok("list jobs", "GET", path);
    if (!page.is_object() || !page.contains("jobs") || !page["jobs"].is_array()) {
      err << "vigil: " << path << " answered without a \"jobs\" array\n";
      throw stop{exit_unreachable};
    }
    for (const auto& j : page["jobs"]) {
      std::string state = j.value("enabled", true) ? "enabled" : "disabled";
      if (j.value("paused", false)) state += ",paused";
      rows.push_back({text(j, "id"), text(j, "schedule"), text(j, "time_zone"), state,
                      text(j, "running", "0"), text(j, "next_due"),
                      last_decision_text(j.contains("last_decision") ? j["last_decision"]
                                                                     : json{})});
      ++shown;
    }
    if (page.contains("total") && page["total"].is_number_unsigned())
      total = page["total"].get<uint64_t>();
    more = page.contains("next") && page["next"].is_string();
    if (!more || !o.all) break;
    const std::string next = page["next"].get<std::string>();
    if (next == after) break;  // no progress: do not loop forever
    after = next;
  }
  if (shown == 0) {
    out << "no jobs\n";
    return exit_ok;
  }
  print_table(out, rows);
  if (more && !o.all)
    out << "(" << shown << " of " << total << " jobs shown; --all lists every one)\n";
  return exit_ok;
}

/// The jobs of an apply file: one object, or an array of objects.
std::vector<json> read_jobs(const jobs_options& o, std::istream& in, std::ostream& err) {
  std::string content;
  const std::string name = o.file == "-" ? std::string{"stdin"} : o.file;
  if (o.file == "-") {
    content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    std::ifstream f{o.file, std::ios::binary};
    if (!f) {
      err << "vigil: cannot read " << o.file << "\n";
      throw stop{exit_refused};
    }
    content.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  json doc;
  try {
    doc = json::parse(content);
  } catch (const json::parse_error& e) {
    err << "vigil: " << name << " is not JSON: " << e.what() << "\n";
    throw stop{exit_refused};
  }
  std::vector<json> jobs;
  if (doc.is_object()) {
    jobs.push_back(std::move(doc));
  } else if (doc.is_array()) {
    for (auto& j : doc) jobs.push_back(std::move(j));
  } else {
    err << "vigil: " << name << ": expected a job object or an array of job objects\n";
    throw stop{exit_refused};
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    const json& j = jobs[i];
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string() ||
        j["id"].get<std::string>().empty()) {
      err << "vigil: " << name << ": job " << i + 1 << " of " << jobs.size()
          << " has no \"id\" string (field /id)\n";
      throw stop{exit_refused};
    }
  }
  return jobs;
}

int apply(api& a, const jobs_options& o, std::istream& in, std::ostream& out,
          std::ostream& err) {
  const auto jobs = read_jobs(o, in, err);
  int code = exit_ok;
  for (const auto& job : jobs) {
    const std::string id = job["id"].get<std::string>();
    const std::string path = job_path(id);
    // Its revision before, to tell "updated" from "unchanged" (both answer 200).
    std::optional<uint64_t> before;
    const auto current = a.call("GET", path);
    if (current.status == 200) {
      const json j = a.parse(current, path);
      if (j.is_object() && j.contains("revision") && j["revision"].is_number_unsigned())
        before = j["revision"].get<uint64_t>();
    }
    const auto r = a.call("PUT", path, job.dump());
    if (r.status < 200 || r.status >= 300) {
      a.refusal("job " + id, r);
      code = exit_refused;
      continue;
    }
    const json view = a.parse(r, path);
    const std::string revision = text(view, "revision", "?");
    if (r.status == 201)
      out << "job " << id << ": created (revision " << revision << ")\n";
    else if (before && revision == std::to_string(*before))
      out << "job " << id << ": unchanged (revision " << revision << ")\n";
    else
      out << "job " << id << ": updated (revision " << revision << ")\n";
  }
  return code;
}

int runs(api& a, const jobs_options& o, std::ostream& out) {
  std::string path = job_path(o.id) + "/runs";
  if (o.limit) path += "?limit=" + std::to_string(o.limit);
  const json page = a.expect_ok("job " + o.id, "GET", path);
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "STATUS", "ATTEMPT", "NOMINAL", "STARTED", "SECONDS", "EXIT", "ERROR"}};
  for (const auto& r : page.value("runs", json::array())) {
    std::string exit_text = text(r, "exit_code");
    if (r.contains("signal") && !r["signal"].is_null()) exit_text = "signal " + text(r, "signal");
    rows.push_back({text(r, "run_id"), text(r, "status"), text(r, "attempt"), text(r, "nominal"),
                    text(r, "started_at"), text(r, "duration_seconds"), exit_text,
                    text(r, "error")});
  }
  if (rows.size() == 1) {
    out << "no runs of job " << o.id << "\n";
    return exit_ok;
  }
  print_table(out, rows);
  return exit_ok;
}

int decisions(api& a, const jobs_options& o, std::ostream& out) {
  std::string path = job_path(o.id) + "/decisions";
  if (o.limit) path += "?limit=" + std::to_string(o.limit);
  const json page = a.expect_ok("job " + o.id, "GET", path);
  std::vector<std::vector<std::string>> rows = {
      {"SEQ", "AT", "KIND", "REASON", "NOMINAL", "COUNT", "RUN"}};
  for (const auto& d : page.value("decisions", json::array()))
    rows.push_back({text(d, "seq"), text(d, "at"), text(d, "kind"), text(d, "reason"),
                    text(d, "nominal"), text(d, "count"), text(d, "run_id")});
  if (rows.size() == 1) {
    out << "no decisions for job " << o.id << "\n";
    return exit_ok;
  }
  print_table(out, rows);
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
      out << a.expect_ok(what, "GET", job_path(o.id)).dump(2) << "\n";
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
        for (const auto& c : d["cancels"]) out << " " << (c.is_string() ? c.get<std::string>() : c.dump());
        out << "\n";
      }
      return exit_ok;
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
