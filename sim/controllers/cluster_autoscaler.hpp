#pragma once
// Cluster-autoscaler for node pools, one node group per autoscaled pool, scanning every 10 s
// (AutoscalerOptions, from the Simulation's spec.clusterAutoscaler):
//
// Scale-up. Pods the scheduler found unschedulable (Pending, attempted, not nominated, not
// waiting at Permit) are tried, in priority order, on a what-if copy of each group: its
// nodes still being provisioned plus as many new nodes from the group's template as it may
// still add, using the scheduler's own Filter plugins (Framework::feasible_nodes) on those
// hypothetical nodes. The group that would place the most pods wins (then the cheapest per
// node-hour, then the first declared); it grows by the nodes the bin-packing needed, capped at
// maxSize, and the nodes join after the group's provisioning delay. Pods no group can take get
// one NotTriggerScaleUp event.
//
// Scale-down. A node of a group above minSize whose utilisation stays below the threshold
// (requested/allocatable of GPUs on GPU nodes, else the larger of cpu and memory) for the
// unneeded time is removed if every pod on it can move: each has a controller, is not marked
// cluster-autoscaler.kubernetes.io/safe-to-evict: "false", would not take a
// PodDisruptionBudget below zero, and fits on the remaining nodes (the same Filter plugins on a
// what-if copy of the cluster). Empty nodes go up to 10 at a time, others one per scan; the node
// is tainted ToBeDeletedByClusterAutoscaler:NoSchedule, its pods evicted with their grace period,
// and it is removed once empty. No scale-down for 10 minutes after a scale-up.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "model/cluster.hpp"
#include "scheduler/scheduler.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kToBeDeletedTaint = "ToBeDeletedByClusterAutoscaler";
inline constexpr const char* kSafeToEvictAnnotation =
    "cluster-autoscaler.kubernetes.io/safe-to-evict";
inline constexpr const char* kScaleDownDisabledAnnotation =
    "cluster-autoscaler.kubernetes.io/scale-down-disabled";

struct NodeGroup {
  std::string name;  // the pool; its nodes carry Node::pool == name
  Node node_template;
  std::int32_t min_size = 0;
  std::int32_t max_size = 0;
  TimeMs provisioning_delay_ms = 0;
  double scale_down_utilization_threshold = 0.5;
  TimeMs scale_down_unneeded_ms = 10 * 60'000;
  std::int64_t cost_per_hour_micros = 0;
};

struct AutoscalerOptions {
  TimeMs scan_interval_ms = 10'000;
  TimeMs scale_down_delay_after_add_ms = 10 * 60'000;
  std::int32_t max_empty_bulk_delete = 10;
};

struct NodeGroupStats {
  std::int64_t scale_ups = 0;  // scale-up decisions
  std::int64_t nodes_added = 0;
  std::int64_t nodes_removed = 0;
  std::int32_t upcoming = 0;  // nodes being provisioned now
};

class ClusterAutoscaler : public ClusterObserver {
 public:
  // Adds one node of the pool to the cluster (named and labelled as the pool's nodes are).
  using NodeFactory = std::function<NodeId(const std::string& pool)>;

  ClusterAutoscaler(Cluster& cluster, EventLoop& loop, const sched::Scheduler& scheduler,
                    std::vector<NodeGroup> groups, NodeFactory add_node,
                    AutoscalerOptions options = {});
  ~ClusterAutoscaler() override;

  // Starts the periodic scan.
  void start();
  // One scan now (tests).
  void scan();

  const std::vector<NodeGroup>& groups() const { return groups_; }
  const NodeGroupStats& stats(const std::string& group) const;
  std::int32_t size(const std::string& group) const;  // live nodes of the group

  void on_pod_released(PodId id, NodeId node) override;
  // An unschedulable pod prompts a scan (kept in the foreground: a scale-up may follow).
  void on_event(const ClusterEvent& e) override;
  void on_pod_deleted(PodId id) override;

  // What the scale-up estimator decided for one group (exposed for tests).
  struct Estimate {
    std::int32_t new_nodes = 0;
    std::vector<PodId> helped;
  };
  Estimate estimate(const NodeGroup& group, const std::vector<PodId>& pending) const;
  // Whether the pods of `node` fit on the other nodes (and may be moved at all).
  bool pods_can_move(NodeId node, std::string* why) const;

 private:
  std::vector<PodId> unschedulable_pods() const;
  // The pods that still fit nowhere on the nodes that exist (upstream's FilterOutSchedulable):
  // a pod waiting for a node that has just joined, or for the scheduler's back-off, needs no
  // new node.
  std::vector<PodId> filter_out_schedulable(const std::vector<PodId>& pending) const;
  void scale_up(const std::vector<PodId>& pending);
  void scale_down();
  void start_drain(NodeId node, bool empty);
  void finish_drains();
  double utilization(const Node& n) const;
  const NodeGroup* group_of(const Node& n) const;
  void schedule_scan(bool prompted);

  Cluster& cluster_;
  EventLoop& loop_;
  const sched::Scheduler& scheduler_;
  std::vector<NodeGroup> groups_;
  NodeFactory add_node_;
  AutoscalerOptions options_;
  std::map<std::string, NodeGroupStats> stats_;
  std::map<NodeId, TimeMs> unneeded_since_;
  std::set<NodeId> draining_;
  std::set<std::uint64_t> not_triggered_;  // pods already told NotTriggerScaleUp
  TimeMs last_scale_up_ms_ = -1;
  EventLoop::EventId scan_event_{};
  bool scan_foreground_ = false;
};

}  // namespace gpusim::ctrl
