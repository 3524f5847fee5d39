#pragma once
// resource.Quantity exactly as Kubernetes parses, rounds, compares and prints it
// (docs: ../shared/docs/k8s-semantics.md section 1; vectors: tests/conformance/data/quantity.yaml).
// The value is an exact decimal (never a float); the format remembered from the suffix decides
// how it prints.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gpusim {

namespace detail {
// GCC and Clang provide a 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
__extension__ typedef __int128 Int128;
}  // namespace detail

class Quantity {
 public:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  // Every Quantity is a whole number of nano-units (upstream rounds parsed values up to 1n), and
  // its magnitude is at most kMaxNanos, i.e. just under 10^29 units (10^11 E). Upstream has no
  // upper bound on decimal values (it uses arbitrary precision); beyond this one parse() rejects
  // the text rather than change its value, and + / - saturate at +-kMaxNanos.
  static constexpr detail::Int128 kMaxNanos =
      static_cast<detail::Int128>(10'000'000'000'000'000'000ULL) * 10'000'000'000'000'000'000ULL -
      1;

  Quantity() = default;
  // nullopt for any string upstream rejects ("1K", " 1", "", "1e", "Pi", ...) and for decimal
  // values whose magnitude exceeds kMaxNanos. Upstream quirks are kept: a number without digits
  // is zero where upstream's parser takes its fast path ("-", ".", "Mi", "e3" are 0; "Pi",
  // "e-10" are errors), and an exponent is truncated to 32 bits like Go's int32(parsed).
  static std::optional<Quantity> parse(std::string_view text);
  // NewQuantity / NewMilliQuantity / NewScaledQuantity: value * 10^scale with the given format,
  // no format switching. A scale below -9 rounds up in magnitude to whole nanos; a magnitude
  // beyond kMaxNanos saturates.
  static Quantity from_int(std::int64_t value, Format format = Format::kDecimalSI);
  static Quantity from_milli(std::int64_t milli, Format format = Format::kDecimalSI);
  static Quantity from_scaled(std::int64_t value, int scale, Format format = Format::kDecimalSI);
  // A plain decimal without suffix ("-1.5", "7340032", "0.000000002") kept with the format given
  // as is (no BinarySI clamping or switching, unlike parse). Digits below 1n round up in
  // magnitude. nullopt for anything else or a magnitude beyond kMaxNanos.
  static std::optional<Quantity> from_decimal(std::string_view decimal, Format format);

  // Value() and MilliValue(): rounded up in magnitude (away from zero, as upstream's int64 path
  // does; the ceiling for the non-negative values resources have) to an integer; saturate at the
  // int64 limits.
  std::int64_t value() const;
  std::int64_t milli_value() const;
  // ScaledValue(scale): v / 10^scale rounded the same way, e.g. scaled_value(-3) == milli_value().
  std::int64_t scaled_value(int scale) const;

  Format format() const { return format_; }
  bool is_zero() const { return nanos_ == 0; }
  int sign() const { return nanos_ < 0 ? -1 : (nanos_ > 0 ? 1 : 0); }
  // The exact value in units of 10^-9.
  detail::Int128 nanos() const { return nanos_; }

  // Canonical String(): "1Gi", "500m", "1e3" -> "1e3", "1.5Gi" -> "1536Mi". Upstream's String()
  // returns the input text itself when that was already canonical-looking ("1E6" stays "1E6",
  // "+1Ki" stays "+1Ki"); this always prints the canonical form ("1e6", "1Ki"), which denotes
  // the same value and format.
  std::string str() const;
  // The exact decimal value without suffix: "0.003", "7340032", "-1.5".
  std::string decimal() const;

  // Exact arithmetic; the result keeps the left operand's format unless it is zero. Saturates at
  // +-kMaxNanos.
  Quantity operator+(const Quantity& other) const;
  Quantity operator-(const Quantity& other) const;
  Quantity operator-() const;
  Quantity& operator+=(const Quantity& other) { return *this = *this + other; }
  Quantity& operator-=(const Quantity& other) { return *this = *this - other; }
  // Compares values only ("1000m" == "1").
  std::strong_ordering operator<=>(const Quantity& other) const;
  bool operator==(const Quantity& other) const { return nanos_ == other.nanos_; }

 private:
  Quantity(detail::Int128 nanos, Format format) : nanos_(nanos), format_(format) {}

  // value = nanos_ * 10^-9, |nanos_| <= kMaxNanos.
  detail::Int128 nanos_ = 0;
  Format format_ = Format::kDecimalSI;
};

const char* to_string(Quantity::Format format);
// "DecimalSI", "BinarySI", "DecimalExponent" -> the format; nullopt otherwise.
std::optional<Quantity::Format> parse_format(std::string_view name);

}  // namespace gpusim
