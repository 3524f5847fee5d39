// CronJob schedules on arbitrary text: parse() rejects with a message or accepts, and the next
// activation found is always strictly later than the time asked about.
#include <cstdlib>
#include <string>

#include "controllers/cron_schedule.hpp"
#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using gpusim::ctrl::CronSchedule;
  std::string error;
  const auto schedule = CronSchedule::parse(gpusim::fuzz::as_text(data, size), &error);
  if (!schedule) {
    if (error.empty()) std::abort();  // a rejection always says why
    return 0;
  }
  std::int64_t t = gpusim::ctrl::kSimulationEpochUnixS;
  for (int i = 0; i < 4; ++i) {
    const auto next = schedule->next_after(t);
    if (!next) break;
    if (*next <= t) std::abort();
    t = *next;
  }
  const auto ms = schedule->next_after_ms(0);
  if (ms && *ms <= 0) std::abort();
  return 0;
}
