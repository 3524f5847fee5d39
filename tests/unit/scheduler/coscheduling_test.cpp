// Gang scheduling through the real scheduler: the default profile with Coscheduling, PodGroups,
// pods waiting at Permit with their resources reserved, all-or-nothing binding and timeouts.
#include "scheduler/plugins/coscheduling.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/cluster.hpp"
#include "scheduler/scheduler.hpp"

namespace gpusim::sched {
namespace {

class GangTest : public ::testing::Test, public ClusterObserver {
 protected:
  GangTest() : cluster(loop, 1) {
    cluster.add_observer(this);
    for (int i = 0; i < 2; ++i)
      add_node("gpu-" + std::to_string(i), 4);
    scheduler = std::make_unique<Scheduler>(cluster, loop, SchedulerConfig{}, 1);
  }

  void on_pod_bound(PodId id) override {
    bind_times.push_back(loop.now());
    bound_pods.push_back(cluster.pod(id).name);
  }

  NodeId add_node(const std::string& name, int gpus) {
    Node n;
    n.meta.name = name;
    n.capacity["cpu"] = *Quantity::parse("64");
    n.capacity["memory"] = *Quantity::parse("512Gi");
    n.capacity["pods"] = *Quantity::parse("110");
    n.capacity["nvidia.com/gpu"] = Quantity::from_int(gpus);
    return cluster.add_node(std::move(n));
  }

  static std::shared_ptr<const PodTemplate> gpu_template(int gpus, const std::string& group) {
    PodTemplate t;
    Container c;
    c.name = "train";
    c.resources.requests["cpu"] = *Quantity::parse("4");
    c.resources.limits["cpu"] = *Quantity::parse("4");
    c.resources.requests["nvidia.com/gpu"] = Quantity::from_int(gpus);
    c.resources.limits["nvidia.com/gpu"] = Quantity::from_int(gpus);
    t.spec.containers.push_back(c);
    if (!group.empty()) t.labels[kPodGroupLabel] = group;
    return make_template(std::move(t));
  }

  void add_group(const std::string& name, int min_member,
                 std::optional<std::int64_t> timeout_s = {}) {
    PodGroup g;
    g.meta.name = name;
    g.meta.namespace_ = "ml";
    g.min_member = min_member;
    g.schedule_timeout_s = timeout_s;
    cluster.pod_groups["ml/" + name] = g;
  }

  PodId add_pod(const std::string& name, std::shared_ptr<const PodTemplate> t) {
    Pod p;
    p.name = name;
    p.namespace_ = "ml";
    p.tmpl = std::move(t);
    CreateResult r = cluster.create_pod(std::move(p));
    EXPECT_TRUE(r.ok()) << r.error;
    return r.id;
  }

  std::int64_t table_gpu_requested() const {
    std::int64_t sum = 0;
    const NodeTable& t = scheduler->nodes();
    for (NodeIndex n = 0; n < t.size(); ++n) {
      if (t.live(n)) sum += t.requested(NodeTable::kGpu)[n];
    }
    return sum;
  }
  std::int64_t cluster_gpu_requested() const {
    std::int64_t sum = 0;
    for (NodeId n = 0; n < cluster.node_slots(); ++n) {
      if (cluster.node_exists(n)) sum += cluster.node(n).requested.get("nvidia.com/gpu");
    }
    return sum;
  }

  EventLoop loop;
  Cluster cluster;
  std::unique_ptr<Scheduler> scheduler;
  std::vector<TimeMs> bind_times;
  std::vector<std::string> bound_pods;
};

TEST_F(GangTest, AGangThatFitsIsBoundTogether) {
  add_group("pair", 2);
  const auto t = gpu_template(4, "pair");
  add_pod("pair-0", t);
  add_pod("pair-1", t);
  loop.run(1'000);
  ASSERT_EQ(bound_pods.size(), 2u);
  EXPECT_EQ(bind_times[0], bind_times[1]);
  EXPECT_EQ(scheduler->waiting(), 0u);
  EXPECT_EQ(scheduler->stats().permit_waits, 1u);  // the first waited for the second
  EXPECT_EQ(table_gpu_requested(), cluster_gpu_requested());
  EXPECT_EQ(cluster_gpu_requested(), 8);
}

// The training operator recreates a lost member alone while the others run: the bound members
// count towards minMember at Permit, so the newcomer binds at once without waiting for a gang.
TEST_F(GangTest, AReplacementMemberJoinsItsBoundGang) {
  add_group("pair", 2);
  const auto t = gpu_template(4, "pair");
  add_pod("pair-0", t);
  const PodId second = add_pod("pair-1", t);
  loop.run(1'000);
  ASSERT_EQ(bound_pods.size(), 2u);
  cluster.delete_pod(second);  // e.g. its node drained
  add_pod("pair-1", t);
  loop.run(2'000);
  ASSERT_EQ(bound_pods.size(), 3u);
  EXPECT_EQ(bound_pods.back(), "pair-1");
  EXPECT_EQ(scheduler->stats().permit_waits, 1u);  // only the first gang's first member waited
  EXPECT_EQ(scheduler->waiting(), 0u);
}

TEST_F(GangTest, AGangThatDoesNotFitHoldsNothingAndIsNeverPartiallyBound) {
  add_group("trio", 3, 30);
  const auto t = gpu_template(4, "trio");
  for (int i = 0; i < 3; ++i)
    add_pod("trio-" + std::to_string(i), t);
  loop.run(0);
  // Two members fit and wait, the third does not: the PostFilter rejects the waiting ones.
  EXPECT_TRUE(bound_pods.empty());
  EXPECT_EQ(scheduler->waiting(), 0u);
  EXPECT_EQ(table_gpu_requested(), 0);
  // Non-gang pods can use the GPUs meanwhile.
  const PodId solo = add_pod("solo", gpu_template(2, ""));
  loop.run(100);
  EXPECT_EQ(bound_pods, (std::vector<std::string>{"solo"}));
  cluster.delete_pod(solo);
  // Until something changes in the cluster the rejected gang is not retried.
  const auto attempts = scheduler->stats().attempts;
  loop.run(300'000);
  EXPECT_LE(scheduler->stats().attempts, attempts + 3);
  // A third node arrives: the whole gang is bound at one instant.
  add_node("gpu-2", 4);
  loop.run(600'000);
  ASSERT_EQ(bound_pods.size(), 4u);
  EXPECT_EQ(bind_times[1], bind_times[2]);
  EXPECT_EQ(bind_times[2], bind_times[3]);
  EXPECT_EQ(cluster_gpu_requested(), 12);
  EXPECT_EQ(table_gpu_requested(), 12);
}

TEST_F(GangTest, AnUnplaceableMemberReleasesTheWaitingOnes) {
  // minMember 3 but the group's third pod is not schedulable until a node is uncordoned: the
  // two others wait, holding 8 GPUs in the scheduler's view only, then time out together.
  add_group("late", 3, 20);
  const auto t = gpu_template(2, "late");
  add_pod("late-0", t);
  add_pod("late-1", t);
  const PodId big = add_pod("late-2", gpu_template(8, "late"));  // fits no node
  (void)big;
  loop.run(0);
  EXPECT_EQ(scheduler->waiting(), 0u);  // optimistic rejection when late-2 failed
  EXPECT_TRUE(bound_pods.empty());
  EXPECT_EQ(table_gpu_requested(), 0);
}

TEST_F(GangTest, TooFewMembersIsUnresolvableAtPreFilter) {
  add_group("quad", 4);
  const auto t = gpu_template(1, "quad");
  for (int i = 0; i < 3; ++i)
    add_pod("quad-" + std::to_string(i), t);
  loop.run(1'000);
  EXPECT_TRUE(bound_pods.empty());
  EXPECT_EQ(scheduler->waiting(), 0u);
  EXPECT_EQ(scheduler->stats().permit_waits, 0u);
  // The fourth member arrives; a cluster event (here a new node) retries the others.
  add_pod("quad-3", t);
  add_node("gpu-2", 4);
  loop.run(120'000);
  EXPECT_EQ(bound_pods.size(), 4u);
}

TEST_F(GangTest, TimeoutRejectsTheWholeWaitingGang) {
  // Members wait for a sibling that PreFilter lets through but that is gated by a scheduling
  // gate, so it never reaches Permit: the others wait until the group's timeout.
  add_group("gated", 3, 15);
  const auto t = gpu_template(1, "gated");
  add_pod("gated-0", t);
  add_pod("gated-1", t);
  PodTemplate gt = *t;
  gt.spec.scheduling_gates.push_back("example.com/hold");
  add_pod("gated-2", make_template(std::move(gt)));
  loop.run(14'999);
  EXPECT_EQ(scheduler->waiting(), 2u);
  EXPECT_EQ(table_gpu_requested(), 2);    // reserved in the scheduler's cache
  EXPECT_EQ(cluster_gpu_requested(), 0);  // nothing bound
  loop.run(15'000);
  EXPECT_EQ(scheduler->waiting(), 0u);
  EXPECT_EQ(table_gpu_requested(), 0);
  EXPECT_TRUE(bound_pods.empty());
  EXPECT_GE(scheduler->stats().permit_rejections, 2u);
}

TEST_F(GangTest, PodsOutsideAGroupAreNotGated) {
  add_pod("plain-0", gpu_template(4, ""));
  add_pod("plain-1", gpu_template(4, ""));
  add_pod("plain-2", gpu_template(4, ""));  // does not fit; the others bind anyway
  loop.run(1'000);
  EXPECT_EQ(bound_pods.size(), 2u);
  EXPECT_EQ(scheduler->stats().permit_waits, 0u);
}

}  // namespace
}  // namespace gpusim::sched
