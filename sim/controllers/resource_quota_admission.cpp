#include "controllers/resource_quota_admission.hpp"

#include "model/quota_evaluator.hpp"

namespace gpusim::ctrl {

const PodSpec& QuotaSpecs::of(const Pod& pod) {
  const PodSpec& spec = pod.spec();
  if (!spec.priority_class_name.empty()) return spec;
  const PriorityClass* dflt = nullptr;
  for (const auto& [name, pc] : cluster_.priority_classes) {
    if (pc.global_default) {
      dflt = &pc;
      break;
    }
  }
  if (dflt == nullptr) return spec;
  auto it = defaulted_.find(pod.tmpl.get());
  if (it == defaulted_.end() || it->second.second->priority_class_name != dflt->meta.name) {
    auto copy = std::make_unique<PodSpec>(spec);
    copy->priority_class_name = dflt->meta.name;
    it = defaulted_.insert_or_assign(pod.tmpl.get(), std::make_pair(pod.tmpl, std::move(copy)))
             .first;
  }
  return *it->second.second;
}

std::vector<ResourceQuota*> quotas_in_namespace(Cluster& cluster, const std::string& ns) {
  std::vector<ResourceQuota*> out;
  const std::string prefix = ns + "/";
  for (auto it = cluster.quotas.lower_bound(prefix);
       it != cluster.quotas.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.push_back(&it->second);
  }
  return out;
}

std::optional<std::string> ResourceQuotaAdmission::admit(const Pod& pod, PodStatus&) {
  pending_.clear();
  std::vector<ResourceQuota*> quotas = quotas_in_namespace(cluster_, pod.namespace_);
  if (quotas.empty()) return std::nullopt;
  // Checked as a dry run: the charge is applied only once every plugin has admitted the pod.
  const QuotaDecision d = check_pod_create(quotas, specs_.of(pod), /*dry_run=*/true);
  if (!d.allowed) {
    ++rejections_[pod.namespace_ + "/" + d.failed_quota];
    return d.message;
  }
  for (const auto& [index, charge] : d.charged)
    pending_.emplace_back(quotas[index]->meta.key(), charge);
  return std::nullopt;
}

std::optional<std::string> ResourceQuotaAdmission::admit_object(std::string_view kind,
                                                                const ObjectMeta& meta) {
  const auto resource = counted_resource(kind);
  if (!resource) return std::nullopt;
  std::vector<ResourceQuota*> quotas = quotas_in_namespace(cluster_, meta.namespace_);
  if (quotas.empty()) return std::nullopt;
  const QuotaDecision d = check_object_create(quotas, *resource);
  if (d.allowed) return std::nullopt;
  ++object_rejections_[meta.namespace_ + "/" + d.failed_quota];
  return d.message;
}

void ResourceQuotaAdmission::admitted(PodId) {
  for (const auto& [key, charge] : pending_) {
    auto it = cluster_.quotas.find(key);
    if (it != cluster_.quotas.end()) add_usage(it->second.status_used, charge);
  }
  pending_.clear();
}

}  // namespace gpusim::ctrl
