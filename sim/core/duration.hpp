#pragma once
// Durations as users write them: Go's time.Duration syntax ("90s", "1h30m", "1.5h", "250ms") plus
// "d" for days, or a bare integer meaning seconds (as Kubernetes' *Seconds fields do).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/event_loop.hpp"

namespace gpusim {

std::optional<TimeMs> parse_duration_ms(std::string_view text);
// Go's time.ParseDuration exactly (what upstream's cron `@every` uses): units ns, us, µs, ms, s,
// m, h only, a unit after every number ("90" is an error, "0" is not), fractions and sums
// ("1.5h", "1h30m"), an optional sign. Nanoseconds; nullopt with Go's own message
// (`time: missing unit in duration "90"`) in `error`.
std::optional<std::int64_t> parse_go_duration_ns(std::string_view text, std::string* error);
// Shortest exact form: 90000 -> "1m30s", 86400000 -> "1d", 1500 -> "1.5s".
std::string format_duration(TimeMs ms);

}  // namespace gpusim
