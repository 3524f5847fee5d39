#include "controllers/resource_quota_controller.hpp"

#include "model/quota_evaluator.hpp"

namespace gpusim::ctrl {

namespace {

template <typename T>
std::int64_t count_in_namespace(const std::map<std::string, T>& objects, const std::string& ns) {
  const std::string prefix = ns + "/";
  std::int64_t n = 0;
  for (auto it = objects.lower_bound(prefix);
       it != objects.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    ++n;
  }
  return n;
}

// The objects of `kind` in namespace `ns`; nullopt for kinds without an object count.
std::optional<std::int64_t> objects_of_kind(const Cluster& c, std::string_view kind,
                                            const std::string& ns) {
  if (kind == "Deployment") return count_in_namespace(c.deployments, ns);
  if (kind == "ReplicaSet") return count_in_namespace(c.replica_sets, ns);
  if (kind == "Job") return count_in_namespace(c.jobs, ns);
  if (kind == "CronJob") return count_in_namespace(c.cron_jobs, ns);
  if (kind == "HorizontalPodAutoscaler") return count_in_namespace(c.hpas, ns);
  if (kind == "PodDisruptionBudget") return count_in_namespace(c.pdbs, ns);
  if (kind == "PyTorchJob") return count_in_namespace(c.pytorch_jobs, ns);
  return std::nullopt;
}

}  // namespace

ResourceQuantities ResourceQuotaController::recalculate(const ResourceQuota& quota) {
  // CalculateUsage: every hard name starts at 0, the matching pods' usage is added, and the
  // result is masked to the hard names. Object counts of the kinds gpusim stores are counted;
  // names no simulated evaluator counts (services, configmaps, ...) stay 0.
  std::vector<std::string> hard_names;
  for (const auto& [name, q] : quota.status_hard)
    hard_names.push_back(name);
  std::vector<QuotaPodView> pods;
  const std::string& ns = quota.meta.namespace_;
  cluster_.for_each_pod([&](PodId, const Pod& p) {
    if (p.namespace_ == ns) pods.push_back(QuotaPodView{&specs_.of(p), quota_state_of(p)});
  });
  ResourceQuantities used =
      mask(usage_stats(quota_scope_selectors(quota), pods, cluster_.now(), hard_names), hard_names);
  if (quota_scope_selectors(quota).empty()) {
    for (auto& [name, amount] : used) {
      if (auto kind = counted_kind(name))
        amount = Quantity::from_int(*objects_of_kind(cluster_, *kind, ns));
    }
  }
  return used;
}

void ResourceQuotaController::sync(const std::string& key) {
  auto it = cluster_.quotas.find(key);
  if (it == cluster_.quotas.end()) return;
  ResourceQuota& q = it->second;
  q.status_hard = q.hard;
  q.status_used = recalculate(q);
}

void ResourceQuotaController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "ResourceQuota") {
    sync(key);
    return;
  }
  // Created, changed or deleted: the namespace's count is what the store holds now (a deletion
  // gives its charge back, a creation confirms the one admission made).
  const auto resource = counted_resource(kind);
  if (!resource || cluster_.quotas.empty()) return;
  const std::string ns = key.substr(0, key.find('/'));
  const std::string name = "count/" + std::string(*resource);
  for (ResourceQuota* q : quotas_in_namespace(cluster_, ns)) {
    auto used = q->status_used.find(name);
    if (used == q->status_used.end() || !quota_scope_selectors(*q).empty()) continue;
    used->second = Quantity::from_int(*objects_of_kind(cluster_, kind, ns));
  }
}

void ResourceQuotaController::give_back(const Pod& pod, const ResourceQuantities& usage) {
  const PodSpec& spec = specs_.of(pod);
  for (ResourceQuota* q : quotas_in_namespace(cluster_, pod.namespace_)) {
    if (!quota_matches_pod(*q, spec)) continue;
    std::vector<std::string> hard_names;
    for (const auto& [name, v] : q->status_hard)
      hard_names.push_back(name);
    subtract_usage(q->status_used, mask(usage, hard_names));
  }
}

void ResourceQuotaController::on_pod_updated(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (!p.terminal() || terminal_.count(p.uid)) return;
  terminal_.insert(p.uid);
  if (cluster_.quotas.empty()) return;
  // Terminal pods keep only count/pods: give back everything else.
  ResourceQuantities usage = pod_quota_usage(specs_.of(p), PodQuotaState{}, cluster_.now());
  usage.erase(std::string(kCountPods));
  give_back(p, usage);
}

void ResourceQuotaController::on_pod_deleted(PodId id) {
  const Pod& p = cluster_.pod(id);
  const bool was_terminal = terminal_.erase(p.uid) != 0;
  if (cluster_.quotas.empty()) return;
  ResourceQuantities usage =
      was_terminal ? ResourceQuantities{{std::string(kCountPods), Quantity::from_int(1)}}
                   : pod_quota_usage(specs_.of(p), PodQuotaState{}, cluster_.now());
  give_back(p, usage);
}

}  // namespace gpusim::ctrl
