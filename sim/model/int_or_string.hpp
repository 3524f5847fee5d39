#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace gpusim {

// intstr.IntOrString: maxSurge, maxUnavailable, minAvailable. Percentages keep their string.
struct IntOrString {
  bool is_string = false;
  std::int32_t int_value = 0;
  std::string str_value;

  static IntOrString of(std::int32_t v) { return IntOrString{false, v, {}}; }
  static IntOrString of(std::string s) { return IntOrString{true, 0, std::move(s)}; }
  std::string str() const { return is_string ? str_value : std::to_string(int_value); }
};

// GetScaledValueFromIntOrPercent: a count, or p% of total rounded up or down. nullopt when the
// string is not "<int>%".
std::optional<std::int32_t> scaled_value(const IntOrString& v, std::int32_t total, bool round_up);

}  // namespace gpusim
