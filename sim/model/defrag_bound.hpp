#pragma once
// Defragmentation bound: how many pending GPU pods could be placed if every running GPU pod were
// repacked (moved anywhere it may run). Exact answers need bin packing (NP-hard); this is an
// upper bound from a max-flow relaxation, computed with Boost.Graph's push-relabel max flow.
//
// The flow network: source -> each pod group (capacity: the group's total GPU demand in
// milli-GPU) -> every node the group's pods may run on (unbounded) -> sink (capacity: the node's
// GPU capacity in milli-GPU, devices x 1000). Pods with the same set of eligible nodes and the
// same whole-GPU count form one group (the max flow is the same as with one source per pod,
// since pod -> node edges are unbounded). Pods asking for k whole GPUs pass through a per-node
// slot vertex capped at floor(devices / k) x k x 1000 when k does not divide the node's devices:
// a 3-GPU node holds one 2-GPU pod, never 1.5. The relaxation still lets a pod's demand split
// across nodes, and ignores CPU, memory, pod-count and inter-pod constraints, so every placement
// a real repacking could reach is a feasible flow:
//   demand(running) + demand(S) <= max_flow   for any set S of pending pods placed with them.
// Hence `bound` = the largest k such that the k smallest pending demands (among pods with at
// least one eligible node) sum to at most max_flow - demand(running). docs/plan.md states it.
#include <cstdint>
#include <vector>

namespace gpusim {

class Cluster;

struct DefragPod {
  std::int64_t gpu_milli = 0;        // total demand: devices x milli per device
  std::vector<std::uint32_t> nodes;  // indexes of the nodes it may run on (sorted, unique)
  bool running = false;              // running pods must be placed; pending pods may be
  // Devices of a whole-GPU pod (1000 milli each, exclusive); 0 for pods sharing devices, whose
  // demand is only capped by the node's total.
  std::int32_t whole_gpus = 0;
};

struct DefragBound {
  std::int32_t pending_gpu_pods = 0;    // pending pods that request GPUs
  std::int32_t eligible_pending = 0;    // of those, pods with at least one eligible node
  std::int32_t bound = 0;               // upper bound on pending pods placeable after repacking
  std::int64_t gpu_capacity_milli = 0;  // of the nodes in the network
  std::int64_t running_gpu_milli = 0;   // demand of the running GPU pods
  std::int64_t pending_gpu_milli = 0;   // demand of the eligible pending GPU pods
  std::int64_t max_flow_milli = 0;      // the relaxation's max flow (running + pending)
  // max_flow - running demand: GPU milli the pending pods could get after repacking (at most).
  std::int64_t pending_flow_milli = 0;
};

// The bound over a network given directly: `node_gpu_milli[i]` is node i's GPU capacity
// (devices x 1000).
DefragBound compute_defrag_bound(const std::vector<std::int64_t>& node_gpu_milli,
                                 const std::vector<DefragPod>& pods);

// The bound for a cluster state. Nodes: ready, schedulable nodes with GPUs. Running pods: bound,
// not terminated pods with a GPU request on those nodes (they may move to any such node they
// tolerate and select, with enough devices and an accepted GPU model, and always to their own).
// Pending pods: unbound, not gated, not being deleted, with a GPU request. Pods on cordoned or
// not-ready nodes stay where they are and are left out.
DefragBound compute_defrag_bound(const Cluster& cluster);

}  // namespace gpusim
