#include "controllers/taint_eviction.hpp"

#include <algorithm>
#include <climits>

namespace gpusim::ctrl {

std::int64_t min_toleration_seconds(std::span<const std::optional<std::int64_t>> seconds) {
  if (seconds.empty()) return 0;
  std::int64_t best = INT64_MAX;
  for (const auto& s : seconds) {
    if (!s) continue;
    if (*s <= 0) return 0;
    best = std::min(best, *s);
  }
  return best == INT64_MAX ? -1 : best;
}

std::vector<Toleration> effective_tolerations(const std::vector<Toleration>& tolerations) {
  bool not_ready = false;
  bool unreachable = false;
  for (const Toleration& t : tolerations) {
    const bool no_execute = t.effect == TaintEffect::kNoExecute || t.effect == TaintEffect::kNone;
    if (!no_execute) continue;
    if (t.key.empty() || t.key == kTaintNotReady) not_ready = true;
    if (t.key.empty() || t.key == kTaintUnreachable) unreachable = true;
  }
  std::vector<Toleration> out = tolerations;
  if (!not_ready) {
    out.push_back(Toleration{kTaintNotReady, TolerationOperator::kExists, "",
                             TaintEffect::kNoExecute, kDefaultTolerationSeconds});
  }
  if (!unreachable) {
    out.push_back(Toleration{kTaintUnreachable, TolerationOperator::kExists, "",
                             TaintEffect::kNoExecute, kDefaultTolerationSeconds});
  }
  return out;
}

std::int64_t eviction_delay_seconds(const std::vector<Taint>& taints,
                                    const std::vector<Toleration>& tolerations) {
  // GetMatchingTolerations: the first toleration of each NoExecute taint; one miss evicts now.
  std::vector<std::optional<std::int64_t>> used;
  bool any = false;
  for (const Taint& taint : taints) {
    if (taint.effect != TaintEffect::kNoExecute) continue;
    any = true;
    auto it = std::find_if(tolerations.begin(), tolerations.end(),
                           [&](const Toleration& t) { return t.tolerates(taint); });
    if (it == tolerations.end()) return 0;
    used.push_back(it->toleration_seconds);
  }
  if (!any) return -1;
  return min_toleration_seconds(used);
}

TaintEvictionController::TaintEvictionController(Cluster& cluster, EventLoop& loop)
    : cluster_(cluster), loop_(loop) {}

void TaintEvictionController::cancel(PodId id) {
  if (id >= scheduled_.size() || !scheduled_[id].active) return;
  loop_.cancel(scheduled_[id].event);
  scheduled_[id].active = false;
}

void TaintEvictionController::on_pod_deleted(PodId id) {
  cancel(id);
}

void TaintEvictionController::on_pod_bound(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (p.status.node < node_has_no_execute_.size() && node_has_no_execute_[p.status.node])
    process(id);
}

void TaintEvictionController::on_node_updated(NodeId id) {
  const Node& n = cluster_.node(id);
  const bool has = std::any_of(n.taints.begin(), n.taints.end(),
                               [](const Taint& t) { return t.effect == TaintEffect::kNoExecute; });
  if (node_has_no_execute_.size() <= id) node_has_no_execute_.resize(id + 1, 0);
  const bool had = node_has_no_execute_[id];
  node_has_no_execute_[id] = has;
  if (!has && !had) return;
  const std::vector<PodId> pods = n.pods;
  for (PodId p : pods)
    process(p);
}

void TaintEvictionController::process(PodId id) {
  if (!cluster_.pod_exists(id)) return;
  const Pod& pod = cluster_.pod(id);
  if (pod.deletion_ms || pod.terminal() || !pod.bound()) {
    cancel(id);
    return;
  }
  const Node& node = cluster_.node(pod.status.node);
  const std::int64_t delay =
      eviction_delay_seconds(node.taints, effective_tolerations(pod.spec().tolerations));
  if (scheduled_.size() <= id) scheduled_.resize(id + 1);
  Scheduled& s = scheduled_[id];
  if (s.active && s.uid != pod.uid) cancel(id);
  if (delay < 0) {
    cancel(id);  // no NoExecute taint left, or tolerated forever
    return;
  }
  const TimeMs now = loop_.now();
  const PodRef ref = cluster_.ref(id);
  if (delay == 0) {
    cancel(id);
    evict(ref);
    return;
  }
  // The timer counts from when the controller first saw the pod with the taints: a pending
  // eviction is kept as it is (upstream replaces it only within the same instant).
  if (s.active && s.created_ms < now) return;
  cancel(id);
  const TimeMs created = now;
  s.uid = pod.uid;
  s.created_ms = created;
  s.fire_ms = std::max(now, created + delay * 1000);
  s.active = true;
  s.event = loop_.at(s.fire_ms, EventPriority::kController, [this, ref] {
    if (ref.id < scheduled_.size()) scheduled_[ref.id].active = false;
    evict(ref);
  });
}

void TaintEvictionController::evict(PodRef ref) {
  Pod* pod = cluster_.pod_if(ref);
  if (pod == nullptr || pod->deletion_ms) return;
  pod->status.reason = "DeletionByTaintManager";
  cluster_.emit(ClusterEvent{0, "TaintManagerEviction", "Pod", pod->key(),
                             pod->bound() ? cluster_.node(pod->status.node).name() : std::string(),
                             "Marking for deletion Pod " + pod->key(), false});
  cluster_.request_deletion(ref.id);
}

}  // namespace gpusim::ctrl
