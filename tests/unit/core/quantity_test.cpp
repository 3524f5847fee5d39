// Quantity beyond the conformance vectors: round trips, upstream parser quirks, the range limit
// and saturation, negative rounding and the constructors others use.
#include "core/quantity.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gpusim {
namespace {

using F = Quantity::Format;
constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();

Quantity q(std::string_view text) {
  auto parsed = Quantity::parse(text);
  EXPECT_TRUE(parsed.has_value()) << "'" << text << "' was rejected";
  return parsed.value_or(Quantity{});
}

TEST(QuantityTest, CanonicalStringParsesBackToTheSameValueAndString) {
  const std::vector<std::string> inputs = {
      "0",    "1",        "-1",         "1n",        "999n",     "1.5",  "1.5Gi",  "100.035Ki",
      "12E",  "1000E",    "1e21",       "-0.5e-1",   "1.3E+6",   "7Ei",  "9Ei",    "0.5Ki",
      "1025", "1023.5Ki", "-1024Mi",    "123456789", "0.000001", "8.1k", "1.01E",  "5e-9",
      "1e-3", "100m",     "2073741824", "1.G",       ".001Ki",   "+3k",  "1.1E-9", "99999Pi"};
  for (const auto& text : inputs) {
    SCOPED_TRACE(text);
    const Quantity first = q(text);
    const std::string printed = first.str();
    const auto again = Quantity::parse(printed);
    ASSERT_TRUE(again.has_value()) << "canonical form '" << printed << "' does not parse";
    EXPECT_EQ(*again, first);
    EXPECT_EQ(again->str(), printed);
    EXPECT_EQ(Quantity::from_decimal(first.decimal(), first.format())->str(), printed);
  }
}

TEST(QuantityTest, SignAndZero) {
  EXPECT_TRUE(Quantity().is_zero());
  EXPECT_EQ(Quantity().str(), "0");
  EXPECT_EQ(Quantity().format(), F::kDecimalSI);
  EXPECT_EQ(q("-0").sign(), 0);
  EXPECT_EQ(q("-0").str(), "0");
  EXPECT_EQ(q("0Ki").format(), F::kBinarySI);  // zero keeps its suffix's format
  EXPECT_EQ(q("-3m").sign(), -1);
  EXPECT_EQ(q("3m").sign(), 1);
  EXPECT_TRUE(q("1n").nanos() == 1);
}

TEST(QuantityTest, RejectsWhitespaceAndJunk) {
  for (const char* text : {" 1", "1 ", "1\t", "\n1", "1..0", "1.1.M", "--1", "+-1", "1e", "1e+",
                           "1e3.5", "1Ki3", "1 Mi", "1mi", "1KB", "0x10", "1_000", "1e3e", "∞"}) {
    EXPECT_FALSE(Quantity::parse(text).has_value()) << "'" << text << "'";
  }
  EXPECT_FALSE(Quantity::parse(std::string_view("1\0", 2)).has_value());
}

// Upstream's fast path reads a missing number as 0; its slow path rejects it.
TEST(QuantityTest, NumberWithoutDigitsFollowsUpstream) {
  for (const char* text : {"-", "+", ".", "-.", "m", "k", "E", "Mi", "Ki", "Ti", "e3", "e-9"}) {
    SCOPED_TRACE(text);
    const auto parsed = Quantity::parse(text);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_TRUE(parsed->is_zero());
  }
  EXPECT_EQ(q("Mi").format(), F::kBinarySI);
  EXPECT_EQ(q("e3").format(), F::kDecimalExponent);
  for (const char* text : {"Pi", "Ei", "e-10", "n."}) {
    EXPECT_FALSE(Quantity::parse(text).has_value()) << text;
  }
}

TEST(QuantityTest, ExponentIsTruncatedTo32BitsLikeGo) {
  // int32(4294967296) == 0 and int32(4294967299) == 3 in Go.
  EXPECT_EQ(q("1e4294967296").str(), "1");
  EXPECT_EQ(q("1e4294967299").str(), "1e3");
  EXPECT_EQ(q("1e4294967299").format(), F::kDecimalExponent);
  // Beyond int64 strconv.ParseInt itself fails.
  EXPECT_FALSE(Quantity::parse("1e9223372036854775808").has_value());
  EXPECT_TRUE(Quantity::parse("0e9223372036854775807").has_value());
}

TEST(QuantityTest, RoundsUpInMagnitudeToNanoAtParse) {
  EXPECT_EQ(q("1e-1000").str(), "1e-9");  // DecimalExponent is kept
  EXPECT_EQ(q("-1e-1000").str(), "-1e-9");
  EXPECT_EQ(q("0.1e-1000000000").str(), "1e-9");
  EXPECT_EQ(q("3.001n").str(), "4n");
  EXPECT_EQ(q("0.0000000010000000000000000000000000000000000001").str(), "2n");
  EXPECT_EQ(q("1.000000000000000000000000000000000000000000000000000").str(), "1");
  EXPECT_EQ(q("0.000000000000000000000000000000Ki").str(), "0");
}

TEST(QuantityTest, BinaryClampsAtInt64MaxWhateverTheSize) {
  EXPECT_EQ(q("9Ei").value(), kMax64);
  EXPECT_EQ(q("-9Ei").value(), -kMax64);
  EXPECT_EQ(q("8Ei").decimal(), "9223372036854775807");
  EXPECT_EQ(q("7Ei").str(), "7Ei");
  EXPECT_EQ(q("100000000000000000000000000000000000000000Ei").decimal(), "9223372036854775807");
  EXPECT_EQ(q("9223372036854775807.0000000001").decimal(), "9223372036854775807.000000001");
  // 8192Pi is 2^63: just below it still clamps once rounded up to whole nanos.
  EXPECT_EQ(q("8191.999999999999999999Pi").decimal(), "9223372036854775807");
  EXPECT_EQ(q("8191.99999999999999Pi").decimal(), "9223372036854775796.741000932");
}

TEST(QuantityTest, DecimalBeyondTheRangeIsRejectedNotChanged) {
  // kMaxNanos is 10^38 - 1: the largest decimal is just under 10^29.
  EXPECT_EQ(q("99999999999.999999999999999999999999999E").decimal(),
            "99999999999999999999999999999.999999999");
  EXPECT_EQ(q("99999999999999999999999999999.9999999989").decimal(),
            "99999999999999999999999999999.999999999");
  // Rounding up to whole nanos reaches 10^29.
  EXPECT_FALSE(Quantity::parse("99999999999999999999999999999.9999999991").has_value());
  EXPECT_FALSE(Quantity::parse("1e29").has_value());
  EXPECT_FALSE(Quantity::parse("-100000000000E").has_value());
  EXPECT_FALSE(Quantity::parse("1e2147483647").has_value());
  EXPECT_EQ(q("1e28").str(), "10e27");
  EXPECT_EQ(q("1e28").format(), F::kDecimalExponent);
  EXPECT_EQ(q("10000000000E").str(), "10e27");
}

TEST(QuantityTest, IntegerViewsSaturateAndRoundAwayFromZero) {
  EXPECT_EQ(q("12E").value(), kMax64);
  EXPECT_EQ(q("12E").milli_value(), kMax64);
  EXPECT_EQ(q("-12E").value(), kMin64);
  EXPECT_EQ(q("9223372036854775807").value(), kMax64);
  EXPECT_EQ(q("9223372036854775807").milli_value(), kMax64);
  EXPECT_EQ(q("9223372036854775.807").milli_value(), kMax64);
  EXPECT_EQ(q("9223372036854775.808").milli_value(), kMax64);
  EXPECT_EQ(q("-9223372036854775808").value(), kMin64);
  // Upstream's int64 form (negativeScaleInt64) rounds negative values away from zero as well.
  EXPECT_EQ(q("-1.5").value(), -2);
  EXPECT_EQ(q("-1n").milli_value(), -1);
  EXPECT_EQ(q("-1100m").value(), -2);
  EXPECT_EQ(q("1100m").value(), 2);
  EXPECT_EQ(q("-2").value(), -2);
}

TEST(QuantityTest, ScaledValueAtAnyScale) {
  const Quantity v = q("1500");
  EXPECT_EQ(v.scaled_value(0), 1500);
  EXPECT_EQ(v.scaled_value(3), 2);
  EXPECT_EQ(v.scaled_value(-9), 1'500'000'000'000);
  EXPECT_EQ(v.scaled_value(-20), kMax64);
  EXPECT_EQ(v.scaled_value(100), 1);
  EXPECT_EQ(v.scaled_value(std::numeric_limits<int>::max()), 1);
  EXPECT_EQ(v.scaled_value(std::numeric_limits<int>::min()), kMax64);
  EXPECT_EQ(q("-1500").scaled_value(std::numeric_limits<int>::min()), kMin64);
  EXPECT_EQ(q("-1500").scaled_value(100), -1);
  EXPECT_EQ(q("1n").scaled_value(-9), 1);
  EXPECT_EQ(Quantity().scaled_value(std::numeric_limits<int>::min()), 0);
  EXPECT_EQ(q("3m").scaled_value(-3), q("3m").milli_value());
}

TEST(QuantityTest, ConstructorsPrintCanonically) {
  EXPECT_EQ(Quantity::from_int(1024, F::kBinarySI).str(), "1Ki");
  EXPECT_EQ(Quantity::from_int(1536 * 1024 * 1024LL, F::kBinarySI).str(), "1536Mi");
  EXPECT_EQ(Quantity::from_int(-1073741824, F::kBinarySI).str(), "-1Gi");
  EXPECT_EQ(Quantity::from_int(1000, F::kBinarySI).str(), "1k");
  EXPECT_EQ(Quantity::from_int(4000).str(), "4k");
  EXPECT_EQ(Quantity::from_int(0, F::kBinarySI).str(), "0");
  EXPECT_EQ(Quantity::from_int(kMax64).str(), "9223372036854775807");
  EXPECT_EQ(Quantity::from_int(kMin64).str(), "-9223372036854775808");
  EXPECT_EQ(Quantity::from_int(kMin64).value(), kMin64);
  EXPECT_EQ(Quantity::from_int(3, F::kDecimalExponent).str(), "3");
  EXPECT_EQ(Quantity::from_int(3000, F::kDecimalExponent).str(), "3e3");
  EXPECT_EQ(Quantity::from_milli(1500).str(), "1500m");
  EXPECT_EQ(Quantity::from_milli(2000).str(), "2");
  EXPECT_EQ(Quantity::from_milli(500, F::kBinarySI).str(), "500m");
  EXPECT_EQ(Quantity::from_milli(-250).str(), "-250m");
  EXPECT_EQ(Quantity::from_milli(1500).milli_value(), 1500);
  EXPECT_EQ(Quantity::from_milli(kMax64).milli_value(), kMax64);
  EXPECT_EQ(Quantity::from_scaled(5, -10).str(), "1n");
  EXPECT_EQ(Quantity::from_scaled(-5, -10).str(), "-1n");
  EXPECT_EQ(Quantity::from_scaled(15, -10).str(), "2n");
  EXPECT_EQ(Quantity::from_scaled(20, -10).str(), "2n");
  EXPECT_EQ(Quantity::from_scaled(7, 6).str(), "7M");
  EXPECT_TRUE(Quantity::from_scaled(1, 40).nanos() == Quantity::kMaxNanos);
  EXPECT_TRUE(Quantity::from_scaled(-1, 40).nanos() == -Quantity::kMaxNanos);
  EXPECT_EQ(Quantity::from_scaled(1, std::numeric_limits<int>::min()).str(), "1n");
  EXPECT_EQ(Quantity::from_scaled(0, std::numeric_limits<int>::max()).str(), "0");
}

TEST(QuantityTest, FromDecimalKeepsTheGivenFormat) {
  EXPECT_EQ(Quantity::from_decimal("0.5", F::kBinarySI)->format(), F::kBinarySI);
  EXPECT_EQ(Quantity::from_decimal("-1.5", F::kBinarySI)->str(), "-1500m");
  EXPECT_EQ(Quantity::from_decimal("20000000000000000001", F::kBinarySI)->str(),
            "20000000000000000001");  // not clamped, unlike parse
  EXPECT_EQ(Quantity::from_decimal("20000000000000000000", F::kBinarySI)->str(),
            "19073486328125Mi");  // 2^20 * 5^19
  EXPECT_EQ(Quantity::from_decimal("1.", F::kDecimalSI)->str(), "1");
  EXPECT_EQ(Quantity::from_decimal(".5", F::kDecimalSI)->str(), "500m");
  for (const char* bad : {"", ".", "-", "1k", "1e3", "1.2.3", " 1"}) {
    EXPECT_FALSE(Quantity::from_decimal(bad, F::kDecimalSI).has_value()) << "'" << bad << "'";
  }
}

TEST(QuantityTest, BinaryPrintingStopsAtEi) {
  // 2^70 is 1024Ei: there is no larger binary suffix.
  const Quantity ei = q("512Ei");
  EXPECT_EQ(ei.str(), "9223372036854775807");                                       // parse clamps
  const auto big = Quantity::from_decimal("1180591620717411303424", F::kBinarySI);  // 2^70
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->str(), "1024Ei");
  EXPECT_EQ((*big + *big).str(), "2048Ei");
}

TEST(QuantityTest, ArithmeticKeepsTheLeftFormatAndSaturates) {
  EXPECT_EQ((q("1") - q("100m")).str(), "900m");
  EXPECT_EQ((q("1Gi") - q("1Gi")).str(), "0");
  EXPECT_EQ((q("1Gi") - q("1Gi")).format(), F::kBinarySI);
  EXPECT_EQ((Quantity() - q("1Gi")).str(), "-1Gi");
  EXPECT_EQ((Quantity() - q("1Gi")).format(), F::kBinarySI);
  EXPECT_EQ((q("1k") + q("1Ki")).format(), F::kDecimalSI);
  EXPECT_EQ((q("1k") + q("1Ki")).str(), "2024");
  EXPECT_EQ((-q("1Gi")).str(), "-1Gi");
  Quantity total;
  for (int i = 0; i < 4; ++i)
    total += q("250m");
  EXPECT_EQ(total.str(), "1");
  total -= q("2");
  EXPECT_EQ(total.str(), "-1");

  const Quantity huge = q("99999999999999999999999999999");
  EXPECT_TRUE((huge + huge).nanos() == Quantity::kMaxNanos);
  EXPECT_TRUE((-huge - huge).nanos() == -Quantity::kMaxNanos);
  EXPECT_TRUE((huge - -huge).nanos() == Quantity::kMaxNanos);
  EXPECT_TRUE((huge + -huge).is_zero());
  // 9Ei clamps at parse, but sums of binary quantities may exceed int64 exactly.
  const Quantity sum = q("8Ei") + q("8Ei");
  EXPECT_EQ(sum.decimal(), "18446744073709551614");
  EXPECT_EQ(sum.value(), kMax64);
}

TEST(QuantityTest, ComparesByValueOnly) {
  EXPECT_EQ(q("1000m"), q("1"));
  EXPECT_EQ(q("1Ki"), q("1024"));
  EXPECT_EQ(q("1e3"), q("1k"));
  EXPECT_LT(q("-1Gi"), q("-1G"));
  EXPECT_LT(q("1n"), q("2n"));
  EXPECT_GT(q("12E"), q("9Ei"));
  EXPECT_NE(q("1"), q("1.000000001"));
  EXPECT_TRUE((q("0Ki") <=> q("0")) == 0);
}

TEST(QuantityTest, FormatNames) {
  for (F f : {F::kDecimalSI, F::kBinarySI, F::kDecimalExponent}) {
    EXPECT_EQ(parse_format(to_string(f)), f);
  }
  EXPECT_FALSE(parse_format("decimalSI").has_value());
}

}  // namespace
}  // namespace gpusim
