#pragma once
// resource.Quantity exactly as Kubernetes parses, rounds, compares and prints it
// (docs: ../shared/docs/k8s-semantics.md section 1; vectors: tests/conformance/quantity.yaml).
// The value is an exact decimal (never a float); the format remembered from the suffix decides
// how it prints.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gpusim {

class Quantity {
 public:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  Quantity() = default;
  // nullopt for any string upstream rejects ("1K", " 1", "", "1e", ...).
  static std::optional<Quantity> parse(std::string_view text);
  static Quantity from_int(std::int64_t value, Format format = Format::kDecimalSI);
  static Quantity from_milli(std::int64_t milli, Format format = Format::kDecimalSI);

  // Value() and MilliValue(): rounded up (ceiling) to an integer; saturate at int64 limits.
  std::int64_t value() const;
  std::int64_t milli_value() const;
  // ScaledValue(scale): ceil(v / 10^scale), e.g. scaled_value(-3) == milli_value().
  std::int64_t scaled_value(int scale) const;

  Format format() const { return format_; }
  bool is_zero() const { return unscaled_ == 0; }
  int sign() const { return unscaled_ < 0 ? -1 : (unscaled_ > 0 ? 1 : 0); }

  // Canonical String(): "1Gi", "500m", "1e3" -> "1e3", "1.5Gi" -> "1536Mi".
  std::string str() const;
  // The exact decimal value without suffix: "0.003", "7340032", "-1.5".
  std::string decimal() const;

  // Exact arithmetic; the result keeps the left operand's format unless it is zero.
  Quantity operator+(const Quantity& other) const;
  Quantity operator-(const Quantity& other) const;
  Quantity& operator+=(const Quantity& other) { return *this = *this + other; }
  Quantity& operator-=(const Quantity& other) { return *this = *this - other; }
  // Compares values only ("1000m" == "1").
  std::strong_ordering operator<=>(const Quantity& other) const;
  bool operator==(const Quantity& other) const { return (*this <=> other) == 0; }

 private:
  // value = unscaled_ * 10^scale_, normalised so that unscaled_ has no trailing zeros
  // (or is zero with scale_ 0). 128 bits hold every value the API server accepts.
  __int128 unscaled_ = 0;
  std::int32_t scale_ = 0;
  Format format_ = Format::kDecimalSI;
};

const char* to_string(Quantity::Format format);

}  // namespace gpusim
