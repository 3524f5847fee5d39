#include "core/rng.hpp"

#include <cmath>
#include <limits>

namespace gpusim {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t hash_name(std::string_view name) {
  // FNV-1a: stable across platforms and releases, unlike std::hash.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Rng::Rng(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& s : s_)
    s = splitmix64(x);
}

Rng Rng::stream(std::uint64_t seed, std::string_view component) {
  std::uint64_t x = seed ^ hash_name(component);
  return Rng(splitmix64(x));
}

std::int64_t Rng::uniform_int(std::int64_t lo, std::int64_t hi_inclusive) {
  if (hi_inclusive <= lo) return lo;
  // In unsigned arithmetic: hi - lo overflows int64 for wide ranges, and the span of the whole
  // int64 range (2^64) does not fit in uint64.
  const std::uint64_t span_minus_1 =
      static_cast<std::uint64_t>(hi_inclusive) - static_cast<std::uint64_t>(lo);
  const std::uint64_t offset = span_minus_1 == std::numeric_limits<std::uint64_t>::max()
                                   ? next_u64()
                                   : uniform(span_minus_1 + 1);
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + offset);
}

double Rng::uniform01() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::exponential(double mean) {
  return -mean * std::log1p(-uniform01());
}

double Rng::normal(double mean, double stddev) {
  if (have_spare_normal_) {
    have_spare_normal_ = false;
    return mean + stddev * spare_normal_;
  }
  // Marsaglia polar method.
  double u = 0.0, v = 0.0, s = 0.0;
  do {
    u = 2.0 * uniform01() - 1.0;
    v = 2.0 * uniform01() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * f;
  have_spare_normal_ = true;
  return mean + stddev * u * f;
}

double Rng::lognormal(double mu, double sigma) {
  return std::exp(normal(mu, sigma));
}

}  // namespace gpusim
