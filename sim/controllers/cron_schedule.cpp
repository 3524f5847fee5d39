#include "controllers/cron_schedule.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <vector>

#include "core/duration.hpp"
#include "core/split.hpp"

namespace gpusim::ctrl {
namespace {

constexpr std::uint64_t kStarBit = 1ULL << 63;

struct Bounds {
  unsigned min, max;
  const char* const* names;  // index = value; nullptr-terminated; nullptr when none
};
constexpr const char* kMonthNames[] = {"",    "jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec", nullptr};
constexpr const char* kDowNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr};
constexpr Bounds kMinutes{0, 59, nullptr};
constexpr Bounds kHours{0, 23, nullptr};
constexpr Bounds kDom{1, 31, nullptr};
constexpr Bounds kMonths{1, 12, kMonthNames};
constexpr Bounds kDow{0, 6, kDowNames};

std::uint64_t bits(unsigned lo, unsigned hi, unsigned step) {
  std::uint64_t b = 0;
  for (unsigned i = lo; i <= hi; i += step)
    b |= 1ULL << i;
  return b;
}

std::uint64_t all(const Bounds& r) {
  return bits(r.min, r.max, 1) | kStarBit;
}

// mustParseInt: Go's strconv.Atoi, then "negative number not allowed".
bool parse_int(const std::string& s, unsigned& out, std::string& err) {
  long long v = 0;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') ++first;
  auto [p, ec] = std::from_chars(first, last, v);
  if (s.empty() || ec != std::errc() || p != last) {
    err = "failed to parse int from " + s + ": strconv.Atoi: parsing \"" + s +
          "\": " + (ec == std::errc::result_out_of_range ? "value out of range" : "invalid syntax");
    return false;
  }
  if (v < 0) {
    err = "negative number (" + std::to_string(v) + ") not allowed: " + s;
    return false;
  }
  if (v > 1'000'000) v = 1'000'000;  // far above every bound; keeps the range messages exact
  out = static_cast<unsigned>(v);
  return true;
}

bool parse_int_or_name(const std::string& s, const Bounds& r, unsigned& out, std::string& err) {
  if (r.names) {
    std::string lower = s;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (unsigned i = 0; r.names[i] != nullptr; ++i) {
      if (*r.names[i] != '\0' && lower == r.names[i]) {
        out = i;
        return true;
      }
    }
  }
  return parse_int(s, out, err);
}

bool get_range(const std::string& expr, const Bounds& r, std::uint64_t& out, std::string& err) {
  const auto range_and_step = split(expr, '/');
  const auto low_and_high = split(range_and_step[0], '-');
  const bool single = low_and_high.size() == 1;
  unsigned start = 0, end = 0, step = 1;
  std::uint64_t extra = 0;
  if (low_and_high[0] == "*" || low_and_high[0] == "?") {
    start = r.min;
    end = r.max;
    extra = kStarBit;
  } else {
    if (!parse_int_or_name(low_and_high[0], r, start, err)) return false;
    if (low_and_high.size() == 1) {
      end = start;
    } else if (low_and_high.size() == 2) {
      if (!parse_int_or_name(low_and_high[1], r, end, err)) return false;
    } else {
      err = "too many hyphens: " + expr;
      return false;
    }
  }
  if (range_and_step.size() == 2) {
    if (!parse_int(range_and_step[1], step, err)) return false;
    // "N/step" means "N-max/step".
    if (single) end = r.max;
    if (step > 1) extra = 0;
  } else if (range_and_step.size() > 2) {
    err = "too many slashes: " + expr;
    return false;
  }
  if (start < r.min) {
    err = "beginning of range (" + std::to_string(start) + ") below minimum (" +
          std::to_string(r.min) + "): " + expr;
    return false;
  }
  if (end > r.max) {
    err = "end of range (" + std::to_string(end) + ") above maximum (" + std::to_string(r.max) +
          "): " + expr;
    return false;
  }
  if (start > end) {
    err = "beginning of range (" + std::to_string(start) + ") beyond end of range (" +
          std::to_string(end) + "): " + expr;
    return false;
  }
  if (step == 0) {
    err = "step of range should be a positive number: " + expr;
    return false;
  }
  out = bits(start, end, step) | extra;
  return true;
}

bool get_field(const std::string& field, const Bounds& r, std::uint64_t& out, std::string& err) {
  out = 0;
  for (const auto& expr : split(field, ',')) {
    std::uint64_t b = 0;
    if (!get_range(expr, r, b, err)) return false;
    out |= b;
  }
  return true;
}

// Howard Hinnant's days_from_civil / civil_from_days.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = static_cast<unsigned>((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool bit(std::uint64_t set, int i) {
  return ((set >> i) & 1ULL) != 0;
}

}  // namespace

CivilTime civil_from_unix(std::int64_t unix_s) {
  CivilTime c;
  const std::int64_t days = floor_div(unix_s, 86400);
  const std::int64_t secs = unix_s - days * 86400;
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs % 3600 / 60);
  c.second = static_cast<int>(secs % 60);
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = y + (c.month <= 2);
  return c;
}

std::int64_t unix_from_civil(std::int64_t year, int month, int day, int hour, int minute,
                             int second) {
  // Normalise the month the way Go's time.Date does (month 13 is January of the next year).
  std::int64_t m0 = month - 1;
  year += floor_div(m0, 12);
  m0 -= floor_div(m0, 12) * 12;
  return days_from_civil(year, static_cast<int>(m0) + 1, 1) * 86400 +
         static_cast<std::int64_t>(day - 1) * 86400 + hour * 3600LL + minute * 60LL + second;
}

std::string format_rfc3339(std::int64_t unix_s) {
  const CivilTime c = civil_from_unix(unix_s);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02dZ", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::optional<CronSchedule> CronSchedule::parse(std::string_view text, std::string* error) {
  std::string err;
  auto fail = [&](std::string msg) -> std::optional<CronSchedule> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  if (text.empty()) return fail("empty spec string");
  if (text.starts_with("TZ=") || text.starts_with("CRON_TZ=")) {
    return fail("cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
  }
  CronSchedule s;
  if (text.starts_with("@")) {
    const std::string d(text);
    auto fields = [&](std::uint64_t minute, std::uint64_t hour, std::uint64_t dom,
                      std::uint64_t month, std::uint64_t dow) {
      s.minute_ = minute;
      s.hour_ = hour;
      s.dom_ = dom;
      s.month_ = month;
      s.dow_ = dow;
    };
    if (d == "@yearly" || d == "@annually") {
      fields(1, 1, 1ULL << 1, 1ULL << 1, all(kDow));
    } else if (d == "@monthly") {
      fields(1, 1, 1ULL << 1, all(kMonths), all(kDow));
    } else if (d == "@weekly") {
      fields(1, 1, all(kDom), all(kMonths), 1);
    } else if (d == "@daily" || d == "@midnight") {
      fields(1, 1, all(kDom), all(kMonths), all(kDow));
    } else if (d == "@hourly") {
      fields(1, all(kHours), all(kDom), all(kMonths), all(kDow));
    } else if (d.starts_with("@every ")) {
      // robfig/cron: time.ParseDuration, then Every(): under a second (negative included) runs
      // every second, anything else is truncated to whole seconds.
      std::string why;
      const auto ns = parse_go_duration_ns(std::string_view(d).substr(7), &why);
      if (!ns) return fail("failed to parse duration " + d + ": " + why);
      s.every_s_ = std::max<std::int64_t>(1, *ns / 1'000'000'000);
      return s;
    } else {
      return fail("unrecognized descriptor: " + d);
    }
  } else {
    std::vector<std::string> f;
    std::string cur;
    for (char c : text) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!cur.empty()) f.push_back(std::move(cur));
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) f.push_back(std::move(cur));
    if (f.size() != 5) {
      std::string shown = "[";
      for (std::size_t i = 0; i < f.size(); ++i)
        shown += (i ? " " : "") + f[i];
      return fail("expected exactly 5 fields, found " + std::to_string(f.size()) + ": " + shown +
                  "]");
    }
    if (!get_field(f[0], kMinutes, s.minute_, err) || !get_field(f[1], kHours, s.hour_, err) ||
        !get_field(f[2], kDom, s.dom_, err) || !get_field(f[3], kMonths, s.month_, err) ||
        !get_field(f[4], kDow, s.dow_, err)) {
      return fail(err);
    }
  }
  s.dom_star_ = (s.dom_ & kStarBit) != 0;
  s.dow_star_ = (s.dow_ & kStarBit) != 0;
  return s;
}

std::optional<std::int64_t> CronSchedule::next_after(std::int64_t unix_s) const {
  if (every_s_ > 0) return unix_s + every_s_;
  // robfig's SpecSchedule.Next: advance field by field from the next whole second, wrapping to
  // the outer field whenever an inner one rolls over.
  std::int64_t t = unix_s + 1;
  bool added = false;
  const std::int64_t year_limit = civil_from_unix(t).year + 5;
  auto day_matches = [&](const CivilTime& c) {
    const bool dom_match = bit(dom_, c.day);
    const bool dow_match = bit(dow_, c.weekday);
    if (dom_star_ || dow_star_) return dom_match && dow_match;
    return dom_match || dow_match;
  };
wrap:
  CivilTime c = civil_from_unix(t);
  if (c.year > year_limit) return std::nullopt;
  while (!bit(month_, c.month)) {
    if (!added) {
      added = true;
      t = unix_from_civil(c.year, c.month, 1, 0, 0, 0);
    }
    c = civil_from_unix(t);
    t = unix_from_civil(c.year, c.month + 1, c.day, c.hour, c.minute, c.second);
    c = civil_from_unix(t);
    if (c.month == 1) goto wrap;
  }
  while (!day_matches(c)) {
    if (!added) {
      added = true;
      t = unix_from_civil(c.year, c.month, c.day, 0, 0, 0);
    }
    t += 86400;
    c = civil_from_unix(t);
    if (c.day == 1) goto wrap;
  }
  while (!bit(hour_, c.hour)) {
    if (!added) {
      added = true;
      t -= c.minute * 60LL + c.second;
    }
    t += 3600;
    c = civil_from_unix(t);
    if (c.hour == 0) goto wrap;
  }
  while (!bit(minute_, c.minute)) {
    if (!added) {
      added = true;
      t -= c.second;
    }
    t += 60;
    c = civil_from_unix(t);
    if (c.minute == 0) goto wrap;
  }
  while (c.second != 0) {
    if (!added) added = true;
    t += 1;
    c = civil_from_unix(t);
    if (c.second == 0) goto wrap;
  }
  return t;
}

std::optional<TimeMs> CronSchedule::next_after_ms(TimeMs t_ms) const {
  // Whole seconds: a schedule fires on the second, so a partial second counts as its start.
  const std::int64_t unix_s =
      kSimulationEpochUnixS + (t_ms >= 0 ? t_ms / 1000 : (t_ms - 999) / 1000);
  const auto next = next_after(unix_s);
  if (!next) return std::nullopt;
  return (*next - kSimulationEpochUnixS) * 1000;
}

}  // namespace gpusim::ctrl
