#include "core/fork_join.hpp"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace gpusim {

namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

ForkJoin::ForkJoin(unsigned threads, std::chrono::microseconds spin) : spin_(spin) {
  for (unsigned i = 1; i < threads; ++i)
    helpers_.emplace_back([this] { helper(); });
}

ForkJoin::~ForkJoin() {
  stopping_.store(true);
  step_.fetch_add(1);
  step_.notify_all();
  for (std::thread& t : helpers_)
    t.join();
}

void ForkJoin::run(std::size_t items, void* fn, Call call) {
  fn_ = fn;
  call_ = call;
  if (items != bounds_.back()) plan_chunks(items);  // the same items every sync period
  chunks_ = static_cast<std::uint32_t>(bounds_.size() - 1);
  done_.store(0, std::memory_order_relaxed);
  const std::uint32_t step = step_.load(std::memory_order_relaxed) + 1;
  range_.store(pack(step, 0, chunks_), std::memory_order_relaxed);
  step_.store(step);  // seq_cst: ordered with the sleepers_ load below (see helper())
  if (sleepers_.load() > 0) step_.notify_all();
  const std::uint32_t finished = work(step, true);
  // The helpers' chunks: wait for them (a helper never leaves one half done).
  while (finished + done_.load(std::memory_order_acquire) < chunks_)
    cpu_relax();
}

void ForkJoin::plan_chunks(std::size_t items) {
  // The caller's share from the front, the helpers' from the back, each cut in halves down to
  // one item at the middle: a side that finishes first waits for at most the other side's
  // current chunk, and those are the smallest; about 2 log2(items) compare-and-swaps in all, on
  // a line both cores write.
  const std::size_t front = items / threads();
  bounds_.assign(1, 0);
  for (std::size_t at = 0, left = front; left > 0;) {
    const std::size_t take = (left + 1) / 2;
    at += take;
    left -= take;
    bounds_.push_back(at);
  }
  // From the last item down, so that in item order the back side's chunks grow to its end.
  const std::size_t mark = bounds_.size();
  for (std::size_t at = items, left = items - front; left > 0;) {
    bounds_.push_back(at);
    const std::size_t take = (left + 1) / 2;
    at -= take;
    left -= take;
  }
  std::reverse(bounds_.begin() + static_cast<std::ptrdiff_t>(mark), bounds_.end());
}

bool ForkJoin::claim(std::uint32_t step, bool from_front, std::uint32_t& chunk) {
  std::uint64_t r = range_.load(std::memory_order_relaxed);
  for (;;) {
    const auto s = static_cast<std::uint32_t>(r >> 32);
    const auto front = static_cast<std::uint32_t>((r >> 16) & 0xFFFF);
    const auto back = static_cast<std::uint32_t>(r & 0xFFFF);
    if (s != step || front >= back) return false;
    chunk = from_front ? front : back - 1;
    const std::uint64_t next = from_front ? pack(s, front + 1, back) : pack(s, front, back - 1);
    if (range_.compare_exchange_weak(r, next, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      return true;
    }
  }
}

std::uint32_t ForkJoin::work(std::uint32_t step, bool from_front) {
  std::uint32_t ran = 0;
  std::uint32_t chunk = 0;
  while (claim(step, from_front, chunk)) {
    call_(fn_, bounds_[chunk], bounds_[chunk + 1]);
    ++ran;
  }
  return ran;
}

void ForkJoin::helper() {
  std::uint32_t seen = 0;
  for (;;) {
    std::uint32_t step = step_.load(std::memory_order_acquire);
    if (step == seen) {
      const auto give_up = std::chrono::steady_clock::now() + spin_;
      for (unsigned i = 1; step == seen; ++i) {
        cpu_relax();
        step = step_.load(std::memory_order_acquire);
        if (step != seen || i % 64 != 0 || std::chrono::steady_clock::now() < give_up) continue;
        // Announced before the last look at step_ (both seq_cst), so that run() either sees a
        // sleeper and notifies, or this thread sees the new step and does not sleep.
        sleepers_.fetch_add(1);
        step_.wait(seen);
        sleepers_.fetch_sub(1);
        step = step_.load(std::memory_order_acquire);
      }
    }
    seen = step;
    if (stopping_.load()) return;
    const std::uint32_t ran = work(step, false);
    if (ran > 0) done_.fetch_add(ran, std::memory_order_release);
  }
}

}  // namespace gpusim
