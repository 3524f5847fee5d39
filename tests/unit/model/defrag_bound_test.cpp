// The defragmentation bound (model/defrag_bound.hpp): small networks computed by hand, and a
// Cluster whose GPU pods are fragmented across nodes.
#include "model/defrag_bound.hpp"

#include <gtest/gtest.h>

#include "core/event_loop.hpp"
#include "model/cluster.hpp"

namespace gpusim {
namespace {

DefragPod running(std::int64_t milli, std::vector<std::uint32_t> nodes) {
  return DefragPod{milli, std::move(nodes), true};
}
DefragPod pending(std::int64_t milli, std::vector<std::uint32_t> nodes) {
  return DefragPod{milli, std::move(nodes), false};
}
// Pods of k whole GPUs (1000 milli each, exclusive devices).
DefragPod running_whole(std::int32_t k, std::vector<std::uint32_t> nodes) {
  return DefragPod{k * 1000, std::move(nodes), true, k};
}
DefragPod pending_whole(std::int32_t k, std::vector<std::uint32_t> nodes) {
  return DefragPod{k * 1000, std::move(nodes), false, k};
}

TEST(DefragBound, RepackingTwoSingleGpuPodsFreesANodeForATwoGpuPod) {
  // Two 2-GPU nodes, one 1-GPU pod on each: no node has 2 GPUs free, but repacked they do.
  const DefragBound b = compute_defrag_bound(
      {2000, 2000}, {running(1000, {0, 1}), running(1000, {0, 1}), pending(2000, {0, 1})});
  EXPECT_EQ(b.pending_gpu_pods, 1);
  EXPECT_EQ(b.eligible_pending, 1);
  EXPECT_EQ(b.max_flow_milli, 4000);
  EXPECT_EQ(b.pending_flow_milli, 2000);
  EXPECT_EQ(b.bound, 1);
}

TEST(DefragBound, EligibilityLimitsTheFlow) {
  // Node 0 is the only node the running pod and the first pending pod accept; the running pod
  // fills it, so only one of the two pending pods can be placed (on node 1).
  const DefragBound b = compute_defrag_bound(
      {1000, 1000}, {running(1000, {0}), pending(1000, {0}), pending(1000, {0, 1})});
  EXPECT_EQ(b.max_flow_milli, 2000);
  EXPECT_EQ(b.pending_flow_milli, 1000);
  EXPECT_EQ(b.bound, 1);
  // With the running pod able to move to node 1 nothing changes: still 2000 for three pods.
  const DefragBound c = compute_defrag_bound(
      {1000, 1000}, {running(1000, {0, 1}), pending(1000, {0}), pending(1000, {0, 1})});
  EXPECT_EQ(c.bound, 1);
}

TEST(DefragBound, CountsTheSmallestPendingDemandsThatFit) {
  // 3000 capacity, 500 running: 2500 left for pending pods of 2000, 1000, 1000 and 300; the
  // three smallest (2300) fit, adding the 2000 would not.
  const DefragBound b =
      compute_defrag_bound({3000}, {running(500, {0}), pending(2000, {0}), pending(1000, {0}),
                                    pending(1000, {0}), pending(300, {0})});
  EXPECT_EQ(b.pending_flow_milli, 2500);
  EXPECT_EQ(b.pending_gpu_milli, 4300);
  EXPECT_EQ(b.bound, 3);
}

TEST(DefragBound, PodsWithoutAnEligibleNodeAreNotCounted) {
  const DefragBound b =
      compute_defrag_bound({1000}, {pending(1000, {}), pending(500, {0}), running(0, {0})});
  EXPECT_EQ(b.pending_gpu_pods, 2);
  EXPECT_EQ(b.eligible_pending, 1);
  EXPECT_EQ(b.bound, 1);
}

TEST(DefragBound, IsAnUpperBoundNotExact) {
  // Three 600-milli shared pods need three devices however they are packed, so a whole-GPU pod
  // never fits on this 3-GPU node; the relaxation splits demand across devices and says 1
  // (1200 milli are free in total; the flow is capped by the pending demand, 1000).
  const DefragBound b = compute_defrag_bound(
      {3000}, {running(600, {0}), running(600, {0}), running(600, {0}), pending(1000, {0})});
  EXPECT_EQ(b.max_flow_milli, 2800);
  EXPECT_EQ(b.pending_flow_milli, 1000);
  EXPECT_EQ(b.bound, 1);
}

TEST(DefragBound, WholeGpuPodsCountInSlotsOfTheirSize) {
  // Two 3-GPU nodes, a 2-GPU pod running on each, a 2-GPU pod pending: 2000 milli are free in
  // total, but one device on each node, so no repacking places it (three 2-GPU pods need 6
  // devices in pairs; a 3-GPU node holds one pair). Each node holds floor(3/2) x 2 = 2000 milli
  // of 2-GPU pods, so the flow is 4000, all of it running.
  const DefragBound b = compute_defrag_bound(
      {3000, 3000}, {running_whole(2, {0, 1}), running_whole(2, {0, 1}), pending_whole(2, {0, 1})});
  EXPECT_EQ(b.max_flow_milli, 4000);
  EXPECT_EQ(b.pending_flow_milli, 0);
  EXPECT_EQ(b.bound, 0);
  // The free devices still take 1-GPU pods: one on each node.
  const DefragBound c = compute_defrag_bound(
      {3000, 3000}, {running_whole(2, {0, 1}), running_whole(2, {0, 1}), pending_whole(1, {0, 1}),
                     pending_whole(1, {0, 1}), pending_whole(2, {0, 1})});
  EXPECT_EQ(c.max_flow_milli, 6000);
  EXPECT_EQ(c.bound, 2);
  // Shared pods are not whole-GPU pods: their 1000 milli may use the two free devices.
  const DefragBound d =
      compute_defrag_bound({3000, 3000}, {running_whole(2, {0, 1}), running_whole(2, {0, 1}),
                                          pending(500, {0, 1}), pending(500, {0, 1})});
  EXPECT_EQ(d.bound, 2);
}

TEST(DefragBound, SlotsOfDifferentSizesShareTheNode) {
  // One empty 5-GPU node, pending: three 2-GPU pods and a 1-GPU pod. 2-GPU pods get at most
  // floor(5/2) x 2 = 4000 milli, the node 5000: the 1-GPU pod and two 2-GPU pods (5 devices),
  // which is also the exact answer.
  const DefragBound b = compute_defrag_bound(
      {5000},
      {pending_whole(2, {0}), pending_whole(2, {0}), pending_whole(2, {0}), pending_whole(1, {0})});
  EXPECT_EQ(b.max_flow_milli, 5000);
  EXPECT_EQ(b.bound, 3);
  // A 4-GPU node holds two 2-GPU pods exactly: no slot cap, the whole 4000.
  const DefragBound c =
      compute_defrag_bound({4000}, {pending_whole(2, {0}), pending_whole(2, {0})});
  EXPECT_EQ(c.max_flow_milli, 4000);
  EXPECT_EQ(c.bound, 2);
  // A pod larger than the node gets no slot at all.
  const DefragBound d = compute_defrag_bound({2000}, {pending_whole(3, {0})});
  EXPECT_EQ(d.max_flow_milli, 0);
  EXPECT_EQ(d.bound, 0);
}

TEST(DefragBound, MixedWholeSizesStayAnUpperBound) {
  // Two 4-GPU nodes, a 3-GPU pod running on each, a 2-GPU pod pending: one device is free on
  // each node, so it never fits, but the slots (3000 for 3-GPU pods, 4000 for 2-GPU pods) do not
  // see that the 2-GPU pod cannot split across the two nodes: the bound says 1.
  const DefragBound b = compute_defrag_bound(
      {4000, 4000}, {running_whole(3, {0, 1}), running_whole(3, {0, 1}), pending_whole(2, {0, 1})});
  EXPECT_EQ(b.max_flow_milli, 8000);
  EXPECT_EQ(b.bound, 1);
}

TEST(DefragBound, EmptyNetwork) {
  const DefragBound b = compute_defrag_bound({}, {});
  EXPECT_EQ(b.bound, 0);
  EXPECT_EQ(b.max_flow_milli, 0);
}

// A Cluster: two 2-GPU A100 nodes and one 1-GPU H100 node, a 1-GPU pod bound on each A100 node;
// pending: a 2-GPU pod (fits after repacking), a 2-GPU pod for H100 only (never: 1 device), a
// 1-GPU pod that does not tolerate the taint of the H100 node.
class DefragClusterTest : public ::testing::Test {
 protected:
  NodeId add_node(const std::string& name, int gpus, const std::string& model,
                  bool tainted = false) {
    Node n;
    n.meta.name = name;
    n.capacity["cpu"] = *Quantity::parse("16");
    n.capacity["memory"] = *Quantity::parse("64Gi");
    n.capacity["nvidia.com/gpu"] = *Quantity::parse(std::to_string(gpus));
    n.gpu_model = model;
    if (tainted) n.taints.push_back(Taint{"dedicated", "infer", TaintEffect::kNoSchedule, {}});
    return cluster.add_node(std::move(n));
  }
  PodId add_pod(const std::string& name, int gpus, const std::string& models = "") {
    PodTemplate t;
    Container c;
    c.name = "main";
    c.image = "img";
    c.resources.limits["nvidia.com/gpu"] = *Quantity::parse(std::to_string(gpus));
    c.resources.requests["nvidia.com/gpu"] = *Quantity::parse(std::to_string(gpus));
    t.spec.containers.push_back(c);
    if (!models.empty()) t.annotations["gpusim.io/gpu-model"] = models;
    t.finalize();
    Pod p;
    p.name = name;
    p.namespace_ = "default";
    p.tmpl = make_template(std::move(t));
    const CreateResult r = cluster.create_pod(std::move(p));
    EXPECT_TRUE(r.ok()) << r.error;
    return r.id;
  }

  EventLoop loop;
  Cluster cluster{loop, 1};
};

TEST_F(DefragClusterTest, FragmentedClusterState) {
  const NodeId a = add_node("a100-0", 2, "A100");
  const NodeId b = add_node("a100-1", 2, "A100");
  add_node("h100-0", 1, "H100", /*tainted=*/true);
  cluster.bind(add_pod("r0", 1), a, {0});
  cluster.bind(add_pod("r1", 1), b, {1});
  add_pod("big", 2);
  add_pod("h100-only", 2, "H100");
  add_pod("small", 1);
  const DefragBound d = compute_defrag_bound(cluster);
  EXPECT_EQ(d.pending_gpu_pods, 3);
  EXPECT_EQ(d.eligible_pending, 2);  // h100-only needs 2 devices; the H100 node has 1
  EXPECT_EQ(d.gpu_capacity_milli, 5000);
  EXPECT_EQ(d.running_gpu_milli, 2000);
  // Neither pending pod tolerates the H100 node: 4000 on the A100 nodes, 2000 of it running.
  EXPECT_EQ(d.max_flow_milli, 4000);
  EXPECT_EQ(d.pending_flow_milli, 2000);
  EXPECT_EQ(d.bound, 1);  // small (1000) fits; small + big (3000) does not

  // Cordoning a node takes it and its pod out of the network.
  cluster.node(b).unschedulable = true;
  const DefragBound c = compute_defrag_bound(cluster);
  EXPECT_EQ(c.gpu_capacity_milli, 3000);
  EXPECT_EQ(c.running_gpu_milli, 1000);
  EXPECT_EQ(c.max_flow_milli, 2000);
  EXPECT_EQ(c.bound, 1);
}

TEST_F(DefragClusterTest, TwoGpuPodsOnThreeGpuNodes) {
  // The audit's case: two 3-GPU nodes, a 2-GPU pod bound on each, a 2-GPU pod pending. Repacking
  // cannot place it (each node holds one pair of devices).
  const NodeId a = add_node("g-0", 3, "A100");
  const NodeId b = add_node("g-1", 3, "A100");
  cluster.bind(add_pod("p1", 2), a, {0, 1});
  cluster.bind(add_pod("p2", 2), b, {0, 1});
  add_pod("p3", 2);
  const DefragBound d = compute_defrag_bound(cluster);
  EXPECT_EQ(d.pending_gpu_pods, 1);
  EXPECT_EQ(d.eligible_pending, 1);
  EXPECT_EQ(d.gpu_capacity_milli, 6000);
  EXPECT_EQ(d.max_flow_milli, 4000);
  EXPECT_EQ(d.bound, 0);
  // A 1-GPU pod fits on either node's free device.
  add_pod("p4", 1);
  EXPECT_EQ(compute_defrag_bound(cluster).bound, 1);
}

}  // namespace
}  // namespace gpusim
