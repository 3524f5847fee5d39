#pragma once
// Durations as users write them: Go's time.Duration syntax ("90s", "1h30m", "1.5h", "250ms") plus
// "d" for days, or a bare integer meaning seconds (as Kubernetes' *Seconds fields do).
#include <optional>
#include <string>
#include <string_view>

#include "core/event_loop.hpp"

namespace gpusim {

std::optional<TimeMs> parse_duration_ms(std::string_view text);
// Shortest exact form: 90000 -> "1m30s", 86400000 -> "1d", 1500 -> "1.5s".
std::string format_duration(TimeMs ms);

}  // namespace gpusim
