// RecommendationWindow against upstream's stabilizeRecommendation as written (a scan of the log
// that reuses one expired entry), kept here as the oracle: random recommendations at random,
// sometimes equal, times in order, with windows from zero to longer than the run.
#include "controllers/recommendation_window.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/rng.hpp"

namespace gpusim::ctrl {
namespace {

std::int32_t upstream_stabilize(std::vector<TimedRecommendation>& log, std::int32_t desired,
                                TimeMs now, TimeMs window_ms) {
  std::int32_t best = desired;
  const TimeMs cutoff = now - window_ms;
  std::optional<std::size_t> old_sample;
  for (std::size_t i = 0; i < log.size(); ++i) {
    if (log[i].t_ms < cutoff) {
      old_sample = i;
    } else {
      best = std::max(best, log[i].replicas);
    }
  }
  if (old_sample) {
    log[*old_sample] = TimedRecommendation{desired, now};
  } else {
    log.push_back(TimedRecommendation{desired, now});
  }
  return best;
}

TEST(RecommendationWindow, AnswersAsUpstreamsLogScan) {
  Rng rng(7);
  int checked = 0;
  int stabilized = 0;  // answers above the new recommendation: the window mattered
  for (int run = 0; run < 300; ++run) {
    const TimeMs windows[] = {0, 1'000, 15'000, 60'000, 300'000, 10'000'000};
    const TimeMs window_ms = windows[rng.uniform(6)];
    TimeMs now = static_cast<TimeMs>(rng.uniform(100'000));
    const std::int32_t seed = static_cast<std::int32_t>(rng.uniform(30));
    std::vector<TimedRecommendation> log{{seed, now}};
    RecommendationWindow window;
    window.add(seed, now);
    for (int step = 0; step < 400; ++step) {
      // Mostly a sync period, sometimes the same instant, sometimes a long gap.
      const std::uint64_t kind = rng.uniform(10);
      now += kind == 0 ? 0 : kind == 1 ? static_cast<TimeMs>(rng.uniform(900'000)) : 15'000;
      const std::int32_t desired = static_cast<std::int32_t>(rng.uniform(30));
      const std::int32_t want = upstream_stabilize(log, desired, now, window_ms);
      ASSERT_EQ(window.peek(desired, now, window_ms), want) << "run " << run << " step " << step;
      const std::int32_t got = window.record(desired, now, window_ms);
      ASSERT_EQ(got, want) << "run " << run << " step " << step << " window " << window_ms;
      ++checked;
      if (want > desired) ++stabilized;
    }
  }
  EXPECT_EQ(checked, 300 * 400);
  EXPECT_GT(stabilized, checked / 10);
}

TEST(RecommendationWindow, BoundaryIsInclusiveAndExpiredEntriesNeverReturn) {
  RecommendationWindow w;
  w.add(9, 0);
  EXPECT_EQ(w.record(2, 300'000, 300'000), 9);  // exactly the window's age still counts
  EXPECT_EQ(w.record(2, 300'001, 300'000), 2);
  EXPECT_EQ(w.record(1, 300'002, 300'000), 2);
  EXPECT_EQ(w.record(5, 300'003, 300'000), 5);
}

}  // namespace
}  // namespace gpusim::ctrl
