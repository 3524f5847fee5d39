#pragma once
// What happens to nodes from outside the cluster's control loops, and the node lifecycle
// controller's answer: cordon/uncordon (spec.unschedulable plus the unschedulable taint), a
// failure (the kubelet stops posting status: after the node monitor grace period the node is
// NotReady, tainted not-ready or unreachable with NoSchedule and NoExecute, and its pods are
// marked not ready; the taint-eviction controller then evicts them after tolerationSeconds),
// recovery (taints removed, the kubelet restarts the pods) and removal (the Node object is
// deleted and the pod garbage collector deletes its pods). The NoExecute taints that evict pods
// are added per zone at a limited rate that depends on how much of the zone is NotReady
// (upstream's zone states, --node-eviction-rate 0.1/s, --secondary-node-eviction-rate 0.01/s,
// --large-cluster-size-threshold 50, --unhealthy-zone-threshold 0.55); when every zone is
// wholly NotReady, the controller assumes its own view is broken and evicts nothing.
#include <deque>
#include <map>
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

  // A Node that arrives NotReady (its manifest's Ready condition False or Unknown) is treated as
  // one whose failure the controller has already seen: tainted and evicted from as any other.
  void on_node_added(NodeId id) override;

 private:
  enum class ZoneState { kNormal, kPartialDisruption, kFullDisruption };
  // A zone's NotReady nodes wait here for their NoExecute taint, added at the zone's rate.
  struct Zone {
    std::deque<NodeId> pending;
    TimeMs next_ms = 0;  // the rate limiter's next token (burst 1)
    EventLoop::EventId timer{};
    TimeMs timer_at = kForever;
  };
  void mark_not_ready(NodeId id, std::uint64_t failure, NodeFailureMode mode);
  // GetZoneKey: region and zone labels ("" for nodes without them).
  std::string zone_of(const Node& n) const;
  ZoneState state_of(const std::string& zone) const;
  // Taints per second the zone's NoExecute tainter may add in its state (0: stopped).
  double rate_of(const std::string& zone) const;
  // handleDisruption, after the readiness changes of an instant.
  void handle_disruption();
  void disruption_pass();
  void taint_pass(const std::string& zone);
  bool awaits_taint(NodeId id) const;

  Cluster& cluster_;
  EventLoop& loop_;
  NodeLifecycleSettings settings_;
  std::vector<std::uint64_t> failure_seq_;  // by NodeId: bumps on every failure/recovery
  std::vector<const char*> taint_key_;      // by NodeId: the NoExecute taint its failure gets
  std::map<std::string, Zone> zones_;
  bool all_disrupted_ = false;    // every zone fully NotReady: no evictions at all
  bool disruption_pass_ = false;  // one is scheduled for this instant
};

}  // namespace gpusim::ctrl
