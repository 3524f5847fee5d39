#pragma once
// Stopping a run early, from outside the simulation: SIGINT/SIGTERM and the memory cap.
// A signal handler may only set a flag, so the handlers record the signal and the run's progress
// hook (ProgressMeter::update, called between slices of simulated time) throws RunStopped at the
// next slice. The exception unwinds past the StagedDirectory before anything is committed, so an
// interrupted run leaves no output directory (results are whole or absent), and finished runs of
// a comparison or sweep keep theirs. A second signal gets the default action (kill at once).
//
// The memory cap (--max-memory MIB, else GPUSIM_MAX_MEMORY_MIB, in MiB of resident memory) is
// checked at the same place: a run that grows past it stops with a message instead of being
// killed by the OOM killer.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "core/duration.hpp"
#include "core/event_loop.hpp"

namespace gpusim::cli {

class RunStopped : public std::runtime_error {
 public:
  RunStopped(const std::string& message, int exit_code)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

namespace detail {
inline std::atomic<int> stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

extern "C" inline void on_stop_signal(int sig) {
  stop_signal.store(sig, std::memory_order_relaxed);
  std::signal(sig, SIG_DFL);  // a second Ctrl-C kills at once
}

// --max-memory, set once while the command line is parsed; -1 when not given.
inline std::atomic<std::int64_t> memory_cap_flag{-1};

// GPUSIM_MAX_MEMORY_MIB, 0 when unset or not a positive integer.
inline std::int64_t memory_cap_env() {
  static const std::int64_t cap = [] {
    const char* v = std::getenv("GPUSIM_MAX_MEMORY_MIB");
    if (v == nullptr || *v == '\0') return std::int64_t{0};
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    if (end == v || *end != '\0' || n <= 0) {
      // A cap the user meant to set must not silently be none.
      throw std::invalid_argument(
          "GPUSIM_MAX_MEMORY_MIB: expected a positive number of MiB, got \"" + std::string(v) +
          "\"");
    }
    return static_cast<std::int64_t>(n);
  }();
  return cap;
}

// The cap in MiB (0: none): the flag wins over the environment.
inline std::int64_t memory_cap_mib() {
  const std::int64_t flag = memory_cap_flag.load(std::memory_order_relaxed);
  return flag >= 0 ? flag : memory_cap_env();
}

// Resident memory of this process in MiB (Linux /proc; 0 where unavailable).
inline std::int64_t resident_mib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE)) / (1024 * 1024);
}
}  // namespace detail

// Installs the SIGINT/SIGTERM handlers (idempotent).
inline void install_stop_handlers() {
  static const bool installed = [] {
    std::signal(SIGINT, detail::on_stop_signal);
    std::signal(SIGTERM, detail::on_stop_signal);
    return true;
  }();
  (void)installed;
}

// --max-memory MIB (overrides GPUSIM_MAX_MEMORY_MIB).
inline void set_memory_cap_mib(std::int64_t mib) {
  detail::memory_cap_flag.store(mib, std::memory_order_relaxed);
}

inline int stop_signal() {
  return detail::stop_signal.load(std::memory_order_relaxed);
}

// Throws RunStopped when a stop signal arrived or resident memory is past the cap.
inline void throw_if_stopped(TimeMs now_ms) {
  if (const int sig = stop_signal(); sig != 0) {
    throw RunStopped(std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                         " at simulated time " + format_duration(now_ms) +
                         "; the unfinished run wrote no output",
                     128 + sig);
  }
  if (const std::int64_t cap = detail::memory_cap_mib(); cap > 0) {
    if (const std::int64_t rss = detail::resident_mib(); rss > cap) {
      throw RunStopped(
          "memory cap exceeded: " + std::to_string(rss) + " MiB resident > " + std::to_string(cap) +
              " MiB (" +
              (detail::memory_cap_flag.load(std::memory_order_relaxed) >= 0
                   ? "--max-memory"
                   : "GPUSIM_MAX_MEMORY_MIB") +
              ") at simulated time " + format_duration(now_ms) +
              "; the unfinished run wrote no output "
              "(hint: raise the cap, or shorten the run with --until or spec.maxEvents)",
          4);
    }
  }
}

// A RunOptions::progress hook for runs without a progress meter (compare, sweep and plan runs):
// installs the handlers and stops the run at the next slice after a signal or past the cap.
inline auto stop_hook() {
  install_stop_handlers();
  return [](TimeMs now_ms, std::uint64_t) { throw_if_stopped(now_ms); };
}

}  // namespace gpusim::cli
