// Cluster-autoscaler decisions on a small cluster with the real scheduler and kubelet: scale-up
// only where a group's template fits the pending pods, maxSize, the expander, nodes on their way
// counted, scale-down after the unneeded time when the pods can move, what blocks it
// (PodDisruptionBudgets, unreplicated and kube-system pods, local storage), one drain at a time,
// NotReady nodes. Expected values are upstream cluster-autoscaler's with its default flags.
#include "controllers/cluster_autoscaler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controllers/kubelet.hpp"
#include "unit/controllers/cluster_autoscaler_fixture.hpp"

namespace gpusim::ctrl {
namespace {

using testing_util::NodeSpec;
using testing_util::PodSpecBuilder;
using testing_util::q;

using testing_ca::ClusterAutoscalerTest;
using testing_ca::kMinute;

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

// Upstream's ReasonsMessage: each node group's reasons for not taking the pod, counted over the
// groups (here both groups' template nodes fail the scheduler's filters).
TEST_F(ClusterAutoscalerTest, NotTriggerScaleUpCountsEachGroupsReasons) {
  const NodeGroup cpu = group("cpu", 0, 0, 5);
  const NodeGroup gpu = group("gpu", 8, 0, 5);
  start_autoscaler({cpu, gpu});
  add_pod(gpu_pod("huge", 16));  // more GPUs than any template has
  PodSpecBuilder untolerated = gpu_pod("untolerated", 1);
  untolerated.tolerations.clear();  // the gpu nodes' taint keeps it off them
  add_pod(untolerated);
  loop.run(30 * kMinute);
  EXPECT_EQ(count("ScaledUpGroup"), 0);
  auto message = [&](const std::string& object) {
    std::vector<std::string> out;
    for (const auto& e : log.events) {
      if (e.type == "NotTriggerScaleUp" && e.object == object) out.push_back(e.message);
    }
    return out;
  };
  EXPECT_EQ(message("default/huge"),
            std::vector<std::string>{"pod didn't trigger scale-up: 2 Insufficient nvidia.com/gpu"});
  EXPECT_EQ(message("default/untolerated"),
            std::vector<std::string>{"pod didn't trigger scale-up: 1 Insufficient nvidia.com/gpu, "
                                     "1 node(s) had untolerated taint(s)"});
}

// Upstream's EventingScaleUpStatusProcessor emits NotTriggerScaleUp only in a loop that scaled
// nothing up: the pod the scale-up leaves over hears why at the next scan, once the group is at
// its maximum.
TEST_F(ClusterAutoscalerTest, AScanThatScalesUpTellsNoPodWhy) {
  const NodeGroup gpu = group("gpu", 8, 0, 1);
  start_autoscaler({gpu});
  add_pod(gpu_pod("a", 8));
  add_pod(gpu_pod("b", 8));
  loop.run(2 * kMinute);
  ASSERT_EQ(count("ScaledUpGroup", "gpu"), 1);
  const TimeMs scaled = first("ScaledUpGroup", "gpu");
  std::vector<ClusterEvent> told;
  for (const auto& e : log.events) {
    if (e.type == "NotTriggerScaleUp") told.push_back(e);
  }
  ASSERT_EQ(told.size(), 1u);
  EXPECT_GT(told[0].t_ms, scaled);
  EXPECT_EQ(told[0].message, "pod didn't trigger scale-up: 1 max node group size reached");
  EXPECT_EQ(count("TriggeredScaleUp"), 1);
  EXPECT_NE(first("TriggeredScaleUp", told[0].object), scaled);  // not the pod it left over
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
  add_pdb("default", "web", {{"app", "web"}}, 0);
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

TEST_F(ClusterAutoscalerTest, NodesOnTheirWayInOneGroupTakePodsBeforeAnotherGroupGrows) {
  NodeGroup a = cpu_group("a", "8", "32Gi", 10, 400'000);
  NodeGroup b = cpu_group("b", "8", "32Gi", 10, 500'000);
  b.node_template.meta.labels["tier"] = "b";
  AutoscalerOptions options;
  options.expander = {"price"};
  start_autoscaler({a, b}, options);
  for (int i = 0; i < 4; ++i)
    add_pod(cpu_pod("web-" + std::to_string(i), "6", "1Gi"));
  loop.run(kMinute);
  ASSERT_EQ(autoscaler->stats("a").upcoming, 4);
  // A pod only b takes arrives while a's four nodes are provisioning: the web pods wait for
  // those, so b grows by one node, not five.
  PodSpecBuilder special = cpu_pod("special", "6", "1Gi");
  special.node_selector = {{"tier", "b"}};
  add_pod(special);
  loop.run(30 * kMinute);
  EXPECT_EQ(autoscaler->stats("a").nodes_added, 4);
  EXPECT_EQ(autoscaler->stats("b").nodes_added, 1);
  EXPECT_EQ(count("ScaledUpGroup", "b"), 1);
  int bound = 0;
  cluster.for_each_pod([&](PodId, const Pod& p) { bound += p.bound() ? 1 : 0; });
  EXPECT_EQ(bound, 5);
}

TEST_F(ClusterAutoscalerTest, TheDefaultExpanderIsLeastWaste) {
  // Six 5-CPU pods: one per 8-CPU node (6 nodes, 0.375 of cpu and of memory wasted) or three
  // per 16-CPU node (2 nodes, 0.0625 each). Upstream's default expander takes the second, though
  // both place every pod and the small nodes cost less each.
  start_autoscaler({cpu_group("small", "8", "8Gi", 10, 400'000),
                    cpu_group("medium", "16", "16Gi", 10, 770'000)});
  for (int i = 0; i < 6; ++i)
    add_pod(cpu_pod("p-" + std::to_string(i), "5", "5Gi"));
  loop.run(20 * kMinute);
  EXPECT_EQ(count("ScaledUpGroup", "medium"), 1);
  EXPECT_EQ(count("ScaledUpGroup", "small"), 0);
  EXPECT_EQ(autoscaler->size("medium"), 2);
}

TEST_F(ClusterAutoscalerTest, TheBinPackingEstimateDoesNotDependOnPodNames) {
  // Three 1-CPU pods created first and three 7-CPU pods: largest first, three 8-CPU nodes hold
  // them all; in creation order the small pods would take a node of their own.
  const NodeGroup g = cpu_group("g", "8", "32Gi", 10);
  start_autoscaler({g});
  std::vector<PodId> pods;
  for (int i = 0; i < 3; ++i)
    pods.push_back(add_pod(cpu_pod("a-small-" + std::to_string(i), "1", "1Gi")));
  for (int i = 0; i < 3; ++i)
    pods.push_back(add_pod(cpu_pod("z-big-" + std::to_string(i), "7", "1Gi")));
  loop.run(1);
  EXPECT_EQ(autoscaler->estimate(autoscaler->groups()[0], pods).new_nodes, 3);
}

TEST_F(ClusterAutoscalerTest, ExpendablePodsTriggerNoScaleUp) {
  start_autoscaler({cpu_group("g", "8", "32Gi", 10)});
  PodSpecBuilder p = cpu_pod("backfill", "6", "1Gi");
  p.priority = -100;  // below the default cutoff of -10
  add_pod(p);
  loop.run(20 * kMinute);
  EXPECT_EQ(count("ScaledUpGroup"), 0);
}

TEST_F(ClusterAutoscalerTest, NodesWithPodsAreDrainedOneAtATime) {
  NodeGroup g = cpu_group("g", "8", "32Gi", 10);
  for (int i = 0; i < 5; ++i)
    add_group_node(g);
  start_autoscaler({g});
  // One 1-CPU pod per node (the scheduler spreads them): every node is unneeded and any pod
  // fits elsewhere.
  for (int i = 0; i < 5; ++i)
    add_pod(cpu_pod("p-" + std::to_string(i), "1", "1Gi"));
  loop.run(1);
  for (NodeId n = 0; n < 5; ++n)
    ASSERT_EQ(cluster.node(n).pods.size(), 1u);
  loop.run(60 * kMinute);
  // Upstream's max-drain-parallelism 1: a node whose pods are being evicted (30 s of grace)
  // holds back the next one until it is gone.
  const std::vector<TimeMs> started = times("ScaleDown", "Node");
  const std::vector<TimeMs> done = times("ScaleDownDone", "NodePool");
  ASSERT_GE(started.size(), 2u);
  ASSERT_GE(done.size(), started.size() - 1);
  for (std::size_t i = 1; i < started.size(); ++i)
    EXPECT_GE(started[i], done[i - 1])
        << "drain " << i << " began before drain " << i - 1 << " ended";
  EXPECT_GE(started[1] - started[0], 30'000);
}

TEST_F(ClusterAutoscalerTest, ANotReadyNodeIsRemovedAfterTheUnreadyTime) {
  NodeGroup g = cpu_group("g", "8", "32Gi", 10);
  const NodeId ready = add_group_node(g);
  const NodeId failed = add_group_node(g);
  cluster.node(failed).ready = false;
  cluster.node_changed(failed);
  start_autoscaler({g});
  loop.run(60 * kMinute);
  const TimeMs ready_gone = first("ScaleDownDone", "g");
  ASSERT_EQ(count("ScaleDownDone", "g"), 2);
  EXPECT_FALSE(cluster.node_exists(ready));
  EXPECT_FALSE(cluster.node_exists(failed));
  // The ready one after scale-down-unneeded-time, the NotReady one after scale-down-unready-time.
  TimeMs failed_gone = -1;
  for (const auto& e : log.events) {
    if (e.type == "ScaleDownDone" && e.node == "g-1") failed_gone = e.t_ms;
  }
  EXPECT_GE(ready_gone, 10 * kMinute);
  EXPECT_LT(ready_gone, 11 * kMinute);
  EXPECT_GE(failed_gone, 20 * kMinute);
  EXPECT_LT(failed_gone, 21 * kMinute);
}

TEST_F(ClusterAutoscalerTest, TheUnneededTimeStartsWhenTheNodeCouldGo) {
  NodeGroup g = cpu_group("g", "8", "32Gi", 10);
  add_group_node(g);
  start_autoscaler({g});
  PodSpecBuilder bare = cpu_pod("bare", "1", "1Gi");
  bare.owner.reset();
  const PodId p = add_pod(bare);
  loop.run(15 * kMinute);
  ASSERT_EQ(count("ScaleDown"), 0);
  cluster.delete_pod(p);
  loop.run(60 * kMinute);
  // Unneeded from 15 minutes, when the pod that kept it left: removed 10 minutes after that.
  EXPECT_GE(first("ScaleDownDone", "g"), 25 * kMinute);
  EXPECT_LT(first("ScaleDownDone", "g"), 26 * kMinute);
}

TEST_F(ClusterAutoscalerTest, WhatKeepsAPodFromMovingIsUpstreams) {
  NodeGroup g = cpu_group("g", "8", "32Gi", 10);
  add_group_node(g);
  add_group_node(g);
  start_autoscaler({g});
  const auto node_of = [&](PodId id) { return cluster.pod(id).status.node; };
  const auto why_not = [&](PodId id) {
    std::string why;
    return autoscaler->pods_can_move(node_of(id), &why) ? std::string("movable") : why;
  };
  PodSpecBuilder sys = cpu_pod("dns", "1", "1Gi");
  sys.ns = "kube-system";
  sys.labels = {{"k8s-app", "dns"}};
  const PodId dns = add_pod(sys);
  PodSpecBuilder cache = cpu_pod("cache", "1", "1Gi");
  const PodId with_volume = add_pod_with(cache, {}, {"scratch"});
  loop.run(1);
  ASSERT_TRUE(cluster.pod(dns).bound() && cluster.pod(with_volume).bound());
  EXPECT_NE(why_not(dns).find("kube-system pod"), std::string::npos) << why_not(dns);
  EXPECT_NE(why_not(with_volume).find("local storage"), std::string::npos) << why_not(with_volume);

  // A budget for the kube-system pod lets it move; so does naming the volume safe to lose.
  add_pdb("kube-system", "dns", {{"k8s-app", "dns"}}, 1);
  EXPECT_EQ(why_not(dns), "movable");
  cluster.delete_pod(with_volume);
  const PodId listed =
      add_pod_with(cache, {{kSafeToEvictLocalVolumesAnnotation, "logs,scratch"}}, {"scratch"});
  loop.run(loop.now() + 1);
  ASSERT_TRUE(cluster.pod(listed).bound());
  EXPECT_EQ(why_not(listed), "movable");

  // safe-to-evict "true" lifts the unreplicated rule.
  cluster.delete_pod(listed);
  PodSpecBuilder bare = cpu_pod("bare", "1", "1Gi");
  bare.owner.reset();
  const PodId plain = add_pod(bare);
  loop.run(loop.now() + 1);
  EXPECT_NE(why_not(plain).find("not replicated"), std::string::npos);
  cluster.delete_pod(plain);
  bare.name = "bare-safe";
  const PodId safe = add_pod_with(bare, {{kSafeToEvictAnnotation, "true"}});
  loop.run(loop.now() + 1);
  ASSERT_TRUE(cluster.pod(safe).bound());
  EXPECT_EQ(why_not(safe), "movable");

  // A budget with an empty selector covers every pod of its namespace.
  add_pdb("default", "all", {}, 0);
  EXPECT_NE(why_not(safe).find("disruption budget"), std::string::npos) << why_not(safe);
}

TEST_F(ClusterAutoscalerTest, GpuNodesUseTheGpuThreshold) {
  NodeGroup gpu = group("gpu", 8, 0, 4);
  gpu.scale_down_utilization_threshold = 0.3;
  gpu.scale_down_gpu_utilization_threshold = 0.5;
  for (int i = 0; i < 3; ++i)
    add_group_node(gpu);
  start_autoscaler({gpu});
  // Spread by the scheduler: 4 GPUs on gpu-0 (at the threshold), 3 on gpu-1 (0.375), gpu-2
  // empty.
  add_pod(gpu_pod("four", 4));
  loop.run(1);
  add_pod(gpu_pod("three", 3));
  loop.run(2);
  ASSERT_EQ(cluster.node(1).pods.size(), 1u);
  loop.run(30 * kMinute);
  // gpu-1 is under the GPU threshold (the 0.3 of cpu and memory would have kept it) and its pod
  // fits on gpu-0: it goes with the empty gpu-2.
  EXPECT_EQ(autoscaler->stats("gpu").nodes_removed, 2);
  EXPECT_TRUE(cluster.node_exists(0));
}

TEST_F(ClusterAutoscalerTest, UnneededNodesAreSoftTaintedSoNewPodsGoElsewhere) {
  NodeGroup g = cpu_group("g", "8", "32Gi", 10);
  g.scale_down_unneeded_ms = 3'600'000;  // unneeded for the whole test, not yet removed
  const NodeId busy = add_group_node(g);
  const NodeId idle = add_group_node(g);
  start_autoscaler({g});
  PodSpecBuilder big = cpu_pod("big", "5", "1Gi");
  big.node_selector = {{"kubernetes.io/hostname", "g-0"}};
  add_pod(big);
  loop.run(30'000);
  const auto soft = [&](NodeId n) {
    for (const auto& t : cluster.node(n).taints) {
      if (t.key == kDeletionCandidateTaint) return t.effect == TaintEffect::kPreferNoSchedule;
    }
    return false;
  };
  EXPECT_FALSE(soft(busy));
  EXPECT_TRUE(soft(idle));
  // LeastAllocated alone would put a new pod on the idle node; the taint's score keeps it off.
  const PodId p = add_pod(cpu_pod("small", "1", "1Gi"));
  loop.run(40'000);
  ASSERT_TRUE(cluster.pod(p).bound());
  EXPECT_EQ(cluster.pod(p).status.node, busy);
  // Needed again (over the threshold): the taint goes at the next scan.
  PodSpecBuilder fill = cpu_pod("fill", "5", "1Gi");
  fill.node_selector = {{"kubernetes.io/hostname", "g-1"}};
  add_pod(fill);
  loop.run(60'000);
  EXPECT_FALSE(soft(idle));
}

}  // namespace
}  // namespace gpusim::ctrl

namespace gpusim::ctrl {
namespace {

// Six nodes of group g (8 cpu each) of which `unready` went NotReady at once (with the not-ready
// taint the node lifecycle controller adds), the ready ones full: a 6-cpu pod created at 20
// minutes, past the 15 minutes a node may take to start, fits nowhere.
class ClusterHealthTest : public ClusterAutoscalerTest {
 protected:
  void start_with_unready(int unready, AutoscalerOptions options = {}) {
    g = cpu_group("g", "8", "32Gi", 20);
    for (int i = 0; i < 6; ++i) {
      const NodeId id = add_group_node(g);
      if (i < unready) {
        fail(id);
        failed.push_back(id);
      }
    }
    start_autoscaler({g}, options);
    for (int i = 0; i < 6 - unready; ++i)
      add_pod(cpu_pod("filler-" + std::to_string(i), "6", "1Gi"));
    loop.run(20 * kMinute);
    add_pod(cpu_pod("waiting", "6", "1Gi"));
  }

  // NotReady, with the not-ready taint the node lifecycle controller adds.
  void fail(NodeId id) {
    cluster.node(id).ready = false;
    cluster.node(id).taints.push_back(
        testing_util::taint("node.kubernetes.io/not-ready", "", TaintEffect::kNoSchedule));
    cluster.node_changed(id);
  }

  NodeGroup g;
  std::vector<NodeId> failed;
};

TEST_F(ClusterHealthTest, TooManyUnreadyNodesStopScalingUntilTheyRecover) {
  start_with_unready(4);  // 4 > --ok-total-unready-count 3 and > 45 % of 6
  loop.run(45 * kMinute);
  EXPECT_EQ(count("ClusterUnhealthy"), 1);  // once, when it became unhealthy
  const TimeMs unhealthy = first("ClusterUnhealthy");
  EXPECT_GE(unhealthy, 15 * kMinute);  // NotReady nodes count after their startup time
  EXPECT_LT(unhealthy, 16 * kMinute);
  EXPECT_EQ(count("ScaledUpGroup"), 0);
  EXPECT_EQ(count("Scheduled", "default/waiting"), 0);
  // Not even the NotReady nodes, past --scale-down-unready-time (20 minutes), are removed.
  EXPECT_EQ(count("ScaleDown"), 0);
  for (NodeId id : failed)
    EXPECT_TRUE(cluster.node_exists(id));

  // One recovers, cordoned: three unready nodes are within the limits, and a scan scales up.
  Node& back = cluster.node(failed[0]);
  back.ready = true;
  back.taints.clear();
  back.unschedulable = true;
  cluster.node_changed(failed[0]);
  const TimeMs recovered = loop.now();
  loop.run(recovered + 10 * kMinute);
  EXPECT_EQ(count("ClusterUnhealthy"), 1);
  ASSERT_EQ(count("ScaledUpGroup", "g"), 1);
  EXPECT_LE(first("ScaledUpGroup", "g"), recovered + 10'000);  // the next scan
  EXPECT_EQ(count("Scheduled", "default/waiting"), 1);
}

TEST_F(ClusterHealthTest, UnreadyNodesWithinEitherLimitLeaveTheClusterHealthy) {
  start_with_unready(3);  // 3 is over 45 % of 6 but not over --ok-total-unready-count
  loop.run(30 * kMinute);
  EXPECT_EQ(count("ClusterUnhealthy"), 0);
  EXPECT_EQ(count("ScaledUpGroup", "g"), 1);
  EXPECT_EQ(count("Scheduled", "default/waiting"), 1);
}

TEST_F(ClusterHealthTest, TheLimitsAreTheFlags) {
  AutoscalerOptions options;
  options.ok_total_unready_count = 2;  // now 3 unready of 6 (50 %) are too many
  start_with_unready(3, options);
  loop.run(30 * kMinute);
  EXPECT_EQ(count("ClusterUnhealthy"), 1);
  EXPECT_EQ(count("ScaledUpGroup"), 0);
}

// Pool a (six nodes, four NotReady) is cheaper than pool b (four ready nodes): ten nodes of
// which four unready keep the cluster healthy (4 <= 45 % of 10), but pool a has four fewer
// Ready nodes than its size, past both limits (starting nodes count here): the price expander's
// choice is not offered. A 6-cpu pod arrives at one minute; the NotReady nodes go at 20 minutes
// (--scale-down-unready-time).
class GroupHealthTest : public ClusterHealthTest {
 protected:
  void start_two_pools(std::int32_t b_max) {
    const NodeGroup a = cpu_group("a", "8", "32Gi", 20, 1'000'000);
    const NodeGroup b = cpu_group("b", "8", "32Gi", b_max, 2'000'000);
    for (int i = 0; i < 6; ++i) {
      const NodeId id = add_group_node(a);
      if (i < 4) fail(id);
    }
    for (int i = 0; i < 4; ++i)
      add_group_node(b);
    AutoscalerOptions options;
    options.expander = {"price"};
    start_autoscaler({a, b}, options);
    for (int i = 0; i < 6; ++i)
      add_pod(cpu_pod("filler-" + std::to_string(i), "6", "1Gi"));
    loop.run(kMinute);
    add_pod(cpu_pod("waiting", "6", "1Gi"));
    loop.run(15 * kMinute);
  }
};

TEST_F(GroupHealthTest, AnUnhealthyPoolIsNoScaleUpOption) {
  start_two_pools(10);
  EXPECT_EQ(count("ClusterUnhealthy"), 0);
  EXPECT_EQ(count("ScaledUpGroup", "a"), 0);
  EXPECT_EQ(count("ScaledUpGroup", "b"), 1);
  EXPECT_EQ(count("Scheduled", "default/waiting"), 1);
}

TEST_F(GroupHealthTest, APodNoHealthyPoolTakesIsToldWhy) {
  start_two_pools(4);  // b is full at its maximum
  EXPECT_EQ(count("ScaledUpGroup"), 0);
  std::string message;
  for (const auto& e : log.events) {
    if (e.type == "NotTriggerScaleUp" && e.object == "default/waiting") message = e.message;
  }
  EXPECT_EQ(message,
            "pod didn't trigger scale-up: 1 max node group size reached, 1 not ready for "
            "scale-up");
  // Once its NotReady nodes are removed, pool a is healthy again and takes the pod.
  loop.run(40 * kMinute);
  ASSERT_EQ(count("ScaledUpGroup", "a"), 1);
  EXPECT_GE(first("ScaledUpGroup", "a"), 20 * kMinute);
  EXPECT_EQ(count("Scheduled", "default/waiting"), 1);
}

}  // namespace
}  // namespace gpusim::ctrl
