#pragma once
// A loaded scenario: the Kubernetes objects from the manifests plus the Simulation document and
// scheduler configuration. Built by the scenario loader (sim/scenario/), run by Simulation.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/simulation_spec.hpp"
#include "model/node.hpp"
#include "model/pod.hpp"
#include "model/workloads.hpp"
#include "scheduler/config.hpp"

namespace gpusim::engine {

struct Scenario {
  std::vector<std::string> files;  // files read, in order (directories expanded, "<stdin>")
  std::vector<Namespace> namespaces;
  std::vector<PriorityClass> priority_classes;
  std::vector<ResourceQuota> quotas;
  std::vector<Node> nodes;  // Node objects from manifests (pools are expanded at run time)
  std::vector<Pod> pods;    // bare Pods
  std::vector<Deployment> deployments;
  std::vector<ReplicaSet> replica_sets;
  std::vector<Job> jobs;
  std::vector<CronJob> cron_jobs;
  std::vector<PyTorchJob> pytorch_jobs;
  std::vector<PodGroup> pod_groups;  // user-written (a PyTorchJob's are its controller's)
  std::vector<HorizontalPodAutoscaler> hpas;
  std::vector<PodDisruptionBudget> pdbs;
  sched::SchedulerConfig scheduler;
  bool scheduler_configured = false;  // a KubeSchedulerConfiguration document was given
  SimulationSpec simulation;
  bool simulation_given = false;
  Diagnostics warnings;  // skipped kinds, unknown fields (non-fatal)
};

// The label that names a node's pool. A Node manifest carrying it with the name of a pool of
// the Simulation is one of that pool's nodes (a member): the pool's `count` counts it, and only
// the nodes past its members come from the template. `gpusim import` groups a dump's nodes so.
inline constexpr const char* kPoolLabel = "gpusim.io/pool";

// The pool a Node manifest is a member of, or null.
inline const NodePoolSpec* member_pool(const Scenario& s, const Node& n) {
  auto it = n.meta.labels.find(kPoolLabel);
  if (it == n.meta.labels.end()) return nullptr;
  for (const auto& p : s.simulation.node_pools) {
    if (p.name == it->second) return &p;
  }
  return nullptr;
}

// How many Node manifests are members of `pool`.
inline std::int32_t pool_members(const Scenario& s, const NodePoolSpec& pool) {
  std::int32_t n = 0;
  for (const Node& node : s.nodes) {
    if (member_pool(s, node) == &pool) ++n;
  }
  return n;
}

// The nodes a run starts with: the manifests that are no pool's members, plus every pool's count
// (members first: a count below them leaves the last ones out).
inline std::int64_t node_total(const Scenario& s) {
  std::int64_t n = 0;
  for (const Node& node : s.nodes) {
    if (member_pool(s, node) == nullptr) ++n;
  }
  for (const auto& p : s.simulation.node_pools)
    n += std::max(0, p.count);
  return n;
}

}  // namespace gpusim::engine
