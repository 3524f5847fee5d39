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
