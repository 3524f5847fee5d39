// --balance-similar-node-groups: upstream's similarity rules (processors/nodegroupset
// compare_nodegroups.go) and its split of a scale-up (BalanceScaleUpBetweenGroups), alone and in
// the autoscaler.
#include "controllers/node_group_set.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/controllers/cluster_autoscaler_fixture.hpp"

namespace gpusim::ctrl {
namespace {

using testing_ca::ClusterAutoscalerTest;
using testing_ca::kMinute;
using testing_util::q;

Node h100(const std::string& zone) {
  Node n;
  n.capacity["cpu"] = q("96");
  n.capacity["memory"] = q("1000Gi");
  n.capacity["nvidia.com/gpu"] = q("8");
  n.capacity["pods"] = q("110");
  n.meta.labels["nvidia.com/gpu.product"] = "H100";
  n.meta.labels["topology.kubernetes.io/zone"] = zone;
  n.meta.labels["gpusim.io/pool"] = "h100-" + zone;
  n.meta.labels["kubernetes.io/hostname"] = "h100-" + zone + "-0";
  return n;
}

TEST(SimilarNodeGroups, ZonesHostnamesAndPoolNamesAreIgnored) {
  const AutoscalerOptions o;
  EXPECT_TRUE(similar_node_templates(h100("a"), h100("b"), o));
  Node region = h100("b");
  region.meta.labels["topology.kubernetes.io/region"] = "eu";
  region.meta.labels["topology.gke.io/zone"] = "b";
  EXPECT_TRUE(similar_node_templates(h100("a"), region, o));
}

TEST(SimilarNodeGroups, OtherLabelsMustMatchUnlessIgnored) {
  AutoscalerOptions o;
  Node spot = h100("b");
  spot.meta.labels["capacity-type"] = "spot";
  std::string why;
  EXPECT_FALSE(similar_node_templates(h100("a"), spot, o, &why));
  EXPECT_EQ(why, "label capacity-type differs");
  EXPECT_FALSE(similar_node_templates(spot, h100("a"), o));  // missing on either side
  Node other_gpu = h100("b");
  other_gpu.meta.labels["nvidia.com/gpu.product"] = "A100";
  EXPECT_FALSE(similar_node_templates(h100("a"), other_gpu, o));
  o.balancing_ignore_labels = {"capacity-type"};
  EXPECT_TRUE(similar_node_templates(h100("a"), spot, o));
}

TEST(SimilarNodeGroups, CapacityMustMatchExceptMemoryWithinItsRatio) {
  const AutoscalerOptions o;  // memory 1.5%, allocatable and free 5%
  Node more_gpus = h100("b");
  more_gpus.capacity["nvidia.com/gpu"] = q("4");
  EXPECT_FALSE(similar_node_templates(h100("a"), more_gpus, o));
  Node more_cpu = h100("b");
  more_cpu.capacity["cpu"] = q("97");  // 1% more: capacity other than memory is exact
  EXPECT_FALSE(similar_node_templates(h100("a"), more_cpu, o));
  Node no_gpu = h100("b");
  no_gpu.capacity.erase("nvidia.com/gpu");
  EXPECT_FALSE(similar_node_templates(h100("a"), no_gpu, o));
  // 1000Gi against 985Gi: 15Gi is exactly 1.5% of the larger.
  Node memory = h100("b");
  memory.capacity["memory"] = q("985Gi");
  EXPECT_TRUE(similar_node_templates(h100("a"), memory, o));
  memory.capacity["memory"] = q("984Gi");
  std::string why;
  EXPECT_FALSE(similar_node_templates(h100("a"), memory, o, &why));
  EXPECT_EQ(why, "capacity memory differs");
}

TEST(SimilarNodeGroups, AllocatableWithinItsRatio) {
  const AutoscalerOptions o;
  Node a = h100("a");
  a.allocatable = a.capacity;
  Node b = h100("b");
  b.allocatable = b.capacity;
  b.allocatable["cpu"] = q("91200m");  // 4.8 of 96 cpus less: within 5%
  EXPECT_TRUE(similar_node_templates(a, b, o));
  b.allocatable["cpu"] = q("91100m");
  std::string why;
  EXPECT_FALSE(similar_node_templates(a, b, o, &why));
  EXPECT_EQ(why, "allocatable cpu not within tolerance");
}

TEST(BalanceScaleUp, SevenNodesOverGroupsOfOneTwoAndFourFillTheSmallestFirst) {
  // a 1 (max 3), b 2 (max 10), c 4 (max 10): a and b level up to 3, a is full, then b and c
  // take turns from 4, the first turn to b (smaller before the scale-up).
  const std::vector<ScaleUpInfo> out =
      balance_scale_up({{"c", 4, 0, 10}, {"a", 1, 0, 3}, {"b", 2, 0, 10}}, 7);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].group, "a");
  EXPECT_EQ(out[0].new_size, 3);
  EXPECT_EQ(out[1].group, "b");
  EXPECT_EQ(out[1].new_size, 6);
  EXPECT_EQ(out[2].group, "c");
  EXPECT_EQ(out[2].new_size, 5);
}

TEST(BalanceScaleUp, MaxSizesCapTheTotalAndFullGroupsAreLeftOut) {
  std::vector<ScaleUpInfo> out =
      balance_scale_up({{"a", 3, 0, 3}, {"b", 1, 0, 2}, {"c", 0, 0, 2}}, 10);
  ASSERT_EQ(out.size(), 2u);  // a is at its max: no change, not listed
  EXPECT_EQ(out[0].group, "c");
  EXPECT_EQ(out[0].new_size, 2);
  EXPECT_EQ(out[1].group, "b");
  EXPECT_EQ(out[1].new_size, 2);
  // Equal sizes: one each, the remainder to the group listed first.
  out = balance_scale_up({{"x", 2, 0, 9}, {"y", 2, 0, 9}, {"z", 2, 0, 9}}, 4);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].new_size, 4);
  EXPECT_EQ(out[1].new_size, 3);
  EXPECT_EQ(out[2].new_size, 3);
  EXPECT_TRUE(balance_scale_up({{"a", 2, 0, 2}}, 3).empty());
}

class BalancingTest : public ClusterAutoscalerTest {
 protected:
  static NodeGroup zone_group(const std::string& zone, std::int32_t max_size) {
    NodeGroup g = group("gpu-" + zone, 8, 0, max_size);
    g.node_template.meta.labels["topology.kubernetes.io/zone"] = zone;
    g.node_template.meta.labels["gpusim.io/pool"] = g.name;
    return g;
  }
  std::string message(const std::string& object) const {
    for (const auto& e : log.events) {
      if (e.type == "ScaledUpGroup" && e.object == object) return e.message;
    }
    return {};
  }
  // Whole-node pods filling the groups' existing nodes, then `pending` more.
  void fill_and_add(int existing, int pending) {
    for (int i = 0; i < existing; ++i)
      add_pod(gpu_pod("running-" + std::to_string(i), 8));
    loop.run(5'000);
    for (int i = 0; i < pending; ++i)
      add_pod(gpu_pod("train-" + std::to_string(i), 8));
    loop.run(kMinute);
  }
};

TEST_F(BalancingTest, AScaleUpIsSplitOverSimilarGroupsSmallestFirst) {
  const NodeGroup a = zone_group("a", 3);
  const NodeGroup b = zone_group("b", 10);
  const NodeGroup c = zone_group("c", 10);
  add_group_node(a);
  for (int i = 0; i < 2; ++i)
    add_group_node(b);
  for (int i = 0; i < 4; ++i)
    add_group_node(c);
  AutoscalerOptions options;
  options.balance_similar_node_groups = true;
  start_autoscaler({a, b, c}, options);
  fill_and_add(7, 7);
  EXPECT_NE(message("gpu-a").find("gpu-a 1->3 (max: 3)"), std::string::npos) << message("gpu-a");
  EXPECT_NE(message("gpu-b").find("gpu-b 2->6 (max: 10)"), std::string::npos) << message("gpu-b");
  EXPECT_NE(message("gpu-c").find("gpu-c 4->5 (max: 10)"), std::string::npos) << message("gpu-c");
  loop.run(20 * kMinute);
  EXPECT_EQ(autoscaler->size("gpu-a"), 3);
  EXPECT_EQ(autoscaler->size("gpu-b"), 6);
  EXPECT_EQ(autoscaler->size("gpu-c"), 5);
  int bound = 0;
  cluster.for_each_pod([&](PodId, const Pod& p) { bound += p.bound() ? 1 : 0; });
  EXPECT_EQ(bound, 14);
  // Each pod's TriggeredScaleUp names the whole split.
  for (const auto& e : log.events) {
    if (e.type != "TriggeredScaleUp") continue;
    EXPECT_EQ(e.message,
              "pod triggered scale-up: [{gpu-a 1->3 (max: 3)} {gpu-b 2->6 (max: 10)} {gpu-c 4->5 "
              "(max: 10)}]");
  }
}

TEST_F(BalancingTest, OffByDefaultAndNeverOverDissimilarGroups) {
  {
    const NodeGroup a = zone_group("a", 10);
    const NodeGroup b = zone_group("b", 10);
    start_autoscaler({a, b});
    fill_and_add(0, 4);
    EXPECT_EQ(count("ScaledUpGroup"), 1);  // one group takes all four
  }
}

TEST_F(BalancingTest, DissimilarGroupsAreNotBalanced) {
  const NodeGroup a = zone_group("a", 10);
  NodeGroup spot = zone_group("b", 10);
  spot.node_template.meta.labels["capacity-type"] = "spot";
  NodeGroup bigger = zone_group("c", 10);
  bigger.node_template.capacity["memory"] = q("256Gi");
  AutoscalerOptions options;
  options.balance_similar_node_groups = true;
  // least-waste prefers a or spot (the smaller memory); either way nothing is split.
  start_autoscaler({a, spot, bigger}, options);
  fill_and_add(0, 4);
  EXPECT_EQ(count("ScaledUpGroup"), 1);
}

TEST_F(BalancingTest, AGroupThePodsDoNotFitIsLeftOut) {
  // Same machine in two zones, but the pods select zone a (the templates' comparison ignores
  // zones; the pods' fit does not).
  const NodeGroup a = zone_group("a", 10);
  const NodeGroup b = zone_group("b", 10);
  AutoscalerOptions options;
  options.balance_similar_node_groups = true;
  start_autoscaler({a, b}, options);
  for (int i = 0; i < 4; ++i) {
    auto p = gpu_pod("zonal-" + std::to_string(i), 8);
    p.node_selector = {{"topology.kubernetes.io/zone", "a"}};
    add_pod(p);
  }
  loop.run(kMinute);
  EXPECT_EQ(count("ScaledUpGroup", "gpu-a"), 1);
  EXPECT_EQ(count("ScaledUpGroup", "gpu-b"), 0);
  EXPECT_NE(message("gpu-a").find("gpu-a 0->4"), std::string::npos);
}

TEST_F(BalancingTest, ABackedOffGroupIsLeftOut) {
  NodeGroup a = zone_group("a", 10);
  a.capacity = 0;
  const NodeGroup b = zone_group("b", 10);
  const NodeGroup c = zone_group("c", 10);
  AutoscalerOptions options;
  options.balance_similar_node_groups = true;
  options.expander = {"priority"};
  options.priorities = {{10, {"gpu-a"}}, {5, {"gpu-b", "gpu-c"}}};
  start_autoscaler({a, b, c}, options);
  fill_and_add(0, 4);
  // First split over all three; a's share fails and, a backed off, its pods go to b and c.
  EXPECT_NE(message("gpu-a").find("gpu-a 0->2"), std::string::npos) << message("gpu-a");
  loop.run(30 * kMinute);
  EXPECT_EQ(autoscaler->size("gpu-a"), 0);
  EXPECT_EQ(autoscaler->size("gpu-b") + autoscaler->size("gpu-c"), 4);
  EXPECT_EQ(count("ScaleUpFailed", "gpu-a"), 1);
}

}  // namespace
}  // namespace gpusim::ctrl
