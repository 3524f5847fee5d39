#pragma once
// Progress of a long run on stderr: simulated time reached, events per second and an estimate
// of the time left. Shown only when stderr is a terminal, the run has lasted a couple of seconds,
// and --quiet was not given (GPUSIM_PROGRESS=1 forces it, for tests).
#include <chrono>
#include <cstdint>
#include <optional>

#include "core/event_loop.hpp"

namespace gpusim::cli {

class ProgressMeter {
 public:
  // Whether to show progress at all.
  static bool wanted(bool quiet);
  // end_ms: the simulated time the run stops at, when known (for percentages and the ETA).
  ProgressMeter(bool enabled, std::optional<TimeMs> end_ms);
  ~ProgressMeter();
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  void update(TimeMs now_ms, std::uint64_t events);
  // Clears the line (called by the destructor too).
  void done();

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool shown_ = false;
  std::optional<TimeMs> end_ms_;
  Clock::time_point start_, last_;
};

}  // namespace gpusim::cli
