// Score shortcuts. Plugins that keep per-node scores between pods (NodeScoreCache) must score
// exactly as a fresh instance does after nodes change under them (binds, releases, new nodes, a
// pod with other requests); TaintToleration may call its scores uniform only while no node has
// a PreferNoSchedule taint.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scheduler/plugin_registry.hpp"
#include "scheduler_fixture.hpp"

namespace gpusim {
namespace {

using testing_util::NodeSpec;
using testing_util::PodSpecBuilder;
using testing_util::SchedulerFixture;

class ScoreCacheTest : public SchedulerFixture {
 protected:
  // Scores of `pod` on every live node by `plugin` (after its pre_score).
  std::vector<std::int64_t> scores(sched::ScorePlugin& plugin, PodId pod) {
    sched::Framework* fw = scheduler->profile("default-scheduler");
    const sched::PodInfo info = fw->pod_info(pod);
    std::vector<sched::NodeIndex> nodes;
    for (sched::NodeIndex n = 0; n < scheduler->nodes().size(); ++n) {
      if (scheduler->nodes().live(n)) nodes.push_back(n);
    }
    sched::CycleState state(16);
    std::vector<std::int64_t> out(nodes.size(), -1);
    EXPECT_TRUE(plugin.pre_score(state, info, nodes).success());
    plugin.score(state, info, nodes, out);
    return out;
  }

  std::unique_ptr<sched::ScorePlugin> make(const std::string& name,
                                           const nlohmann::json& plugin_args) {
    auto p = sched::PluginRegistry::builtin().create(name, plugin_args, *scheduler);
    auto* s = dynamic_cast<sched::ScorePlugin*>(p.get());
    EXPECT_NE(s, nullptr);
    p.release();
    return std::unique_ptr<sched::ScorePlugin>(s);
  }

  // The long-lived instance against a fresh one, for each plugin under test.
  void expect_same_as_fresh(PodId pod) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto fresh = make(names[i], args[i]);
      EXPECT_EQ(scores(*kept[i], pod), scores(*fresh, pod)) << names[i];
    }
  }

  std::vector<std::string> names{"NodeResourcesFit", "NodeResourcesFit",
                                 "NodeResourcesBalancedAllocation"};
  std::vector<nlohmann::json> args{
      nlohmann::json::object(),
      nlohmann::json::parse(R"({"scoringStrategy": {"type": "MostAllocated"}})"),
      nlohmann::json::object()};
  std::vector<std::unique_ptr<sched::ScorePlugin>> kept;
};

TEST_F(ScoreCacheTest, CachedScoresFollowNodeChanges) {
  add_node({.name = "a", .cpu = "4", .memory = "16Gi"});
  add_node({.name = "b", .cpu = "8", .memory = "8Gi"});
  add_node({.name = "c", .cpu = "16", .memory = "64Gi"});
  start();
  for (std::size_t i = 0; i < names.size(); ++i)
    kept.push_back(make(names[i], args[i]));

  const PodId small = add_pod({.name = "small", .cpu = "500m", .memory = "1Gi"});
  const PodId other = add_pod({.name = "other", .cpu = "2", .memory = "512Mi"});
  expect_same_as_fresh(small);
  const std::vector<std::int64_t> before = scores(*kept[0], small);

  // A bind changes node b's row: its score must move, the others' must not.
  const PodId filler = add_pod({.name = "filler", .cpu = "4", .memory = "4Gi"});
  cluster.bind(filler, 1, {});
  expect_same_as_fresh(small);
  const std::vector<std::int64_t> after = scores(*kept[0], small);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_NE(after[1], before[1]);
  EXPECT_EQ(after[2], before[2]);

  // Another pod's requests, then back: neither may reuse the other's scores.
  expect_same_as_fresh(other);
  expect_same_as_fresh(small);

  // A release, a new node.
  cluster.release(filler);
  expect_same_as_fresh(small);
  add_node({.name = "d", .cpu = "2", .memory = "4Gi"});
  expect_same_as_fresh(small);
  expect_same_as_fresh(other);
}

TEST_F(ScoreCacheTest, TaintTolerationUniformOnlyWithoutPreferNoSchedule) {
  add_node({.name = "a",
            .taints = {testing_util::taint("dedicated", "infra", TaintEffect::kNoSchedule)}});
  add_node({.name = "b"});
  start();
  auto plugin = make("TaintToleration", nlohmann::json::object());
  const PodId pod = add_pod({.name = "p", .cpu = "1"});
  sched::Framework* fw = scheduler->profile("default-scheduler");
  const sched::PodInfo info = fw->pod_info(pod);
  const std::vector<sched::NodeIndex> nodes{0, 1};
  sched::CycleState state(16);
  ASSERT_TRUE(plugin->pre_score(state, info, nodes).success());
  EXPECT_TRUE(plugin->uniform(state, info, nodes));
  // What the framework skips would have been the same score everywhere.
  std::vector<std::int64_t> out(2, -1);
  plugin->score(state, info, nodes, out);
  plugin->normalize(state, info, out);
  EXPECT_EQ(out, (std::vector<std::int64_t>{100, 100}));

  add_node({.name = "c",
            .taints = {testing_util::taint("spot", "yes", TaintEffect::kPreferNoSchedule)}});
  const std::vector<sched::NodeIndex> three{0, 1, 2};
  sched::CycleState again(16);
  ASSERT_TRUE(plugin->pre_score(again, info, three).success());
  EXPECT_FALSE(plugin->uniform(again, info, three));
}

}  // namespace
}  // namespace gpusim
