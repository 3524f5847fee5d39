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

// With no nodes at all upstream's schedulePod fails with ErrNoNodesAvailable before any plugin:
// its own message, and no preemption attempt (there is no FitError to answer).
TEST_F(PreemptionTest, NoNodesIsNotAFitErrorAndTriesNoPreemption) {
  start_with_evictor();
  add_pod({.name = "high", .cpu = "1", .priority = 100});
  run();
  EXPECT_EQ(log.failed("default/high"), "no nodes available to schedule pods");
  EXPECT_EQ(scheduler->stats().preemptions, 0u);
  EXPECT_TRUE(victims.empty());
}

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
  // Upstream's event text: a successful preemption adds no PostFilter message.
  EXPECT_EQ(msg, "0/1 nodes are available: 1 Insufficient cpu.");
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

// Upstream's nodesWherePreemptionMightHelp takes every node rejected as Unschedulable, not only
// for resources: a host port held by a lower-priority pod is freed by evicting that pod alone.
TEST_F(PreemptionTest, AHostPortHolderIsPreempted) {
  add_node({.name = "n1", .cpu = "4"});
  start_with_evictor();
  place({.name = "holder", .cpu = "100m", .priority = 2, .host_ports = {8080}});
  // Less important than the holder, so reprieved after it: kept, as it is not in the way.
  place({.name = "bystander", .cpu = "100m", .priority = 1});
  const PodId high =
      add_pod({.name = "high", .cpu = "100m", .priority = 100, .host_ports = {8080}});
  run();
  EXPECT_EQ(victims, (std::vector<std::string>{"holder"}));
  EXPECT_EQ(node_of(high), "n1");
  EXPECT_EQ(node_of(cluster.find_pod("default", "bystander")), "n1");
  EXPECT_EQ(log.failed("default/high"),
            "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod "
            "ports.");
}

// The whole Filter runs in the dry run, not only the resource checks: evicting the pod that
// takes the cpu does not help where a pod of higher priority keeps the preemptor away by its
// anti-affinity.
TEST_F(PreemptionTest, NoPreemptionWhereAnotherFilterStillRejects) {
  add_node({.name = "n1", .cpu = "2"});
  start_with_evictor();
  place({.name = "big", .cpu = "1800m", .priority = 1});
  Affinity anti;
  anti.pod_anti_affinity.emplace();
  anti.pod_anti_affinity->required.push_back(PodAffinityTerm{
      testing_util::selector({{"app", "critical"}}), {}, {}, "kubernetes.io/hostname"});
  place({.name = "guard", .cpu = "100m", .priority = 500, .affinity = anti});
  const PodId high =
      add_pod({.name = "high", .cpu = "1", .priority = 100, .labels = {{"app", "critical"}}});
  run();
  EXPECT_TRUE(victims.empty());
  EXPECT_EQ(node_of(high), "");
  EXPECT_EQ(log.failed("default/high"),
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 "
            "node(s) didn't satisfy existing pods anti-affinity rules.");
}

// The incoming pod's required anti-affinity (Unschedulable) is resolved by evicting the pods it
// matches; an unrelated lower-priority pod on the node stays.
TEST_F(PreemptionTest, TheIncomingPodsAntiAffinityPreemptsTheMatchingPod) {
  add_node({.name = "n1", .cpu = "4"});
  start_with_evictor();
  place({.name = "web", .cpu = "100m", .priority = 2, .labels = {{"app", "web"}}});
  place({.name = "other", .cpu = "100m", .priority = 1, .labels = {{"app", "other"}}});
  Affinity anti;
  anti.pod_anti_affinity.emplace();
  anti.pod_anti_affinity->required.push_back(
      PodAffinityTerm{testing_util::selector({{"app", "web"}}), {}, {}, "kubernetes.io/hostname"});
  const PodId high = add_pod({.name = "high", .cpu = "100m", .priority = 100, .affinity = anti});
  run();
  EXPECT_EQ(victims, (std::vector<std::string>{"web"}));
  EXPECT_EQ(node_of(high), "n1");
  EXPECT_EQ(node_of(cluster.find_pod("default", "other")), "n1");
}

// An existing lower-priority pod whose required anti-affinity rejects the incoming pod is evicted.
TEST_F(PreemptionTest, AnExistingPodsAntiAffinityGetsItPreempted) {
  add_node({.name = "n1", .cpu = "4"});
  start_with_evictor();
  Affinity anti;
  anti.pod_anti_affinity.emplace();
  anti.pod_anti_affinity->required.push_back(PodAffinityTerm{
      testing_util::selector({{"app", "critical"}}), {}, {}, "kubernetes.io/hostname"});
  place({.name = "loner", .cpu = "100m", .priority = 1, .affinity = anti});
  place({.name = "plain", .cpu = "100m", .priority = 1});
  const PodId high =
      add_pod({.name = "high", .cpu = "100m", .priority = 100, .labels = {{"app", "critical"}}});
  run();
  EXPECT_EQ(victims, (std::vector<std::string>{"loner"}));
  EXPECT_EQ(node_of(high), "n1");
  EXPECT_EQ(node_of(cluster.find_pod("default", "plain")), "n1");
}

// Topology spread skew (Unschedulable) resolved by preemption: zone a holds two matching pods,
// zone b one (on a node the pod does not fit and whose pod outranks it). Evicting one of zone
// a's brings the skew within maxSkew; the more important one is reprieved, as are pods the
// selector does not match.
TEST_F(PreemptionTest, TopologySpreadSkewIsResolvedByPreempting) {
  const std::string zone = "topology.kubernetes.io/zone";
  add_node({.name = "a1", .cpu = "4", .labels = {{zone, "a"}}});
  add_node({.name = "b1", .cpu = "1", .labels = {{zone, "b"}}});
  start_with_evictor();
  const Labels web{{"app", "web"}};
  const Labels on_a{{"kubernetes.io/hostname", "a1"}};
  place({.name = "web-b",
         .cpu = "1",
         .priority = 1000,
         .labels = web,
         .node_selector = {{"kubernetes.io/hostname", "b1"}}});
  place({.name = "web-a1", .cpu = "100m", .priority = 1, .labels = web, .node_selector = on_a});
  place({.name = "web-a2", .cpu = "100m", .priority = 2, .labels = web, .node_selector = on_a});
  place({.name = "other", .cpu = "100m", .priority = 0, .node_selector = on_a});
  TopologySpreadConstraint c;
  c.max_skew = 1;
  c.topology_key = zone;
  c.label_selector = testing_util::selector(web);
  const PodId high =
      add_pod({.name = "high", .cpu = "100m", .priority = 100, .labels = web, .spread = {c}});
  run();
  EXPECT_EQ(victims, (std::vector<std::string>{"web-a1"}));
  EXPECT_EQ(node_of(high), "a1");
  EXPECT_EQ(node_of(cluster.find_pod("default", "web-a2")), "a1");
  EXPECT_EQ(node_of(cluster.find_pod("default", "other")), "a1");
  EXPECT_EQ(log.failed("default/high"),
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod topology "
            "spread constraints.");
}

// Nodes rejected as UnschedulableAndUnresolvable (an untolerated taint, the incoming pod's own
// pod affinity unmet) are never candidates, however cheap their pods: the port holder of
// higher priority on the one resolvable node is evicted instead.
TEST_F(PreemptionTest, UnresolvableNodesAreNeverCandidates) {
  add_node({.name = "tainted",
            .cpu = "4",
            .labels = {{"zone", "a"}},
            .taints = {testing_util::taint("dedicated", "x", TaintEffect::kNoSchedule)}});
  add_node({.name = "far", .cpu = "4", .labels = {{"zone", "b"}}});
  add_node({.name = "near", .cpu = "4", .labels = {{"zone", "a"}}});
  start_with_evictor();
  place({.name = "cheap-tainted",
         .cpu = "100m",
         .priority = 1,
         .node_selector = {{"kubernetes.io/hostname", "tainted"}},
         .tolerations = {testing_util::toleration("dedicated", "x", TaintEffect::kNoSchedule)},
         .host_ports = {8080}});
  place({.name = "cheap-far",
         .cpu = "100m",
         .priority = 1,
         .node_selector = {{"kubernetes.io/hostname", "far"}}});
  place({.name = "db",
         .cpu = "100m",
         .priority = 1000,
         .labels = {{"app", "db"}},
         .node_selector = {{"kubernetes.io/hostname", "near"}}});
  place({.name = "holder",
         .cpu = "100m",
         .priority = 5,
         .node_selector = {{"kubernetes.io/hostname", "near"}},
         .host_ports = {8080}});
  Affinity with_db;
  with_db.pod_affinity.emplace();
  with_db.pod_affinity->required.push_back(
      PodAffinityTerm{testing_util::selector({{"app", "db"}}), {}, {}, "zone"});
  const PodId high = add_pod(
      {.name = "high", .cpu = "100m", .priority = 100, .affinity = with_db, .host_ports = {8080}});
  run();
  EXPECT_EQ(victims, (std::vector<std::string>{"holder"}));
  EXPECT_EQ(node_of(high), "near");
  EXPECT_EQ(node_of(cluster.find_pod("default", "cheap-tainted")), "tainted");
  EXPECT_EQ(node_of(cluster.find_pod("default", "cheap-far")), "far");
}

// A dry run on one node must leave the cycle state as it found it for the next node. With
// anti-affinity by zone, evicting the pods of either node of zone a leaves the other's: neither
// node is a candidate. Were the first dry run's removals left in the state, the second node
// would seem to fit after evicting its own pod.
TEST_F(PreemptionTest, EachNodesDryRunStartsFromTheWholeState) {
  add_node({.name = "a1", .cpu = "4", .labels = {{"zone", "a"}}});
  add_node({.name = "a2", .cpu = "4", .labels = {{"zone", "a"}}});
  start_with_evictor();
  const Labels web{{"app", "web"}};
  place({.name = "web1",
         .cpu = "100m",
         .priority = 1,
         .labels = web,
         .node_selector = {{"kubernetes.io/hostname", "a1"}}});
  place({.name = "web2",
         .cpu = "100m",
         .priority = 1,
         .labels = web,
         .node_selector = {{"kubernetes.io/hostname", "a2"}}});
  Affinity anti;
  anti.pod_anti_affinity.emplace();
  anti.pod_anti_affinity->required.push_back(
      PodAffinityTerm{testing_util::selector(web), {}, {}, "zone"});
  const PodId high = add_pod({.name = "high", .cpu = "100m", .priority = 100, .affinity = anti});
  run();
  EXPECT_TRUE(victims.empty());
  EXPECT_EQ(node_of(high), "");
  EXPECT_EQ(log.failed("default/high"),
            "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: "
            "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.");
}

// The same for topology spread: each node's dry run sees the other zone-a node's pods.
TEST_F(PreemptionTest, EachNodesSpreadDryRunStartsFromTheWholeState) {
  const std::string zone = "topology.kubernetes.io/zone";
  add_node({.name = "a1", .cpu = "4", .labels = {{zone, "a"}}});
  add_node({.name = "a2", .cpu = "4", .labels = {{zone, "a"}}});
  add_node({.name = "b1", .cpu = "100m", .labels = {{zone, "b"}}});
  start_with_evictor();
  const Labels web{{"app", "web"}};
  for (const char* n : {"a1", "a2"}) {
    place({.name = std::string("web-") + n,
           .cpu = "100m",
           .priority = 1,
           .labels = web,
           .node_selector = {{"kubernetes.io/hostname", n}}});
  }
  place({.name = "fill-b",
         .cpu = "100m",
         .priority = 1000,
         .node_selector = {{"kubernetes.io/hostname", "b1"}}});
  TopologySpreadConstraint c;
  c.max_skew = 1;
  c.topology_key = zone;
  c.label_selector = testing_util::selector(web);
  // Zone a counts 2, zone b 0: 2 + 1 - 0 > 1. Evicting one node's pod leaves 1 + 1 - 0 = 2.
  const PodId high =
      add_pod({.name = "high", .cpu = "100m", .priority = 100, .labels = web, .spread = {c}});
  run();
  EXPECT_TRUE(victims.empty());
  EXPECT_EQ(node_of(high), "");
  EXPECT_EQ(log.failed("default/high"),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match pod topology "
            "spread constraints. preemption: 0/3 nodes are available: 1 No preemption victims "
            "found for incoming pod, 2 node(s) didn't match pod topology spread constraints.");
}

// A dry run changes the node table only between its begin and end, and puts back exactly what
// it changed, without moving the node's version or the change log.
TEST_F(PreemptionTest, ANodeTableWhatIfLeavesNoTrace) {
  add_node({.name = "g", .cpu = "8", .gpus = 2, .gpu_model = "A100"});
  start();
  const PodId a = place({.name = "a", .cpu = "1", .memory = "1Gi", .gpus = 1, .priority = 1});
  const PodId b = place({.name = "b", .cpu = "2", .gpu_milli = 300, .priority = 1});
  sched::NodeTable& t = scheduler->what_if_nodes();
  auto snapshot = [&] {
    std::vector<std::int64_t> v;
    for (int d = 0; d < t.dims(); ++d)
      v.push_back(t.requested(d)[0]);
    v.push_back(t.nonzero_cpu()[0]);
    v.push_back(t.nonzero_mem()[0]);
    for (int g = 0; g < t.gpu_count(0); ++g)
      v.push_back(t.gpu_free(0)[g]);
    return v;
  };
  const auto before = snapshot();
  const std::uint64_t version = t.version(0);
  const std::uint64_t seq = t.change_seq();
  t.what_if_begin(0);
  t.what_if_remove(a);
  EXPECT_EQ(t.pods(0), (std::vector<PodId>{b}));
  EXPECT_EQ(t.requested(sched::NodeTable::kCpu)[0], 2000);
  EXPECT_EQ(t.requested(sched::NodeTable::kPods)[0], 1);
  t.what_if_remove(b);
  EXPECT_EQ(t.gpu_free(0)[0], 1000);
  EXPECT_EQ(t.gpu_free(0)[1], 1000);
  t.what_if_add(a);
  EXPECT_EQ(t.pods(0), (std::vector<PodId>{a}));
  t.what_if_end();
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(t.pods(0), (std::vector<PodId>{a, b}));
  EXPECT_EQ(t.version(0), version);
  EXPECT_EQ(t.change_seq(), seq);
}

}  // namespace
}  // namespace gpusim
