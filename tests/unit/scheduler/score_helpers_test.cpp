// exact_quotient: a double division that must truncate to Go's int64 quotient for every
// numerator below 2^53, including those just below a multiple of the divisor, where a rounded
// quotient would most easily reach the next integer.
#include "scheduler/plugins/score_helpers.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace gpusim::sched {
namespace {

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

}  // namespace
}  // namespace gpusim::sched
