#include "controllers/cron_schedule.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gpusim::ctrl {
namespace {

std::int64_t at(std::int64_t y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return unix_from_civil(y, mo, d, h, mi, s);
}

CronSchedule must_parse(const std::string& text) {
  std::string err;
  auto s = CronSchedule::parse(text, &err);
  EXPECT_TRUE(s.has_value()) << text << ": " << err;
  return s ? *s : *CronSchedule::parse("* * * * *");
}

std::string error_of(const std::string& text) {
  std::string err;
  EXPECT_FALSE(CronSchedule::parse(text, &err).has_value()) << text;
  return err;
}

TEST(CivilTimeTest, RoundTripsAndKnowsWeekdays) {
  EXPECT_EQ(at(1970, 1, 1), 0);
  EXPECT_EQ(at(2024, 1, 1), kSimulationEpochUnixS);
  const CivilTime c = civil_from_unix(at(2024, 2, 29, 13, 45, 7));
  EXPECT_EQ(c.year, 2024);
  EXPECT_EQ(c.month, 2);
  EXPECT_EQ(c.day, 29);
  EXPECT_EQ(c.hour, 13);
  EXPECT_EQ(c.minute, 45);
  EXPECT_EQ(c.second, 7);
  EXPECT_EQ(c.weekday, 4);                                       // a Thursday
  EXPECT_EQ(civil_from_unix(kSimulationEpochUnixS).weekday, 1);  // 2024-01-01 is a Monday
  EXPECT_EQ(at(2023, 13, 1), at(2024, 1, 1));                    // month overflow normalises
  EXPECT_EQ(format_rfc3339(at(2024, 3, 5, 7, 8, 9)), "2024-03-05T07:08:09Z");
}

TEST(CronScheduleTest, EveryFifteenMinutes) {
  const auto s = must_parse("*/15 * * * *");
  EXPECT_EQ(s.next_after(at(2024, 1, 1)), at(2024, 1, 1, 0, 15));
  EXPECT_EQ(s.next_after(at(2024, 1, 1, 0, 14, 59)), at(2024, 1, 1, 0, 15));
  EXPECT_EQ(s.next_after(at(2024, 1, 1, 0, 45)), at(2024, 1, 1, 1, 0));
  EXPECT_EQ(s.next_after(at(2024, 12, 31, 23, 59)), at(2025, 1, 1));
}

TEST(CronScheduleTest, DailyAndWeekdayRanges) {
  EXPECT_EQ(must_parse("0 0 * * *").next_after(at(2024, 1, 1)), at(2024, 1, 2));
  // Weekdays at 02:30; Friday 2024-01-05 -> Monday 2024-01-08.
  const auto s = must_parse("30 2 * * 1-5");
  EXPECT_EQ(s.next_after(at(2024, 1, 5, 3, 0)), at(2024, 1, 8, 2, 30));
  EXPECT_EQ(s.next_after(at(2024, 1, 3, 1, 0)), at(2024, 1, 3, 2, 30));
  // Names, any case, in lists and ranges.
  const auto n = must_parse("0 12 * JAN-mar sat,Sun");
  EXPECT_EQ(n.next_after(at(2024, 1, 1)), at(2024, 1, 6, 12, 0));
  EXPECT_EQ(n.next_after(at(2024, 3, 31, 12, 0)), at(2025, 1, 4, 12, 0));
}

TEST(CronScheduleTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // Vixie cron / robfig: both restricted -> either matches.
  const auto s = must_parse("0 0 13 * 5");                    // the 13th, or any Friday
  EXPECT_EQ(s.next_after(at(2024, 1, 1)), at(2024, 1, 5));    // Friday the 5th
  EXPECT_EQ(s.next_after(at(2024, 1, 12)), at(2024, 1, 13));  // Saturday the 13th
  // A star in day-of-week: only day-of-month decides.
  EXPECT_EQ(must_parse("0 0 13 * *").next_after(at(2024, 1, 1)), at(2024, 1, 13));
  // "*/2" in day-of-week is a restriction (step > 1 drops the star), "*/1" is not.
  EXPECT_EQ(must_parse("0 0 13 * */2").next_after(at(2024, 1, 1)), at(2024, 1, 2));  // Tuesday
  EXPECT_EQ(must_parse("0 0 13 * */1").next_after(at(2024, 1, 1)), at(2024, 1, 13));
}

TEST(CronScheduleTest, StepsRangesAndLists) {
  const auto s = must_parse("5/20 8-10/2 1,15 * ?");
  EXPECT_EQ(s.next_after(at(2024, 1, 1)), at(2024, 1, 1, 8, 5));
  EXPECT_EQ(s.next_after(at(2024, 1, 1, 8, 5)), at(2024, 1, 1, 8, 25));
  EXPECT_EQ(s.next_after(at(2024, 1, 1, 8, 45)), at(2024, 1, 1, 10, 5));
  EXPECT_EQ(s.next_after(at(2024, 1, 1, 10, 45)), at(2024, 1, 15, 8, 5));
}

TEST(CronScheduleTest, LeapDaysAndImpossibleDates) {
  EXPECT_EQ(must_parse("0 0 29 2 *").next_after(at(2024, 3, 1)), at(2028, 2, 29));
  // February 30th never comes: nothing within five years.
  EXPECT_FALSE(must_parse("0 0 30 2 *").next_after(at(2024, 1, 1)).has_value());
  EXPECT_EQ(must_parse("0 0 31 * *").next_after(at(2024, 4, 1)), at(2024, 5, 31));
}

TEST(CronScheduleTest, Descriptors) {
  EXPECT_EQ(must_parse("@hourly").next_after(at(2024, 1, 1, 0, 0, 1)), at(2024, 1, 1, 1));
  EXPECT_EQ(must_parse("@daily").next_after(at(2024, 1, 1)), at(2024, 1, 2));
  EXPECT_EQ(must_parse("@midnight").next_after(at(2024, 1, 1)), at(2024, 1, 2));
  EXPECT_EQ(must_parse("@weekly").next_after(at(2024, 1, 1)), at(2024, 1, 7));  // Sunday
  EXPECT_EQ(must_parse("@monthly").next_after(at(2024, 1, 1)), at(2024, 2, 1));
  EXPECT_EQ(must_parse("@yearly").next_after(at(2024, 1, 1)), at(2025, 1, 1));
  EXPECT_EQ(must_parse("@annually").next_after(at(2024, 6, 1)), at(2025, 1, 1));
  EXPECT_EQ(must_parse("@every 90m").next_after(at(2024, 1, 1)), at(2024, 1, 1, 1, 30));
}

// `@every` takes Go's time.ParseDuration (robfig/cron), not gpusim's duration syntax.
TEST(CronScheduleTest, EveryUsesGoDurationSyntax) {
  EXPECT_EQ(error_of("@every 90"),
            "failed to parse duration @every 90: time: missing unit in duration \"90\"");
  EXPECT_EQ(error_of("@every 1d"),
            "failed to parse duration @every 1d: time: unknown unit \"d\" in duration \"1d\"");
  EXPECT_EQ(error_of("@every 2w"),
            "failed to parse duration @every 2w: time: unknown unit \"w\" in duration \"2w\"");
  EXPECT_EQ(error_of("@every soon"),
            "failed to parse duration @every soon: time: invalid duration \"soon\"");
  EXPECT_EQ(error_of("@every "), "failed to parse duration @every : time: invalid duration \"\"");
  EXPECT_EQ(error_of("@every .h"),
            "failed to parse duration @every .h: time: invalid duration \".h\"");
  EXPECT_EQ(error_of("@every 1h30"),
            "failed to parse duration @every 1h30: time: missing unit in duration \"1h30\"");
  EXPECT_EQ(error_of("@every 9999999999h"),
            "failed to parse duration @every 9999999999h: time: invalid duration "
            "\"9999999999h\"");
  const std::int64_t t0 = 0;
  EXPECT_EQ(must_parse("@every 1h30m").next_after_ms(t0), 5'400'000);
  EXPECT_EQ(must_parse("@every 1.5h").next_after_ms(t0), 5'400'000);
  EXPECT_EQ(must_parse("@every 90s").next_after_ms(t0), 90'000);
  EXPECT_EQ(must_parse("@every 2m0.5s").next_after_ms(t0), 120'000);  // whole seconds
  EXPECT_EQ(must_parse("@every 1500ms").next_after_ms(t0), 1'000);
  EXPECT_EQ(must_parse("@every 0").next_after_ms(t0), 1'000);  // under a second: every second
  EXPECT_EQ(must_parse("@every 300us").next_after_ms(t0), 1'000);
  EXPECT_EQ(must_parse("@every 5\u00b5s").next_after_ms(t0), 1'000);
  EXPECT_EQ(must_parse("@every -5m").next_after_ms(t0), 1'000);
  EXPECT_EQ(must_parse("@every 1h0m0s").next_after_ms(t0), 3'600'000);
}

TEST(CronScheduleTest, SimulatedTime) {
  const auto s = must_parse("0 * * * *");
  EXPECT_EQ(s.next_after_ms(0), 3'600'000);
  EXPECT_EQ(s.next_after_ms(3'600'000), 7'200'000);
  EXPECT_EQ(s.next_after_ms(3'599'999), 3'600'000);
}

TEST(CronScheduleTest, RejectsWhatTheApiServerRejects) {
  EXPECT_EQ(error_of(""), "empty spec string");
  EXPECT_EQ(error_of("* * * *"), "expected exactly 5 fields, found 4: [* * * *]");
  EXPECT_EQ(error_of("0 0 * * * *"), "expected exactly 5 fields, found 6: [0 0 * * * *]");
  EXPECT_EQ(error_of("60 * * * *"), "end of range (60) above maximum (59): 60");
  EXPECT_EQ(error_of("* 24 * * *"), "end of range (24) above maximum (23): 24");
  EXPECT_EQ(error_of("* * 0 * *"), "beginning of range (0) below minimum (1): 0");
  EXPECT_EQ(error_of("* * * 13 *"), "end of range (13) above maximum (12): 13");
  EXPECT_EQ(error_of("* * * * 7"), "end of range (7) above maximum (6): 7");
  EXPECT_EQ(error_of("5-3 * * * *"), "beginning of range (5) beyond end of range (3): 5-3");
  EXPECT_EQ(error_of("*/0 * * * *"), "step of range should be a positive number: */0");
  EXPECT_EQ(error_of("1-2-3 * * * *"), "too many hyphens: 1-2-3");
  EXPECT_EQ(error_of("*/2/3 * * * *"), "too many slashes: */2/3");
  EXPECT_EQ(error_of("x * * * *"),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(error_of("@fortnightly"), "unrecognized descriptor: @fortnightly");
  EXPECT_EQ(error_of("TZ=UTC 0 0 * * *"),
            "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
  EXPECT_FALSE(CronSchedule::parse("@every soon").has_value());
  EXPECT_FALSE(CronSchedule::parse("0 0 * JANUARY *").has_value());
}

}  // namespace
}  // namespace gpusim::ctrl
