#include "model/int_or_string.hpp"

#include <charconv>
#include <cmath>

namespace gpusim {

std::optional<std::int32_t> scaled_value(const IntOrString& v, std::int32_t total, bool round_up) {
  if (!v.is_string) return v.int_value;
  const std::string& s = v.str_value;
  if (s.size() < 2 || s.back() != '%') return std::nullopt;
  std::int32_t pct = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size() - 1, pct);
  if (ec != std::errc() || p != s.data() + s.size() - 1) return std::nullopt;
  // Upstream computes in float64: ceil/floor(pct * total / 100).
  const double x = static_cast<double>(pct) * static_cast<double>(total) / 100.0;
  return static_cast<std::int32_t>(round_up ? std::ceil(x) : std::floor(x));
}

}  // namespace gpusim
