#pragma once
// What happens to nodes from outside the cluster's control loops, and the node lifecycle
// controller's answer: cordon/uncordon (spec.unschedulable plus the unschedulable taint), a
// failure (the kubelet stops posting status: after the node monitor grace period the node is
// NotReady, tainted not-ready or unreachable with NoSchedule and NoExecute, and its pods are
// marked not ready; the taint-eviction controller then evicts them after tolerationSeconds),
// recovery (taints removed, the kubelet restarts the pods) and removal (the Node object is
// deleted and the pod garbage collector deletes its pods).
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

enum class NodeFailureMode {
  kUnreachable,  // the node stops answering (Ready=Unknown, node.kubernetes.io/unreachable)
  kNotReady,     // the kubelet reports NotReady (node.kubernetes.io/not-ready)
};

struct NodeLifecycleSettings {
  TimeMs node_monitor_grace_period_ms = 50'000;  // --node-monitor-grace-period
};

// Sets spec.unschedulable and the node.kubernetes.io/unschedulable:NoSchedule taint (or clears
// both). Returns false when nothing changed.
bool cordon_node(Cluster& cluster, NodeId id, bool unschedulable);

class NodeLifecycleController : public ClusterObserver {
 public:
  NodeLifecycleController(Cluster& cluster, EventLoop& loop, NodeLifecycleSettings settings);

  void fail(NodeId id, NodeFailureMode mode, std::optional<TimeMs> grace_ms = std::nullopt);
  void recover(NodeId id);
  // Deletes the Node object; its pods are deleted first (no grace: the machine is gone).
  void remove(NodeId id, const std::string& why);
  const NodeLifecycleSettings& settings() const { return settings_; }

 private:
  void mark_not_ready(NodeId id, std::uint64_t failure, NodeFailureMode mode);

  Cluster& cluster_;
  EventLoop& loop_;
  NodeLifecycleSettings settings_;
  std::vector<std::uint64_t> failure_seq_;  // by NodeId: bumps on every failure/recovery
};

}  // namespace gpusim::ctrl
