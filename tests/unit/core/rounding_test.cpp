// core/rounding.hpp: each shortcut must give exactly what the plain operation gives.
#include "core/rounding.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

namespace gpusim {
namespace {

// exact_quotient: a double division that must truncate to Go's int64 quotient for every
// numerator below 2^53, including those just below a multiple of the divisor, where a rounded
// quotient would most easily reach the next integer.
void expect_exact(std::int64_t a, std::int64_t b) {
  ASSERT_EQ(exact_quotient(a, static_cast<double>(b)), a / b) << a << " / " << b;
}

TEST(ExactQuotientTest, MatchesIntegerDivisionNearMultiplesAndAtTheLimit) {
  for (std::int64_t b :
       {std::int64_t{1}, std::int64_t{3}, std::int64_t{7}, std::int64_t{100}, std::int64_t{999'983},
        std::int64_t{1} << 26, (std::int64_t{1} << 40) + 1, kExactQuotientLimit - 1}) {
    for (std::int64_t k : {std::int64_t{0}, std::int64_t{1}, std::int64_t{2}, std::int64_t{99},
                           std::int64_t{100}, std::int64_t{1} << 20}) {
      if (k > kExactQuotientLimit / b) continue;  // k * b would pass the limit (or overflow)
      for (std::int64_t d = -2; d <= 2; ++d) {
        const std::int64_t a = k * b + d;
        if (a < 0 || a >= kExactQuotientLimit) continue;
        expect_exact(a, b);
      }
    }
    expect_exact(kExactQuotientLimit - 1, b);
  }
}

TEST(ExactQuotientTest, MatchesIntegerDivisionOnRandomOperands) {
  std::mt19937_64 rng(20261130);
  for (int i = 0; i < 200'000; ++i) {
    const int bits = 1 + static_cast<int>(rng() % 53);
    const std::int64_t a = static_cast<std::int64_t>(rng() >> (64 - bits));
    const std::int64_t b = 1 + static_cast<std::int64_t>(rng() >> (64 - 1 - rng() % 52));
    expect_exact(a, b);
    // The numerator one below a multiple of b, where rounding up would show.
    if (b > 1 && a / b > 0) expect_exact((a / b) * b - 1, b);
  }
}

TEST(RoundingTest, RoundToInt64IsLlround) {
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (int i = 0; i < 200'000; ++i) {
    const double v = unit(gen) * std::pow(2.0, static_cast<int>(gen() % 70));
    ASSERT_EQ(round_to_int64(v), std::llround(v)) << v;
  }
  for (const double v :
       {0.5, -0.5, 1.5, -2.5, 0.49999999999999994, -0.49999999999999994, 4503599627370495.5,
        4503599627370497.0, 9007199254740993.0, 0x1p62, -0x1p62, 1e18, -1e18}) {
    EXPECT_EQ(round_to_int64(v), std::llround(v)) << v;
  }
}

// The 32-bit shortcut must give C++'s int64 quotient and remainder everywhere: on both sides of
// 2^32, for negative operands (which take the long way) and at the edges of the range.
TEST(RoundingTest, DivideAndRemainderInt64AreTheInt64Ones) {
  constexpr std::int64_t k32 = std::int64_t{1} << 32;
  std::mt19937_64 gen(11);
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const std::int64_t edges[] = {0,       1,  2,  3,    99,       100,      k32 - 2, k32 - 1, k32,
                                k32 + 1, -1, -2, -k32, -k32 + 1, -k32 - 1, kMax,    -kMax};
  auto check = [](std::int64_t n, std::int64_t d) {
    if (d == 0) return;
    ASSERT_EQ(divide_int64(n, d), n / d) << n << " / " << d;
    ASSERT_EQ(remainder_int64(n, d), n % d) << n << " % " << d;
  };
  for (const std::int64_t n : edges) {
    for (const std::int64_t d : edges)
      check(n, d);
  }
  for (int i = 0; i < 200'000; ++i) {
    const auto n = static_cast<std::int64_t>(gen() >> (gen() % 64));
    const auto d = static_cast<std::int64_t>(gen() >> (gen() % 64));
    check(n, d);
    check(-n, d);
    check(n, -d);
  }
}

}  // namespace
}  // namespace gpusim
