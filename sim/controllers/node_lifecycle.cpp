#include "controllers/node_lifecycle.hpp"

#include <algorithm>

#include "controllers/kubelet.hpp"
#include "core/duration.hpp"

namespace gpusim::ctrl {

namespace {
// kube-controller-manager's defaults.
constexpr double kEvictionRate = 0.1;             // --node-eviction-rate (nodes/s)
constexpr double kSecondaryEvictionRate = 0.01;   // --secondary-node-eviction-rate
constexpr std::int64_t kLargeClusterSize = 50;    // --large-cluster-size-threshold
constexpr double kUnhealthyZoneThreshold = 0.55;  // --unhealthy-zone-threshold
}  // namespace

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

void NodeLifecycleController::on_node_added(NodeId id) {
  const Node& n = cluster_.node(id);
  if (n.ready) return;
  fail(id, n.ready_unknown ? NodeFailureMode::kUnreachable : NodeFailureMode::kNotReady, 0);
}

void NodeLifecycleController::mark_not_ready(NodeId id, std::uint64_t failure,
                                             NodeFailureMode mode) {
  if (!cluster_.node_exists(id) || failure_seq_[id] != failure) return;  // recovered meanwhile
  Node& n = cluster_.node(id);
  n.ready = false;
  n.ready_transition_ms = loop_.now();
  const char* key = mode == NodeFailureMode::kUnreachable ? kTaintUnreachable : kTaintNotReady;
  const Taint no_schedule{key, "", TaintEffect::kNoSchedule, loop_.now()};
  if (std::find(n.taints.begin(), n.taints.end(), no_schedule) == n.taints.end()) {
    n.taints.push_back(no_schedule);
  }
  if (taint_key_.size() <= id) taint_key_.resize(id + 1, nullptr);
  taint_key_[id] = key;
  zones_[zone_of(n)].pending.push_back(id);
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
  handle_disruption();
}

std::string NodeLifecycleController::zone_of(const Node& n) const {
  auto label = [&](const char* key) {
    auto it = n.meta.labels.find(key);
    return it == n.meta.labels.end() ? nullptr : &it->second;
  };
  const std::string* region = label("topology.kubernetes.io/region");
  const std::string* zone = label("topology.kubernetes.io/zone");
  if (region == nullptr && zone == nullptr) return "";
  return (region ? *region : "") + std::string(":\0:", 3) + (zone ? *zone : "");
}

NodeLifecycleController::ZoneState NodeLifecycleController::state_of(
    const std::string& zone) const {
  std::int64_t ready = 0, not_ready = 0;
  for (NodeId i = 0; i < cluster_.node_slots(); ++i) {
    if (!cluster_.node_exists(i) || zone_of(cluster_.node(i)) != zone) continue;
    (cluster_.node(i).ready ? ready : not_ready) += 1;
  }
  // ComputeZoneState.
  if (ready == 0 && not_ready > 0) return ZoneState::kFullDisruption;
  if (not_ready > 2 && static_cast<double>(not_ready) / static_cast<double>(ready + not_ready) >=
                           kUnhealthyZoneThreshold) {
    return ZoneState::kPartialDisruption;
  }
  return ZoneState::kNormal;
}

double NodeLifecycleController::rate_of(const std::string& zone) const {
  if (all_disrupted_) return 0;
  // setLimiterInZone.
  if (state_of(zone) != ZoneState::kPartialDisruption) return kEvictionRate;
  std::int64_t size = 0;
  for (NodeId i = 0; i < cluster_.node_slots(); ++i)
    size += cluster_.node_exists(i) && zone_of(cluster_.node(i)) == zone ? 1 : 0;
  return size > kLargeClusterSize ? kSecondaryEvictionRate : 0;
}

bool NodeLifecycleController::awaits_taint(NodeId id) const {
  return cluster_.node_exists(id) && !cluster_.node(id).ready && id < taint_key_.size() &&
         taint_key_[id] != nullptr;
}

void NodeLifecycleController::handle_disruption() {
  // Once per instant, after every readiness change of that instant: upstream's monitor pass
  // queues all the nodes it found NotReady, sets the zones' rates, and only then taints.
  if (disruption_pass_) return;
  disruption_pass_ = true;
  loop_.at(loop_.now(), EventPriority::kController, [this] {
    disruption_pass_ = false;
    disruption_pass();
  });
}

void NodeLifecycleController::disruption_pass() {
  std::map<std::string, bool> full;  // every zone that has nodes: wholly NotReady?
  for (NodeId i = 0; i < cluster_.node_slots(); ++i) {
    if (cluster_.node_exists(i)) full.emplace(zone_of(cluster_.node(i)), true);
  }
  bool all_full = !full.empty();
  for (auto& [zone, f] : full) {
    f = state_of(zone) == ZoneState::kFullDisruption;
    all_full = all_full && f;
  }
  if (all_full && !all_disrupted_) {
    // Master disruption mode: no node is evicted, and the NoExecute taints already added go.
    all_disrupted_ = true;
    cluster_.emit(ClusterEvent{0, "AllNodesNotReady", "Node", "", "",
                               "Controller detected that all Nodes are not-Ready: no evictions "
                               "until one is Ready again",
                               true});
    for (NodeId i = 0; i < cluster_.node_slots(); ++i) {
      if (!awaits_taint(i)) continue;
      Node& n = cluster_.node(i);
      const auto before = n.taints.size();
      std::erase_if(n.taints, [](const Taint& t) {
        return t.effect == TaintEffect::kNoExecute &&
               (t.key == kTaintNotReady || t.key == kTaintUnreachable);
      });
      if (n.taints.size() != before) {
        zones_[zone_of(n)].pending.push_back(i);
        cluster_.node_changed(i);
      }
    }
    return;
  }
  if (!all_full) all_disrupted_ = false;
  for (auto& [zone, z] : zones_)
    taint_pass(zone);
}

void NodeLifecycleController::taint_pass(const std::string& zone) {
  Zone& z = zones_[zone];
  const double rate = rate_of(zone);
  const TimeMs now = loop_.now();
  while (!z.pending.empty() && rate > 0) {
    const NodeId id = z.pending.front();
    if (!awaits_taint(id)) {  // recovered or removed meanwhile
      z.pending.pop_front();
      continue;
    }
    if (now < z.next_ms) {
      if (loop_.pending(z.timer) && z.timer_at <= z.next_ms) return;
      if (loop_.pending(z.timer)) loop_.cancel(z.timer);
      z.timer_at = z.next_ms;
      z.timer = loop_.at(z.next_ms, EventPriority::kController, [this, zone] { taint_pass(zone); });
      return;
    }
    z.pending.pop_front();
    Node& n = cluster_.node(id);
    const Taint t{taint_key_[id], "", TaintEffect::kNoExecute, now};
    if (std::find(n.taints.begin(), n.taints.end(), t) == n.taints.end()) {
      n.taints.push_back(t);
      cluster_.node_changed(id);
    }
    z.next_ms = now + static_cast<TimeMs>(1000.0 / rate);
  }
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
  if (was_not_ready) handle_disruption();
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
