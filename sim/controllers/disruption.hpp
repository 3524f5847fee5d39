#pragma once
// PodDisruptionBudgets and the Eviction API. The disruption controller's status arithmetic
// (expected pods, desired healthy, current healthy, disruptions allowed) and the API server's
// eviction check that kubectl drain relies on: a pod covered by a budget is evicted only while
// the budget allows a disruption; otherwise the request fails with 429 and the caller retries.
#include <cstdint>
#include <string>
#include <vector>

#include "controllers/reconciler.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

struct PdbStatus {
  std::int32_t expected_pods = 0;
  std::int32_t desired_healthy = 0;
  std::int32_t current_healthy = 0;
  std::int32_t disruptions_allowed = 0;
  std::string error;  // the budget could not be computed (then no disruption is allowed)
};

// desiredHealthy from the spec: minAvailable (count: as is; percent: of the expected pods,
// rounded up) or expected - maxUnavailable (rounded up, floor 0). `expected` is the sum of the
// controllers' scales (or the number of pods for an integer minAvailable).
std::int32_t pdb_desired_healthy(const PodDisruptionBudget& pdb, std::int32_t expected);
// Whether the budget's expected count comes from the controllers' scale (percentages and
// maxUnavailable) rather than from counting pods (integer minAvailable).
bool pdb_uses_scale(const PodDisruptionBudget& pdb);

// Pods the budget selects (its namespace, its selector), in creation order of their slots.
std::vector<PodId> pdb_pods(const Cluster& cluster, const PodDisruptionBudget& pdb);
// The status as the disruption controller would write it now.
PdbStatus compute_pdb_status(const Cluster& cluster, const PodDisruptionBudget& pdb);

enum class EvictionResult {
  kEvicted,          // deletion requested (grace period of the pod)
  kTooManyRequests,  // 429: the budget allows no disruption now; retry later
  kFailed,           // 500: more than one budget covers the pod
  kGone,             // the pod does not exist or is already being deleted
};

struct Eviction {
  EvictionResult result = EvictionResult::kGone;
  std::string message;
  std::string budget;  // namespace/name of the budget that decided, if any
};

// POST pods/<name>/eviction. Terminal and pending pods are deleted without looking at budgets.
Eviction evict_pod(Cluster& cluster, PodId id);

// Keeps every PodDisruptionBudget's status current (recomputed once per instant after pod
// changes in its namespace).
class DisruptionController : public ClusterObserver {
 public:
  DisruptionController(Cluster& cluster, EventLoop& loop);

  void on_pod_added(PodId id) override { touch(id); }
  void on_pod_updated(PodId id) override { touch(id); }
  void on_pod_deleted(PodId id) override { touch(id); }
  void on_object_changed(std::string_view kind, const std::string& key) override;

 private:
  void touch(PodId id);
  void sync(const std::string& key);

  Cluster& cluster_;
  Reconciler reconciler_;
};

}  // namespace gpusim::ctrl
