#pragma once
// std::llround without the library call: the metrics scrape rounds two products per workload
// per scrape, and glibc's llround cost more than the arithmetic around it.
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
  if (frac >= 0.5) return i + 1;
  if (frac <= -0.5) return i - 1;
  return i;
}

}  // namespace gpusim

// n / d as C++ divides int64 (toward zero), through a 32-bit division when both fit: a 64-bit
// division takes several times as long on the x86 cores this runs on (the HPA's utilization
// divides two sums of milli-units each sync, and that division was most of its calculator).
inline std::int64_t divide_int64(std::int64_t n, std::int64_t d) {
  if (static_cast<std::uint64_t>(n) <= UINT32_MAX && d > 0 &&
      static_cast<std::uint64_t>(d) <= UINT32_MAX) {
    return static_cast<std::uint32_t>(n) / static_cast<std::uint32_t>(d);
  }
  return n / d;
}
