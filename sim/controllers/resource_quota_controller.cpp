#include "controllers/resource_quota_controller.hpp"

#include "model/quota_evaluator.hpp"

namespace gpusim::ctrl {

ResourceQuantities ResourceQuotaController::recalculate(const ResourceQuota& quota) {
  // CalculateUsage: every hard name starts at 0, the matching pods' usage is added, and the
  // result is masked to the hard names. Names no simulated evaluator counts (services,
  // count/jobs.batch, ...) stay 0.
  std::vector<std::string> hard_names;
  for (const auto& [name, q] : quota.status_hard)
    hard_names.push_back(name);
  std::vector<QuotaPodView> pods;
  const std::string& ns = quota.meta.namespace_;
  cluster_.for_each_pod([&](PodId, const Pod& p) {
    if (p.namespace_ == ns) pods.push_back(QuotaPodView{&specs_.of(p), quota_state_of(p)});
  });
  return mask(usage_stats(quota_scope_selectors(quota), pods, cluster_.now(), hard_names),
              hard_names);
}

void ResourceQuotaController::sync(const std::string& key) {
  auto it = cluster_.quotas.find(key);
  if (it == cluster_.quotas.end()) return;
  ResourceQuota& q = it->second;
  q.status_hard = q.hard;
  q.status_used = recalculate(q);
}

void ResourceQuotaController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "ResourceQuota") sync(key);
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
