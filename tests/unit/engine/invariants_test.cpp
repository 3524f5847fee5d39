// The invariant checker fires: each test plants one violation in a cluster by hand (what a bug in
// binding, accounting or quota admission would leave) and expects the checker to report it,
// and a clean state next to it not to be reported.
#include "engine/invariants.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/policies/gpu_test_cluster.hpp"

namespace gpusim::engine {
namespace {

class InvariantPlant : public ::testing::Test {
 protected:
  InvariantPlant() : cluster(loop, 1), checker(cluster, loop, nullptr) {
    cluster.add_observer(&checker);
  }

  NodeId node(const std::string& name, std::int64_t cpu_milli, int gpus) {
    Node n;
    n.meta.name = name;
    n.capacity["cpu"] = Quantity::from_milli(cpu_milli);
    n.capacity["memory"] = *Quantity::parse("64Gi");
    n.capacity["pods"] = Quantity::from_int(110);
    if (gpus > 0) n.capacity["nvidia.com/gpu"] = Quantity::from_int(gpus);
    return cluster.add_node(std::move(n));
  }

  PodId pod(const std::string& name, const gputest::PodShape& s, const std::string& group = {}) {
    Pod p;
    p.name = name;
    p.namespace_ = "default";
    PodTemplate t = *gputest::pod_template(s);
    if (!group.empty()) t.labels[kPodGroupLabel] = group;
    p.tmpl = make_template(std::move(t));
    const CreateResult r = cluster.create_pod(std::move(p));
    EXPECT_TRUE(r.ok()) << r.error;
    return r.id;
  }

  std::vector<std::string> reported(const std::string& invariant) const {
    std::vector<std::string> out;
    for (const auto& v : checker.violations()) {
      if (v.invariant == invariant) out.push_back(v.detail);
    }
    return out;
  }

  EventLoop loop;
  Cluster cluster;
  InvariantChecker checker;
};

TEST_F(InvariantPlant, ANodeOverItsAllocatableIsReported) {
  const NodeId full = node("full", 1000, 0);
  const NodeId fine = node("fine", 4000, 0);
  cluster.bind(pod("a", {1000}), fine, {});
  checker.check_all();
  EXPECT_EQ(checker.violation_count(), 0u);
  // Binding does not check capacity (the scheduler does): two 1-CPU pods on a 1-CPU node.
  cluster.bind(pod("b", {1000}), full, {});
  cluster.bind(pod("c", {1000}), full, {});
  checker.check();
  const auto r = reported("node-capacity");
  ASSERT_EQ(r.size(), 1u) << checker.violation_count();
  EXPECT_EQ(r[0], "node full: pods request 2000 cpu, allocatable 1000");
}

TEST_F(InvariantPlant, AGpuDeviceHeldByTwoPodsIsReported) {
  const NodeId n = node("gpu", 8000, 2);
  const PodId a = pod("a", {1000, 1});
  const PodId b = pod("b", {1000, 1});
  cluster.bind(a, n, {0});
  cluster.bind(b, n, {1});
  checker.check_all();
  EXPECT_EQ(checker.violation_count(), 0u);
  // What a device-accounting bug would leave: b moved onto device 0 with a.
  Node& node_ref = cluster.node(n);
  node_ref.gpus[1].holders.clear();
  node_ref.gpus[1].used_milli = 0;
  node_ref.gpus[0].holders.push_back(b);
  node_ref.gpus[0].used_milli = 2000;
  cluster.pod(b).status.gpu_devices = {0};
  checker.check_all();
  const auto r = reported("gpu-devices");
  ASSERT_EQ(r.size(), 2u) << checker.violation_count();
  EXPECT_EQ(r[0], "node gpu GPU 0 is held by 2 pods, not all sharing it");
  EXPECT_EQ(r[1], "node gpu GPU 0 uses 2000 milli-GPU, its holders 2000");
}

TEST_F(InvariantPlant, QuotaUsedOverHardIsReportedWhenItGrows) {
  ResourceQuota q;
  q.meta.name = "gpu";
  q.meta.namespace_ = "team-a";
  q.hard["requests.nvidia.com/gpu"] = Quantity::from_int(2);
  q.status_hard = q.hard;
  q.status_used["requests.nvidia.com/gpu"] = Quantity::from_int(2);
  cluster.quotas["team-a/gpu"] = q;
  checker.check_all();
  EXPECT_EQ(checker.violation_count(), 0u);  // at hard is within it
  // Admission let one more through.
  cluster.quotas["team-a/gpu"].status_used["requests.nvidia.com/gpu"] = Quantity::from_int(3);
  checker.check_all();
  auto r = reported("quota");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], "quota team-a/gpu: used requests.nvidia.com/gpu=3 exceeds hard 2");
  // Still 3: reported once, not at every event; a further increase is reported again.
  checker.check_all();
  EXPECT_EQ(reported("quota").size(), 1u);
  cluster.quotas["team-a/gpu"].status_used["requests.nvidia.com/gpu"] = Quantity::from_int(4);
  checker.check_all();
  r = reported("quota");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1], "quota team-a/gpu: used requests.nvidia.com/gpu=4 exceeds hard 2");
}

TEST_F(InvariantPlant, AGangPartlyBoundPastItsTimeoutIsReported) {
  checker.attach();
  PodGroup g;
  g.meta.name = "gang";
  g.meta.namespace_ = "default";
  g.min_member = 2;
  g.schedule_timeout_s = 10;
  cluster.pod_groups["default/gang"] = g;
  const NodeId n = node("n", 8000, 0);
  pod("gang-1", {1000}, "gang");
  const PodId first = pod("gang-0", {1000}, "gang");
  // One of two members bound, the other never: the scheduler's Permit should have given the
  // first back after 10 s. The limit is the timeout plus twice the 30 s grace period: 70 s.
  loop.at(1'000, EventPriority::kApi, [&] { cluster.bind(first, n, {}); });
  loop.at(71'000, EventPriority::kApi, [] {});
  loop.run(71'000);
  EXPECT_TRUE(reported("gang").empty()) << "reported before the limit";
  loop.at(71'001, EventPriority::kApi, [] {});
  loop.run(71'001);
  const auto r = reported("gang");
  ASSERT_EQ(r.size(), 1u) << checker.violation_count();
  EXPECT_EQ(r[0], "PodGroup default/gang has 1 of minMember 2 members bound since t=1000 ms");
  EXPECT_EQ(checker.violation_count(), 1u);
}

}  // namespace
}  // namespace gpusim::engine
