#include "controllers/load_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <utility>
#include <vector>

namespace gpusim::ctrl {
namespace {

// The batch must give the single-query answers bit for bit: scrape() uses it for every
// workload's latency, and outputs must not depend on which of the two ran.
TEST(MmcResponseTimes, BatchMatchesSingleQueryBitForBit) {
  std::vector<MmcQuery> queries;
  for (std::int64_t c : {0, 1, 2, 3, 7, 20, 64}) {
    for (double lambda : {0.0, 0.5, 13.7, 99.9, 100.0, 250.3, 1e4}) {
      for (double mu : {0.0, 5.0, 50.0})
        queries.push_back(MmcQuery{lambda, mu, c});
    }
  }
  std::vector<double> out(queries.size());
  mmc_response_times_s(queries, out);
  std::size_t finite = 0;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const double want = mmc_response_time_s(queries[i].lambda, queries[i].mu, queries[i].c);
    EXPECT_EQ(std::memcmp(&want, &out[i], sizeof want), 0)
        << "lambda " << queries[i].lambda << " mu " << queries[i].mu << " c " << queries[i].c;
    if (std::isfinite(want) && queries[i].lambda > 0) ++finite;
  }
  EXPECT_GT(finite, 20u);  // the recursion ran, not only the shortcuts
}

// The daily curve's cos is remembered per offset (daily_cos): every answer must be the one the
// formula gives, bit for bit, whatever was asked before — grid offsets asked again (hits),
// offsets whose slots collide (x and x + 8192 s), negative offsets (t before the peak), and
// two periods sharing offsets.
TEST(RateAt, DailyCurveIsTheFormulaBitForBit) {
  const TimeMs day = 24LL * 3600 * 1000;
  std::vector<std::pair<TimeMs, TimeMs>> asks;  // (t, period)
  for (int round = 0; round < 2; ++round) {
    for (TimeMs t = 0; t < 2 * day; t += 15'000)
      asks.emplace_back(t, day);
  }
  for (TimeMs t = -3 * 3600 * 1000; t < 3600 * 1000; t += 7'777)
    asks.emplace_back(t, day);
  for (TimeMs t = 0; t < 20'000'000; t += 8'192'000)
    asks.emplace_back(t + 123, 6 * 3600 * 1000);
  for (TimeMs t = 0; t < day; t += 60'000) {
    asks.emplace_back(t, day);
    asks.emplace_back(t, day / 2);
  }
  for (const auto& [t, period] : asks) {
    RateSpec spec;
    spec.shape = RateShape::kDaily;
    spec.base = 100;
    spec.amplitude = 40;
    spec.peak_ms = 8 * 3600 * 1000;
    spec.period_ms = period;
    const double phase =
        static_cast<double>((t - spec.peak_ms) % period) / static_cast<double>(period);
    const double want = std::max(
        0.0, (spec.base + spec.amplitude * std::cos(2 * std::numbers::pi * phase)) * spec.scale);
    const double got = rate_at(spec, t);
    ASSERT_EQ(std::memcmp(&want, &got, sizeof want), 0) << "t " << t << " period " << period;
  }
}

}  // namespace
}  // namespace gpusim::ctrl
