// The one histogram: fixed upper bounds, a count per bucket (not cumulative; the last one is
// +Inf), the sum and the count. The run durations in the snapshot and the journal's commit
// times use it; /metrics renders it cumulatively, as Prometheus wants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace vigil::model {

struct histogram {
  std::vector<double> bounds;    ///< upper bounds, ascending
  std::vector<uint64_t> counts;  ///< bounds.size() + 1 buckets
  double sum = 0;
  uint64_t count = 0;

  histogram() = default;
  explicit histogram(std::vector<double> upper)
      : bounds(std::move(upper)), counts(bounds.size() + 1) {}

  /// Counts `v` in the first bucket whose bound is at least `v`.
  void observe(double v) {
    size_t i = 0;
    while (i < bounds.size() && v > bounds[i]) ++i;
    ++counts[i];
    sum += v;
    ++count;
  }

  friend bool operator==(const histogram& a, const histogram& b) {
    return a.bounds == b.bounds && a.counts == b.counts && a.sum == b.sum && a.count == b.count;
  }
};

/// How long finished attempts ran, in seconds: 10 ms to 30 min.
inline histogram run_duration_histogram() {
  return histogram{{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 1800}};
}

}  // namespace vigil::model
