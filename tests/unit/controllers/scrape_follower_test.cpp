// The metrics pipeline's follower (ScrapeFollower): every scrape hands each workload to it once,
// right after scraping it, on one thread or several; and the HPA controller, as the follower,
// runs a sync's reconciles inside the scrape of the sync's instant only when the two periods are
// the same (whether that changes any output is StreamedOutputsTest's to check).
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <vector>

#include "controllers/hpa_controller.hpp"
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
    if (threads > 1) EXPECT_GT(follower.ranges, 5);  // split, not one range per scrape
  }
}

// A ReplicaSet "web-0" under an HPA, with a load model, and the two actors wired as a run wires
// them; returns how many of the syncs up to `until_ms` ran inside a scrape.
std::uint64_t syncs_inside(TimeMs scrape_ms, bool follow, TimeMs until_ms) {
  EventLoop loop;
  Cluster cluster(loop, 1);
  MetricsSettings ms;
  ms.scrape_interval_ms = scrape_ms;
  std::vector<WorkloadLoadSpec> specs = workloads(1);
  specs[0].kind = "ReplicaSet";
  MetricsPipeline loaded(cluster, loop, ms, specs, 7);
  HpaSettings hs;
  hs.follow_scrape = follow;
  HpaController controller(cluster, loop, hs, &loaded);
  loaded.set_follower(&controller);
  cluster.add_observer(&loaded);
  cluster.add_observer(&controller);

  ReplicaSet rs;
  rs.meta.name = "web-0";
  rs.meta.namespace_ = "default";
  rs.meta.uid = cluster.next_uid();
  rs.replicas = 2;
  rs.tmpl = std::make_shared<PodTemplate>();
  cluster.replica_sets.emplace(rs.meta.key(), rs);
  cluster.object_changed("ReplicaSet", rs.meta.key());
  HorizontalPodAutoscaler h;
  h.meta.name = "web";
  h.meta.namespace_ = "default";
  h.meta.uid = cluster.next_uid();
  h.scale_target_ref.kind = "ReplicaSet";
  h.scale_target_ref.name = "web-0";
  h.max_replicas = 5;
  cluster.hpas.emplace(h.meta.key(), h);
  cluster.object_changed("HorizontalPodAutoscaler", h.meta.key());

  loaded.start();  // the run's order: the scrape first, the HPA's first sync a period later
  controller.start();
  loop.run(until_ms);
  // Every sync ran, inside a scrape or not: the HPA saw its target each time.
  EXPECT_EQ(cluster.hpas.at(h.meta.key()).status.current_replicas, 2);
  return controller.syncs_inside_scrapes();
}

TEST(ScrapeFollower, HpaSyncsRunInsideScrapesOfTheSamePeriod) {
  EXPECT_EQ(syncs_inside(kPeriodMs, true, 4 * kPeriodMs), 4U);  // syncs at 15, 30, 45, 60 s
  EXPECT_EQ(syncs_inside(kPeriodMs, false, 4 * kPeriodMs), 0U);
  // With other periods the syncs keep their own steps: where a sync meets a scrape, which of
  // the two runs first depends on when each was queued.
  EXPECT_EQ(syncs_inside(kPeriodMs / 3, true, 4 * kPeriodMs), 0U);
  EXPECT_EQ(syncs_inside(2 * kPeriodMs, true, 4 * kPeriodMs), 0U);
}

}  // namespace
}  // namespace gpusim::ctrl
