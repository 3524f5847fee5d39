#include "core/duration.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace gpusim {
namespace {

TEST(DurationTest, ParsesGoSyntaxDaysAndBareSeconds) {
  EXPECT_EQ(parse_duration_ms("90s"), 90'000);
  EXPECT_EQ(parse_duration_ms("1h30m"), 5'400'000);
  EXPECT_EQ(parse_duration_ms("1.5h"), 5'400'000);
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("1m30s"), 90'000);
  EXPECT_EQ(parse_duration_ms("2d"), 172'800'000);
  EXPECT_EQ(parse_duration_ms("1w"), 604'800'000);
  EXPECT_EQ(parse_duration_ms("1h1m1s1ms"), 3'661'001);
  EXPECT_EQ(parse_duration_ms(".5s"), 500);
  EXPECT_EQ(parse_duration_ms("1.s"), 1000);
  EXPECT_EQ(parse_duration_ms("0.001s"), 1);
  EXPECT_EQ(parse_duration_ms("-5s"), -5000);
  EXPECT_EQ(parse_duration_ms("+5s"), 5000);
  EXPECT_EQ(parse_duration_ms("30"), 30'000);  // a bare integer is seconds
  EXPECT_EQ(parse_duration_ms("0"), 0);
  EXPECT_EQ(parse_duration_ms("0s"), 0);
}

TEST(DurationTest, RejectsMalformedText) {
  for (const char* text : {"", "s", "1x", "1h30", "1.2.3s", ".s", "--1s", "1 s", " 1s", "1s ",
                           "1e3s", "h", "-", "+", "1S", "1H", "1h-30m", "1µs"}) {
    EXPECT_FALSE(parse_duration_ms(text).has_value()) << "'" << text << "'";
  }
}

TEST(DurationTest, RejectsAbsurdMagnitudesWithoutThrowing) {
  EXPECT_FALSE(parse_duration_ms("10000000000000s").has_value());  // 1e16 ms
  EXPECT_FALSE(parse_duration_ms("9999999999999").has_value());    // 13-digit bare seconds
  EXPECT_EQ(parse_duration_ms("999999999999"), 999'999'999'999'000);
  // A number too long for long double must be an error, not an exception.
  const std::string long_number = std::string(6000, '9') + "s";
  EXPECT_NO_THROW(EXPECT_FALSE(parse_duration_ms(long_number).has_value()));
  const std::string long_fraction = "0." + std::string(6000, '0') + "1s";
  EXPECT_NO_THROW(parse_duration_ms(long_fraction));
}

TEST(DurationTest, FormatsTheShortestExactForm) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(90'000), "1m30s");
  EXPECT_EQ(format_duration(86'400'000), "1d");
  EXPECT_EQ(format_duration(1500), "1.5s");
  EXPECT_EQ(format_duration(250), "250ms");
  EXPECT_EQ(format_duration(1), "1ms");
  EXPECT_EQ(format_duration(-1500), "-1.5s");
  EXPECT_EQ(format_duration(-250), "-250ms");
  EXPECT_EQ(format_duration(90'061'001), "1d1h1m1.001s");
  EXPECT_EQ(format_duration(86'400'500), "1d0.5s");
  EXPECT_EQ(format_duration(3'600'000), "1h");
  EXPECT_EQ(format_duration(61'010), "1m1.01s");
}

TEST(DurationTest, FormatThenParseRoundTrips) {
  for (TimeMs ms : {TimeMs{0}, TimeMs{1}, TimeMs{999}, TimeMs{1000}, TimeMs{1001}, TimeMs{59'999},
                    TimeMs{3'599'999}, TimeMs{86'399'999}, TimeMs{86'400'001},
                    TimeMs{123'456'789'012}, TimeMs{-42}, TimeMs{-90'000}}) {
    const std::string text = format_duration(ms);
    EXPECT_EQ(parse_duration_ms(text), ms) << text;
  }
}

TEST(DurationTest, FormatsTheInt64Extremes) {
  EXPECT_EQ(format_duration(std::numeric_limits<TimeMs>::max()), "106751991167d7h12m55.807s");
  EXPECT_EQ(format_duration(std::numeric_limits<TimeMs>::min()), "-106751991167d7h12m55.808s");
}

}  // namespace
}  // namespace gpusim
