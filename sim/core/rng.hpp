#pragma once
// Seeded random streams. Every component draws from its own stream derived from (seed, name), so
// adding draws in one controller never shifts another's numbers. The generators and the
// distributions are written out here (not <random>'s distributions, whose algorithms differ between
// standard libraries) so that a seed means the same run everywhere.
#include <cstdint>
#include <string_view>

namespace gpusim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);
  // A stream for one component: independent of every other name under the same seed.
  static Rng stream(std::uint64_t seed, std::string_view component);

  std::uint64_t next_u64() {
    // xoshiro256**
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, bound) without modulo bias; bound 0 returns 0. Inline: the scheduler's
  // tie-break draws once per tied node, hundreds of times per pod.
  std::uint64_t uniform(std::uint64_t bound) {
    if (bound == 0) return 0;
    // Lemire's nearly divisionless method.
    U128 m = static_cast<U128>(next_u64()) * bound;
    auto low = static_cast<std::uint64_t>(m);
    if (low < bound) {
      const std::uint64_t threshold = -bound % bound;
      while (low < threshold) {
        m = static_cast<U128>(next_u64()) * bound;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi_inclusive);
  // Uniform in [0, 1) with 53 random bits.
  double uniform01();
  bool bernoulli(double p) { return uniform01() < p; }
  double exponential(double mean);
  double normal(double mean, double stddev);
  double lognormal(double mu, double sigma);

  // Fisher-Yates. The paper's runs used Go's math/rand; its exact permutations are not reproduced,
  // only the protocol (shuffle with the seed), which is what the comparison of policies needs.
  template <typename It>
  void shuffle(It first, It last) {
    auto n = last - first;
    for (decltype(n) i = n - 1; i > 0; --i) {
      auto j = static_cast<decltype(n)>(uniform(static_cast<std::uint64_t>(i) + 1));
      using std::swap;
      swap(first[i], first[j]);
    }
  }

 private:
  // GCC and Clang provide a 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
  __extension__ typedef unsigned __int128 U128;  // NOLINT(modernize-use-using)
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t s_[4];
  bool have_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

std::uint64_t hash_name(std::string_view name);

}  // namespace gpusim
