#pragma once
// CronJob schedules as Kubernetes accepts them (robfig/cron v3 ParseStandard): five fields
// (minute hour day-of-month month day-of-week) with *, ?, lists, ranges, steps and month/day
// names, or a descriptor (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly,
// @every <duration>). Times are UTC.
//
// Day matching follows robfig (and Vixie cron): when both day-of-month and day-of-week are
// restricted (neither starts with * or ?), a day matching EITHER fires; otherwise both must
// match.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/event_loop.hpp"

namespace gpusim::ctrl {

// Simulated time 0 is this wall-clock instant (2024-01-01T00:00:00Z, a Monday): cron
// schedules and the Job names a CronJob derives from its schedule times are computed from it.
inline constexpr std::int64_t kSimulationEpochUnixS = 1'704'067'200;

class CronSchedule {
 public:
  // nullopt with a message (robfig's wording) for anything the API server would reject.
  static std::optional<CronSchedule> parse(std::string_view text, std::string* error = nullptr);

  // The first activation strictly after `unix_s` (seconds since the Unix epoch), or nullopt when
  // none falls within five years (e.g. "0 0 30 2 *").
  std::optional<std::int64_t> next_after(std::int64_t unix_s) const;

  // The same on simulated time (milliseconds since kSimulationEpochUnixS).
  std::optional<TimeMs> next_after_ms(TimeMs t_ms) const;

 private:
  std::uint64_t minute_ = 0, hour_ = 0, dom_ = 0, month_ = 0, dow_ = 0;  // bit i = value i
  bool dom_star_ = false, dow_star_ = false;
  std::int64_t every_s_ = 0;  // @every: a fixed period instead of fields
};

// Civil date helpers on the proleptic Gregorian calendar (UTC).
struct CivilTime {
  std::int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0, minute = 0, second = 0;
  int weekday = 4;  // 0 = Sunday
};
CivilTime civil_from_unix(std::int64_t unix_s);
std::int64_t unix_from_civil(std::int64_t year, int month, int day, int hour, int minute,
                             int second);
// "2024-01-01T00:00:00Z"
std::string format_rfc3339(std::int64_t unix_s);

}  // namespace gpusim::ctrl
