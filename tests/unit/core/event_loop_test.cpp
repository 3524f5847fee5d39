#include "core/event_loop.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "core/rng.hpp"

namespace gpusim {
namespace {

using P = EventPriority;

TEST(EventLoopTest, FiresByTimeThenPriorityThenInsertion) {
  EventLoop loop;
  std::vector<std::string> fired;
  auto log = [&](std::string name) { return [&fired, name] { fired.push_back(name); }; };
  loop.at(20, P::kApi, log("t20-api"));
  loop.at(10, P::kScheduler, log("t10-sched-1"));
  loop.at(10, P::kApi, log("t10-api"));
  loop.at(10, P::kScheduler, log("t10-sched-2"));
  loop.at(5, P::kRecorder, log("t5-recorder"));
  loop.at(10, P::kTimeline, log("t10-timeline"));
  loop.at(10, P::kScheduler, log("t10-sched-3"));
  EXPECT_TRUE(loop.run());
  EXPECT_EQ(fired,
            (std::vector<std::string>{"t5-recorder", "t10-timeline", "t10-api", "t10-sched-1",
                                      "t10-sched-2", "t10-sched-3", "t20-api"}));
  EXPECT_EQ(loop.events_processed(), 7u);
  EXPECT_EQ(loop.now(), 20);
  EXPECT_TRUE(loop.empty());
}

TEST(EventLoopTest, NowIsTheEventTimeAndHandlersMaySchedule) {
  EventLoop loop;
  std::vector<std::pair<std::string, TimeMs>> fired;
  loop.at(10, P::kMetrics, [&] { fired.emplace_back("metrics", loop.now()); });
  loop.at(10, P::kController, [&] {
    fired.emplace_back("controller", loop.now());
    // Same instant, higher band than the pending metrics event: runs before it.
    loop.after(0, P::kApi, [&] { fired.emplace_back("api", loop.now()); });
    loop.after(5, P::kApi, [&] { fired.emplace_back("later", loop.now()); });
  });
  loop.run();
  EXPECT_EQ(fired, (std::vector<std::pair<std::string, TimeMs>>{
                       {"controller", 10}, {"api", 10}, {"metrics", 10}, {"later", 15}}));
}

TEST(EventLoopTest, SchedulingInThePastThrows) {
  EventLoop loop;
  loop.at(10, P::kApi, [] {});
  loop.run();
  EXPECT_THROW(loop.at(9, P::kApi, [] {}), std::logic_error);
  EXPECT_NO_THROW(loop.at(10, P::kApi, [] {}));
}

TEST(EventLoopTest, CancelledEventsDoNotFire) {
  EventLoop loop;
  int a = 0, b = 0;
  const auto id_a = loop.at(10, P::kApi, [&] { ++a; });
  const auto id_b = loop.at(20, P::kApi, [&] { ++b; });
  EXPECT_TRUE(loop.pending(id_a));
  loop.cancel(id_a);
  EXPECT_FALSE(loop.pending(id_a));
  loop.cancel(id_a);  // twice is a no-op
  EXPECT_TRUE(loop.pending(id_b));
  loop.run();
  EXPECT_EQ(a, 0);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(loop.events_processed(), 1u);
  EXPECT_FALSE(loop.pending(id_b));
  loop.cancel(id_b);  // after it fired: no-op
}

TEST(EventLoopTest, StaleIdDoesNotCancelTheEventReusingItsSlot) {
  EventLoop loop;
  int first = 0, second = 0;
  const auto old_id = loop.at(1, P::kApi, [&] { ++first; });
  loop.run();
  const auto new_id = loop.at(2, P::kApi, [&] { ++second; });
  ASSERT_EQ(new_id.slot, old_id.slot);  // the slot is reused...
  loop.cancel(old_id);                  // ...but the old id is stale
  EXPECT_TRUE(loop.pending(new_id));
  loop.run();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST(EventLoopTest, ADefaultIdNamesNoEvent) {
  // Actors keep EventId{} for "no timer yet" and call pending()/cancel() on it; that must not
  // reach the first event ever scheduled (slot 0), e.g. a timeline action set up before them.
  EventLoop loop;
  int fired = 0;
  const auto first = loop.at(5, P::kTimeline, [&] { ++fired; });
  ASSERT_EQ(first.slot, 0u);
  const EventLoop::EventId none{};
  EXPECT_FALSE(loop.pending(none));
  loop.cancel(none);
  EXPECT_TRUE(loop.pending(first));
  loop.run();
  EXPECT_EQ(fired, 1);
}

TEST(EventLoopTest, HandlerMayCancelALaterEvent) {
  EventLoop loop;
  int fired = 0;
  EventLoop::EventId victim;
  loop.at(1, P::kApi, [&] { loop.cancel(victim); });
  victim = loop.at(1, P::kController, [&] { ++fired; });
  loop.run();
  EXPECT_EQ(fired, 0);
}

TEST(EventLoopTest, RunUntilStopsAtTheBoundAndAdvancesTheClock) {
  EventLoop loop;
  std::vector<TimeMs> fired;
  for (TimeMs t : {5, 10, 15, 20})
    loop.at(t, P::kApi, [&fired, t] { fired.push_back(t); });
  EXPECT_TRUE(loop.run(10));  // inclusive bound
  EXPECT_EQ(fired, (std::vector<TimeMs>{5, 10}));
  EXPECT_EQ(loop.now(), 10);
  EXPECT_TRUE(loop.run(12));
  EXPECT_EQ(loop.now(), 12);  // the clock reaches the bound even without an event there
  EXPECT_EQ(loop.next_time(), 15);
  EXPECT_TRUE(loop.run());
  EXPECT_EQ(fired, (std::vector<TimeMs>{5, 10, 15, 20}));
  EXPECT_EQ(loop.now(), 20);
}

TEST(EventLoopTest, StopEndsTheRunAndLeavesTheRest) {
  EventLoop loop;
  int fired = 0;
  loop.at(1, P::kApi, [&] {
    ++fired;
    loop.stop();
  });
  loop.at(2, P::kApi, [&] { ++fired; });
  EXPECT_FALSE(loop.run(100));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(loop.now(), 1);
  EXPECT_TRUE(loop.run(100));  // a new run resumes
  EXPECT_EQ(fired, 2);
}

TEST(EventLoopTest, EventCapStopsTheRun) {
  EventLoop loop;
  int fired = 0;
  for (int i = 0; i < 5; ++i)
    loop.at(i, P::kApi, [&] { ++fired; });
  loop.set_event_cap(3);
  EXPECT_FALSE(loop.run());
  EXPECT_TRUE(loop.hit_event_cap());
  EXPECT_EQ(fired, 3);
  EXPECT_EQ(loop.events_processed(), 3u);
  EXPECT_FALSE(loop.empty());
}

TEST(EventLoopTest, ReachingTheCapWithNothingLeftIsNotHittingIt) {
  EventLoop loop;
  int fired = 0;
  for (int i = 0; i < 3; ++i)
    loop.at(i, P::kApi, [&] { ++fired; });
  const auto cancelled = loop.at(10, P::kApi, [&] { ++fired; });
  loop.cancel(cancelled);
  loop.set_event_cap(3);
  EXPECT_TRUE(loop.run());
  EXPECT_FALSE(loop.hit_event_cap());
  EXPECT_EQ(fired, 3);
}

TEST(EventLoopTest, BackgroundEventsDoNotKeepAnIdleRunAlive) {
  EventLoop loop;
  loop.set_stop_when_idle(true);
  int samples = 0, work = 0;
  std::function<void()> sample = [&] {
    ++samples;
    loop.at_background(loop.now() + 10, P::kRecorder, sample);
  };
  loop.at_background(0, P::kRecorder, sample);
  loop.at(25, P::kApi, [&] { ++work; });
  EXPECT_FALSE(loop.idle());
  EXPECT_TRUE(loop.run(1000));
  EXPECT_EQ(work, 1);
  EXPECT_EQ(samples, 3);  // t = 0, 10, 20; the one at 30 is not run once only it remains
  EXPECT_TRUE(loop.idle());
  EXPECT_EQ(loop.now(), 25);
}

TEST(EventLoopTest, CancellingForegroundWorkMakesTheLoopIdle) {
  EventLoop loop;
  loop.set_stop_when_idle(true);
  const auto id = loop.at(5, P::kApi, [] {});
  EXPECT_FALSE(loop.idle());
  loop.cancel(id);
  EXPECT_TRUE(loop.idle());
  int samples = 0;
  loop.at_background(1, P::kRecorder, [&] { ++samples; });
  EXPECT_TRUE(loop.run());
  EXPECT_EQ(samples, 0);
}

TEST(EventLoopTest, SameScheduleGivesTheSameOrder) {
  auto run_once = [] {
    EventLoop loop;
    std::vector<int> order;
    for (int i = 0; i < 200; ++i) {
      const TimeMs t = (i * 7919) % 13;
      const auto p = static_cast<P>(((i * 31) % 6) * 10);
      loop.at(t, p, [&order, i] { order.push_back(i); });
    }
    loop.run();
    return order;
  };
  const auto first = run_once();
  EXPECT_EQ(first.size(), 200u);
  EXPECT_EQ(first, run_once());
}

// The loop keeps near events in per-millisecond buckets and far ones in a heap; whatever the
// mix (delays 0 to beyond the bucket window, every priority, cancellations, run(until) stopping
// between instants and events then scheduled before the next one, kForever), events must fire
// exactly in (t_ms, priority, insertion) order: each is the earliest of those pending then.
TEST(EventLoopTest, FiringOrderMatchesAReferenceUnderRandomLoad) {
  const EventPriority priorities[] = {P::kTimeline,  P::kApi,     P::kController,
                                      P::kScheduler, P::kMetrics, P::kRecorder};
  const TimeMs delays[] = {0, 0, 1, 2, 3, 7, 64, 500, 1023, 1024, 1025, 5000, 100000};
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    Rng rng(seed);
    EventLoop loop;
    struct Ev {
      TimeMs t;
      std::int32_t priority;
      std::uint64_t seq;
      EventLoop::EventId id;
      bool cancelled = false;
      bool fired = false;
    };
    std::vector<Ev> evs;
    std::uint64_t budget = 2000;
    std::function<void(std::uint64_t)> fire;
    auto schedule = [&](TimeMs t, EventPriority p) {
      const std::uint64_t seq = evs.size();
      evs.push_back(Ev{t, static_cast<std::int32_t>(p), seq, {}, false, false});
      evs.back().id = loop.at(t, p, [&fire, seq] { fire(seq); });
    };
    auto before = [&](const Ev& a, const Ev& b) {
      return std::tie(a.t, a.priority, a.seq) < std::tie(b.t, b.priority, b.seq);
    };
    fire = [&](std::uint64_t seq) {
      Ev& e = evs[seq];
      EXPECT_FALSE(e.cancelled);
      EXPECT_EQ(loop.now(), e.t);
      // The reference: the earliest of the events pending right now.
      const Ev* first = nullptr;
      for (const Ev& x : evs) {
        if (!x.fired && !x.cancelled && (first == nullptr || before(x, *first))) first = &x;
      }
      ASSERT_NE(first, nullptr);
      EXPECT_EQ(first->seq, seq) << "seed " << seed;
      e.fired = true;
      const auto children = rng.uniform(3);
      for (std::uint64_t c = 0; c < children && budget > 0; ++c, --budget) {
        schedule(loop.now() + delays[rng.uniform(std::size(delays))],
                 priorities[rng.uniform(std::size(priorities))]);
      }
      if (rng.uniform(8) == 0 && !evs.empty()) {
        Ev& victim = evs[rng.uniform(evs.size())];
        if (!victim.fired && !victim.cancelled) {
          loop.cancel(victim.id);
          victim.cancelled = true;
        }
      }
    };
    for (int i = 0; i < 50; ++i)
      schedule(static_cast<TimeMs>(rng.uniform(3000)), priorities[rng.uniform(6)]);
    loop.at(kForever, P::kRecorder, [] {});
    // Stepwise runs; between them, events from outside at the current time and just after.
    while (!loop.empty() && loop.next_time() != kForever) {
      loop.run(loop.now() + static_cast<TimeMs>(rng.uniform(700)));
      if (budget > 0 && rng.uniform(2) == 0) {
        --budget;
        schedule(loop.now() + static_cast<TimeMs>(rng.uniform(3)), priorities[rng.uniform(6)]);
      }
    }
    // Every event that was not cancelled fired.
    for (const Ev& e : evs)
      EXPECT_TRUE(e.fired || e.cancelled) << "seed " << seed << " event " << e.seq;
    EXPECT_EQ(loop.next_time(), kForever);
  }
}

}  // namespace
}  // namespace gpusim
