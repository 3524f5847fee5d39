#pragma once
// `gpusim import`: a scenario from a live cluster's dump, the output of
//   kubectl get nodes,pods,deployments,jobs,hpa,resourcequotas -A -o yaml
// (a `kind: List` with `items`). Nodes keep capacity, allocatable, labels, taints and readiness;
// Deployments, Jobs, HPAs and ResourceQuotas keep their spec with what the API server fills in
// (status, uid, resourceVersion, managedFields, creationTimestamp, the Job controller's selector
// and labels, ...) stripped. Pods whose controller is a Deployment's ReplicaSet or a Job in the
// dump are left to that controller to recreate; every other live pod becomes a bare Pod, bound
// to its node with spec.nodeName when it was running there. docs/plan.md describes it.
#include <map>
#include <string>
#include <vector>

namespace gpusim::scenario {

struct ImportOptions {
  std::string name = "imported";  // the Simulation's metadata.name
  std::string duration = "1h";    // spec.duration of the written Simulation
};

struct ImportResult {
  std::map<std::string, std::string> files;  // file name -> YAML text, in name order
  std::vector<std::string> notes;            // what was left out, and why
  int nodes = 0, bound_pods = 0, pending_pods = 0, controller_pods = 0, finished_pods = 0;
  int deployments = 0, jobs = 0, finished_jobs = 0, hpas = 0, quotas = 0, priority_classes = 0;
  std::map<std::string, int> skipped_kinds;
};

// Reads `file` ("-": standard input). Throws InputError (file:line:col, field) on malformed
// input: not YAML, not a List, an item without kind/apiVersion/metadata.name.
ImportResult import_cluster_dump(const std::string& file, const ImportOptions& options);

}  // namespace gpusim::scenario
