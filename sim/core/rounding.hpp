#pragma once
// Integer arithmetic of the hot paths, the same results as the plain operators for less time:
// std::llround without the library call (the metrics scrape rounds two products per workload
// per scrape, and glibc's llround cost more than the arithmetic around it), and int64 division
// through a 32-bit one or a double one where the operands allow.
#include <cmath>
#include <cstdint>

namespace gpusim {

// Rounds half away from zero, as std::llround does, for every finite x within int64's range
// (std::llround's result elsewhere is unspecified; it is called there).
inline std::int64_t round_to_int64(double x) {
  if (!(std::fabs(x) < 0x1p62)) return std::llround(x);
  const auto i = static_cast<std::int64_t>(x);  // toward zero
  // Exact: x and its integer part share their leading bits, so the difference is x's fraction.
  const double frac = x - static_cast<double>(i);
  // Without branches: the fraction of a usage is noise, and a mispredicted test per call was a
  // third of the scrape's time.
  return i + static_cast<std::int64_t>(frac >= 0.5) - static_cast<std::int64_t>(frac <= -0.5);
}

// n / d and n % d as C++ computes them on int64 (toward zero), through a 32-bit division when
// both operands fit: a 64-bit division takes several times as long on the x86 cores this runs
// on (the HPA's utilization divides two sums of milli-units each sync, and that division was
// most of its calculator; every scrape reduces each workload's time modulo its daily period).
inline bool fits_uint32(std::int64_t n, std::int64_t d) {
  return static_cast<std::uint64_t>(n) <= UINT32_MAX && d > 0 &&
         static_cast<std::uint64_t>(d) <= UINT32_MAX;
}
inline std::int64_t divide_int64(std::int64_t n, std::int64_t d) {
  if (fits_uint32(n, d)) return static_cast<std::uint32_t>(n) / static_cast<std::uint32_t>(d);
  return n / d;
}
inline std::int64_t remainder_int64(std::int64_t n, std::int64_t d) {
  if (fits_uint32(n, d)) return static_cast<std::uint32_t>(n) % static_cast<std::uint32_t>(d);
  return n % d;
}

// a / b for integers 0 <= a < kExactQuotientLimit (2^53) and b > 0, divided as doubles: the
// correctly rounded quotient is off by less than 1 / b, so it truncates to the integer quotient
// exactly; and a loop's double divisions overlap where 64-bit integer divisions do not. The
// caller checks the range once for a whole loop (PodTopologySpread's NormalizeScore).
inline std::int64_t exact_quotient(std::int64_t a, double b) {
  return static_cast<std::int64_t>(static_cast<double>(a) / b);
}
inline constexpr std::int64_t kExactQuotientLimit = std::int64_t{1} << 53;

}  // namespace gpusim
