// The metrics pipeline's follower (ScrapeFollower): every scrape hands each workload to it once,
// right after scraping it, on one thread or several. (The HPA controller as the follower:
// hpa_controller_test.cpp; that it changes no output: StreamedOutputsTest.)
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <vector>

#include "controllers/metrics_pipeline.hpp"
#include "core/fork_join.hpp"

namespace gpusim::ctrl {
namespace {

constexpr TimeMs kPeriodMs = 15'000;

// Records the calls; checks during each range what the follower may rely on.
class RecordingFollower : public ScrapeFollower {
 public:
  explicit RecordingFollower(const MetricsPipeline& m) : m_(m) {}
  void before_scrape(TimeMs now) override {
    befores.push_back(now);
    seen.emplace_back(m_.workloads().size(), 0);
  }
  void after_scraped(std::size_t begin, std::size_t end, TimeMs now) override {
    std::lock_guard lock(mutex_);
    ++ranges;
    if (now != m_.last_scrape_ms() || now != befores.back()) ++wrong_time;
    for (std::size_t w = begin; w < end; ++w) {
      ++seen.back()[w];
      if (m_.workloads()[w]->t_ms != now) ++not_yet_scraped;  // scraped before it is handed over
    }
  }
  std::vector<TimeMs> befores;
  std::vector<std::vector<int>> seen;  // per scrape, calls per workload
  int ranges = 0;
  int wrong_time = 0;
  int not_yet_scraped = 0;

 private:
  const MetricsPipeline& m_;
  std::mutex mutex_;
};

std::vector<WorkloadLoadSpec> workloads(int n) {
  std::vector<WorkloadLoadSpec> specs(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    specs[static_cast<std::size_t>(i)].name = "web-" + std::to_string(i);
    specs[static_cast<std::size_t>(i)].rate.base = 10;
  }
  return specs;
}

TEST(ScrapeFollower, EveryScrapeHandsOverEachWorkloadOnce) {
  for (unsigned threads : {1U, 3U}) {
    EventLoop loop;
    Cluster cluster(loop, 1);
    ForkJoin fj(threads);
    MetricsSettings ms;
    ms.scrape_interval_ms = kPeriodMs;
    MetricsPipeline pipeline(cluster, loop, ms, workloads(64), 7, &fj);
    RecordingFollower follower(pipeline);
    pipeline.set_follower(&follower);
    pipeline.start();
    loop.run(4 * kPeriodMs);
    ASSERT_EQ(follower.befores,
              (std::vector<TimeMs>{0, kPeriodMs, 2 * kPeriodMs, 3 * kPeriodMs, 4 * kPeriodMs}))
        << threads << " threads";
    for (const auto& per_workload : follower.seen) {
      for (int calls : per_workload)
        EXPECT_EQ(calls, 1) << threads << " threads";
    }
    EXPECT_EQ(follower.wrong_time, 0);
    EXPECT_EQ(follower.not_yet_scraped, 0);
    if (threads > 1) {
      EXPECT_GT(follower.ranges, 5);  // split, not one range per scrape
    }
  }
}

}  // namespace
}  // namespace gpusim::ctrl
