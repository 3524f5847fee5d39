#pragma once
// One CSV field as RFC 4180 writes it: quoted (with inner quotes doubled) when it holds a comma,
// a quote or a line break; as is otherwise. Shared by every CSV the engine and the CLI write.
// Also number fields appended in place: long runs write rows by the million, and building
// each from string temporaries cost more than the simulation of the interval.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace gpusim {

// csv_field(s) appended to `out`, without a temporary for the common unquoted case.
inline void append_csv_field(std::string& out, std::string_view s) {
  // Not find_first_of: that looks each character up in the set with a memchr call.
  bool plain = true;
  for (const char c : s)
    plain = plain && c != ',' && c != '"' && c != '\n' && c != '\r';
  if (plain) {
    out.append(s);
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

inline void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

// v with three decimals, as printf's "%.3f" prints it (nothing for infinities and NaN).
inline void append_fixed3(std::string& out, double v) {
  if (!std::isfinite(v)) return;
  // Most values print from their rounded thousandths, without to_chars' exact expansion (about
  // a thousand instructions a value). Below 2^40 the product v * 1000 is within 2^-13 of the
  // exact one, so when it is farther than 2^-10 from a half the exact value rounds to the same
  // integer; the rest, and negative values (negative zero too), go to to_chars.
  const double scaled = v * 1000.0;
  if (!std::signbit(v) && scaled < 0x1p40) {
    const double whole = std::floor(scaled);
    if (std::fabs(scaled - whole - 0.5) > 0x1p-10) {
      const auto thousandths = static_cast<std::int64_t>(whole) + (scaled - whole > 0.5 ? 1 : 0);
      append_int(out, thousandths / 1000);
      const auto frac = static_cast<int>(thousandths % 1000);
      const char digits[4] = {'.', static_cast<char>('0' + frac / 100),
                              static_cast<char>('0' + frac / 10 % 10),
                              static_cast<char>('0' + frac % 10)};
      out.append(digits, 4);
      return;
    }
  }
  char buf[400];
  const auto end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 3).ptr;
  out.append(buf, end);
}

inline std::string csv_field(std::string_view s) {
  std::string out;
  append_csv_field(out, s);
  return out;
}

}  // namespace gpusim
