// GET /metrics: the Prometheus text exposition format (0.0.4), without RESTinio.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/messages.hpp"
#include "model/health.hpp"
#include "model/job_status.hpp"

namespace vigil::http {

inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// HTTP responses by route template and status code.
///
/// The one exception to "nothing shared between threads": RESTinio's threads (and whichever
/// thread completes a response) increment these directly, because counting through an actor
/// would cost a message per request. It holds counters only, no state: a fixed table allocated
/// when the server starts (every route template plus "other", times a fixed set of codes plus
/// "other"), relaxed atomics, never resized, so every series exists from start-up.
class request_counters {
 public:
  static constexpr std::array<int, 14> codes{200, 201, 202, 304, 307, 400, 401,
                                             403, 404, 405, 409, 413, 500, 503};

  /// `templates`: the known route paths; anything else counts as route="other".
  explicit request_counters(std::vector<std::string> templates);

  /// Counts one response on `path` (a trailing slash is ignored) with `status`.
  void count(std::string_view path, int status) noexcept;

  size_t route_count() const { return routes_.size(); }  ///< including "other"
  const std::string& route(size_t i) const { return routes_[i]; }
  static std::string code_label(size_t j);  ///< j == codes.size(): "other"
  uint64_t value(size_t route, size_t code) const;

 private:
  std::vector<std::string> routes_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
};

using request_counters_ptr = std::shared_ptr<request_counters>;

/// What the actors answered for one scrape.
struct metrics_parts {
  model::health_report health;
  actors::journal_metrics journal;
  actors::stream_stats streams;
  model::job_metrics jobs;  ///< the scheduler's per-job figures (none beyond the cap)
};

/// The whole exposition: build info, health, jobs (per job up to the cap), journal, streams
/// and HTTP counters.
std::string render_metrics(const metrics_parts& parts, const request_counters& http);

}  // namespace vigil::http
