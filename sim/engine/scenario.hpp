#pragma once
// A loaded scenario: the Kubernetes objects from the manifests plus the Simulation document and
// scheduler configuration. Built by the scenario loader (sim/scenario/), run by Simulation.
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

}  // namespace gpusim::engine
