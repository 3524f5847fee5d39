#include "core/rng.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

namespace gpusim {
namespace {

std::vector<std::uint64_t> draws(Rng rng, int n) {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(rng.next_u64());
  return out;
}

// Values from an independent Python transcription of splitmix64 seeding + xoshiro256** + FNV-1a:
// a seed must mean the same run on every platform and standard library.
TEST(RngTest, MatchesTheReferenceAlgorithms) {
  EXPECT_EQ(draws(Rng(0), 3),
            (std::vector<std::uint64_t>{0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
                                        0x1a5f849d4933e6e0ULL}));
  EXPECT_EQ(draws(Rng::stream(42, "arrivals"), 3),
            (std::vector<std::uint64_t>{0xee6504f4418f5d1bULL, 0xd4600725f3fc9a6eULL,
                                        0x5ce8dfe9958f76bdULL}));
  EXPECT_EQ(hash_name(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(hash_name("a"), 0xaf63dc4c8601ec8cULL);
}

TEST(RngTest, SameSeedAndNameGiveTheSameStream) {
  EXPECT_EQ(draws(Rng::stream(7, "scheduler"), 100), draws(Rng::stream(7, "scheduler"), 100));
  EXPECT_EQ(draws(Rng(123), 100), draws(Rng(123), 100));
}

TEST(RngTest, DifferentSeedsOrNamesGiveDifferentStreams) {
  const auto base = draws(Rng::stream(7, "scheduler"), 50);
  EXPECT_NE(base, draws(Rng::stream(8, "scheduler"), 50));
  EXPECT_NE(base, draws(Rng::stream(7, "arrivals"), 50));
  EXPECT_NE(base, draws(Rng::stream(7, "Scheduler"), 50));
  EXPECT_NE(base, draws(Rng::stream(7, ""), 50));
}

TEST(RngTest, DrawingFromOneStreamDoesNotShiftAnother) {
  Rng a = Rng::stream(1, "a");
  Rng b = Rng::stream(1, "b");
  std::vector<std::uint64_t> b_interleaved;
  for (int i = 0; i < 50; ++i) {
    for (int k = 0; k < i % 4; ++k)
      a.next_u64();
    b_interleaved.push_back(b.next_u64());
  }
  EXPECT_EQ(b_interleaved, draws(Rng::stream(1, "b"), 50));
}

TEST(RngTest, UniformStaysInBounds) {
  Rng rng(99);
  EXPECT_EQ(rng.uniform(0), 0u);
  for (std::uint64_t bound :
       {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{7}, std::uint64_t{1000},
        (std::uint64_t{1} << 63) + 1, std::numeric_limits<std::uint64_t>::max()}) {
    for (int i = 0; i < 2000; ++i)
      ASSERT_LT(rng.uniform(bound), bound) << bound;
  }
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(rng.uniform(1), 0u);
}

TEST(RngTest, UniformIsRoughlyFlat) {
  Rng rng(2024);
  std::array<int, 10> counts{};
  const int n = 100'000;
  for (int i = 0; i < n; ++i)
    ++counts[rng.uniform(10)];
  for (int c : counts) {
    EXPECT_GT(c, n / 10 * 95 / 100);
    EXPECT_LT(c, n / 10 * 105 / 100);
  }
}

TEST(RngTest, UniformIntCoversTheInclusiveRange) {
  Rng rng(5);
  std::array<int, 7> seen{};
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t v = rng.uniform_int(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    ++seen[static_cast<std::size_t>(v + 3)];
  }
  for (int c : seen)
    EXPECT_GT(c, 0);
  EXPECT_EQ(rng.uniform_int(4, 4), 4);
  EXPECT_EQ(rng.uniform_int(9, 2), 9);  // an empty range gives lo
}

TEST(RngTest, UniformIntHandlesTheFullInt64Range) {
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  Rng rng(11);
  bool negative = false, positive = false;
  for (int i = 0; i < 200; ++i) {
    const std::int64_t v = rng.uniform_int(lo, hi);
    negative = negative || v < 0;
    positive = positive || v > 0;
  }
  EXPECT_TRUE(negative);
  EXPECT_TRUE(positive);
  for (int i = 0; i < 200; ++i) {
    const std::int64_t v = rng.uniform_int(lo, lo + 1);
    EXPECT_TRUE(v == lo || v == lo + 1);
    const std::int64_t w = rng.uniform_int(hi - 1, hi);
    EXPECT_TRUE(w == hi - 1 || w == hi);
  }
}

TEST(RngTest, Uniform01IsInTheHalfOpenUnitInterval) {
  Rng rng(3);
  double sum = 0;
  const int n = 100'000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.01);
}

TEST(RngTest, ContinuousDistributionsHaveTheirMoments) {
  Rng rng(17);
  const int n = 200'000;
  double exp_sum = 0, norm_sum = 0, norm_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double e = rng.exponential(4.0);
    ASSERT_GE(e, 0.0);
    exp_sum += e;
    const double x = rng.normal(10.0, 2.0);
    norm_sum += x;
    norm_sq += x * x;
  }
  EXPECT_NEAR(exp_sum / n, 4.0, 0.05);
  const double mean = norm_sum / n;
  EXPECT_NEAR(mean, 10.0, 0.02);
  EXPECT_NEAR(std::sqrt(norm_sq / n - mean * mean), 2.0, 0.02);
  EXPECT_GT(rng.lognormal(0.0, 1.0), 0.0);
}

TEST(RngTest, ShuffleIsADeterministicPermutation) {
  std::vector<int> a(100);
  std::iota(a.begin(), a.end(), 0);
  std::vector<int> b = a;
  Rng r1(8), r2(8);
  r1.shuffle(a.begin(), a.end());
  r2.shuffle(b.begin(), b.end());
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(sorted, expected);
  EXPECT_NE(a, expected);
  std::vector<int> empty;
  r1.shuffle(empty.begin(), empty.end());
  std::vector<int> one{42};
  r1.shuffle(one.begin(), one.end());
  EXPECT_EQ(one, std::vector<int>{42});
}

}  // namespace
}  // namespace gpusim
