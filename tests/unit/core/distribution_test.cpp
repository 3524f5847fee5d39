#include "core/distribution.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gpusim {
namespace {

DurationDistribution must(const std::string& text) {
  std::string err;
  auto d = DurationDistribution::parse(text, &err);
  EXPECT_TRUE(d.has_value()) << text << ": " << err;
  return d ? *d : DurationDistribution{};
}

std::string error_of(const std::string& text) {
  std::string err;
  EXPECT_FALSE(DurationDistribution::parse(text, &err).has_value()) << text;
  return err;
}

TEST(DurationDistributionTest, FixedDurationsAreDurations) {
  EXPECT_TRUE(must("30m").is_fixed());
  EXPECT_EQ(must("30m").a_ms(), 1'800'000);
  EXPECT_EQ(must("90").a_ms(), 90'000);  // whole seconds
  Rng rng(1);
  EXPECT_EQ(must("1h30m").sample(rng), 5'400'000);
  EXPECT_EQ(must(" 2d ").str(), "2d");
}

TEST(DurationDistributionTest, ParsesDistributionsAndPrintsThemCanonically) {
  EXPECT_EQ(must("uniform(10m, 30m)").str(), "uniform(10m,30m)");
  EXPECT_EQ(must("exp(20m)").str(), "exponential(20m)");
  EXPECT_EQ(must("exponential( 1h )").str(), "exponential(1h)");
  EXPECT_EQ(must("normal(30m,5m)").str(), "normal(30m,5m)");
  EXPECT_EQ(must("lognormal(30m, 0.5)").str(), "lognormal(30m,0.5)");
}

TEST(DurationDistributionTest, RejectsBadText) {
  EXPECT_NE(error_of("soon").find("invalid duration"), std::string::npos);
  EXPECT_NE(error_of("-5m").find("negative"), std::string::npos);
  EXPECT_NE(error_of("uniform(30m,10m)").find("max is below min"), std::string::npos);
  EXPECT_NE(error_of("uniform(10m)").find("takes 2 arguments"), std::string::npos);
  EXPECT_NE(error_of("gamma(1m,2m)").find("unknown distribution"), std::string::npos);
  EXPECT_NE(error_of("exp(0s)").find("positive"), std::string::npos);
  EXPECT_NE(error_of("lognormal(30m,x)").find("sigma"), std::string::npos);
  EXPECT_NE(error_of("normal(30m,5m").find("missing ')'"), std::string::npos);
}

// Sample means over many draws land near the distribution's mean; the stream is seeded, so the
// exact draws (and this check) are the same on every run.
TEST(DurationDistributionTest, DrawsFollowTheDistribution) {
  auto mean_of = [](const DurationDistribution& d, std::uint64_t seed) {
    Rng rng = Rng::stream(seed, "test");
    double sum = 0;
    constexpr int kN = 20000;
    for (int i = 0; i < kN; ++i) {
      const TimeMs v = d.sample(rng);
      EXPECT_GE(v, 0);
      sum += static_cast<double>(v);
    }
    return sum / kN;
  };
  EXPECT_NEAR(mean_of(must("uniform(10m,30m)"), 1), 1'200'000.0, 12'000.0);
  EXPECT_NEAR(mean_of(must("exponential(20m)"), 2), 1'200'000.0, 30'000.0);
  EXPECT_NEAR(mean_of(must("normal(30m,5m)"), 3), 1'800'000.0, 10'000.0);
  // lognormal mean = median * exp(sigma^2 / 2)
  EXPECT_NEAR(mean_of(must("lognormal(30m,0.5)"), 4), 1'800'000.0 * 1.1331484530668263, 25'000.0);
  const auto u = must("uniform(1s,2s)");
  Rng rng(7);
  for (int i = 0; i < 1000; ++i) {
    const TimeMs v = u.sample(rng);
    EXPECT_GE(v, 1000);
    EXPECT_LE(v, 2000);
  }
}

TEST(DurationDistributionTest, SameSeedSameDraws) {
  const auto d = must("lognormal(30m,0.8)");
  Rng a = Rng::stream(42, "pod-durations");
  Rng b = Rng::stream(42, "pod-durations");
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(d.sample(a), d.sample(b));
}

}  // namespace
}  // namespace gpusim
