#include "controllers/load_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
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

}  // namespace
}  // namespace gpusim::ctrl
