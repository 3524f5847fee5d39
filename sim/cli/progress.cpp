#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/run_stop.hpp"
#include "core/duration.hpp"

namespace gpusim::cli {

namespace {
constexpr auto kFirstAfter = std::chrono::seconds(2);
constexpr auto kEvery = std::chrono::milliseconds(250);

std::string rate(double per_s) {
  char buf[32];
  if (per_s >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1fM", per_s / 1e6);
  } else if (per_s >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1fk", per_s / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", per_s);
  }
  return buf;
}
}  // namespace

bool ProgressMeter::wanted(bool quiet) {
  if (const char* f = std::getenv("GPUSIM_PROGRESS"); f != nullptr && std::string(f) == "1")
    return true;
  return !quiet && ::isatty(STDERR_FILENO) == 1;
}

ProgressMeter::ProgressMeter(bool enabled, std::optional<TimeMs> end_ms)
    : enabled_(enabled), end_ms_(end_ms), start_(Clock::now()), last_(start_) {
  // Every long run reports progress through a meter, so this is where runs become stoppable.
  install_stop_handlers();
  if (const char* f = std::getenv("GPUSIM_PROGRESS"); f != nullptr && std::string(f) == "1") {
    start_ -= kFirstAfter;  // forced: show from the first update
  }
}

ProgressMeter::~ProgressMeter() {
  done();
}

void ProgressMeter::update(TimeMs now_ms, std::uint64_t events) {
  throw_if_stopped(now_ms);
  if (!enabled_) return;
  const auto now = Clock::now();
  if (now - start_ < kFirstAfter || (shown_ && now - last_ < kEvery)) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string line = "  simulated " + format_duration((now_ms / 1000) * 1000);
  if (end_ms_ && *end_ms_ > 0) {
    const double frac = static_cast<double>(now_ms) / static_cast<double>(*end_ms_);
    char buf[64];
    std::snprintf(buf, sizeof buf, " of %s (%.0f%%)", format_duration(*end_ms_).c_str(),
                  frac * 100.0);
    line += buf;
    if (frac > 0.001) {
      const double eta = elapsed * (1.0 - frac) / frac;
      line += ", ETA " + format_duration(static_cast<TimeMs>(eta) * 1000 + 1000);
    }
  }
  line += ", " + rate(static_cast<double>(events) / std::max(elapsed, 1e-3)) + " events/s";
  std::fprintf(stderr, "\r%-78s", line.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void ProgressMeter::done() {
  if (!shown_) return;
  std::fprintf(stderr, "\r%-78s\r", "");
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace gpusim::cli
