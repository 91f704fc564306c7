// Three (or more) real vigil nodes on one throw-away PostgreSQL, and what the tests read back:
// the shared log straight from the database, each node's /health, the lease row.
#pragma once

#include <nlohmann/json.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/pg.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

using namespace std::chrono_literals;
using json = nlohmann::json;
using clock_type = std::chrono::system_clock;

/// Polls `probe` until it holds or `timeout` passes (a condition, never a fixed sleep).
inline bool eventually(std::chrono::milliseconds timeout, const std::function<bool()>& probe) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(20ms);
  }
}

/// The p-quantile (0..1, nearest rank) of `v`; 0 for none.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

/// One event of the shared log as the database holds it.
struct logged_event {
  uint64_t seq = 0;
  uint64_t term = 0;
  std::string type;
  json body;
  double committed_at = 0;  ///< the database's clock, seconds since the epoch
};

/// The lease row: who holds it, for which term.
struct lease_holder {
  std::string node;
  uint64_t term = 0;
};

class cluster {
 public:
  explicit cluster(size_t nodes, std::vector<std::string> extra = {})
      : conninfo_(pg_instance::shared().fresh_conninfo()), extra_(std::move(extra)) {
    for (size_t i = 0; i < nodes; ++i) {
      names_.push_back("n" + std::to_string(i + 1));
      procs_.emplace_back();
      stopped_.push_back(false);
      start(i);
    }
  }

  size_t size() const { return names_.size(); }
  const std::string& name(size_t i) const { return names_[i]; }
  const std::string& conninfo() const { return conninfo_; }
  const temp_dir& dir() const { return dir_; }
  daemon_process& proc(size_t i) { return *procs_[i]; }
  bool running(size_t i) const { return procs_[i] != nullptr && !stopped_[i]; }
  size_t index_of(const std::string& node) const {
    for (size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == node) return i;
    return names_.size();
  }

  /// Starts node i (again): the same name, a fresh process and port.
  void start(size_t i) {
    procs_[i].reset();
    std::vector<std::string> args = {"--store", conninfo_,     "--node",
                                     names_[i], "--lease-ttl", "1s"};
    for (const auto& a : extra_) args.push_back(a);
    procs_[i] = std::make_unique<daemon_process>(args);
    stopped_[i] = false;
  }
  void kill(size_t i) {
    procs_[i]->signal(SIGKILL);
    procs_[i]->wait_exit(10s);
    procs_[i].reset();
  }
  void pause(size_t i) {
    procs_[i]->signal(SIGSTOP);
    stopped_[i] = true;
  }
  void resume(size_t i) {
    procs_[i]->signal(SIGCONT);
    stopped_[i] = false;
  }

  /// GET /health of node i, or nothing when it does not answer within a second.
  std::optional<json> health(size_t i) {
    if (!running(i)) return std::nullopt;
    try {
      http_client c{procs_[i]->port(), 1s};
      auto r = c.get("/health");
      return json::parse(r.body);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  /// The leader node i's /health names (empty: none, or no answer).
  std::string leader_seen_by(size_t i) {
    auto h = health(i);
    if (!h || !h->contains("cluster") || (*h)["cluster"]["leader"].is_null()) return {};
    return (*h)["cluster"]["leader"]["node"].get<std::string>();
  }

  lease_holder lease() {
    auto r = db().exec_ok("SELECT holder, term FROM vigil_lease", {}, "lease");
    return {r.text(0, 0), static_cast<uint64_t>(r.integer(0, 1))};
  }

  /// How many decisions the given term made so far.
  int64_t decisions_of_term(uint64_t term) {
    auto r = db().exec_ok(
        "SELECT count(*) FROM vigil_events WHERE term = $1::bigint AND type = 'fire_decided'",
        {std::to_string(term)}, "decisions of a term");
    return r.integer(0, 0);
  }

  /// The database time of the first decision of a term above `term`, if there is one yet.
  std::optional<double> first_decision_after_term(uint64_t term) {
    auto r = db().exec_ok(
        "SELECT extract(epoch FROM min(committed_at))::float8 FROM vigil_events "
        "WHERE term > $1::bigint AND type = 'fire_decided'",
        {std::to_string(term)}, "first decision");
    if (r.is_null(0, 0)) return std::nullopt;
    return std::stod(r.text(0, 0));
  }

  std::vector<logged_event> log() {
    auto r = db().exec_ok(
        "SELECT seq, term, type, body, extract(epoch FROM committed_at)::float8 "
        "FROM vigil_events ORDER BY seq",
        {}, "read the log");
    std::vector<logged_event> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({static_cast<uint64_t>(r.integer(i, 0)), static_cast<uint64_t>(r.integer(i, 1)),
                     r.text(i, 2), json::parse(r.text(i, 3)), std::stod(r.text(i, 4))});
    return out;
  }

  /// Sends a request to node i; a 307 is followed to the node it names (its method, body and
  /// token again), as the CLI does. Answers the final response and how many hops it took.
  std::pair<http_response, int> send(size_t i, const std::string& method, const std::string& target,
                                     const std::string& body) {
    uint16_t port = procs_[i]->port();
    std::string path = target;
    for (int hops = 0;; ++hops) {
      http_client c{port, 5s};
      auto r = c.request(method, path, body);
      if (r.status != 307 || hops >= 3) return {r, hops};
      const auto location = r.header("location");  // http://127.0.0.1:PORT/path
      const auto host_end = location.find('/', std::string("http://").size());
      const auto colon = location.rfind(':', host_end);
      port = static_cast<uint16_t>(std::stoi(location.substr(colon + 1, host_end - colon - 1)));
      path = location.substr(host_end);
    }
  }

 private:
  store::pg::connection& db() {
    if (!db_) db_ = std::make_unique<store::pg::connection>(conninfo_);
    return *db_;
  }

  std::string conninfo_;
  std::vector<std::string> extra_;
  temp_dir dir_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<daemon_process>> procs_;
  std::vector<bool> stopped_;
  std::unique_ptr<store::pg::connection> db_;
};

/// What the whole log says about decisions: each (job, nominal second) it decided, how often.
struct decision_count {
  std::map<std::pair<std::string, int64_t>, int> per_nominal;
  int duplicates = 0;
  int missing = 0;
};

inline int64_t epoch_seconds(const std::string& rfc3339) {
  std::tm tm{};
  strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  return static_cast<int64_t>(timegm(&tm));
}

/// Counts decisions per (job, nominal second) over jobs of a one-second period: a decision
/// covers `nominal` .. `last` (`count` nominal times, e.g. a range missed while no leader
/// decided). Missing: a second between a job's first and last decided nominal nobody decided.
inline decision_count count_decisions(const std::vector<logged_event>& log,
                                      const std::function<bool(const std::string&)>& counted) {
  decision_count out;
  std::map<std::string, std::pair<int64_t, int64_t>> span;
  for (const auto& e : log) {
    if (e.type != "fire_decided") continue;
    const auto job = e.body.at("job").get<std::string>();
    if (!counted(job) || e.body.value("origin", "schedule") != "schedule") continue;
    const int64_t first = epoch_seconds(e.body.at("nominal").get<std::string>());
    const int64_t last =
        e.body.contains("last") ? epoch_seconds(e.body.at("last").get<std::string>()) : first;
    for (int64_t t = first; t <= last; ++t) {
      if (++out.per_nominal[{job, t}] == 2) ++out.duplicates;
    }
    auto [it, fresh] = span.try_emplace(job, first, last);
    if (!fresh) {
      it->second.first = std::min(it->second.first, first);
      it->second.second = std::max(it->second.second, last);
    }
  }
  for (const auto& [job, s] : span)
    for (int64_t t = s.first; t <= s.second; ++t)
      if (out.per_nominal.count({job, t}) == 0) ++out.missing;
  return out;
}

}  // namespace vigil::test
