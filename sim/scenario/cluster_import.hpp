#pragma once
// `gpusim import`: a scenario from a live cluster's dump, the output of
//   kubectl get nodes,pods,deployments,jobs,hpa,resourcequotas -A -o yaml
// (a `kind: List` with `items`). Nodes keep capacity, allocatable, labels, taints and readiness;
// Deployments, Jobs, HPAs and ResourceQuotas keep their spec with what the API server fills in
// (status, uid, resourceVersion, managedFields, creationTimestamp, the Job controller's selector
// and labels, ...) stripped, except a Job's progress (succeeded, failed, completedIndexes). Every
// live pod is written, bound to its node with spec.nodeName when it was running there; a pod of
// a Deployment's ReplicaSet or of a running Job names it in its ownerReferences, and the
// ReplicaSets the pods name (absent from the dump) are written too, so the controllers keep the
// pods where they run (ctrl/adoption.hpp). HPAs whose status shows cpu or memory usage get a
// constant spec.load reproducing it. Nodes are grouped into Simulation node pools by a label
// (the pool's count includes its nodes, which stay as they are). docs/plan.md describes it.
#include <map>
#include <string>
#include <vector>

namespace gpusim::scenario {

struct ImportOptions {
  std::string name = "imported";  // the Simulation's metadata.name
  std::string duration = "1h";    // spec.duration of the written Simulation
  // The node label whose values group nodes into pools; empty: the first of
  // node.kubernetes.io/instance-type, beta.kubernetes.io/instance-type, nvidia.com/gpu.product
  // that a node has (no pools when none has any).
  std::string pool_label;
};

struct ImportResult {
  std::map<std::string, std::string> files;  // file name -> YAML text, in name order
  std::vector<std::string> notes;            // what was left out, and why
  int nodes = 0, bound_pods = 0, pending_pods = 0, controller_pods = 0, finished_pods = 0;
  int pools = 0, deployments = 0, replica_sets = 0, jobs = 0, finished_jobs = 0, hpas = 0,
      quotas = 0, priority_classes = 0;
  std::map<std::string, int> skipped_kinds;
};

// Reads `file` ("-": standard input). Throws InputError (file:line:col, field) on malformed
// input: not YAML, not a List, an item without kind/apiVersion/metadata.name.
ImportResult import_cluster_dump(const std::string& file, const ImportOptions& options);

}  // namespace gpusim::scenario
