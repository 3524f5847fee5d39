#pragma once
// Pod wait figures (creation to binding, or to deletion or the run's end for a pod never bound):
// the integer mean and nearest-rank percentiles, as summary.json reports them per namespace
// (`namespaces[].wait_ms`) and for the whole cluster (`pods.wait_ms`).
#include <algorithm>
#include <cstddef>
#include <vector>

#include "core/event_loop.hpp"
#include "core/int128.hpp"

namespace gpusim::engine {

struct WaitStats {
  TimeMs mean = 0, p50 = 0, p95 = 0, p99 = 0, max = 0;
};

// The smallest value with at least `percent` % of the values at or below it (sorted input).
inline TimeMs nearest_rank(const std::vector<TimeMs>& sorted, int percent) {
  if (sorted.empty()) return 0;
  const std::size_t n = sorted.size();
  std::size_t rank = (static_cast<std::size_t>(percent) * n + 99) / 100;
  rank = std::clamp<std::size_t>(rank, 1, n);
  return sorted[rank - 1];
}

// All zero for no waits.
inline WaitStats wait_stats(std::vector<TimeMs> w) {
  WaitStats s;
  if (w.empty()) return s;
  std::sort(w.begin(), w.end());
  Int128 sum = 0;
  for (TimeMs t : w)
    sum += t;
  s.mean = static_cast<TimeMs>(sum / static_cast<Int128>(w.size()));
  s.p50 = nearest_rank(w, 50);
  s.p95 = nearest_rank(w, 95);
  s.p99 = nearest_rank(w, 99);
  s.max = w.back();
  return s;
}

}  // namespace gpusim::engine
