// `gpusim import` (scenario/cluster_import.hpp): a kubectl dump becomes a scenario the loader
// reads, with server-populated fields stripped, every running pod bound to its node and kept
// under its controller, Jobs' progress, HPAs' load and node pools; malformed dumps are located
// errors.
#include "scenario/cluster_import.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/diagnostics.hpp"
#include "engine/simulation.hpp"
#include "scenario/loader.hpp"

namespace gpusim::scenario {
namespace {

namespace fs = std::filesystem;

std::string dump_path() {
  return std::string(GPUSIM_SOURCE_DIR) + "/tests/data/import/dump.yaml";
}

fs::path write_scenario(const ImportResult& r, const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("gpusim-import-test-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [file, text] : r.files)
    std::ofstream(dir / file) << text;
  return dir;
}

TEST(ClusterImport, DumpBecomesALoadableScenario) {
  const ImportResult r = import_cluster_dump(dump_path(), ImportOptions{});
  EXPECT_EQ(r.nodes, 3);
  // The device plugin (a DaemonSet's), the notebook, the Deployment's two and the Job's one.
  EXPECT_EQ(r.bound_pods, 5);
  EXPECT_EQ(r.controller_pods, 3);  // two of the Deployment's ReplicaSet, one of the running Job
  EXPECT_EQ(r.replica_sets, 1);
  EXPECT_EQ(r.finished_pods, 1);
  EXPECT_EQ(r.deployments, 1);
  EXPECT_EQ(r.jobs, 1);
  EXPECT_EQ(r.finished_jobs, 1);
  EXPECT_EQ(r.hpas, 1);
  EXPECT_EQ(r.quotas, 1);
  EXPECT_EQ(r.priority_classes, 1);
  EXPECT_EQ(r.pools, 2);  // by instance type: m6i.4xlarge and p4d.24xlarge (gpu-a100-1 has none)
  for (const auto& [file, text] : r.files) {
    for (const char* server : {" uid:", "resourceVersion", "managedFields", "creationTimestamp",
                               "last-applied-configuration", "currentReplicas", "providerID",
                               "podCIDR", "blockOwnerDeletion"}) {
      EXPECT_EQ(text.find(server), std::string::npos) << file << " holds " << server;
    }
  }
  // The Job controller's labels and selector are its own again; its pods keep theirs.
  EXPECT_EQ(r.files.at("30-workloads.yaml").find("controller-uid"), std::string::npos);

  const fs::path dir = write_scenario(r, "ok");
  const engine::Scenario s = load_scenario({dir.string()});
  ASSERT_EQ(s.nodes.size(), 3u);
  EXPECT_EQ(s.nodes[1].meta.name, "gpu-a100-0");
  EXPECT_EQ(s.nodes[1].capacity.at("nvidia.com/gpu").str(), "8");
  EXPECT_EQ(s.nodes[1].taints.size(), 1u);
  EXPECT_EQ(s.nodes[1].meta.labels.at("nvidia.com/gpu.product"), "A100-SXM4-40GB");
  EXPECT_EQ(s.nodes[1].meta.labels.at("gpusim.io/pool"), "p4d-24xlarge");
  EXPECT_EQ(s.nodes[2].meta.labels.count("gpusim.io/pool"), 0u);
  ASSERT_EQ(s.simulation.node_pools.size(), 2u);
  EXPECT_EQ(s.simulation.node_pools[1].name, "p4d-24xlarge");
  EXPECT_EQ(s.simulation.node_pools[1].count, 1);
  EXPECT_EQ(engine::node_total(s), 3);
  ASSERT_EQ(s.pods.size(), 5u);
  std::map<std::string, std::string> node_of, owner_of;
  for (const auto& p : s.pods) {
    node_of[p.name] = p.spec().node_name;
    if (p.owner) owner_of[p.name] = p.owner->kind + "/" + p.owner->name;
  }
  EXPECT_EQ(node_of.at("jupyter-alice"), "gpu-a100-0");
  EXPECT_EQ(node_of.at("llm-serving-5c8f9b7d64-7qj2m"), "gpu-a100-0");
  EXPECT_EQ(node_of.at("llm-serving-5c8f9b7d64-p8x4z"), "gpu-a100-1");
  EXPECT_EQ(owner_of.at("llm-serving-5c8f9b7d64-p8x4z"), "ReplicaSet/llm-serving-5c8f9b7d64");
  EXPECT_EQ(owner_of.at("finetune-llama-h7c2x"), "Job/finetune-llama");
  EXPECT_EQ(owner_of.count("jupyter-alice"), 0u);
  EXPECT_EQ(owner_of.count("nvidia-device-plugin-daemonset-x2k9f"), 0u);  // a DaemonSet's
  ASSERT_EQ(s.replica_sets.size(), 1u);
  const ReplicaSet& rs = s.replica_sets[0];
  EXPECT_EQ(rs.meta.name, "llm-serving-5c8f9b7d64");
  EXPECT_EQ(rs.replicas, 2);
  ASSERT_TRUE(rs.meta.owner.has_value());
  EXPECT_EQ(rs.meta.owner->name, "llm-serving");
  EXPECT_EQ(rs.selector.match_labels.at("pod-template-hash"), "5c8f9b7d64");
  ASSERT_EQ(s.deployments.size(), 1u);
  ASSERT_EQ(s.jobs.size(), 1u);
  EXPECT_EQ(s.jobs[0].meta.name, "finetune-llama");
  EXPECT_EQ(s.hpas.size(), 1u);
  ASSERT_EQ(s.quotas.size(), 1u);
  ASSERT_EQ(s.priority_classes.size(), 1u);
  EXPECT_EQ(s.priority_classes[0].meta.name, "serving-high");
  EXPECT_EQ(s.priority_classes[0].value, 1000);  // learnt from the Deployment's pods
  EXPECT_EQ(s.simulation.name, "imported");
  fs::remove_all(dir);
}

TEST(ClusterImport, TheRunKeepsTheLivePlacementAndThePendingPod) {
  // Both replicas of inf stay where they run (one per node), so the 8-GPU pod stays pending:
  // the scheduler does not re-place them onto one node.
  const ImportResult r = import_cluster_dump(
      std::string(GPUSIM_SOURCE_DIR) + "/tests/data/import/frag-dump.yaml", ImportOptions{});
  EXPECT_EQ(r.controller_pods, 2);
  const fs::path dir = write_scenario(r, "frag");
  const engine::Scenario s = load_scenario({dir.string()});
  engine::RunOptions options;
  options.reproducible = true;
  options.until = 5 * 60'000;
  engine::Simulation sim(s, options);
  sim.run();
  const Cluster& c = sim.cluster();
  auto node_of = [&](const std::string& name) {
    const Pod& p = c.pod(c.find_pod("ml", name));
    return p.bound() ? c.node(p.status.node).name() : std::string("(pending)");
  };
  EXPECT_EQ(node_of("inf-abc-1"), "a");
  EXPECT_EQ(node_of("inf-abc-2"), "b");
  EXPECT_EQ(node_of("train-big"), "(pending)");
  EXPECT_EQ(c.pod_count(), 3u);  // nothing recreated
  fs::remove_all(dir);
}
ImportResult import_text(const std::string& text, const std::string& name) {
  const fs::path f = fs::temp_directory_path() / ("gpusim-import-" + name + ".yaml");
  std::ofstream(f) << text;
  return import_cluster_dump(f.string(), ImportOptions{});
}

std::string first_error(const std::string& text, const std::string& name) {
  try {
    import_text(text, name);
  } catch (const InputError& e) {
    return e.diagnostics().front().str();
  }
  return "no error";
}

TEST(ClusterImport, AJobKeepsItsProgressAndItsPodsTheirIndexes) {
  const ImportResult r = import_text(R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
  status: {capacity: {cpu: "8", memory: 32Gi}}
- apiVersion: batch/v1
  kind: Job
  metadata: {name: sweep, namespace: ml, uid: u-1}
  spec:
    completions: 6
    parallelism: 2
    completionMode: Indexed
    selector: {matchLabels: {batch.kubernetes.io/controller-uid: u-1}}
    template:
      metadata: {labels: {batch.kubernetes.io/controller-uid: u-1, job-name: sweep}}
      spec:
        restartPolicy: Never
        containers: [{name: c, image: x}]
  status: {active: 1, failed: 1, succeeded: 3, completedIndexes: "0-1,3"}
- apiVersion: v1
  kind: Pod
  metadata:
    name: sweep-2-abcde
    namespace: ml
    labels: {batch.kubernetes.io/controller-uid: u-1, job-name: sweep}
    annotations: {batch.kubernetes.io/job-completion-index: "2"}
    ownerReferences: [{apiVersion: batch/v1, kind: Job, name: sweep, uid: u-1, controller: true}]
  spec:
    nodeName: n1
    restartPolicy: Never
    containers: [{name: c, image: x}]
  status: {phase: Running}
)",
                                     "job-progress");
  EXPECT_NE(r.files.at("30-workloads.yaml").find("completedIndexes: \"0-1,3\""), std::string::npos)
      << r.files.at("30-workloads.yaml");
  const fs::path dir = write_scenario(r, "job-progress");
  const engine::Scenario s = load_scenario({dir.string()});
  ASSERT_EQ(s.jobs.size(), 1u);
  EXPECT_EQ(s.jobs[0].status.completed_indexes, (std::vector<std::int32_t>{0, 1, 3}));
  EXPECT_EQ(s.jobs[0].status.succeeded, 3);
  EXPECT_EQ(s.jobs[0].status.failed, 1);
  ASSERT_EQ(s.pods.size(), 1u);
  EXPECT_EQ(s.pods[0].annotations().at("batch.kubernetes.io/job-completion-index"), "2");
  ASSERT_TRUE(s.pods[0].owner.has_value());
  EXPECT_EQ(s.pods[0].owner->name, "sweep");
  fs::remove_all(dir);
}

TEST(ClusterImport, HpasGetTheLoadTheirStatusShows) {
  // The test dump's HPA read 3280m of CPU per pod at 2 replicas.
  const ImportResult r = import_cluster_dump(dump_path(), ImportOptions{});
  const std::string& sim = r.files.at("00-simulation.yaml");
  EXPECT_NE(sim.find("constant: 2"), std::string::npos) << sim;
  EXPECT_NE(sim.find("perRequest: \"3280m\""), std::string::npos) << sim;
  const fs::path dir = write_scenario(r, "hpa");
  const engine::Scenario s = load_scenario({dir.string()});
  ASSERT_EQ(s.simulation.load.size(), 1u);
  EXPECT_EQ(s.simulation.load[0].target_key(), "ml-serving/llm-serving");
  EXPECT_EQ(s.simulation.load[0].cpu_milli_per_request, 3280);
  fs::remove_all(dir);

  // autoscaling/v1's utilisation is of the pods' request (500m + 300m): 50 % is 400m. An HPA
  // whose status shows nothing gets a note instead.
  const ImportResult v1 = import_text(R"(apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: w}
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers:
        - {name: a, image: x, resources: {requests: {cpu: 500m}}}
        - {name: b, image: y, resources: {requests: {cpu: 300m}}}
- apiVersion: autoscaling/v1
  kind: HorizontalPodAutoscaler
  metadata: {name: web, namespace: w}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    maxReplicas: 9
    targetCPUUtilizationPercentage: 60
  status: {currentReplicas: 3, currentCPUUtilizationPercentage: 50}
- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: quiet, namespace: w}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    maxReplicas: 9
    metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]
)",
                                      "hpa-v1");
  const std::string& sim1 = v1.files.at("00-simulation.yaml");
  EXPECT_NE(sim1.find("perRequest: \"400m\""), std::string::npos) << sim1;
  EXPECT_NE(sim1.find("constant: 3"), std::string::npos) << sim1;
  const ImportResult quiet = import_text(R"(apiVersion: v1
kind: List
items:
- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: quiet, namespace: w}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    maxReplicas: 9
    metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: w}
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers: [{name: a, image: x, resources: {requests: {cpu: 500m}}}]
)",
                                         "hpa-quiet");
  EXPECT_EQ(quiet.files.at("00-simulation.yaml").find("load:"), std::string::npos);
  bool noted = false;
  for (const auto& n : quiet.notes)
    noted = noted || (n.find("HPA w/quiet") != std::string::npos &&
                      n.find("minReplicas") != std::string::npos &&
                      n.find("spec.load") != std::string::npos);
  EXPECT_TRUE(noted);
}

TEST(ClusterImport, NodesAreGroupedIntoPoolsByALabel) {
  ImportOptions o;
  o.pool_label = "nvidia.com/gpu.product";
  const ImportResult r = import_cluster_dump(dump_path(), o);
  EXPECT_EQ(r.pools, 1);
  const fs::path dir = write_scenario(r, "pools");
  const engine::Scenario s = load_scenario({dir.string()});
  ASSERT_EQ(s.simulation.node_pools.size(), 1u);
  const engine::NodePoolSpec& pool = s.simulation.node_pools[0];
  EXPECT_EQ(pool.name, "a100-sxm4-40gb");
  EXPECT_EQ(pool.count, 2);
  EXPECT_EQ(engine::pool_members(s, pool), 2);
  // A copy of the first Ready, schedulable member, without its hostname.
  EXPECT_EQ(pool.node_template.meta.labels.count("kubernetes.io/hostname"), 0u);
  EXPECT_EQ(pool.node_template.meta.labels.at("topology.kubernetes.io/zone"), "us-east-1a");
  EXPECT_EQ(pool.node_template.capacity.at("nvidia.com/gpu").str(), "8");
  EXPECT_EQ(pool.node_template.taints.size(), 1u);
  // gpu-a100-1 is in another zone: it stays as it is, and the note says so.
  bool noted = false;
  for (const auto& n : r.notes)
    noted = noted || n.find("pool a100-sxm4-40gb: 1 of its nodes differ") != std::string::npos;
  EXPECT_TRUE(noted);
  EXPECT_EQ(s.nodes[2].meta.labels.at("topology.kubernetes.io/zone"), "us-east-1b");
  EXPECT_EQ(engine::node_total(s), 3);
  fs::remove_all(dir);
}

TEST(ClusterImport, AnOlderRevisionKeepsItsPodsTemplate) {
  // The pod runs another image than the Deployment's template and has no pod-template-hash
  // label (a dump written by hand): its ReplicaSet is an older revision with the pod's template,
  // and the pod gets the hash the ReplicaSet's selector needs.
  const ImportResult r = import_text(R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
  status: {capacity: {cpu: "8", memory: 32Gi}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: w}
  spec:
    replicas: 1
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers: [{name: c, image: web:2}]
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-old1-abcde
    namespace: w
    labels: {app: web}
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-old1, controller: true}]
  spec:
    nodeName: n1
    containers: [{name: c, image: web:1}]
  status: {phase: Running}
)",
                                     "old-revision");
  bool noted = false;
  for (const auto& n : r.notes)
    noted =
        noted || n.find("ReplicaSet w/web-old1: its pods run other images") != std::string::npos;
  EXPECT_TRUE(noted);
  const fs::path dir = write_scenario(r, "old-revision");
  const engine::Scenario s = load_scenario({dir.string()});
  ASSERT_EQ(s.replica_sets.size(), 1u);
  EXPECT_EQ(s.replica_sets[0].tmpl->spec.containers.at(0).image, "web:1");
  ASSERT_EQ(s.pods.size(), 1u);
  EXPECT_EQ(s.pods[0].labels().at("pod-template-hash"), "old1");
  EXPECT_TRUE(s.replica_sets[0].selector.matches(s.pods[0].labels()));
  fs::remove_all(dir);
}

TEST(ClusterImport, BadDumpsAreLocated) {
  EXPECT_NE(first_error("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "notlist")
                .find(":1:1: error: kind: expected a List"),
            std::string::npos);
  const std::string no_kind =
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  metadata: {name: n}\n";
  EXPECT_NE(first_error(no_kind, "nokind").find(":4:3: error: items[0].kind: required"),
            std::string::npos)
      << first_error(no_kind, "nokind");
  EXPECT_NE(first_error("kind: List\nitems: [\n", "syntax").find("not valid YAML"),
            std::string::npos);
}

}  // namespace
}  // namespace gpusim::scenario
