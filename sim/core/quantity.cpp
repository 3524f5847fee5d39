#include "core/quantity.hpp"

#include <array>
#include <cstddef>
#include <limits>

namespace gpusim {
namespace {

using Int128 = detail::Int128;

constexpr Int128 kNanosPerUnit = 1'000'000'000;
constexpr int kMaxNanosDigits = 38;  // kMaxNanos = 10^38 - 1
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
// Upstream caps a parsed BinarySI magnitude at 2^63-1 (maxAllowed in quantity.go).
constexpr Int128 kMaxBinaryNanos = static_cast<Int128>(kInt64Max) * kNanosPerUnit;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Int128 abs128(Int128 v) {
  return v < 0 ? -v : v;
}

Int128 pow10(int n) {
  Int128 p = 1;
  for (int i = 0; i < n; ++i)
    p *= 10;
  return p;
}

std::string to_decimal_string(Int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  Int128 a = abs128(v);  // |v| <= kMaxNanos, so negating is safe
  std::string out;
  while (a > 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(a % 10)));
    a /= 10;
  }
  if (negative) out.push_back('-');
  return {out.rbegin(), out.rend()};
}

std::int64_t saturate_int64(Int128 v) {
  if (v > kInt64Max) return kInt64Max;
  if (v < kInt64Min) return kInt64Min;
  return static_cast<std::int64_t>(v);
}

Int128 saturating_add(Int128 a, Int128 b) {
  // Both magnitudes are <= kMaxNanos < 2^127 / 1.7, so these differences cannot overflow.
  if (a > 0 && b > Quantity::kMaxNanos - a) return Quantity::kMaxNanos;
  if (a < 0 && b < -Quantity::kMaxNanos - a) return -Quantity::kMaxNanos;
  return a + b;
}

// The pieces parseQuantityString (quantity.go) splits a quantity into.
struct Scanned {
  bool negative = false;
  bool only_zeros = false;  // nothing but an optional sign and zeros: upstream returns 0 at once
  bool has_digit = false;   // the numeric part has at least one digit
  std::string_view num;     // integer digits after the leading zeros
  std::string_view denom;   // fraction digits
  std::string_view suffix;
};

// A transcription of parseQuantityString: the number is [sign][digits][.[digits]], the suffix is
// letters from "eEinumkKMGTP", then an optional sign and digits. Anything after that is an error.
std::optional<Scanned> scan(std::string_view s) {
  Scanned r;
  std::size_t pos = 0;
  const std::size_t end = s.size();
  if (pos < end && (s[0] == '-' || s[0] == '+')) {
    r.negative = s[0] == '-';
    ++pos;
  }
  std::size_t i = pos;
  while (i < end && s[i] == '0')
    ++i;
  if (i >= end) {
    r.only_zeros = true;
    return r;
  }
  const bool stripped_zero = i > pos;
  pos = i;
  while (i < end && is_digit(s[i]))
    ++i;
  r.num = s.substr(pos, i - pos);
  pos = i;
  if (pos < end && s[pos] == '.') {
    ++pos;
    i = pos;
    while (i < end && is_digit(s[i]))
      ++i;
    r.denom = s.substr(pos, i - pos);
    pos = i;
  }
  r.has_digit = stripped_zero || !r.num.empty() || !r.denom.empty();
  const std::size_t suffix_start = pos;
  constexpr std::string_view kSuffixLetters = "eEinumkKMGTP";
  i = pos;
  while (i < end && kSuffixLetters.find(s[i]) != std::string_view::npos)
    ++i;
  if (i < end && (s[i] == '-' || s[i] == '+')) ++i;
  for (; i < end; ++i) {
    if (!is_digit(s[i])) return std::nullopt;
  }
  r.suffix = s.substr(suffix_start);
  return r;
}

// strconv.ParseInt(s, 10, 64): optional sign, at least one digit, no overflow.
std::optional<std::int64_t> parse_go_int64(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  const std::uint64_t limit =
      negative ? static_cast<std::uint64_t>(kInt64Max) + 1 : static_cast<std::uint64_t>(kInt64Max);
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (limit - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  // Two's complement wrap of the unsigned magnitude is well defined since C++20.
  return negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
}

struct Suffix {
  int base = 10;  // 10 or 2
  std::int32_t exponent = 0;
  Quantity::Format format = Quantity::Format::kDecimalSI;
};

// suffixHandler.interpret (suffix.go).
std::optional<Suffix> interpret(std::string_view s) {
  using F = Quantity::Format;
  struct Entry {
    std::string_view text;
    Suffix suffix;
  };
  static constexpr std::array<Entry, 16> kTable{{
      {"", {10, 0, F::kDecimalSI}},
      {"n", {10, -9, F::kDecimalSI}},
      {"u", {10, -6, F::kDecimalSI}},
      {"m", {10, -3, F::kDecimalSI}},
      {"k", {10, 3, F::kDecimalSI}},
      {"M", {10, 6, F::kDecimalSI}},
      {"G", {10, 9, F::kDecimalSI}},
      {"T", {10, 12, F::kDecimalSI}},
      {"P", {10, 15, F::kDecimalSI}},
      {"E", {10, 18, F::kDecimalSI}},
      {"Ki", {2, 10, F::kBinarySI}},
      {"Mi", {2, 20, F::kBinarySI}},
      {"Gi", {2, 30, F::kBinarySI}},
      {"Ti", {2, 40, F::kBinarySI}},
      {"Pi", {2, 50, F::kBinarySI}},
      {"Ei", {2, 60, F::kBinarySI}},
  }};
  for (const auto& e : kTable) {
    if (e.text == s) return e.suffix;
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    const auto parsed = parse_go_int64(s.substr(1));
    if (!parsed) return std::nullopt;
    // Upstream converts with int32(parsed), keeping the low 32 bits ("1e4294967296" is 1e0).
    const auto exponent = static_cast<std::int32_t>(static_cast<std::uint32_t>(*parsed));
    return Suffix{10, exponent, F::kDecimalExponent};
  }
  return std::nullopt;
}

// digits (decimal, no sign) *= factor, for factor <= 2^32.
void multiply_digits(std::string& digits, std::uint64_t factor) {
  std::uint64_t carry = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    const std::uint64_t v = static_cast<std::uint64_t>(*it - '0') * factor + carry;
    *it = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  std::string head;
  while (carry > 0) {
    head.push_back(static_cast<char>('0' + carry % 10));
    carry /= 10;
  }
  digits.insert(0, std::string(head.rbegin(), head.rend()));
}

// ceil(|digits * 10^shift|) in nanos' terms: digits is a non-empty string of decimal digits with no
// leading zero, the value is digits * 10^shift nanos, rounded up when shift drops non-zero digits.
// nullopt when the result exceeds kMaxNanos. shift may be huge either way.
std::optional<Int128> round_up_nanos(std::string_view digits, std::int64_t shift) {
  const auto length = static_cast<std::int64_t>(digits.size());
  const std::int64_t whole_digits = length + shift;
  if (whole_digits > kMaxNanosDigits) return std::nullopt;
  Int128 v = 0;
  if (shift >= 0) {
    for (char c : digits)
      v = v * 10 + (c - '0');
    for (std::int64_t i = 0; i < shift; ++i)
      v *= 10;
    return v;
  }
  const std::int64_t kept = whole_digits > 0 ? whole_digits : 0;
  bool dropped_nonzero = false;
  for (std::int64_t i = 0; i < length; ++i) {
    const int d = digits[static_cast<std::size_t>(i)] - '0';
    if (i < kept) {
      v = v * 10 + d;
    } else if (d != 0) {
      dropped_nonzero = true;
      break;
    }
  }
  if (dropped_nonzero) ++v;
  if (v > Quantity::kMaxNanos) return std::nullopt;
  return v;
}

// The exact value of integer digits `digits` * 10^exp10 * 2^exp2, rounded up in magnitude to nanos.
// `digits` may have leading zeros. nullopt: beyond kMaxNanos.
std::optional<Int128> to_nanos(std::string digits, std::int64_t exp10, int exp2) {
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Int128{0};
  digits.erase(0, first);
  const std::size_t last = digits.find_last_not_of('0');
  exp10 += static_cast<std::int64_t>(digits.size() - 1 - last);
  digits.resize(last + 1);
  while (exp2 > 0) {
    const int step = exp2 < 30 ? exp2 : 30;
    multiply_digits(digits, std::uint64_t{1} << step);
    exp2 -= step;
  }
  return round_up_nanos(digits, exp10 + 9);
}

}  // namespace

std::optional<Quantity> Quantity::parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const auto scanned = scan(text);
  if (!scanned) return std::nullopt;
  if (scanned->only_zeros) return Quantity{};
  const auto suffix = interpret(scanned->suffix);
  if (!suffix) return std::nullopt;
  Format format = suffix->format;

  if (!scanned->has_digit) {
    // Upstream's fast path turns an absent number into 0; its slow path (inf.Dec.SetString)
    // rejects it. Without digits the fast path is taken for decimal exponents >= -9 and for
    // binary suffixes up to Ti (precision = 15 - 1 - exponent*3/10 - 1 >= 0).
    const bool fast_path = suffix->base == 10 ? suffix->exponent >= -9 : suffix->exponent <= 40;
    if (!fast_path) return std::nullopt;
    return Quantity(0, format);
  }

  std::string digits;
  digits.reserve(scanned->num.size() + scanned->denom.size());
  digits.append(scanned->num).append(scanned->denom);
  const std::int64_t exp10 = (suffix->base == 10 ? std::int64_t{suffix->exponent} : 0) -
                             static_cast<std::int64_t>(scanned->denom.size());
  const int exp2 = suffix->base == 2 ? suffix->exponent : 0;
  std::optional<Int128> nanos = to_nanos(std::move(digits), exp10, exp2);

  if (format == Format::kBinarySI) {
    if (!nanos || *nanos > kMaxBinaryNanos) nanos = kMaxBinaryNanos;
    // Upstream: a BinarySI magnitude strictly between 0 and 1 becomes DecimalSI.
    if (*nanos > 0 && *nanos < kNanosPerUnit) format = Format::kDecimalSI;
  } else if (!nanos) {
    return std::nullopt;  // beyond kMaxNanos: see the header
  }
  return Quantity(scanned->negative ? -*nanos : *nanos, format);
}

std::optional<Quantity> Quantity::from_decimal(std::string_view decimal, Format format) {
  bool negative = false;
  if (!decimal.empty() && (decimal[0] == '-' || decimal[0] == '+')) {
    negative = decimal[0] == '-';
    decimal.remove_prefix(1);
  }
  const std::size_t point = decimal.find('.');
  const std::string_view whole = decimal.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view{} : decimal.substr(point + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  for (char c : whole) {
    if (!is_digit(c)) return std::nullopt;
  }
  for (char c : fraction) {
    if (!is_digit(c)) return std::nullopt;
  }
  std::string digits(whole);
  digits.append(fraction);
  const auto nanos = to_nanos(std::move(digits), -static_cast<std::int64_t>(fraction.size()), 0);
  if (!nanos) return std::nullopt;
  return Quantity(negative ? -*nanos : *nanos, format);
}

Quantity Quantity::from_int(std::int64_t value, Format format) {
  return Quantity(static_cast<Int128>(value) * kNanosPerUnit, format);
}

Quantity Quantity::from_milli(std::int64_t milli, Format format) {
  return Quantity(static_cast<Int128>(milli) * 1'000'000, format);
}

Quantity Quantity::from_scaled(std::int64_t value, int scale, Format format) {
  const std::int64_t shift = std::int64_t{scale} + 9;
  Int128 nanos = value;
  if (shift >= 0) {
    for (std::int64_t i = 0; i < shift && nanos != 0; ++i) {
      if (abs128(nanos) > kMaxNanos / 10) {
        nanos = nanos > 0 ? kMaxNanos : -kMaxNanos;
        break;
      }
      nanos *= 10;
    }
  } else if (nanos != 0) {
    // Rounded away from zero, as upstream's parse and int64 scaling do.
    const Int128 divisor = -shift > kMaxNanosDigits ? 0 : pow10(static_cast<int>(-shift));
    const int s = nanos > 0 ? 1 : -1;
    if (divisor == 0 || abs128(nanos) < divisor) {
      nanos = s;
    } else {
      const bool exact = nanos % divisor == 0;
      nanos = nanos / divisor + (exact ? 0 : s);
    }
  }
  return Quantity(nanos, format);
}

std::int64_t Quantity::scaled_value(int scale) const {
  if (nanos_ == 0) return 0;
  const std::int64_t shift = std::int64_t{scale} + 9;  // the result is nanos_ / 10^shift
  if (shift <= 0) {
    Int128 v = nanos_;
    for (std::int64_t i = 0; i < -shift; ++i) {
      if (abs128(v) > kInt64Max) break;  // already saturates; stop before int128 overflows
      v *= 10;
    }
    return saturate_int64(v);
  }
  // Upstream rounds the int64 form away from zero (negativeScaleInt64).
  const int s = nanos_ > 0 ? 1 : -1;
  if (shift > kMaxNanosDigits) return s;
  const Int128 divisor = pow10(static_cast<int>(shift));
  Int128 q = nanos_ / divisor;
  if (nanos_ % divisor != 0) q += s;
  return saturate_int64(q);
}

std::int64_t Quantity::value() const {
  return scaled_value(0);
}

std::int64_t Quantity::milli_value() const {
  return scaled_value(-3);
}

std::string Quantity::str() const {
  if (nanos_ == 0) return "0";
  const std::string sign = nanos_ < 0 ? "-" : "";
  const Int128 magnitude = abs128(nanos_);
  Format format = format_;

  if (format == Format::kBinarySI) {
    // CanonicalizeBytes: below 1024 in magnitude, or not a whole number, prints as DecimalSI.
    if (magnitude < 1024 * kNanosPerUnit || magnitude % kNanosPerUnit != 0) {
      format = Format::kDecimalSI;
    } else {
      static constexpr std::array<std::string_view, 7> kBinary{"",   "Ki", "Mi", "Gi",
                                                               "Ti", "Pi", "Ei"};
      Int128 mantissa = magnitude / kNanosPerUnit;
      std::size_t power = 0;
      while (power + 1 < kBinary.size() && mantissa >= 1024 && mantissa % 1024 == 0) {
        mantissa /= 1024;
        ++power;
      }
      return sign + to_decimal_string(mantissa) + std::string(kBinary[power]);
    }
  }

  // AsCanonicalBytes: the largest exponent that is a multiple of 3 with an integer mantissa.
  Int128 mantissa = magnitude;
  int exponent = -9;
  while (mantissa % 10 == 0) {
    mantissa /= 10;
    ++exponent;
  }
  // Multiplying back never exceeds the original magnitude: -9 is itself a multiple of 3.
  while (exponent % 3 != 0) {
    mantissa *= 10;
    --exponent;
  }
  std::string out = sign + to_decimal_string(mantissa);
  if (format == Format::kDecimalSI && exponent <= 18) {
    static constexpr std::array<std::string_view, 10> kDecimal{"n", "u", "m", "",  "k",
                                                               "M", "G", "T", "P", "E"};
    out += kDecimal[static_cast<std::size_t>((exponent + 9) / 3)];
  } else if (exponent != 0) {
    // DecimalExponent, and DecimalSI above E where no suffix exists (recent upstream: "1e21").
    out += 'e';
    out += std::to_string(exponent);
  }
  return out;
}

std::string Quantity::decimal() const {
  const Int128 magnitude = abs128(nanos_);
  std::string out = nanos_ < 0 ? "-" : "";
  out += to_decimal_string(magnitude / kNanosPerUnit);
  const Int128 fraction = magnitude % kNanosPerUnit;
  if (fraction != 0) {
    std::string digits = to_decimal_string(fraction);
    digits.insert(0, 9 - digits.size(), '0');
    digits.erase(digits.find_last_not_of('0') + 1);
    out += '.';
    out += digits;
  }
  return out;
}

Quantity Quantity::operator+(const Quantity& other) const {
  return Quantity(saturating_add(nanos_, other.nanos_), is_zero() ? other.format_ : format_);
}

Quantity Quantity::operator-(const Quantity& other) const {
  return Quantity(saturating_add(nanos_, -other.nanos_), is_zero() ? other.format_ : format_);
}

Quantity Quantity::operator-() const {
  return Quantity(-nanos_, format_);
}

std::strong_ordering Quantity::operator<=>(const Quantity& other) const {
  if (nanos_ < other.nanos_) return std::strong_ordering::less;
  if (nanos_ > other.nanos_) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

const char* to_string(Quantity::Format format) {
  switch (format) {
    case Quantity::Format::kDecimalSI:
      return "DecimalSI";
    case Quantity::Format::kBinarySI:
      return "BinarySI";
    case Quantity::Format::kDecimalExponent:
      return "DecimalExponent";
  }
  return "DecimalSI";
}

std::optional<Quantity::Format> parse_format(std::string_view name) {
  if (name == "DecimalSI") return Quantity::Format::kDecimalSI;
  if (name == "BinarySI") return Quantity::Format::kBinarySI;
  if (name == "DecimalExponent") return Quantity::Format::kDecimalExponent;
  return std::nullopt;
}

}  // namespace gpusim
