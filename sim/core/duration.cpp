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

namespace {

// Go's quote() for the ASCII text of a duration; other bytes are escaped as \xNN, as
// strconv.Quote escapes invalid UTF-8 (valid multi-byte runes, such as µ, are kept).
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::optional<std::int64_t> parse_go_duration_ns(std::string_view text, std::string* error) {
  // A transcription of time.ParseDuration (go/src/time/format.go), unsigned arithmetic included.
  constexpr std::uint64_t kMax = 1ULL << 63;
  const std::string_view orig = text;
  auto invalid = [&]() -> std::optional<std::int64_t> {
    if (error) *error = "time: invalid duration " + go_quote(orig);
    return std::nullopt;
  };
  std::string_view s = text;
  std::uint64_t d = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return invalid();
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (!s.empty()) {
    if (!(s[0] == '.' || digit(s[0]))) return invalid();
    // [0-9]*
    std::uint64_t v = 0;
    std::size_t i = 0;
    for (; i < s.size() && digit(s[i]); ++i) {
      if (v > kMax / 10) return invalid();
      v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (v > kMax) return invalid();
    }
    const bool pre = i != 0;
    s.remove_prefix(i);
    // (\.[0-9]*)?
    std::uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      std::size_t j = 0;
      bool overflow = false;
      for (; j < s.size() && digit(s[j]); ++j) {
        if (overflow) continue;
        if (f > (kMax - 1) / 10) {
          overflow = true;
          continue;
        }
        const std::uint64_t y = f * 10 + static_cast<std::uint64_t>(s[j] - '0');
        if (y > kMax) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j != 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return invalid();
    // The unit: everything up to the next number.
    std::size_t u = 0;
    while (u < s.size() && !(s[u] == '.' || digit(s[u])))
      ++u;
    if (u == 0) {
      if (error) *error = "time: missing unit in duration " + go_quote(orig);
      return std::nullopt;
    }
    const std::string_view unit_text = s.substr(0, u);
    s.remove_prefix(u);
    std::uint64_t unit = 0;
    if (unit_text == "ns") {
      unit = 1;
    } else if (unit_text == "us" || unit_text == "\u00b5s" || unit_text == "\u03bcs") {
      unit = 1'000;
    } else if (unit_text == "ms") {
      unit = 1'000'000;
    } else if (unit_text == "s") {
      unit = 1'000'000'000;
    } else if (unit_text == "m") {
      unit = 60'000'000'000;
    } else if (unit_text == "h") {
      unit = 3'600'000'000'000;
    } else {
      if (error) {
        *error = "time: unknown unit " + go_quote(unit_text) + " in duration " + go_quote(orig);
      }
      return std::nullopt;
    }
    if (v > kMax / unit) return invalid();
    v *= unit;
    if (f > 0) {
      // float64 and its truncation, as Go computes it.
      v += static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kMax) return invalid();
    }
    d += v;
    if (d > kMax) return invalid();
  }
  if (neg) return d == kMax ? INT64_MIN : -static_cast<std::int64_t>(d);
  if (d > kMax - 1) return invalid();
  return static_cast<std::int64_t>(d);
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
