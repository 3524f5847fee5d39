#pragma once
// The ResourceQuota controller: copies spec.hard to status.hard and recalculates status.used
// from the pods of the namespace whenever a quota is created or changed (upstream's full
// recalculation), and gives usage back ("replenishment") the moment a pod becomes terminal or
// is deleted. Between those, admission charges new pods (resource_quota_admission.hpp), so
// status.used always equals what a full recalculation would give; the invariant checker can
// verify that.
#include <cstdint>
#include <string>
#include <unordered_set>

#include "controllers/resource_quota_admission.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

class ResourceQuotaController : public ClusterObserver {
 public:
  explicit ResourceQuotaController(Cluster& cluster) : cluster_(cluster), specs_(cluster) {}

  // "ResourceQuota" changes resync that quota synchronously, so that a quota read from the
  // manifests is known before the first pod is admitted.
  void on_object_changed(std::string_view kind, const std::string& key) override;
  void on_pod_updated(PodId id) override;
  void on_pod_deleted(PodId id) override;

  // status.used as a full recalculation over the namespace's pods gives it (tests, invariants).
  ResourceQuantities recalculate(const ResourceQuota& quota);
  void sync(const std::string& key);

 private:
  void give_back(const Pod& pod, const ResourceQuantities& usage);

  Cluster& cluster_;
  QuotaSpecs specs_;
  std::unordered_set<std::uint64_t> terminal_;  // uids whose compute usage was given back
};

}  // namespace gpusim::ctrl
