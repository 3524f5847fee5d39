// Cluster-autoscaler decisions on a small cluster with the real scheduler and kubelet: scale-up
// only where a group's template fits the pending pods, maxSize, scale-down after the unneeded
// time when the pods can move, PodDisruptionBudgets and unreplicated pods blocking it.
#include "controllers/cluster_autoscaler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controllers/kubelet.hpp"
#include "unit/scheduler/scheduler_fixture.hpp"

namespace gpusim::ctrl {
namespace {

using testing_util::NodeSpec;
using testing_util::PodSpecBuilder;
using testing_util::q;

constexpr TimeMs kMinute = 60'000;

class ClusterAutoscalerTest : public testing_util::SchedulerFixture {
 protected:
  ClusterAutoscalerTest() : kubelet(cluster, loop, TimingDefaults{}) {
    loop.set_stop_when_idle(false);
    cluster.add_observer(&kubelet);
  }

  static NodeGroup group(const std::string& name, int gpus, std::int32_t min_size,
                         std::int32_t max_size) {
    NodeGroup g;
    g.name = name;
    g.node_template.capacity["cpu"] = q("32");
    g.node_template.capacity["memory"] = q("128Gi");
    g.node_template.capacity["pods"] = q("110");
    if (gpus > 0) {
      g.node_template.capacity["nvidia.com/gpu"] = Quantity::from_int(gpus);
      g.node_template.taints.push_back(
          testing_util::taint("nvidia.com/gpu", "present", TaintEffect::kNoSchedule));
    }
    g.node_template.pool = name;
    g.min_size = min_size;
    g.max_size = max_size;
    g.provisioning_delay_ms = 5 * kMinute;
    return g;
  }

  NodeId add_group_node(const NodeGroup& g) {
    Node n = g.node_template;
    n.meta.name = g.name + "-" + std::to_string(next_index[g.name]++);
    n.meta.labels["kubernetes.io/hostname"] = n.meta.name;
    return cluster.add_node(std::move(n));
  }

  void start_autoscaler(std::vector<NodeGroup> groups, AutoscalerOptions options = {}) {
    start();
    std::map<std::string, NodeGroup> by_name;
    for (const auto& g : groups)
      by_name[g.name] = g;
    autoscaler = std::make_unique<ClusterAutoscaler>(
        cluster, loop, *scheduler, std::move(groups),
        [this, by_name](const std::string& pool) { return add_group_node(by_name.at(pool)); },
        options);
    cluster.add_observer(autoscaler.get());
    autoscaler->start();
  }

  static PodSpecBuilder gpu_pod(const std::string& name, int gpus) {
    PodSpecBuilder b;
    b.name = name;
    b.cpu = "1";
    b.memory = "1Gi";
    b.gpus = gpus;
    b.tolerations.push_back(
        testing_util::toleration("nvidia.com/gpu", "present", TaintEffect::kNoSchedule));
    b.owner = OwnerReference{"ReplicaSet", "rs", 99};
    return b;
  }

  int count(const std::string& type, const std::string& object = {}) const {
    return static_cast<int>(std::count_if(log.events.begin(), log.events.end(), [&](const auto& e) {
      return e.type == type && (object.empty() || e.object == object);
    }));
  }
  TimeMs first(const std::string& type, const std::string& object = {}) const {
    for (const auto& e : log.events) {
      if (e.type == type && (object.empty() || e.object == object)) return e.t_ms;
    }
    return -1;
  }

  Kubelet kubelet;
  std::unique_ptr<ClusterAutoscaler> autoscaler;
  std::map<std::string, int> next_index;
};

TEST_F(ClusterAutoscalerTest, ScalesUpTheGroupWhoseTemplateFitsAfterItsProvisioningDelay) {
  const NodeGroup cpu = group("cpu", 0, 1, 5);
  const NodeGroup gpu = group("gpu", 8, 0, 5);
  add_group_node(cpu);
  start_autoscaler({cpu, gpu});
  const PodId p = add_pod(gpu_pod("train", 4));

  // The estimator alone: no cpu node takes a GPU pod, one gpu node does.
  loop.run(1);
  ASSERT_FALSE(cluster.pod(p).bound());
  EXPECT_EQ(autoscaler->estimate(autoscaler->groups()[0], {p}).new_nodes, 0);
  const auto e = autoscaler->estimate(autoscaler->groups()[1], {p});
  EXPECT_EQ(e.new_nodes, 1);
  EXPECT_EQ(e.helped, std::vector<PodId>{p});

  // Scans keep running while the pod waits for the node and after it joins: one scale-up only.
  loop.run(20 * kMinute);
  EXPECT_EQ(count("ScaledUpGroup", "gpu"), 1);
  EXPECT_EQ(count("ScaledUpGroup", "cpu"), 0);
  EXPECT_EQ(autoscaler->size("gpu"), 1);
  EXPECT_EQ(autoscaler->size("cpu"), 1);
  ASSERT_TRUE(cluster.pod(p).bound());
  EXPECT_EQ(cluster.node(cluster.pod(p).status.node).pool, "gpu");
  // Placed only once the new node joined: the decision (a scan after the failed attempt) plus
  // the 5 minute provisioning delay.
  const TimeMs scheduled = first("Scheduled", "default/train");
  EXPECT_GE(scheduled, first("ScaledUpGroup", "gpu") + 5 * kMinute);
}

TEST_F(ClusterAutoscalerTest, APodNoTemplateFitsTriggersNothing) {
  const NodeGroup gpu = group("gpu", 8, 0, 5);
  start_autoscaler({gpu});
  const PodId p = add_pod(gpu_pod("huge", 16));  // more GPUs than a node of the group has
  loop.run(30 * kMinute);
  EXPECT_FALSE(cluster.pod(p).bound());
  EXPECT_EQ(count("ScaledUpGroup"), 0);
  EXPECT_EQ(autoscaler->size("gpu"), 0);
  EXPECT_EQ(count("NotTriggerScaleUp", "default/huge"), 1);  // said once, not every scan
}

TEST_F(ClusterAutoscalerTest, NeverGrowsPastMaxSize) {
  const NodeGroup gpu = group("gpu", 8, 0, 3);
  start_autoscaler({gpu});
  for (int i = 0; i < 5; ++i)
    add_pod(gpu_pod("whole-node-" + std::to_string(i), 8));
  std::int32_t peak = 0;
  for (TimeMs t = 0; t <= 40 * kMinute; t += 10'000) {
    loop.run(t);
    peak = std::max(peak, autoscaler->size("gpu") + autoscaler->stats("gpu").upcoming);
  }
  EXPECT_EQ(peak, 3);
  EXPECT_EQ(autoscaler->size("gpu"), 3);
  EXPECT_EQ(autoscaler->stats("gpu").nodes_added, 3);
  int bound = 0;
  cluster.for_each_pod([&](PodId, const Pod& p) { bound += p.bound() ? 1 : 0; });
  EXPECT_EQ(bound, 3);
  EXPECT_GE(count("NotTriggerScaleUp"), 2);  // the two pods left over
}

TEST_F(ClusterAutoscalerTest, RemovesAnUnderusedNodeAfterTheUnneededTimeWhenItsPodCanMove) {
  NodeGroup gpu = group("gpu", 8, 1, 4);
  gpu.scale_down_unneeded_ms = 10 * kMinute;
  add_group_node(gpu);
  add_group_node(gpu);
  start_autoscaler({gpu});
  // One 1-GPU pod on each node: both under 50% utilisation; either pod fits on the other node.
  PodSpecBuilder a = gpu_pod("a", 1);
  PodSpecBuilder b = gpu_pod("b", 1);
  add_pod(a);
  add_pod(b);
  loop.run(9 * kMinute);
  EXPECT_EQ(count("ScaleDown"), 0) << "removed before the unneeded time";
  EXPECT_EQ(autoscaler->size("gpu"), 2);
  loop.run(30 * kMinute);
  EXPECT_EQ(autoscaler->size("gpu"), 1) << "an unneeded node above minSize stays";
  EXPECT_EQ(autoscaler->stats("gpu").nodes_removed, 1);
  const TimeMs removed = first("ScaleDownDone", "gpu");
  EXPECT_GE(removed, 10 * kMinute);
  // minSize holds: the last node stays, however idle.
  loop.run(120 * kMinute);
  EXPECT_EQ(autoscaler->size("gpu"), 1);
}

TEST_F(ClusterAutoscalerTest, ABusyNodeIsNotRemoved) {
  NodeGroup gpu = group("gpu", 8, 0, 4);
  add_group_node(gpu);
  start_autoscaler({gpu});
  add_pod(gpu_pod("busy", 6));  // 75% of the node's GPUs: above the 0.5 threshold
  loop.run(60 * kMinute);
  EXPECT_EQ(count("ScaleDown"), 0);
  EXPECT_EQ(autoscaler->size("gpu"), 1);
}

TEST_F(ClusterAutoscalerTest, APodDisruptionBudgetWithNoDisruptionsLeftBlocksScaleDown) {
  NodeGroup gpu = group("gpu", 8, 0, 4);
  add_group_node(gpu);
  add_group_node(gpu);
  start_autoscaler({gpu});
  PodSpecBuilder a = gpu_pod("a", 1);
  a.labels = {{"app", "web"}};
  PodSpecBuilder b = gpu_pod("b", 1);
  b.labels = {{"app", "web"}};
  add_pod(a);
  add_pod(b);
  PodDisruptionBudget pdb;
  pdb.meta.name = "web";
  pdb.meta.namespace_ = "default";
  pdb.selector = testing_util::selector({{"app", "web"}});
  pdb.disruptions_allowed = 0;
  cluster.pdbs["default/web"] = pdb;
  loop.run(1);
  const NodeId n0 = cluster.find_node("gpu-0");
  std::string why;
  EXPECT_FALSE(autoscaler->pods_can_move(n0, &why));
  EXPECT_NE(why.find("disruption budget"), std::string::npos) << why;
  loop.run(60 * kMinute);
  EXPECT_EQ(count("ScaleDown"), 0);
  EXPECT_EQ(autoscaler->size("gpu"), 2);

  // With one disruption allowed the same node may go.
  cluster.pdbs["default/web"].disruptions_allowed = 1;
  EXPECT_TRUE(autoscaler->pods_can_move(n0, &why)) << why;
}

TEST_F(ClusterAutoscalerTest, AnUnreplicatedPodBlocksScaleDown) {
  NodeGroup gpu = group("gpu", 8, 0, 4);
  add_group_node(gpu);
  add_group_node(gpu);
  start_autoscaler({gpu});
  PodSpecBuilder bare = gpu_pod("bare", 1);
  bare.owner.reset();
  const PodId p = add_pod(bare);
  loop.run(1);
  ASSERT_TRUE(cluster.pod(p).bound());
  std::string why;
  EXPECT_FALSE(autoscaler->pods_can_move(cluster.pod(p).status.node, &why));
  EXPECT_NE(why.find("not replicated"), std::string::npos) << why;
  // The empty node goes; the one holding the bare pod stays.
  loop.run(60 * kMinute);
  EXPECT_EQ(autoscaler->size("gpu"), 1);
  EXPECT_TRUE(cluster.pod_exists(p));
  EXPECT_TRUE(cluster.pod(p).bound());
}

}  // namespace
}  // namespace gpusim::ctrl
