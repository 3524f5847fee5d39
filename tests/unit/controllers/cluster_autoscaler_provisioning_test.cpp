// Failed provisioning, as upstream cluster-autoscaler's clusterstate handles it: a scale-up whose
// nodes do not register within --max-node-provision-time times out, the cloud's refusals
// (out of resources) are found at the next scan, the group backs off exponentially and the
// pods go to another group meanwhile. Expected values are upstream's with its default flags.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controllers/cluster_autoscaler.hpp"
#include "controllers/node_group_backoff.hpp"
#include "unit/controllers/cluster_autoscaler_fixture.hpp"

namespace gpusim::ctrl {
namespace {

using testing_ca::ClusterAutoscalerTest;
using testing_ca::kMinute;

TEST(NodeGroupBackoff, DoublesAfterEachFailureUpToTheMaxAndResetsAfterThreeHours) {
  // Upstream's defaults: 5m initial, 30m max, reset 3h after the last failure.
  NodeGroupBackoff b(5 * kMinute, 30 * kMinute, 180 * kMinute);
  EXPECT_FALSE(b.backed_off("a", 0));
  TimeMs t = 0;
  std::vector<TimeMs> durations;
  for (int i = 0; i < 6; ++i) {
    const TimeMs until = b.backoff("a", t);
    durations.push_back(until - t);
    EXPECT_TRUE(b.backed_off("a", until - 1));
    EXPECT_FALSE(b.backed_off("a", until));  // upstream: backoffUntil.After(now)
    t = until + 10'000;                      // the next scan after it ran out fails again
  }
  EXPECT_EQ(durations, (std::vector<TimeMs>{5 * kMinute, 10 * kMinute, 20 * kMinute, 30 * kMinute,
                                            30 * kMinute, 30 * kMinute}));
  EXPECT_FALSE(b.backed_off("b", t));  // per group

  // A failure during a back-off (another instance of the same scale-up) restarts it without
  // doubling; one at the very instant it ends counts as during it.
  NodeGroupBackoff c(5 * kMinute, 30 * kMinute, 180 * kMinute);
  c.backoff("a", 0);
  EXPECT_EQ(c.backoff("a", 2 * kMinute), 7 * kMinute);
  EXPECT_EQ(c.backoff("a", 7 * kMinute), 12 * kMinute);
  EXPECT_EQ(c.backoff("a", 12 * kMinute + 1), 22 * kMinute + 1);

  // Three hours after the last failure the record goes: the next failure is a first one.
  c.remove_stale(12 * kMinute + 1 + 180 * kMinute);  // not yet: strictly after
  EXPECT_EQ(c.until("a"), 22 * kMinute + 1);
  c.remove_stale(12 * kMinute + 2 + 180 * kMinute);
  EXPECT_EQ(c.until("a"), 0);
  EXPECT_EQ(c.backoff("a", 300 * kMinute), 305 * kMinute);
  c.remove("a");
  EXPECT_FALSE(c.backed_off("a", 300 * kMinute));
}

class ProvisioningTest : public ClusterAutoscalerTest {
 protected:
  // The time of every event of `type` about `object`.
  std::vector<TimeMs> all(const std::string& type, const std::string& object) const {
    std::vector<TimeMs> out;
    for (const auto& e : log.events) {
      if (e.type == type && e.object == object) out.push_back(e.t_ms);
    }
    return out;
  }
  std::string message(const std::string& type, const std::string& object) const {
    for (const auto& e : log.events) {
      if (e.type == type && e.object == object) return e.message;
    }
    return {};
  }
  int bound_in(const std::string& pool) {
    int n = 0;
    cluster.for_each_pod([&](PodId, const Pod& p) {
      n += p.bound() && cluster.node(p.status.node).pool == pool ? 1 : 0;
    });
    return n;
  }
  void stock_out(const std::string& pool) {
    cluster.emit(ClusterEvent{0, "StockOut", "NodePool", pool, {}, "test", true});
  }
  void restock(const std::string& pool) {
    cluster.emit(ClusterEvent{0, "Restock", "NodePool", pool, {}, "test", false});
  }
};

TEST_F(ProvisioningTest, NodesThatDoNotRegisterWithinTheProvisionTimeAreGivenUp) {
  // 20 minutes to provision, 15 to wait: the scale-up times out, the group backs off for 5
  // minutes and the node that would have joined at 20 minutes never does.
  NodeGroup gpu = group("gpu", 8, 0, 4);
  gpu.provisioning_delay_ms = 20 * kMinute;
  start_autoscaler({gpu});
  const PodId p = add_pod(gpu_pod("train", 8));
  loop.run(kMinute);
  const TimeMs up = first("ScaledUpGroup", "gpu");
  ASSERT_GE(up, 0);
  ASSERT_EQ(autoscaler->stats("gpu").upcoming, 1);

  // Still waiting at exactly 15 minutes (upstream: ExpectedAddTime.Before(now)).
  loop.run(up + 15 * kMinute);
  EXPECT_EQ(count("ScaleUpTimedOut"), 0);
  EXPECT_EQ(autoscaler->stats("gpu").upcoming, 1);

  loop.run(up + 15 * kMinute + 10'000);  // the next scan
  EXPECT_EQ(all("ScaleUpTimedOut", "gpu"), (std::vector<TimeMs>{up + 15 * kMinute + 10'000}));
  EXPECT_EQ(message("ScaleUpTimedOut", "gpu"),
            "Nodes added to group gpu failed to register within 15m10s");
  EXPECT_EQ(count("DeleteUnregistered", "gpu"), 1);
  EXPECT_EQ(autoscaler->stats("gpu").upcoming, 0);
  EXPECT_EQ(autoscaler->stats("gpu").nodes_failed, 1);
  EXPECT_EQ(autoscaler->stats("gpu").failed_scale_ups, 1);
  EXPECT_TRUE(autoscaler->backed_off("gpu"));
  EXPECT_EQ(autoscaler->backoff_until("gpu"), up + 20 * kMinute + 10'000);

  // The deleted instance never joins; once the back-off is over the group is tried again.
  loop.run(up + 20 * kMinute + 5'000);
  EXPECT_EQ(autoscaler->size("gpu"), 0);
  EXPECT_EQ(autoscaler->stats("gpu").nodes_added, 0);
  EXPECT_EQ(count("ScaledUpGroup", "gpu"), 1);
  EXPECT_EQ(count("NotTriggerScaleUp", "default/train"), 1);
  EXPECT_NE(
      message("NotTriggerScaleUp", "default/train").find("1 in backoff after failed scale-up"),
      std::string::npos);
  loop.run(up + 20 * kMinute + 10'000);
  EXPECT_EQ(count("ScaledUpGroup", "gpu"), 2);
  EXPECT_FALSE(cluster.pod(p).bound());
}

TEST_F(ProvisioningTest, ATimedOutGroupsPodsGoToAnotherGroupInTheSameScan) {
  // The price expander prefers the cheap group, whose nodes never register; when its
  // scale-up times out, the same scan grows the dear one.
  NodeGroup cheap = cpu_group("cheap", "8", "32Gi", 10, 400'000);
  cheap.provisioning_failure_probability = 1.0;
  NodeGroup dear = cpu_group("dear", "8", "32Gi", 10, 500'000);
  AutoscalerOptions options;
  options.expander = {"price"};
  start_autoscaler({cheap, dear}, options);
  for (int i = 0; i < 3; ++i)
    add_pod(cpu_pod("web-" + std::to_string(i), "6", "1Gi"));
  loop.run(60 * kMinute);
  ASSERT_EQ(count("ScaledUpGroup", "cheap"), 1);
  const TimeMs timeout = first("ScaleUpTimedOut", "cheap");
  ASSERT_GT(timeout, first("ScaledUpGroup", "cheap") + 15 * kMinute);
  EXPECT_EQ(first("ScaledUpGroup", "dear"), timeout);
  EXPECT_EQ(count("DeleteUnregistered", "cheap"), 3);
  EXPECT_EQ(autoscaler->stats("cheap").nodes_failed, 3);
  EXPECT_EQ(bound_in("dear"), 3);
  EXPECT_EQ(bound_in("cheap"), 0);
  // The pods were placed before the back-off ran out: cheap was not asked again.
  EXPECT_EQ(count("ScaledUpGroup", "cheap"), 1);
}

TEST_F(ProvisioningTest, AStockOutFailsAtTheNextScanAndThePodsGoElsewhere) {
  NodeGroup cheap = cpu_group("cheap", "8", "32Gi", 10, 400'000);
  NodeGroup dear = cpu_group("dear", "8", "32Gi", 10, 500'000);
  AutoscalerOptions options;
  options.expander = {"price"};
  start_autoscaler({cheap, dear}, options);
  stock_out("cheap");
  for (int i = 0; i < 2; ++i)
    add_pod(cpu_pod("web-" + std::to_string(i), "6", "1Gi"));
  loop.run(30 * kMinute);
  const TimeMs up = first("ScaledUpGroup", "cheap");
  ASSERT_GE(up, 0);
  // Upstream sees the instances' errors (class OutOfResource) when it next lists them.
  EXPECT_EQ(all("ScaleUpFailed", "cheap"), (std::vector<TimeMs>{up + 10'000}));
  EXPECT_EQ(message("ScaleUpFailed", "cheap"),
            "Failed adding 2 nodes to group cheap due to OutOfResource.RESOURCE_POOL_EXHAUSTED; "
            "source errors: the cloud is out of capacity for cheap");
  EXPECT_EQ(first("ScaledUpGroup", "dear"), up + 10'000);
  EXPECT_EQ(autoscaler->backoff_until("cheap"), up + 10'000 + 5 * kMinute);
  EXPECT_EQ(autoscaler->stats("cheap").nodes_failed, 2);
  EXPECT_EQ(count("ScaleUpTimedOut"), 0);
  EXPECT_EQ(bound_in("dear"), 2);

  // Capacity back: new pods go to the cheap group again once its back-off is over.
  restock("cheap");
  add_pod(cpu_pod("web-late", "6", "1Gi"));
  loop.run(60 * kMinute);
  EXPECT_EQ(bound_in("cheap"), 1);
  EXPECT_EQ(autoscaler->stats("cheap").nodes_added, 1);
}

TEST_F(ProvisioningTest, ACapacityLimitRefusesOnlyTheNodesPastIt) {
  // Four nodes asked of a group the cloud gives two: two join, two fail at the next scan and
  // the other group takes their pods. The request's two remaining nodes registering ends the
  // back-off early (upstream's RemoveBackoff when a scale-up completes).
  NodeGroup cheap = cpu_group("cheap", "8", "32Gi", 10, 400'000);
  cheap.capacity = 2;
  cheap.provisioning_delay_ms = 2 * kMinute;
  NodeGroup dear = cpu_group("dear", "8", "32Gi", 10, 500'000);
  AutoscalerOptions options;
  options.expander = {"price"};
  start_autoscaler({cheap, dear}, options);
  for (int i = 0; i < 4; ++i)
    add_pod(cpu_pod("web-" + std::to_string(i), "6", "1Gi"));
  loop.run(kMinute);
  const TimeMs up = first("ScaledUpGroup", "cheap");
  EXPECT_NE(message("ScaledUpGroup", "cheap").find("cheap 0->4"), std::string::npos);
  EXPECT_EQ(message("ScaleUpFailed", "cheap"),
            "Failed adding 2 nodes to group cheap due to OutOfResource.QUOTA_EXCEEDED; source "
            "errors: the cloud provides at most 2 instances of cheap");
  EXPECT_EQ(first("ScaleUpFailed", "cheap"), up + 10'000);
  EXPECT_EQ(first("ScaledUpGroup", "dear"), up + 10'000);
  EXPECT_EQ(autoscaler->backoff_until("cheap"), up + 10'000 + 5 * kMinute);
  loop.run(up + 3 * kMinute);
  EXPECT_EQ(autoscaler->size("cheap"), 2);
  EXPECT_FALSE(autoscaler->backed_off("cheap"));
  loop.run(30 * kMinute);
  EXPECT_EQ(autoscaler->size("cheap"), 2);
  EXPECT_EQ(autoscaler->size("dear"), 2);
  EXPECT_EQ(bound_in("cheap") + bound_in("dear"), 4);
  EXPECT_EQ(autoscaler->stats("cheap").nodes_failed, 2);
}

TEST_F(ProvisioningTest, TheBackOffDoublesWhileTheCloudKeepsRefusing) {
  // One group, no capacity at all: every attempt fails a scan later and the waits between
  // attempts grow 5, 10, 20, 30, 30 minutes.
  NodeGroup gpu = group("gpu", 8, 0, 4);
  gpu.capacity = 0;
  start_autoscaler({gpu});
  add_pod(gpu_pod("train", 8));
  loop.run(180 * kMinute);
  const std::vector<TimeMs> failed = all("ScaleUpFailed", "gpu");
  const std::vector<TimeMs> ups = all("ScaledUpGroup", "gpu");
  ASSERT_GE(failed.size(), 6u);
  ASSERT_GE(ups.size(), failed.size());
  std::vector<TimeMs> waits;
  for (std::size_t i = 0; i + 1 < failed.size() && i < 5; ++i) {
    EXPECT_EQ(failed[i], ups[i] + 10'000);  // refused instances are found at the next scan
    waits.push_back(ups[i + 1] - failed[i]);
  }
  EXPECT_EQ(waits, (std::vector<TimeMs>{5 * kMinute, 10 * kMinute, 20 * kMinute, 30 * kMinute,
                                        30 * kMinute}));
  EXPECT_EQ(autoscaler->size("gpu"), 0);
  EXPECT_EQ(autoscaler->stats("gpu").nodes_added, 0);
}

// A stock-out with no restock coming, or a cloud capacity used up, fails every retry: the
// back-off keeps growing to its 30 minutes, and while nothing else happens in a run without a
// duration, the retries must not keep the run going (to spec.maxTime, a year by default). The
// scale-up is still asked for and refused, and the refusal seen; then the run ends, as the end
// of the back-off would bring only another refusal.
class HopelessRetryTest : public ProvisioningTest {
 protected:
  void run_idle(const NodeGroup& gpu, bool stocked_out) {
    start_autoscaler({gpu});
    if (stocked_out) stock_out("gpu");
    add_pod(gpu_pod("train", 8));
    loop.set_stop_when_idle(true);
    loop.run(30 * 24 * 60 * kMinute);
    ASSERT_EQ(count("ScaleUpFailed", "gpu"), 1);
    EXPECT_EQ(count("ScaledUpGroup", "gpu"), 1);
    EXPECT_EQ(count("BackOff", "gpu"), 1);
    EXPECT_TRUE(autoscaler->backed_off("gpu"));
    EXPECT_TRUE(loop.idle());
    EXPECT_LT(loop.now(), first("ScaleUpFailed", "gpu") + 5 * kMinute);
  }
};

TEST_F(HopelessRetryTest, AStockOutWithoutARestockLetsAnIdleRunEnd) {
  run_idle(group("gpu", 8, 0, 4), true);
}

TEST_F(HopelessRetryTest, ACapacityUsedUpLetsAnIdleRunEnd) {
  NodeGroup gpu = group("gpu", 8, 0, 4);
  gpu.capacity = 0;
  run_idle(gpu, false);
}

// The same stock-out, then capacity comes back: the Restock keeps the run alive through the
// rest of the back-off, and the retry after it gets the node.
TEST_F(ProvisioningTest, ARestockKeepsTheRunAliveUntilTheRetry) {
  NodeGroup gpu = group("gpu", 8, 0, 4);
  start_autoscaler({gpu});
  stock_out("gpu");
  const PodId p = add_pod(gpu_pod("train", 8));
  loop.set_stop_when_idle(true);
  loop.run(30 * 24 * 60 * kMinute);
  ASSERT_EQ(count("ScaleUpFailed", "gpu"), 1);
  const TimeMs until = autoscaler->backoff_until("gpu");
  restock("gpu");
  loop.run(30 * 24 * 60 * kMinute);
  EXPECT_EQ(count("ScaleUpFailed", "gpu"), 1);
  EXPECT_EQ(count("ScaledUpGroup", "gpu"), 2);
  EXPECT_GE(first("Scheduled", "default/train"), until);
  EXPECT_TRUE(cluster.pod(p).bound());
}

// A group at its cloud capacity: the refused retry lets an idle run end, but a node of the group
// going away frees an instance, and the run goes on to the retry that gets it (the removal
// sends the pending pod back to the scheduler, whose FailedScheduling prompts a scan that finds
// the group no longer refused). The node is a cordoned, empty one: no pod of its own moves.
TEST_F(ProvisioningTest, ANodeLeavingAGroupAtCapacityKeepsTheRunAliveUntilTheRetry) {
  NodeGroup gpu = group("gpu", 8, 0, 4);
  gpu.capacity = 1;
  start_autoscaler({gpu});
  const NodeId old = add_group_node(gpu);
  cluster.node(old).unschedulable = true;
  cluster.node_changed(old);
  const PodId p = add_pod(gpu_pod("train", 8));
  loop.set_stop_when_idle(true);
  loop.run(30 * 24 * 60 * kMinute);
  ASSERT_FALSE(cluster.pod(p).bound());
  ASSERT_EQ(count("ScaleUpFailed", "gpu"), 1);
  EXPECT_NE(message("ScaleUpFailed", "gpu").find("QUOTA_EXCEEDED"), std::string::npos);
  ASSERT_TRUE(autoscaler->backed_off("gpu"));
  const TimeMs until = autoscaler->backoff_until("gpu");
  const int attempts = count("FailedScheduling", "default/train");
  cluster.remove_node(old);
  loop.run(30 * 24 * 60 * kMinute);
  EXPECT_GT(count("FailedScheduling", "default/train"), attempts);
  EXPECT_EQ(count("ScaleUpFailed", "gpu"), 1);
  EXPECT_GE(first("Scheduled", "default/train"), until);
  EXPECT_TRUE(cluster.pod(p).bound());
}

TEST_F(ProvisioningTest, AFailureProbabilityIsDrawnPerNode) {
  // Half of a group's nodes never register (drawn from the autoscaler's own seeded stream).
  NodeGroup gpu = group("gpu", 8, 0, 20);
  gpu.provisioning_failure_probability = 0.5;
  start_autoscaler({gpu});
  for (int i = 0; i < 10; ++i)
    add_pod(gpu_pod("train-" + std::to_string(i), 8));
  loop.run(10 * kMinute);
  const NodeGroupStats& st = autoscaler->stats("gpu");
  // Joined or still waiting out the provision time: all ten asked for, some never to come.
  EXPECT_EQ(st.nodes_added + st.upcoming, 10);
  EXPECT_GT(st.upcoming, 0);
  EXPECT_LT(st.upcoming, 10);
  loop.run(16 * kMinute);
  EXPECT_EQ(autoscaler->stats("gpu").nodes_failed, 10 - st.nodes_added);
  EXPECT_EQ(count("ScaleUpTimedOut", "gpu"), 1);
}

}  // namespace
}  // namespace gpusim::ctrl
