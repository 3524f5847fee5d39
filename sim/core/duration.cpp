#include "core/duration.hpp"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace gpusim {

std::optional<TimeMs> parse_duration_ms(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool all_digits = true;
  for (char c : text)
    all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
  if (all_digits) {
    if (text.size() > 12) return std::nullopt;
    return static_cast<TimeMs>(std::stoll(std::string(text))) * 1000;
  }
  std::size_t i = 0;
  long double total_ms = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    i = 1;
  }
  if (i == text.size()) return std::nullopt;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (i == start) return std::nullopt;
    const std::string number(text.substr(start, i - start));
    if (number == "." || number.find('.') != number.rfind('.')) return std::nullopt;
    long double value = 0;
    try {
      value = std::stold(number);
    } catch (const std::out_of_range&) {
      return std::nullopt;  // thousands of digits: beyond long double, not a duration
    }
    const std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
      ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    long double scale = 0;
    if (unit == "ms")
      scale = 1;
    else if (unit == "s")
      scale = 1000;
    else if (unit == "m")
      scale = 60'000;
    else if (unit == "h")
      scale = 3'600'000;
    else if (unit == "d")
      scale = 86'400'000;
    else if (unit == "w")
      scale = 7 * 86'400'000.0L;
    else
      return std::nullopt;
    total_ms += value * scale;
    if (total_ms > 9.0e15L) return std::nullopt;  // ~285,000 years: a typo, not a scenario
  }
  const auto ms = static_cast<TimeMs>(std::llround(static_cast<double>(total_ms)));
  return negative ? -ms : ms;
}

std::string format_duration(TimeMs ms) {
  if (ms == 0) return "0s";
  std::string out;
  // The magnitude in unsigned arithmetic: -ms overflows for the most negative TimeMs.
  std::uint64_t rest = static_cast<std::uint64_t>(ms);
  if (ms < 0) {
    out = "-";
    rest = 0 - rest;
  }
  const std::uint64_t days = rest / 86'400'000;
  rest %= 86'400'000;
  const std::uint64_t hours = rest / 3'600'000;
  rest %= 3'600'000;
  const std::uint64_t minutes = rest / 60'000;
  rest %= 60'000;
  if (days) out += std::to_string(days) + "d";
  if (hours) out += std::to_string(hours) + "h";
  if (minutes) out += std::to_string(minutes) + "m";
  if (rest) {
    if (rest % 1000 == 0) {
      out += std::to_string(rest / 1000) + "s";
    } else if (rest < 1000 && out.size() == (ms < 0 ? 1U : 0U)) {  // nothing but the sign yet
      out += std::to_string(rest) + "ms";
    } else {
      std::string frac = std::to_string(rest % 1000);
      frac.insert(0, 3 - frac.size(), '0');
      while (frac.back() == '0')
        frac.pop_back();
      out += std::to_string(rest / 1000) + "." + frac + "s";
    }
  }
  return out;
}

}  // namespace gpusim
