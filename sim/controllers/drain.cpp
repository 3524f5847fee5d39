#include "controllers/drain.hpp"

#include <algorithm>

#include "controllers/disruption.hpp"
#include "controllers/node_lifecycle.hpp"
#include "core/duration.hpp"

namespace gpusim::ctrl {

DrainController::DrainController(Cluster& cluster, EventLoop& loop)
    : cluster_(cluster), loop_(loop) {}

void DrainController::drain(NodeId id, DrainOptions options) {
  if (!cluster_.node_exists(id)) return;
  for (const Active& a : active_) {
    if (a.node == id && !a.done) return;
  }
  DrainRecord r;
  r.node = cluster_.node(id).name();
  r.reason = options.reason;
  r.started_ms = loop_.now();
  records_.push_back(r);
  Active a;
  a.node = id;
  a.record = records_.size() - 1;
  a.options = std::move(options);
  active_.push_back(std::move(a));
  cordon_node(cluster_, id, true);
  cluster_.emit(ClusterEvent{0, "Draining", "Node", r.node, r.node,
                             "Draining node " + r.node + " (" + r.reason + ")", false});
  pass(active_.size() - 1);
}

std::vector<PodId> DrainController::pods_to_drain(const Active& a, bool& unmanaged,
                                                  std::string& unmanaged_names) const {
  std::vector<PodId> out;
  unmanaged = false;
  cluster_.for_each_pod([&](PodId id, const Pod& p) {
    if (p.status.node != a.node) return;
    if (p.owner && p.owner->kind == "DaemonSet") return;  // --ignore-daemonsets
    if ((!p.owner || !p.owner->controller) && !a.options.force && !p.terminal()) {
      unmanaged = true;
      unmanaged_names += (unmanaged_names.empty() ? "" : ", ") + p.key();
    }
    out.push_back(id);
  });
  return out;
}

bool DrainController::check_done(Active& a) {
  if (a.done) return true;
  DrainRecord& r = records_[a.record];
  bool left = false;
  if (cluster_.node_exists(a.node)) {
    cluster_.for_each_pod([&](PodId, const Pod& p) {
      if (p.status.node == a.node && !(p.owner && p.owner->kind == "DaemonSet") &&
          !a.failed.count(p.uid)) {
        left = true;
      }
    });
  }
  if (left) return false;
  a.done = true;
  r.finished_ms = loop_.now();
  if (!a.failed.empty()) {
    r.failed = true;
    r.message = a.errors;
    cluster_.emit(ClusterEvent{0, "DrainFailed", "Node", r.node, r.node, r.message, true});
    return true;
  }
  cluster_.emit(ClusterEvent{
      0, "NodeDrained", "Node", r.node, r.node,
      "Node " + r.node + " drained in " + format_duration(*r.finished_ms - r.started_ms) + " (" +
          std::to_string(r.evicted) + " pods evicted, " + std::to_string(r.blocked_attempts) +
          " evictions refused by a PodDisruptionBudget)",
      false});
  return true;
}

void DrainController::pass(std::size_t index) {
  Active& a = active_[index];
  if (a.done) return;
  DrainRecord& r = records_[a.record];
  if (!cluster_.node_exists(a.node)) {
    check_done(a);
    return;
  }
  bool unmanaged = false;
  std::string names;
  const std::vector<PodId> pods = pods_to_drain(a, unmanaged, names);
  if (unmanaged && r.evicted == 0) {
    // kubectl refuses before evicting anything.
    a.done = true;
    r.failed = true;
    r.message = "cannot delete Pods that declare no controller (use --force to override): " + names;
    cluster_.emit(ClusterEvent{0, "DrainFailed", "Node", r.node, r.node, r.message, true});
    return;
  }
  for (PodId id : pods) {
    if (!cluster_.pod_exists(id)) continue;
    Pod& p = cluster_.pod(id);
    if (p.deletion_ms || a.failed.count(p.uid)) continue;  // waiting for it to go, or given up
    const std::string key = p.key();
    const std::uint64_t uid = p.uid;
    const Eviction e = evict_pod(cluster_, id);
    switch (e.result) {
      case EvictionResult::kEvicted:
        ++r.evicted;
        cluster_.emit(ClusterEvent{
            0, "Evicted", "Pod", key, r.node,
            "Evicted through the Eviction API (" + r.reason + " of node " + r.node + ")", false});
        break;
      case EvictionResult::kTooManyRequests:
        ++r.blocked_attempts;
        if (a.blocked_reported.insert(uid).second) {
          cluster_.emit(ClusterEvent{0, "EvictionBlocked", "Pod", key, r.node,
                                     "error when evicting pods/" + key + " (will retry after " +
                                         format_duration(a.options.retry_ms) + "): " + e.message +
                                         (e.budget.empty() ? "" : " (" + e.budget + ")"),
                                     true});
        }
        break;
      case EvictionResult::kFailed:
        a.failed.insert(uid);
        a.errors += (a.errors.empty() ? "" : "; ") + std::string("error when evicting pods/") +
                    key + ": " + e.message;
        break;
      case EvictionResult::kGone:
        break;
    }
  }
  if (check_done(a)) return;
  const TimeMs now = loop_.now();
  if (a.options.timeout_ms && now - r.started_ms >= *a.options.timeout_ms) {
    a.done = true;
    r.timed_out = true;
    r.message = "drain did not complete within " + format_duration(*a.options.timeout_ms);
    cluster_.emit(ClusterEvent{0, "DrainTimeout", "Node", r.node, r.node, r.message, true});
    return;
  }
  TimeMs next = now + a.options.retry_ms;
  if (a.options.timeout_ms) next = std::min(next, r.started_ms + *a.options.timeout_ms);
  loop_.at_background(next, EventPriority::kTimeline, [this, index] { pass(index); });
}

void DrainController::on_pod_deleted(PodId id) {
  const NodeId n = cluster_.pod(id).status.node;
  if (n == kNoNode) return;
  for (Active& a : active_) {
    if (a.done || a.node != n) continue;
    // The pod is still in the store during this callback: finish once it is gone.
    const std::size_t index = static_cast<std::size_t>(&a - active_.data());
    loop_.at(loop_.now(), EventPriority::kApi, [this, index] { check_done(active_[index]); });
  }
}

void DrainController::on_node_removed(NodeId id) {
  for (Active& a : active_) {
    if (a.done || a.node != id) continue;
    DrainRecord& r = records_[a.record];
    a.done = true;
    r.finished_ms = loop_.now();
    r.message = "node removed";
  }
}

}  // namespace gpusim::ctrl
