#pragma once
// The ResourceQuota admission plugin: runs last in the chain on every pod CREATE and rejects a
// pod that would take any quota of its namespace over its hard limit, with upstream's Forbidden
// messages (k8s-semantics.md 5.3). An admitted pod's usage is charged to status.used at once, as
// the API server does; the quota controller (resource_quota_controller.hpp) gives it back when
// the pod terminates or is deleted. Object counts (count/jobs.batch, count/deployments.apps, ...)
// are admitted the same way on the CREATE of those objects.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/cluster.hpp"

namespace gpusim::ctrl {

// The spec the quota system sees for a pod. Priority admission fills an empty
// priorityClassName with the globalDefault class, which the PriorityClass scope then matches;
// pod specs are shared and immutable here, so the defaulted copy is made once per template.
class QuotaSpecs {
 public:
  explicit QuotaSpecs(const Cluster& cluster) : cluster_(cluster) {}
  const PodSpec& of(const Pod& pod);

 private:
  const Cluster& cluster_;
  std::unordered_map<const PodTemplate*,
                     std::pair<std::shared_ptr<const PodTemplate>, std::unique_ptr<PodSpec>>>
      defaulted_;
};

// Quotas of one namespace, in name order (the order upstream checks them in).
std::vector<ResourceQuota*> quotas_in_namespace(Cluster& cluster, const std::string& ns);

class ResourceQuotaAdmission : public AdmissionPlugin {
 public:
  explicit ResourceQuotaAdmission(Cluster& cluster) : cluster_(cluster), specs_(cluster) {}

  std::optional<std::string> admit(const Pod& pod, PodStatus& status) override;
  void admitted(PodId id) override;
  // Object counts (count/jobs.batch, ...): charged at once, as the API server does; the quota
  // controller recounts the namespace's objects whenever one of them changes or goes away.
  std::optional<std::string> admit_object(std::string_view kind, const ObjectMeta& meta) override;

  // Pods rejected per quota ("namespace/name"), for the run summary.
  const std::map<std::string, std::uint64_t>& rejections() const { return rejections_; }
  // Other objects (Jobs, Deployments, ...) rejected per quota.
  const std::map<std::string, std::uint64_t>& object_rejections() const {
    return object_rejections_;
  }

 private:
  Cluster& cluster_;
  QuotaSpecs specs_;
  std::map<std::string, std::uint64_t> rejections_;
  std::map<std::string, std::uint64_t> object_rejections_;
  // Charges decided by the last admit(), applied when the pod is actually created.
  std::vector<std::pair<std::string, ResourceQuantities>> pending_;
};

}  // namespace gpusim::ctrl
