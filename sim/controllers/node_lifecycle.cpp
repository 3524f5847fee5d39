#include "controllers/node_lifecycle.hpp"

#include <algorithm>

#include "controllers/kubelet.hpp"
#include "core/duration.hpp"

namespace gpusim::ctrl {

bool cordon_node(Cluster& cluster, NodeId id, bool unschedulable) {
  Node& n = cluster.node(id);
  auto it = std::find_if(n.taints.begin(), n.taints.end(), [](const Taint& t) {
    return t.key == kTaintUnschedulable && t.effect == TaintEffect::kNoSchedule;
  });
  const bool tainted = it != n.taints.end();
  if (n.unschedulable == unschedulable && tainted == unschedulable) return false;
  n.unschedulable = unschedulable;
  if (unschedulable && !tainted) {
    n.taints.push_back(Taint{kTaintUnschedulable, "", TaintEffect::kNoSchedule, cluster.now()});
  } else if (!unschedulable && tainted) {
    n.taints.erase(it);
  }
  cluster.emit(ClusterEvent{
      0, unschedulable ? "NodeNotSchedulable" : "NodeSchedulable", "Node", n.name(), n.name(),
      "Node " + n.name() +
          " status is now: " + (unschedulable ? "NodeNotSchedulable" : "NodeSchedulable"),
      false});
  cluster.node_changed(id);
  return true;
}

NodeLifecycleController::NodeLifecycleController(Cluster& cluster, EventLoop& loop,
                                                 NodeLifecycleSettings settings)
    : cluster_(cluster), loop_(loop), settings_(settings) {}

void NodeLifecycleController::fail(NodeId id, NodeFailureMode mode,
                                   std::optional<TimeMs> grace_ms) {
  if (!cluster_.node_exists(id)) return;
  Node& n = cluster_.node(id);
  if (n.meta.annotation(kAnnotationKubeletDown) != nullptr) return;  // already down
  if (failure_seq_.size() <= id) failure_seq_.resize(id + 1, 0);
  const std::uint64_t failure = ++failure_seq_[id];
  n.meta.annotations[kAnnotationKubeletDown] = std::to_string(loop_.now());
  cluster_.emit(ClusterEvent{0, "NodeFailure", "Node", n.name(), n.name(),
                             mode == NodeFailureMode::kUnreachable
                                 ? "Kubelet stopped posting node status (node unreachable)"
                                 : "Kubelet reports the node NotReady",
                             true});
  cluster_.node_changed(id);
  const TimeMs grace = grace_ms.value_or(settings_.node_monitor_grace_period_ms);
  loop_.after(grace, EventPriority::kController,
              [this, id, failure, mode] { mark_not_ready(id, failure, mode); });
}

void NodeLifecycleController::mark_not_ready(NodeId id, std::uint64_t failure,
                                             NodeFailureMode mode) {
  if (!cluster_.node_exists(id) || failure_seq_[id] != failure) return;  // recovered meanwhile
  Node& n = cluster_.node(id);
  n.ready = false;
  n.ready_transition_ms = loop_.now();
  const char* key = mode == NodeFailureMode::kUnreachable ? kTaintUnreachable : kTaintNotReady;
  for (TaintEffect effect : {TaintEffect::kNoSchedule, TaintEffect::kNoExecute}) {
    Taint t{key, "", effect, loop_.now()};
    if (std::find(n.taints.begin(), n.taints.end(), t) == n.taints.end()) n.taints.push_back(t);
  }
  cluster_.emit(ClusterEvent{0, "NodeNotReady", "Node", n.name(), n.name(),
                             "Node " + n.name() + " status is now: NodeNotReady", true});
  // MarkPodsNotReady: the endpoints controller stops sending them traffic.
  const std::vector<PodId> pods = n.pods;
  for (PodId p : pods) {
    Pod& pod = cluster_.pod(p);
    if (!pod.status.ready) continue;
    pod.status.ready = false;
    pod.status.ready_transition_ms = loop_.now();
    cluster_.emit(
        ClusterEvent{0, "NodeNotReady", "Pod", pod.key(), n.name(), "Node is not ready", true});
    cluster_.pod_changed(p);
  }
  cluster_.node_changed(id);
}

void NodeLifecycleController::recover(NodeId id) {
  if (!cluster_.node_exists(id)) return;
  Node& n = cluster_.node(id);
  if (failure_seq_.size() <= id) failure_seq_.resize(id + 1, 0);
  ++failure_seq_[id];
  const bool was_down = n.meta.annotations.erase(kAnnotationKubeletDown) > 0;
  const bool was_not_ready = !n.ready;
  n.ready = true;
  if (was_not_ready) n.ready_transition_ms = loop_.now();
  n.taints.erase(std::remove_if(n.taints.begin(), n.taints.end(),
                                [](const Taint& t) {
                                  return t.key == kTaintNotReady || t.key == kTaintUnreachable;
                                }),
                 n.taints.end());
  if (!was_down && !was_not_ready) return;
  cluster_.emit(ClusterEvent{0, "NodeReady", "Node", n.name(), n.name(),
                             "Node " + n.name() + " status is now: NodeReady", false});
  cluster_.node_changed(id);
}

void NodeLifecycleController::remove(NodeId id, const std::string& why) {
  if (!cluster_.node_exists(id)) return;
  const std::string name = cluster_.node(id).name();
  std::vector<PodId> pods;
  cluster_.for_each_pod([&](PodId p, const Pod& pod) {
    if (pod.status.node == id) pods.push_back(p);
  });
  cluster_.emit(ClusterEvent{0, "RemovingNode", "Node", name, name,
                             "Removing Node " + name + (why.empty() ? "" : " (" + why + ")"),
                             false});
  for (PodId p : pods) {
    const std::string key = cluster_.pod(p).key();
    cluster_.emit(
        ClusterEvent{0, "PodGC", "Pod", key, name, "Deleted pod of removed node " + name, false});
    cluster_.delete_pod(p);
  }
  cluster_.remove_node(id);
}

}  // namespace gpusim::ctrl
