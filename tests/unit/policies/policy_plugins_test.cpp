// The six GPU policies as scheduler score plugins (--policy profiles): the node and the devices
// the real scheduler picks, and agreement with the batch placer that the packing replay uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "scheduler/plugin_registry.hpp"
#include "scheduler/plugins/gpu_batch_placer.hpp"
#include "scheduler/plugins/gpu_policy_plugin.hpp"
#include "unit/policies/gpu_test_cluster.hpp"

namespace gpusim::gputest {
namespace {

using Devices = std::vector<std::int32_t>;

TEST(GpuPolicyPlugins, RegisteredAndSelectableCaseInsensitively) {
  const auto& r = sched::PluginRegistry::builtin();
  for (const char* name :
       {"Random", "DotProduct", "GpuClustering", "GpuPacking", "BestFit", "FGD"}) {
    EXPECT_TRUE(r.has(name)) << name;
  }
  EXPECT_EQ(r.canonical("fgd"), "FGD");
  EXPECT_EQ(r.canonical("gpupacking"), "GpuPacking");
  const sched::SchedulerConfig c = sched::with_policy(sched::SchedulerConfig{}, "bestfit");
  ASSERT_EQ(c.profiles[0].plugins.at("score").enabled.size(), 1u);
  EXPECT_EQ(c.profiles[0].plugins.at("score").enabled[0].name, "BestFit");
  EXPECT_EQ(c.profiles[0].plugins.at("score").enabled[0].weight, 1000);
  EXPECT_THROW(sched::with_policy(sched::SchedulerConfig{}, "Tetris"), std::invalid_argument);
}

TEST(GpuPolicyPlugins, BadArgsAreReported) {
  GpuCluster c("");
  sched::SchedulerConfig config = sched::with_policy(sched::SchedulerConfig{}, "FGD");
  config.profiles[0].plugin_config["FGD"] = {{"scorer", "tpu"}};
  EXPECT_THROW(sched::Scheduler(c.cluster, c.loop, config, 1), std::invalid_argument);
  config.profiles[0].plugin_config["FGD"] = {{"typicalPod", nlohmann::json::array()}};
  EXPECT_THROW(sched::Scheduler(c.cluster, c.loop, config, 1), std::invalid_argument);
}

TEST(GpuPolicyPlugins, FgdKeepsTheWholeDeviceBestFitTakesTheTightOne) {
  // Node a: devices [1000, 600] (a 400 share sits on device 1). A 500 share: FGD puts it on
  // device 0 (nothing becomes unusable for 500-milli pods), BestFit on device 1.
  for (const char* policy : {"FGD", "BestFit"}) {
    SCOPED_TRACE(policy);
    GpuCluster c(policy);
    const NodeId a = c.add_node("a", 32000, 2);
    c.bind("filler", PodShape{1000, 1, 400}, a, {1});
    // FGD's distribution: the pods in the cluster; make 500-milli shares the typical pod.
    for (int i = 0; i < 3; ++i)
      c.park("typical-" + std::to_string(i), PodShape{1000, 1, 500});
    const PodId id = c.schedule("share", PodShape{1000, 1, 500});
    EXPECT_EQ(c.node_of(id), "a");
    EXPECT_EQ(c.devices_of(id), std::string(policy) == "FGD" ? Devices{0} : Devices{1});
  }
}

TEST(GpuPolicyPlugins, EachPolicyPlacesAsDefined) {
  struct Case {
    const char* policy;
    PodShape pod;
    const char* node;
  };
  // Nodes: big (64 cores, 8 free GPUs), small (16 cores, 2 GPUs, one holding a 700 share),
  // cpu (96 cores, no GPU).
  const std::vector<Case> cases{
      {"BestFit", {8000, 1, 1000}, "small"},       // least leftover
      {"DotProduct", {8000, 1, 1000}, "small"},    // least free GPU aligned with the request
      {"GpuPacking", {1000, 1, 200}, "small"},     // onto the partly used device
      {"GpuPacking", {1000, 2, 1000}, "big"},      // small has only one whole device
      {"GpuClustering", {1000, 1, 300}, "small"},  // small runs shares only
      {"GpuClustering", {1000, 1, 1000}, "big"},   // idle beats a node of another class
      {"BestFit", {4000, 0, 0}, "small"},          // CPU pod: least leftover cpu+gpu
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(std::string(k.policy) + " cpu=" + std::to_string(k.pod.cpu_milli) +
                 " gpus=" + std::to_string(k.pod.gpus) + " milli=" + std::to_string(k.pod.milli));
    GpuCluster c(k.policy);
    c.add_node("big", 64000, 8);
    const NodeId small = c.add_node("small", 16000, 2);
    c.add_node("cpu", 96000, 0);
    c.bind("filler", PodShape{1000, 1, 300}, small, {1});
    const PodId id = c.schedule("pod", k.pod);
    EXPECT_EQ(c.node_of(id), k.node);
  }
}

TEST(GpuPolicyPlugins, RandomSpreadsOverFeasibleNodesReproducibly) {
  std::vector<std::string> first;
  for (int round = 0; round < 2; ++round) {
    GpuCluster c("Random", 7);
    for (int i = 0; i < 6; ++i)
      c.add_node("n" + std::to_string(i), 64000, 8);
    c.add_node("nogpu", 64000, 0);
    std::vector<std::string> got;
    for (int i = 0; i < 40; ++i)
      got.push_back(c.node_of(c.schedule("p" + std::to_string(i), PodShape{1000, 1, 1000})));
    for (const auto& n : got)
      EXPECT_NE(n, "nogpu");
    std::sort(got.begin(), got.end());
    EXPECT_GE(std::unique(got.begin(), got.end()) - got.begin(), 5);
    if (round == 0) {
      first = got;
    } else {
      EXPECT_EQ(got, first);
    }
  }
}

TEST(GpuPolicyPlugins, ModelConstraintIsHonoured) {
  GpuCluster c("FGD");
  c.add_node("a100", 64000, 8, "A100");
  c.add_node("t4", 64000, 1, "T4");
  const PodId id = c.schedule("p", PodShape{1000, 1, 1000, "T4|V100"});
  EXPECT_EQ(c.node_of(id), "t4");
}

// The scheduler's plugin path and the batch path make the same choices, pod after pod.
class PluginBatchAgreement : public ::testing::TestWithParam<const char*> {};

TEST_P(PluginBatchAgreement, SameNodesAndDevices) {
  const std::string policy = GetParam();
  const std::vector<PodShape> shapes{{4000, 1, 470},   {8000, 1, 1000},  {2000, 1, 810},
                                     {12000, 0, 0},    {16000, 2, 1000}, {3000, 1, 230},
                                     {24000, 8, 1000}, {6000, 4, 1000},  {1000, 1, 650, "T4"}};
  auto build = [&](GpuCluster& c) {
    for (int i = 0; i < 24; ++i) {
      const int gpus[] = {1, 2, 4, 8};
      c.add_node("n" + std::to_string(i), 16000 * (1 + i % 4), gpus[i % 4],
                 i % 5 == 0 ? "T4" : "A100");
    }
  };
  std::vector<sched::TypicalPod> typical;
  for (const auto& s : shapes) {
    sched::TypicalPod t;
    t.cpu_milli = s.cpu_milli;
    t.gpu_count = s.gpus;
    t.gpu_milli = s.gpus > 0 ? s.milli : 0;
    if (!s.models.empty()) t.models = {s.models};
    typical.push_back(t);
  }
  typical = sched::typical_pods(typical, 100);

  // The plugin gets the same distribution through its args.
  sched::SchedulerConfig config = sched::with_policy(sched::SchedulerConfig{}, policy);
  config.tie_break = "first";
  config = sched::configure_gpu_policies(config, "cpu", &typical);
  GpuCluster plugin(config, 1);
  build(plugin);
  GpuCluster batch("");
  build(batch);
  auto placer = sched::make_gpu_batch_placer(batch.scheduler->nodes(), policy, 1, "cpu", typical);

  int placed = 0;
  for (int k = 0; k < 160; ++k) {
    const PodShape& s = shapes[static_cast<std::size_t>(k * 7 % 9)];
    const std::string name = "p" + std::to_string(k);
    const PodId a = plugin.schedule(name, s);
    const PodId b = batch.create(name, s);
    const auto choice = placer->choose(batch.cluster.pod(b), static_cast<std::uint64_t>(k));
    if (choice.ok) {
      batch.cluster.bind(b, choice.node, choice.devices);
      ++placed;
    }
    ASSERT_EQ(plugin.node_of(a), batch.node_of(b)) << "pod " << k;
    ASSERT_EQ(plugin.devices_of(a), batch.devices_of(b)) << "pod " << k;
  }
  EXPECT_GT(placed, 60);
}

INSTANTIATE_TEST_SUITE_P(DeterministicPolicies, PluginBatchAgreement,
                         ::testing::Values("DotProduct", "GpuClustering", "GpuPacking", "BestFit",
                                           "FGD"));

}  // namespace
}  // namespace gpusim::gputest
