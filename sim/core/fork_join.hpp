#pragma once
// Splits one short step of an actor over the calling thread and helper threads: the metrics
// scrape and the HPA syncs of a serving run, hundreds of independent items that take tens of
// microseconds in all, every simulated 15 s. Waking a sleeping thread costs about as much as the
// step (56-89 us measured on a 2-vCPU VM), so helpers spin for a while after each step before
// they sleep. The items are cut into chunks: the caller takes them from the front and the helpers
// from the back, so a helper that the OS has not scheduled yet delays nothing (the caller runs
// the chunks it would have taken), and with both sides at the same pace an item stays on the
// same core from one step to the next.
//
// The caller decides what may run in parallel; every item must touch only its own state and
// read what no one writes during the step.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

namespace gpusim {

class ForkJoin {
 public:
  // `threads` counts the caller; 1 runs everything on the caller. Helpers spin for `spin`
  // after each step, then sleep until the next.
  explicit ForkJoin(unsigned threads,
                    std::chrono::microseconds spin = std::chrono::microseconds(300));
  ~ForkJoin();
  ForkJoin(const ForkJoin&) = delete;
  ForkJoin& operator=(const ForkJoin&) = delete;

  unsigned threads() const { return static_cast<unsigned>(helpers_.size()) + 1; }

  // Calls fn(begin, end) over disjoint ranges covering [0, items), on this thread and the
  // helpers, and returns when every call has returned (their writes visible to the caller).
  template <typename Fn>
  void for_each_range(std::size_t items, Fn&& fn) {
    if (helpers_.empty() || items < 2) {
      if (items > 0) fn(std::size_t{0}, items);
      return;
    }
    using F = std::remove_reference_t<Fn>;
    run(items, const_cast<void*>(static_cast<const void*>(std::addressof(fn))),
        [](void* f, std::size_t b, std::size_t e) { (*static_cast<F*>(f))(b, e); });
  }

 private:
  using Call = void (*)(void*, std::size_t, std::size_t);
  // The step being run: its number and the chunks not yet taken, [front, back), in one word so
  // that a claim is one compare-and-swap and a helper late from a finished step claims nothing.
  static std::uint64_t pack(std::uint32_t step, std::uint32_t front, std::uint32_t back) {
    return (std::uint64_t{step} << 32) | (std::uint64_t{front} << 16) | back;
  }
  void run(std::size_t items, void* fn, Call call);
  // Fills bounds_ for a step of `items` items.
  void plan_chunks(std::size_t items);
  // Takes a chunk of step `step` from the front or the back; false when none is left.
  bool claim(std::uint32_t step, bool from_front, std::uint32_t& chunk);
  // Runs chunks of `step` until none is left; returns how many it ran.
  std::uint32_t work(std::uint32_t step, bool from_front);
  void helper();

  std::vector<std::thread> helpers_;
  std::chrono::microseconds spin_;
  // Set by the caller before it publishes a step (release on step_), read by helpers after.
  void* fn_ = nullptr;
  Call call_ = nullptr;
  std::vector<std::size_t> bounds_{0};  // chunk c is [bounds_[c], bounds_[c + 1])
  std::uint32_t chunks_ = 0;
  alignas(64) std::atomic<std::uint32_t> step_{0};
  std::atomic<std::uint32_t> sleepers_{0};
  std::atomic<bool> stopping_{false};
  alignas(64) std::atomic<std::uint64_t> range_{0};
  alignas(64) std::atomic<std::uint32_t> done_{0};  // chunks of the current step finished
};

// fj->for_each_range(items, fn), or fn(0, items) on this thread without one.
template <typename Fn>
void for_each_range(ForkJoin* fj, std::size_t items, Fn&& fn) {
  if (fj != nullptr) {
    fj->for_each_range(items, fn);
  } else if (items > 0) {
    fn(std::size_t{0}, items);
  }
}

}  // namespace gpusim
