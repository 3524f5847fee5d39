// ForkJoin: every item of a step runs exactly once, whatever the threads and however the
// helpers come (spinning, asleep, late), and the caller sees the helpers' writes on return.
#include "core/fork_join.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace gpusim {
namespace {

// Runs `steps` steps of `items` items; each item adds its step number to its slot, so a slot
// run twice or never in a step leaves the wrong sum.
void expect_each_item_once(ForkJoin& fj, std::size_t items, int steps) {
  std::vector<std::int64_t> sums(items, 0);
  std::int64_t expected = 0;
  for (int step = 1; step <= steps; ++step) {
    expected += step;
    fj.for_each_range(items, [&](std::size_t begin, std::size_t end) {
      ASSERT_LE(begin, end);
      ASSERT_LE(end, items);
      for (std::size_t i = begin; i < end; ++i)
        sums[i] += step;
    });
    for (std::size_t i = 0; i < items; ++i)
      ASSERT_EQ(sums[i], expected) << "item " << i << " after step " << step;
  }
}

TEST(ForkJoin, EveryItemRunsOncePerStep) {
  for (unsigned threads : {1U, 2U, 3U, 4U}) {
    ForkJoin fj(threads);
    EXPECT_EQ(fj.threads(), threads);
    for (std::size_t items : {0U, 1U, 2U, 7U, 16U, 200U, 1000U})
      expect_each_item_once(fj, items, 50);
  }
}

TEST(ForkJoin, ManyShortStepsInARow) {
  // A helper still looking for work of a finished step must not take a chunk of the next one.
  ForkJoin fj(3);
  expect_each_item_once(fj, 64, 20'000);
}

TEST(ForkJoin, HelpersThatSleptPickUpLaterSteps) {
  // No spinning: a helper sleeps as soon as a step is over, and the next step must wake it or
  // run without it.
  ForkJoin fj(2, std::chrono::microseconds(0));
  std::vector<std::thread::id> ran_on(100);
  bool helper_ran = false;
  for (int step = 0; step < 200 && !helper_ran; ++step) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    fj.for_each_range(ran_on.size(), [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        ran_on[i] = std::this_thread::get_id();
        // Slow items leave the woken helper time to take a chunk.
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    });
    for (const auto& id : ran_on)
      helper_ran = helper_ran || id != std::this_thread::get_id();
  }
  EXPECT_TRUE(helper_ran) << "no step ever ran a chunk on the helper";
  expect_each_item_once(fj, 100, 20);
}

TEST(ForkJoin, WithoutOneTheCallerRunsEverything) {
  int calls = 0;
  for_each_range(nullptr, 10, [&](std::size_t begin, std::size_t end) {
    EXPECT_EQ(begin, 0U);
    EXPECT_EQ(end, 10U);
    ++calls;
  });
  for_each_range(nullptr, 0, [&](std::size_t, std::size_t) { ++calls; });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace gpusim
