#include "controllers/disruption.hpp"

#include <algorithm>
#include <set>

namespace gpusim::ctrl {

bool pdb_uses_scale(const PodDisruptionBudget& pdb) {
  if (pdb.max_unavailable) return true;
  return pdb.min_available && pdb.min_available->is_string;
}

std::int32_t pdb_desired_healthy(const PodDisruptionBudget& pdb, std::int32_t expected) {
  if (pdb.max_unavailable) {
    const std::int32_t unavailable = scaled_value(*pdb.max_unavailable, expected, true).value_or(0);
    return std::max(0, expected - unavailable);
  }
  if (pdb.min_available) {
    if (!pdb.min_available->is_string) return pdb.min_available->int_value;
    return scaled_value(*pdb.min_available, expected, true).value_or(0);
  }
  return 0;
}

std::vector<PodId> pdb_pods(const Cluster& cluster, const PodDisruptionBudget& pdb) {
  std::vector<PodId> out;
  cluster.for_each_pod([&](PodId id, const Pod& p) {
    if (p.namespace_ == pdb.meta.namespace_ && pdb.selector.matches(p.labels())) out.push_back(id);
  });
  return out;
}

namespace {

// getExpectedScale: the sum of the scales of the pods' controllers (each counted once). Pods
// without a controller are left out (upstream's unmanagedPods), not an error.
bool expected_scale(const Cluster& cluster, const std::vector<PodId>& pods, std::int32_t& out,
                    std::string& error) {
  std::set<std::uint64_t> seen;
  out = 0;
  for (PodId id : pods) {
    const Pod& p = cluster.pod(id);
    if (!p.owner || !p.owner->controller) continue;
    if (p.owner->kind != "ReplicaSet") {
      error = "found no scalable controller for pod \"" + p.name + "\" (" + p.owner->kind + ")";
      return false;
    }
    auto rs = cluster.replica_sets.find(p.namespace_ + "/" + p.owner->name);
    if (rs == cluster.replica_sets.end()) {
      error = "found no controllers for pod \"" + p.name + "\"";
      return false;
    }
    const auto& owner = rs->second.meta.owner;
    if (owner && owner->kind == "Deployment") {
      auto d = cluster.deployments.find(p.namespace_ + "/" + owner->name);
      if (d != cluster.deployments.end() && seen.insert(d->second.meta.uid).second) {
        out += d->second.spec_replicas();
      }
      continue;
    }
    if (seen.insert(rs->second.meta.uid).second) out += rs->second.replicas;
  }
  return true;
}

}  // namespace

PdbStatus compute_pdb_status(const Cluster& cluster, const PodDisruptionBudget& pdb) {
  PdbStatus st;
  const std::vector<PodId> pods = pdb_pods(cluster, pdb);
  for (PodId id : pods) {
    const Pod& p = cluster.pod(id);
    if (!p.deletion_ms && p.status.ready) ++st.current_healthy;
  }
  if (pdb_uses_scale(pdb)) {
    if (!expected_scale(cluster, pods, st.expected_pods, st.error)) return st;
  } else if (pdb.min_available) {
    st.expected_pods = static_cast<std::int32_t>(pods.size());
  }  // neither field: nothing expected, so no disruption is allowed (getExpectedPodCount)
  st.desired_healthy = pdb_desired_healthy(pdb, st.expected_pods);
  if (st.expected_pods > 0) {
    st.disruptions_allowed = std::max(0, st.current_healthy - st.desired_healthy);
  }
  return st;
}

Eviction evict_pod(Cluster& cluster, PodId id) {
  Eviction e;
  if (!cluster.pod_exists(id)) {
    e.message = "pod not found";
    return e;
  }
  Pod& pod = cluster.pod(id);
  if (pod.deletion_ms) {
    e.message = "pod is already being deleted";
    return e;
  }
  // Pods that are not running are not protected by budgets.
  const bool ignore_budgets = pod.terminal() || pod.status.phase == PodPhase::kPending;
  if (!ignore_budgets) {
    std::vector<std::string> covering;
    for (const auto& [key, pdb] : cluster.pdbs) {
      if (pdb.meta.namespace_ == pod.namespace_ && pdb.selector.matches(pod.labels())) {
        covering.push_back(key);
      }
    }
    if (covering.size() > 1) {
      e.result = EvictionResult::kFailed;
      e.message =
          "This pod has more than one PodDisruptionBudget, which the eviction subresource "
          "does not support.";
      return e;
    }
    if (covering.size() == 1) {
      PodDisruptionBudget& pdb = cluster.pdbs.at(covering.front());
      const PdbStatus st = compute_pdb_status(cluster, pdb);
      e.budget = covering.front();
      // An unready pod may go while the budget is otherwise healthy (IfHealthyBudget), or
      // always (AlwaysAllow).
      const bool unhealthy_ok =
          !pod.status.ready && (pdb.always_allow_unhealthy ||
                                (st.error.empty() && st.current_healthy >= st.desired_healthy &&
                                 st.desired_healthy > 0));
      if (!unhealthy_ok && (!st.error.empty() || st.disruptions_allowed <= 0)) {
        e.result = EvictionResult::kTooManyRequests;
        e.message = "Cannot evict pod as it would violate the pod's disruption budget.";
        if (!st.error.empty())
          e.message +=
              " The disruption budget " + pdb.meta.name + " does not have a status: " + st.error;
        return e;
      }
    }
  }
  e.result = EvictionResult::kEvicted;
  pod.status.reason = "Evicted";
  cluster.request_deletion(id);
  for (auto& [key, pdb] : cluster.pdbs) {
    if (pdb.meta.namespace_ != pod.namespace_) continue;
    const PdbStatus st = compute_pdb_status(cluster, pdb);
    pdb.current_healthy = st.current_healthy;
    pdb.desired_healthy = st.desired_healthy;
    pdb.expected_pods = st.expected_pods;
    pdb.disruptions_allowed = st.disruptions_allowed;
  }
  return e;
}

DisruptionController::DisruptionController(Cluster& cluster, EventLoop& loop)
    : cluster_(cluster), reconciler_(loop, [this](const std::string& k) { sync(k); }) {}

void DisruptionController::touch(PodId id) {
  if (cluster_.pdbs.empty()) return;
  const Pod& p = cluster_.pod(id);
  for (const auto& [key, pdb] : cluster_.pdbs) {
    if (pdb.meta.namespace_ == p.namespace_ && pdb.selector.matches(p.labels())) {
      reconciler_.enqueue(key);
    }
  }
}

void DisruptionController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "PodDisruptionBudget") reconciler_.enqueue(key);
  if (kind == "Deployment" || kind == "ReplicaSet") {
    for (const auto& [k, pdb] : cluster_.pdbs) {
      if (pdb_uses_scale(pdb)) reconciler_.enqueue(k);
    }
  }
}

void DisruptionController::sync(const std::string& key) {
  auto it = cluster_.pdbs.find(key);
  if (it == cluster_.pdbs.end()) return;
  PodDisruptionBudget& pdb = it->second;
  const PdbStatus st = compute_pdb_status(cluster_, pdb);
  pdb.current_healthy = st.current_healthy;
  pdb.desired_healthy = st.desired_healthy;
  pdb.expected_pods = st.expected_pods;
  pdb.disruptions_allowed = st.disruptions_allowed;
}

}  // namespace gpusim::ctrl
