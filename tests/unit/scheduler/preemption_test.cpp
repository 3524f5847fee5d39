// DefaultPreemption through the scheduler actor: minimal victim sets, the node choice, PDBs,
// preemptionPolicy, GPU devices.
#include <gtest/gtest.h>

#include <algorithm>

#include "scheduler_fixture.hpp"

namespace gpusim {
namespace {

using testing_util::NodeSpec;
using testing_util::PodSpecBuilder;
using testing_util::SchedulerFixture;

class PreemptionTest : public SchedulerFixture {
 protected:
  // Victims leave one second after the preemption, as a graceful deletion would.
  void start_with_evictor() {
    start();
    scheduler->set_evictor([this](PodId victim, PodId) {
      victims.push_back(cluster.pod(victim).name);
      const PodRef ref = cluster.ref(victim);
      loop.after(1000, EventPriority::kApi, [this, ref] {
        if (cluster.pod_if(ref)) cluster.delete_pod(ref.id);
      });
    });
  }

  // Victims are asked to leave (deletion requested) but stay until the test deletes them: the
  // names asked, in order, are in `asked`.
  void ask_victims_to_leave() {
    scheduler->set_evictor([this](PodId victim, PodId) {
      asked.push_back(cluster.pod(victim).name);
      cluster.request_deletion(victim);
    });
  }

  // Binds filler pods first so the preemptor meets a full cluster.
  PodId place(PodSpecBuilder b) {
    const PodId id = add_pod(b);
    run();
    EXPECT_NE(node_of(id), "") << b.name;
    return id;
  }

  std::vector<std::string> victims;
  std::vector<std::string> asked;
};

TEST_F(PreemptionTest, EvictsTheFewestLowestPriorityPods) {
  add_node({.name = "n1", .cpu = "4"});
  start_with_evictor();
  for (int prio = 1; prio <= 4; ++prio)
    place({.name = "low" + std::to_string(prio), .cpu = "1", .priority = prio});
  const PodId high = add_pod({.name = "high", .cpu = "2", .priority = 100});
  run();
  // Removing everything fits; low4 and low3 are reprieved (most important first), low2 and
  // low1 are not.
  EXPECT_EQ(victims, (std::vector<std::string>{"low2", "low1"}));
  EXPECT_EQ(node_of(high), "n1");
  EXPECT_EQ(scheduler->stats().preemptions, 1u);
  const std::string msg = log.failed("default/high");
  EXPECT_EQ(
      msg,
      "0/1 nodes are available: 1 Insufficient cpu. preemption: nominated node n1, 2 victim(s).");
  const Node& n = cluster.node(0);
  EXPECT_LE(n.requested.get("cpu"), n.allocatable_units.get("cpu"));
}

TEST_F(PreemptionTest, PrefersTheNodeWithTheLowestPriorityVictims) {
  add_node({.name = "n1", .cpu = "2"});
  add_node({.name = "n2", .cpu = "2"});
  start_with_evictor();
  place({.name = "important", .cpu = "2", .priority = 10});
  place({.name = "cheap", .cpu = "2", .priority = 5});
  const PodId high = add_pod({.name = "high", .cpu = "1", .priority = 100});
  run();
  EXPECT_EQ(victims, (std::vector<std::string>{"cheap"}));
  EXPECT_EQ(node_of(high), node_of(cluster.find_pod("default", "important")) == "n1" ? "n2" : "n1");
}

TEST_F(PreemptionTest, FewerVictimsWinAtEqualPriority) {
  add_node({.name = "n1", .cpu = "2"});
  add_node({.name = "n2", .cpu = "2"});
  start_with_evictor();
  // n1: two 1-cpu pods, n2: one 2-cpu pod, all priority 1.
  place({.name = "a",
         .cpu = "1",
         .priority = 1,
         .node_selector = {{"kubernetes.io/hostname", "n1"}}});
  place({.name = "b",
         .cpu = "1",
         .priority = 1,
         .node_selector = {{"kubernetes.io/hostname", "n1"}}});
  place({.name = "c",
         .cpu = "2",
         .priority = 1,
         .node_selector = {{"kubernetes.io/hostname", "n2"}}});
  const PodId high = add_pod({.name = "high", .cpu = "2", .priority = 100});
  run();
  // Equal highest victim priority; n2's sum (one victim) is smaller than n1's (two).
  EXPECT_EQ(victims, (std::vector<std::string>{"c"}));
  EXPECT_EQ(node_of(high), "n2");
}

TEST_F(PreemptionTest, PodDisruptionBudgetsSteerTheChoice) {
  add_node({.name = "n1", .cpu = "2"});
  add_node({.name = "n2", .cpu = "2"});
  add_pdb("default", "protect", {{"app", "protected"}}, 0);
  start_with_evictor();
  place({.name = "guarded",
         .cpu = "2",
         .priority = 1,
         .labels = {{"app", "protected"}},
         .node_selector = {{"kubernetes.io/hostname", "n1"}}});
  place({.name = "free",
         .cpu = "2",
         .priority = 5,
         .node_selector = {{"kubernetes.io/hostname", "n2"}}});
  const PodId high = add_pod({.name = "high", .cpu = "1", .priority = 100});
  run();
  // Evicting "guarded" would violate its budget; fewer violations beat lower priority.
  EXPECT_EQ(victims, (std::vector<std::string>{"free"}));
  EXPECT_EQ(node_of(high), "n2");
}

TEST_F(PreemptionTest, PreemptionPolicyNever) {
  add_node({.name = "n1", .cpu = "1"});
  start_with_evictor();
  place({.name = "low", .cpu = "1", .priority = 1});
  const PodId high = add_pod(
      {.name = "high", .cpu = "1", .priority = 100, .preemption_policy = PreemptionPolicy::kNever});
  run();
  EXPECT_TRUE(victims.empty());
  EXPECT_EQ(node_of(high), "");
  EXPECT_EQ(log.failed("default/high"),
            "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to "
            "preemptionPolicy=Never.");
}

TEST_F(PreemptionTest, NothingOfLowerPriority) {
  add_node({.name = "n1", .cpu = "1"});
  add_node({.name = "n2", .cpu = "1", .labels = {{"team", "other"}}});
  start_with_evictor();
  place({.name = "peer",
         .cpu = "1",
         .priority = 100,
         .node_selector = {{"kubernetes.io/hostname", "n1"}}});
  place({.name = "low",
         .cpu = "1",
         .priority = 1,
         .node_selector = {{"kubernetes.io/hostname", "n2"}}});
  // n2 is excluded by the selector (unresolvable); n1 holds only an equal-priority pod.
  const PodId high = add_pod({.name = "high",
                              .cpu = "1",
                              .priority = 100,
                              .node_selector = {{"kubernetes.io/hostname", "n1"}}});
  run();
  EXPECT_TRUE(victims.empty());
  EXPECT_EQ(node_of(high), "");
  EXPECT_EQ(log.failed("default/high"),
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node "
            "affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found "
            "for incoming pod, 1 Preemption is not helpful for scheduling.");
}

TEST_F(PreemptionTest, GpuDevicesAreFreedForTheNewPod) {
  add_node({.name = "g", .cpu = "16", .gpus = 2, .gpu_model = "A100"});
  start_with_evictor();
  const PodId a = place({.name = "a", .gpus = 1, .priority = 5});
  const PodId b = place({.name = "b", .gpus = 1, .priority = 1});
  ASSERT_EQ(cluster.pod(b).status.gpu_devices, (std::vector<std::int32_t>{1}));
  const PodId high = add_pod({.name = "high", .gpus = 1, .priority = 100});
  run();
  EXPECT_EQ(victims, (std::vector<std::string>{"b"}));
  EXPECT_EQ(node_of(high), "g");
  EXPECT_EQ(cluster.pod(high).status.gpu_devices, (std::vector<std::int32_t>{1}));
  EXPECT_EQ(cluster.pod(a).status.gpu_devices, (std::vector<std::int32_t>{0}));
}

TEST_F(PreemptionTest, SharedGpuPreemptionFreesOneDevice) {
  add_node({.name = "g", .cpu = "16", .gpus = 1, .gpu_model = "A100"});
  start_with_evictor();
  place({.name = "s1", .gpu_milli = 500, .priority = 2});
  place({.name = "s2", .gpu_milli = 300, .priority = 1});
  const PodId high = add_pod({.name = "high", .gpu_milli = 400, .priority = 100});
  run();
  // Freeing s2 alone leaves 500 milli: enough for 400.
  EXPECT_EQ(victims, (std::vector<std::string>{"s2"}));
  EXPECT_EQ(node_of(high), "g");
  EXPECT_LE(cluster.node(0).gpus[0].used_milli, 1000);
}

TEST_F(PreemptionTest, WaitsForTerminatingVictimsOnTheNominatedNode) {
  add_node({.name = "n1", .cpu = "2"});
  start();
  // Victims are asked to leave but take a while (no deletion here): the preemptor keeps its
  // nomination instead of preempting again.
  ask_victims_to_leave();
  place({.name = "low", .cpu = "2", .priority = 1});
  const PodId high = add_pod({.name = "high", .cpu = "2", .priority = 100});
  run();
  EXPECT_EQ(asked, (std::vector<std::string>{"low"}));
  EXPECT_EQ(cluster.pod(high).status.nominated_node, "n1");
  // Any cluster change retries the pod; it must not pick new victims while "low" terminates.
  add_node({.name = "tiny", .cpu = "100m"});
  run();
  EXPECT_EQ(asked, (std::vector<std::string>{"low"}));
  EXPECT_NE(log.failed("default/high")
                .find("not eligible due to a terminating pod on the nominated node."),
            std::string::npos)
      << log.failed("default/high");
}

// The nominee keeps the room it freed across failed retries: a lower-priority pod that comes
// while the preemptor waits out its back-off does not take it (upstream's Filter counts nominated
// pods of equal or higher priority).
TEST_F(PreemptionTest, ANomineeKeepsItsRoomAcrossFailedRetries) {
  add_node({.name = "n1", .cpu = "8"});
  start();
  ask_victims_to_leave();
  const PodId low = place({.name = "low", .cpu = "8", .priority = 1});
  const PodId mid = add_pod({.name = "mid", .cpu = "6", .priority = 100});
  run();
  ASSERT_EQ(cluster.pod(mid).status.nominated_node, "n1");
  add_node({.name = "tiny", .cpu = "100m"});  // a retry that fails: "low" still terminates
  run();
  EXPECT_EQ(cluster.pod(mid).status.nominated_node, "n1");
  // "low" goes while "mid" sits in back-off; "lowb" arrives at that moment.
  cluster.delete_pod(low);
  const PodId lowb = add_pod({.name = "lowb", .cpu = "4", .priority = 1});
  run();
  EXPECT_EQ(node_of(mid), "n1");
  EXPECT_EQ(node_of(lowb), "");
  EXPECT_EQ(asked, (std::vector<std::string>{"low"}));
}

// Upstream's evaluateNominatedNode: on its retry a preemptor whose nominated node passes Filter
// takes that node without scoring, even where another node has come free with a higher score.
TEST_F(PreemptionTest, ANomineeTakesItsNominatedNodeWithoutScoring) {
  add_node({.name = "nA", .cpu = "2"});
  add_node({.name = "nB", .cpu = "8"});
  start();
  ask_victims_to_leave();
  const PodId low = place({.name = "low",
                           .cpu = "2",
                           .priority = 1,
                           .node_selector = {{"kubernetes.io/hostname", "nA"}}});
  const PodId blocker = place({.name = "blocker",
                               .cpu = "8",
                               .priority = 1000,
                               .node_selector = {{"kubernetes.io/hostname", "nB"}}});
  const PodId p = add_pod({.name = "p", .cpu = "2", .priority = 100});
  run();
  ASSERT_EQ(cluster.pod(p).status.nominated_node, "nA");
  EXPECT_EQ(asked, (std::vector<std::string>{"low"}));
  // Before the retry nB empties: LeastAllocated now scores nB 75 and nA 0.
  cluster.delete_pod(blocker);
  cluster.delete_pod(low);
  run();
  EXPECT_EQ(node_of(p), "nA");
}

// A higher-priority preemptor that picks the node a lower-priority pod was nominated to takes
// that nomination away, and the lower pod looks again at once (prepareCandidate).
TEST_F(PreemptionTest, APreemptorDisplacesALowerNomineeOnItsNode) {
  add_node({.name = "n0", .cpu = "2"});
  add_node({.name = "n1", .cpu = "2"});
  start();
  ask_victims_to_leave();
  place({.name = "lowa",
         .cpu = "2",
         .priority = 1,
         .node_selector = {{"kubernetes.io/hostname", "n0"}}});
  place({.name = "lowc",
         .cpu = "2",
         .priority = 1,
         .node_selector = {{"kubernetes.io/hostname", "n1"}}});
  const PodId mid = add_pod({.name = "mid", .cpu = "2", .priority = 50});
  run();
  ASSERT_EQ(asked, (std::vector<std::string>{"lowa"}));
  ASSERT_EQ(cluster.pod(mid).status.nominated_node, "n0");
  // "high" may only use n0: it preempts there, and "mid" turns to n1.
  const PodId high = add_pod({.name = "high",
                              .cpu = "2",
                              .priority = 100,
                              .node_selector = {{"kubernetes.io/hostname", "n0"}}});
  run();
  EXPECT_EQ(cluster.pod(high).status.nominated_node, "n0");
  EXPECT_EQ(cluster.pod(mid).status.nominated_node, "n1");
  EXPECT_EQ(asked, (std::vector<std::string>{"lowa", "lowa", "lowc"}));
}

}  // namespace
}  // namespace gpusim
