#pragma once
// Upstream's Deployment rollout arithmetic (k8s-semantics.md section 7), as pure functions over
// plain views of a Deployment and its ReplicaSets. The DeploymentController calls these for every
// decision it makes, and the conformance vectors (tests/conformance/data/rolling.yaml) call the
// same functions, so a vector that passes pins the controller's behaviour.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/workloads.hpp"

namespace gpusim::ctrl {

// The parts of a Deployment's spec the arithmetic reads.
struct RolloutSpec {
  DeploymentStrategyType type = DeploymentStrategyType::kRollingUpdate;
  std::int32_t replicas = 1;
  IntOrString max_surge = IntOrString::of(0);
  IntOrString max_unavailable = IntOrString::of(0);

  static RolloutSpec of(const Deployment& d);
};

// A ReplicaSet as the arithmetic sees it.
struct RsView {
  std::string name;  // tie-break for equal creation times, as upstream's sort does
  TimeMs created_ms = 0;
  std::int32_t replicas = 0;         // spec.replicas
  std::int32_t status_replicas = 0;  // status.replicas (pods that are not terminal or deleting)
  std::int32_t available = 0;        // status.availableReplicas
  std::optional<std::int32_t> desired_annotation;  // deployment.kubernetes.io/desired-replicas
  std::optional<std::int32_t> max_annotation;      // deployment.kubernetes.io/max-replicas
};

struct Fenceposts {
  std::int32_t surge = 0;
  std::int32_t unavailable = 0;
};

// ResolveFenceposts: surge rounds up, unavailable rounds down; both 0 makes unavailable 1.
// nullopt when a string value is not "<int>%".
std::optional<Fenceposts> resolve_fenceposts(const IntOrString& max_surge,
                                             const IntOrString& max_unavailable,
                                             std::int32_t desired);
// MaxUnavailable(d): 0 for Recreate or 0 replicas, else min(resolved unavailable, replicas).
std::int32_t max_unavailable(const RolloutSpec& d);
// MaxSurge(d): 0 for Recreate, else the resolved surge.
std::int32_t max_surge(const RolloutSpec& d);

// NewRSNewReplicas: the size a new ReplicaSet may grow to now. `all_replicas` is the sum of
// spec.replicas over the ReplicaSets counted (upstream passes the old ones plus the new one).
std::int32_t new_rs_new_replicas(const RolloutSpec& d, std::int32_t all_replicas,
                                 std::int32_t new_replicas);

// reconcileNewReplicaSet: the new ReplicaSet's next size, nullopt when it stays as it is.
// `all_replicas` includes the new ReplicaSet's own spec.replicas.
std::optional<std::int32_t> reconcile_new_replica_set(const RolloutSpec& d,
                                                      std::int32_t all_replicas,
                                                      std::int32_t new_replicas);

// Result of scaling old ReplicaSets down: new spec.replicas per old set (input order) and how
// many replicas each phase removed.
struct OldScaleDown {
  std::vector<std::int32_t> replicas;
  std::int32_t cleaned_up = 0;   // unhealthy replicas removed first
  std::int32_t scaled_down = 0;  // available replicas removed after
  bool scaled() const { return cleaned_up + scaled_down > 0; }
};

// cleanupUnhealthyReplicas: from the oldest set on, removes min(budget left, spec - available).
OldScaleDown cleanup_unhealthy_replicas(std::span<const RsView> old_sets, std::int32_t max_cleanup);
// scaleDownOldReplicaSetsForRollingUpdate: removes available old replicas, oldest set first,
// while the available replicas of every set (`all_available`) exceed replicas - maxUnavailable.
OldScaleDown scale_down_old_for_rolling_update(const RolloutSpec& d,
                                               std::span<const RsView> old_sets,
                                               std::int32_t all_available);
// reconcileOldReplicaSets: the budget maxScaledDown = all spec - minAvailable - unavailable new
// replicas; cleanup of unhealthy replicas first, then the rolling scale-down. `new_rs` may be
// null (no new ReplicaSet yet).
OldScaleDown reconcile_old_replica_sets(const RolloutSpec& d, std::span<const RsView> old_sets,
                                        const RsView* new_rs);

// isScalingEvent: some active set's desired-replicas annotation differs from spec.replicas.
bool is_scaling_event(const RolloutSpec& d, std::span<const RsView> sets);
// IsSaturated: the new set has spec == desired annotation == available == replicas.
bool is_saturated(const RolloutSpec& d, const RsView& rs);
// DeploymentController.scale: every set's spec.replicas after a scaling event (input order),
// proportional while a rollout is in progress. `new_index` is the new set's position in `sets`
// or -1; `status_replicas` is the Deployment's status.replicas (annotation fallback).
std::vector<std::int32_t> proportional_scale(const RolloutSpec& d, std::int32_t status_replicas,
                                             std::span<const RsView> sets, int new_index);

struct RolloutStatus {
  std::int32_t replicas = 0;
  std::int32_t updated = 0;
  std::int32_t ready = 0;
  std::int32_t available = 0;
  std::int64_t observed_generation = 0;
};

// DeploymentComplete: updated == status == available == spec.replicas, generation observed.
bool deployment_complete(std::int32_t spec_replicas, std::int64_t generation,
                         const RolloutStatus& status);
// DeploymentProgressing: more updated, fewer old, more ready or more available pods than before.
bool deployment_progressing(const RolloutStatus& old_status, const RolloutStatus& new_status);

}  // namespace gpusim::ctrl
