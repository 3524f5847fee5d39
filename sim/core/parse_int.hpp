#pragma once
// Whole-string decimal integers for command-line and override values ("12", "-3"): nothing
// before or after the digits, no overflow.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gpusim {

inline std::optional<std::int64_t> parse_int64(std::string_view s) {
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || p != end) return std::nullopt;
  return v;
}

}  // namespace gpusim
