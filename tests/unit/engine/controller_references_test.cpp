// A scenario that starts from a live cluster's state (engine/simulation.cpp build_cluster,
// controllers/adoption.hpp): manifest Pods and ReplicaSets naming their controller in
// ownerReferences belong to it from t=0 and keep their nodes; Jobs go on from status.succeeded and
// completedIndexes; Node manifests labelled gpusim.io/pool are members of that pool.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/invariants.hpp"
#include "engine/simulation.hpp"
#include "scenario/loader.hpp"
#include "unit/model/event_log.hpp"
#include "unit/scenario/scenario_test_util.hpp"

namespace gpusim::engine {
namespace {

using testing_util::EventLog;

struct ReferencesRun {
  Scenario scenario;
  std::unique_ptr<Simulation> sim;
  EventLog log;

  const Pod& pod(const std::string& name) const {
    const PodId id = sim->cluster().find_pod("default", name);
    EXPECT_NE(id, kNoPod) << name;
    return sim->cluster().pod(id);
  }
  std::string node_of(const std::string& name) const {
    const Pod& p = pod(name);
    return p.bound() ? sim->cluster().node(p.status.node).name() : "";
  }
  int created_by(const std::string& kind) const {
    int n = 0;
    for (const auto& e : log.of_type("SuccessfulCreate"))
      n += e.kind == kind ? 1 : 0;
    return n;
  }
};

std::unique_ptr<ReferencesRun> run_references(const std::string& text) {
  auto r = std::make_unique<ReferencesRun>();
  const scenario::testing::TempFile file(text);
  r->scenario = scenario::load_scenario({file.path()});
  RunOptions options;
  options.check_invariants = true;
  options.reproducible = true;
  r->sim = std::make_unique<Simulation>(r->scenario, options);
  r->sim->cluster().add_observer(&r->log);
  r->sim->run();
  return r;
}

std::string refs_simulation(const std::string& duration, const std::string& pools = "") {
  return "apiVersion: gpusim.io/v1alpha1\nkind: Simulation\nmetadata: {name: refs}\nspec:\n"
         "  duration: " +
         duration + "\n" + pools;
}

std::string refs_node(const std::string& name, const std::string& labels = "") {
  return "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: " + name +
         "\n  labels: {nvidia.com/gpu.product: A100" + labels +
         "}\nstatus:\n  capacity: {cpu: \"96\", memory: 1Ti, nvidia.com/gpu: \"8\", "
         "pods: \"110\"}\n";
}

const char* const kRefsGpuContainer = R"(      containers:
      - name: c
        image: inf:1
        resources:
          requests: {cpu: "4", memory: 16Gi, nvidia.com/gpu: "4"}
          limits: {nvidia.com/gpu: "4"}
)";

std::string refs_pod(const std::string& name, const std::string& labels, const std::string& node,
                     const std::string& owner_kind, const std::string& owner,
                     const std::string& annotations = "") {
  std::string s = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  labels: {" +
                  labels + "}\n";
  if (!annotations.empty()) s += "  annotations: {" + annotations + "}\n";
  if (!owner.empty()) {
    s += "  ownerReferences: [{apiVersion: v1, kind: " + owner_kind + ", name: " + owner +
         ", uid: live-uid, controller: true}]\n";
  }
  s += "spec:\n";
  if (!node.empty()) s += "  nodeName: " + node + "\n";
  if (owner_kind == "Job") s += "  restartPolicy: Never\n";
  // The pod's containers sit four spaces less deep than a template's.
  const std::string c = kRefsGpuContainer;
  std::size_t at = 0;
  while (at < c.size()) {
    const std::size_t nl = c.find('\n', at);
    s += c.substr(at + 4, nl - at - 4 + 1);
    at = nl + 1;
  }
  return s;
}

// A bare pending pod asking for a whole node's 8 GPUs.
std::string refs_big_pod(const std::string& name) {
  std::string s = refs_pod(name, "app: train", "", "", "");
  for (std::size_t at = s.find("gpu: \"4\""); at != std::string::npos;
       at = s.find("gpu: \"4\"", at)) {
    s.replace(at, 8, "gpu: \"8\"");
  }
  return s;
}

std::string refs_deployment() {
  return std::string(R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: inf}
spec:
  replicas: 2
  selector: {matchLabels: {app: inf}}
  template:
    metadata: {labels: {app: inf}}
    spec:
)") + kRefsGpuContainer +
         R"(---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: inf-abc
  labels: {app: inf, pod-template-hash: abc}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: inf, controller: true}]
spec:
  replicas: 2
  selector: {matchLabels: {app: inf, pod-template-hash: abc}}
  template:
    metadata: {labels: {app: inf, pod-template-hash: abc}}
    spec:
)" + kRefsGpuContainer;
}

TEST(ControllerReferences, PodsNamingTheirReplicaSetKeepTheirNodesAndNothingIsRecreated) {
  // The live placement: one 4-GPU replica on each node, so the 8-GPU pod waits.
  const auto r = run_references(
      refs_simulation("2m") + refs_node("a") + refs_node("b") + refs_deployment() +
      refs_pod("inf-abc-1", "app: inf, pod-template-hash: abc", "a", "ReplicaSet", "inf-abc") +
      refs_pod("inf-abc-2", "app: inf, pod-template-hash: abc", "b", "ReplicaSet", "inf-abc") +
      refs_big_pod("train-big"));
  const Cluster& c = r->sim->cluster();
  ASSERT_EQ(c.replica_sets.size(), 1u);  // the Deployment found its ReplicaSet: none created
  const ReplicaSet& rs = c.replica_sets.begin()->second;
  ASSERT_TRUE(rs.meta.owner.has_value());
  EXPECT_EQ(rs.meta.owner->name, "inf");
  EXPECT_EQ(rs.meta.owner->uid, c.deployments.at("default/inf").meta.uid);
  EXPECT_EQ(c.pods_of(rs.meta.uid).size(), 2u);
  ASSERT_TRUE(r->pod("inf-abc-1").owner.has_value());
  EXPECT_EQ(r->pod("inf-abc-1").owner->uid, rs.meta.uid);
  EXPECT_EQ(r->node_of("inf-abc-1"), "a");
  EXPECT_EQ(r->node_of("inf-abc-2"), "b");
  EXPECT_EQ(r->created_by("ReplicaSet"), 0);
  EXPECT_EQ(c.pod_count(), 3u);
  EXPECT_FALSE(r->pod("train-big").bound());  // still pending: the GPUs are split
  EXPECT_FALSE(r->pod("train-big").owner.has_value());
  EXPECT_EQ(rs.status.replicas, 2);
  EXPECT_EQ(r->sim->invariants()->violation_count(), 0u);
}

TEST(ControllerReferences, AReferenceWhoseSelectorDoesNotMatchIsDropped) {
  // Upstream's controller releases a pod its selector does not match: a bare pod here, and the
  // ReplicaSet makes its replicas itself.
  const auto r = run_references(
      refs_simulation("1m") + refs_node("a") + refs_node("b") + refs_deployment() +
      refs_pod("stray", "app: other", "a", "ReplicaSet", "inf-abc") +
      refs_pod("to-nowhere", "app: inf, pod-template-hash: abc", "b", "ReplicaSet", "gone"));
  EXPECT_FALSE(r->pod("stray").owner.has_value());
  EXPECT_FALSE(r->pod("to-nowhere").owner.has_value());  // no such ReplicaSet
  EXPECT_EQ(r->node_of("stray"), "a");
  EXPECT_EQ(r->created_by("ReplicaSet"), 2);
}

std::string refs_job(const std::string& spec, const std::string& status) {
  return "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: train}\nspec:\n" + spec +
         "  template:\n    metadata:\n      annotations: {gpusim.io/duration: 10m}\n    spec:\n"
         "      restartPolicy: Never\n" +
         kRefsGpuContainer + status;
}

TEST(ControllerReferences, AJobGoesOnFromItsProgressWithItsRunningPods) {
  // Live: 4 completions, 1 succeeded, 2 running. Only the last one is left to create.
  const auto r = run_references(
      refs_simulation("2h") + refs_node("a") + refs_node("b") +
      refs_job("  completions: 4\n  parallelism: 2\n", "status: {active: 2, succeeded: 1}\n") +
      refs_pod("train-x1", "job-name: train", "a", "Job", "train", "gpusim.io/duration: 5m") +
      refs_pod("train-x2", "job-name: train", "b", "Job", "train", "gpusim.io/duration: 5m"));
  const Job& j = r->sim->cluster().jobs.at("default/train");
  EXPECT_EQ(r->created_by("Job"), 1);
  EXPECT_EQ(j.status.succeeded, 4);
  EXPECT_FALSE(j.status.conditions.empty());
  EXPECT_EQ(r->pod("train-x1").status.phase, PodPhase::kSucceeded);
  EXPECT_EQ(r->node_of("train-x1"), "a");
}

TEST(ControllerReferences, AnIndexedJobStartsOnlyTheIndexesNotDone) {
  // Indexes 0 and 2 are done and 1 runs (its annotation says so): only 3 is created.
  const auto r = run_references(
      refs_simulation("2h") + refs_node("a") + refs_node("b") +
      refs_job("  completions: 4\n  parallelism: 2\n  completionMode: Indexed\n",
               "status: {succeeded: 2, completedIndexes: \"0,2\"}\n") +
      refs_pod("train-1-x", "job-name: train", "a", "Job", "train",
               "gpusim.io/duration: 5m, batch.kubernetes.io/job-completion-index: \"1\""));
  const Job& j = r->sim->cluster().jobs.at("default/train");
  const auto created = r->log.of_type("SuccessfulCreate");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_NE(created[0].message.find("train-3-"), std::string::npos) << created[0].message;
  EXPECT_EQ(r->pod("train-1-x").index, 1);
  EXPECT_EQ(j.status.completed_indexes, (std::vector<std::int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(j.status.succeeded, 4);
}

TEST(ControllerReferences, PoolMembersCountTowardTheirPoolsCount) {
  const std::string pool =
      "  nodePools:\n  - name: a100\n    count: COUNT\n    template:\n      status:\n"
      "        capacity: {cpu: \"96\", memory: 1Ti, nvidia.com/gpu: \"8\"}\n";
  auto with_count = [&](const std::string& n) {
    std::string p = pool;
    p.replace(p.find("COUNT"), 5, n);
    return run_references(
        refs_simulation("1m", p) + refs_node("live-0", ", gpusim.io/pool: a100") +
        refs_node("live-1", ", gpusim.io/pool: a100, topology.kubernetes.io/zone: z2") +
        refs_node("other") + refs_pod("on-live-1", "app: x", "live-1", "", ""));
  };
  const auto three = with_count("3");  // both members and one node from the template
  const Cluster& c3 = three->sim->cluster();
  EXPECT_EQ(c3.node_count(), 4u);
  EXPECT_NE(c3.find_node("live-1"), kNoNode);
  ASSERT_NE(c3.find_node("a100-0"), kNoNode);
  EXPECT_EQ(c3.find_node("a100-1"), kNoNode);
  EXPECT_EQ(c3.node(c3.find_node("live-0")).pool, "a100");
  EXPECT_EQ(c3.node(c3.find_node("live-1")).meta.labels.at("topology.kubernetes.io/zone"), "z2");
  EXPECT_EQ(three->node_of("on-live-1"), "live-1");
  EXPECT_EQ(node_total(three->scenario), 4);

  const auto one = with_count("1");  // the second member is left out; its pod goes elsewhere
  const Cluster& c1 = one->sim->cluster();
  EXPECT_EQ(c1.node_count(), 2u);
  EXPECT_EQ(c1.find_node("live-1"), kNoNode);
  const std::string moved = one->node_of("on-live-1");
  EXPECT_TRUE(moved == "live-0" || moved == "other") << moved;
}

}  // namespace
}  // namespace gpusim::engine
