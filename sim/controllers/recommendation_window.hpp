#pragma once
// The HPA's scale-down stabilization without spec.behavior (k8s-semantics.md 6.5): the highest
// recommendation of the last window. Upstream scans a log of every recommendation each sync and
// reuses one expired entry; an expired entry never counts again (the window only moves
// forward), so the answer is a sliding-window maximum, kept here in O(1) amortized per sync.
#include <boost/container/small_vector.hpp>
#include <cstddef>
#include <cstdint>

#include "controllers/hpa_normalization.hpp"

namespace gpusim::ctrl {

class RecommendationWindow {
 public:
  // Records `replicas` at `now`. Calls (with record()) come in time order.
  void add(std::int32_t replicas, TimeMs now);
  // stabilizeRecommendation: records `desired` at `now` and returns the highest recommendation
  // no older than `window_ms` (inclusive), `desired` included. The window is the same each call.
  std::int32_t record(std::int32_t desired, TimeMs now, TimeMs window_ms);
  // What record() would return, without recording.
  std::int32_t peek(std::int32_t desired, TimeMs now, TimeMs window_ms) const;

 private:
  // From head_ on: times increasing, replicas strictly decreasing. An entry with a later, not
  // lower recommendation behind it can never be the maximum again, so it is dropped.
  boost::container::small_vector<TimedRecommendation, 8> maxima_;  // inline: one miss less
  std::size_t head_ = 0;
};

}  // namespace gpusim::ctrl
