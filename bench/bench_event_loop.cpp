// The event engine alone: simple events per second on one core. A fixed population of timers
// each reschedules itself (a small, random-looking delay, so the heap keeps reordering) until
// the run has processed the wanted number of events. The handler captures 16 bytes, as the
// controllers' typical [this, id] handlers do, so std::function keeps it inline. The rate is per
// CPU second of this thread (not wall time), so a busy shared machine does not skew it.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "core/event_loop.hpp"

namespace gpusim {
namespace {

struct Ticker {
  EventLoop* loop;
  std::uint64_t* left;
  void operator()() const {
    if (*left == 0) return;
    --*left;
    // Delays 1..64 ms from a cheap LCG of the remaining count: ties and reorderings both occur.
    const TimeMs delay =
        1 + static_cast<TimeMs>((*left * 6364136223846793005ULL + 1442695040888963407ULL) >> 58);
    loop->after(delay, EventPriority::kController, Ticker{loop, left});
  }
};

void BM_EventLoopSimpleEvents(benchmark::State& state) {
  const auto timers = static_cast<std::uint64_t>(state.range(0));
  const std::uint64_t events = 4'000'000;
  std::uint64_t processed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    EventLoop loop;
    std::uint64_t left = events - timers;
    for (std::uint64_t i = 0; i < timers; ++i)
      loop.at(static_cast<TimeMs>(i % 64), EventPriority::kController, Ticker{&loop, &left});
    state.ResumeTiming();
    loop.run();
    processed = loop.events_processed();
  }
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(processed), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_EventLoopSimpleEvents)->Arg(64)->Arg(4096)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gpusim

BENCHMARK_MAIN();
