#include "controllers/rollout.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>

namespace gpusim::ctrl {
namespace {

// ReplicaSetsByCreationTimestamp: older first, then by name.
bool older(const RsView& a, const RsView& b) {
  if (a.created_ms != b.created_ms) return a.created_ms < b.created_ms;
  return a.name < b.name;
}

std::vector<std::size_t> oldest_first(std::span<const RsView> sets) {
  std::vector<std::size_t> order(sets.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return older(sets[a], sets[b]); });
  return order;
}

}  // namespace

RolloutSpec RolloutSpec::of(const Deployment& d) {
  RolloutSpec s;
  s.type = d.strategy.type;
  s.replicas = d.spec_replicas();
  s.max_surge = d.strategy.max_surge;
  s.max_unavailable = d.strategy.max_unavailable;
  return s;
}

std::optional<Fenceposts> resolve_fenceposts(const IntOrString& max_surge,
                                             const IntOrString& max_unavailable,
                                             std::int32_t desired) {
  const auto surge = scaled_value(max_surge, desired, true);
  const auto unavailable = scaled_value(max_unavailable, desired, false);
  if (!surge || !unavailable) return std::nullopt;
  Fenceposts f{*surge, *unavailable};
  // Both 0 would stall a rollout; upstream then lets one replica be unavailable.
  if (f.surge == 0 && f.unavailable == 0) f.unavailable = 1;
  return f;
}

std::int32_t max_unavailable(const RolloutSpec& d) {
  if (d.type != DeploymentStrategyType::kRollingUpdate || d.replicas == 0) return 0;
  const auto f = resolve_fenceposts(d.max_surge, d.max_unavailable, d.replicas);
  if (!f) return 0;  // validation rejects such values; upstream ignores the error here too
  return std::min(f->unavailable, d.replicas);
}

std::int32_t max_surge(const RolloutSpec& d) {
  if (d.type != DeploymentStrategyType::kRollingUpdate) return 0;
  const auto f = resolve_fenceposts(d.max_surge, d.max_unavailable, d.replicas);
  return f ? f->surge : 0;
}

std::int32_t new_rs_new_replicas(const RolloutSpec& d, std::int32_t all_replicas,
                                 std::int32_t new_replicas) {
  if (d.type != DeploymentStrategyType::kRollingUpdate) return d.replicas;
  const std::int32_t max_total = d.replicas + max_surge(d);
  if (all_replicas >= max_total) return new_replicas;
  const std::int32_t scale_up = std::min(max_total - all_replicas, d.replicas - new_replicas);
  return new_replicas + scale_up;
}

std::optional<std::int32_t> reconcile_new_replica_set(const RolloutSpec& d,
                                                      std::int32_t all_replicas,
                                                      std::int32_t new_replicas) {
  if (new_replicas == d.replicas) return std::nullopt;
  if (new_replicas > d.replicas) return d.replicas;
  const std::int32_t next = new_rs_new_replicas(d, all_replicas, new_replicas);
  if (next == new_replicas) return std::nullopt;
  return next;
}

OldScaleDown cleanup_unhealthy_replicas(std::span<const RsView> old_sets,
                                        std::int32_t max_cleanup) {
  OldScaleDown out;
  out.replicas.reserve(old_sets.size());
  for (const RsView& rs : old_sets)
    out.replicas.push_back(rs.replicas);
  for (std::size_t i : oldest_first(old_sets)) {
    if (out.cleaned_up >= max_cleanup) break;
    const RsView& rs = old_sets[i];
    if (rs.replicas == 0 || rs.replicas == rs.available) continue;
    const std::int32_t n = std::min(max_cleanup - out.cleaned_up, rs.replicas - rs.available);
    if (n <= 0) continue;  // more available than wanted: nothing unhealthy to remove
    out.replicas[i] = rs.replicas - n;
    out.cleaned_up += n;
  }
  return out;
}

OldScaleDown scale_down_old_for_rolling_update(const RolloutSpec& d,
                                               std::span<const RsView> old_sets,
                                               std::int32_t all_available) {
  OldScaleDown out;
  out.replicas.reserve(old_sets.size());
  for (const RsView& rs : old_sets)
    out.replicas.push_back(rs.replicas);
  const std::int32_t min_available = d.replicas - max_unavailable(d);
  if (all_available <= min_available) return out;
  const std::int32_t total = all_available - min_available;
  for (std::size_t i : oldest_first(old_sets)) {
    if (out.scaled_down >= total) break;
    if (old_sets[i].replicas == 0) continue;
    const std::int32_t n = std::min(old_sets[i].replicas, total - out.scaled_down);
    out.replicas[i] = old_sets[i].replicas - n;
    out.scaled_down += n;
  }
  return out;
}

OldScaleDown reconcile_old_replica_sets(const RolloutSpec& d, std::span<const RsView> old_sets,
                                        const RsView* new_rs) {
  OldScaleDown none;
  for (const RsView& rs : old_sets)
    none.replicas.push_back(rs.replicas);
  std::int32_t old_pods = 0;
  for (const RsView& rs : old_sets)
    old_pods += rs.replicas;
  if (old_pods == 0) return none;  // can't scale down further

  const std::int32_t all_pods = old_pods + (new_rs ? new_rs->replicas : 0);
  const std::int32_t min_available = d.replicas - max_unavailable(d);
  const std::int32_t new_unavailable = new_rs ? new_rs->replicas - new_rs->available : 0;
  const std::int32_t max_scaled_down = all_pods - min_available - new_unavailable;
  if (max_scaled_down <= 0) return none;

  // Unhealthy old replicas go first: they cost no availability.
  OldScaleDown cleaned = cleanup_unhealthy_replicas(old_sets, max_scaled_down);
  std::vector<RsView> after(old_sets.begin(), old_sets.end());
  std::int32_t all_available = new_rs ? new_rs->available : 0;
  for (std::size_t i = 0; i < after.size(); ++i) {
    after[i].replicas = cleaned.replicas[i];
    all_available += after[i].available;
  }
  OldScaleDown scaled = scale_down_old_for_rolling_update(d, after, all_available);
  scaled.cleaned_up = cleaned.cleaned_up;
  return scaled;
}

bool is_scaling_event(const RolloutSpec& d, std::span<const RsView> sets) {
  for (const RsView& rs : sets) {
    if (rs.replicas <= 0 || !rs.desired_annotation) continue;
    if (*rs.desired_annotation != d.replicas) return true;
  }
  return false;
}

bool is_saturated(const RolloutSpec& d, const RsView& rs) {
  return rs.desired_annotation && rs.replicas == d.replicas &&
         *rs.desired_annotation == d.replicas && rs.available == d.replicas;
}

namespace {

// getReplicaSetFraction: the set's share of the new size, from its max-replicas annotation.
std::int32_t replica_set_fraction(const RsView& rs, const RolloutSpec& d,
                                  std::int32_t status_replicas) {
  if (d.replicas == 0) return -rs.replicas;
  const std::int32_t max_now = d.replicas + max_surge(d);
  std::int32_t max_before = rs.max_annotation.value_or(0);
  if (max_before == 0) {
    // No annotation (edited by hand): fall back to the current size of the Deployment.
    max_before = status_replicas;
    if (max_before == 0) return 0;
  }
  const double scaled = static_cast<double>(static_cast<std::int64_t>(rs.replicas) * max_now) /
                        static_cast<double>(max_before);
  return static_cast<std::int32_t>(std::round(scaled)) - rs.replicas;
}

// GetReplicaSetProportion: the fraction, bounded by what is still to add or remove.
std::int32_t replica_set_proportion(const RsView& rs, const RolloutSpec& d,
                                    std::int32_t status_replicas, std::int32_t to_add,
                                    std::int32_t added) {
  if (rs.replicas == 0 || to_add == 0 || to_add == added) return 0;
  const std::int32_t fraction = replica_set_fraction(rs, d, status_replicas);
  const std::int32_t allowed = to_add - added;
  return to_add > 0 ? std::min(fraction, allowed) : std::max(fraction, allowed);
}

}  // namespace

std::vector<std::int32_t> proportional_scale(const RolloutSpec& d, std::int32_t status_replicas,
                                             std::span<const RsView> sets, int new_index) {
  std::vector<std::int32_t> sizes;
  sizes.reserve(sets.size());
  for (const RsView& rs : sets)
    sizes.push_back(rs.replicas);

  // FindActiveOrLatest: one active set takes everything; with none active, the new set (or the
  // newest old one) does.
  std::vector<std::size_t> active;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (sets[i].replicas > 0) active.push_back(i);
  }
  if (active.size() <= 1 && !sets.empty()) {
    std::size_t target = 0;
    if (active.size() == 1) {
      target = active[0];
    } else if (new_index >= 0) {
      target = static_cast<std::size_t>(new_index);
    } else {
      std::vector<std::size_t> order = oldest_first(sets);
      target = order.back();
    }
    sizes[target] = d.replicas;
    return sizes;
  }
  if (sets.empty()) return sizes;

  // A saturated new set means the rollout is done in all but name: old sets go to zero.
  if (new_index >= 0 && is_saturated(d, sets[static_cast<std::size_t>(new_index)])) {
    for (std::size_t i = 0; i < sets.size(); ++i) {
      if (static_cast<int>(i) != new_index && sets[i].replicas > 0) sizes[i] = 0;
    }
    return sizes;
  }
  if (d.type != DeploymentStrategyType::kRollingUpdate) return sizes;

  std::int32_t current = 0;
  for (std::size_t i : active)
    current += sets[i].replicas;
  const std::int32_t allowed = d.replicas > 0 ? d.replicas + max_surge(d) : 0;
  const std::int32_t to_add = allowed - current;
  if (to_add == 0) return sizes;

  // Larger sets first; ties go to the newer set when adding and to the older when removing.
  std::stable_sort(active.begin(), active.end(), [&](std::size_t a, std::size_t b) {
    if (sets[a].replicas != sets[b].replicas) return sets[a].replicas > sets[b].replicas;
    return to_add > 0 ? older(sets[b], sets[a]) : older(sets[a], sets[b]);
  });
  std::int32_t added = 0;
  for (std::size_t i : active) {
    const std::int32_t p = replica_set_proportion(sets[i], d, status_replicas, to_add, added);
    sizes[i] = sets[i].replicas + p;
    added += p;
  }
  // Leftovers from rounding go to the first (largest) set.
  const std::size_t first = active.front();
  sizes[first] = std::max(0, sizes[first] + (to_add - added));
  return sizes;
}

bool deployment_complete(std::int32_t spec_replicas, std::int64_t generation,
                         const RolloutStatus& s) {
  return s.updated == spec_replicas && s.replicas == spec_replicas &&
         s.available == spec_replicas && s.observed_generation >= generation;
}

bool deployment_progressing(const RolloutStatus& old_status, const RolloutStatus& new_status) {
  const std::int32_t old_old = old_status.replicas - old_status.updated;
  const std::int32_t new_old = new_status.replicas - new_status.updated;
  return new_status.updated > old_status.updated || new_old < old_old ||
         new_status.ready > old_status.ready || new_status.available > old_status.available;
}

}  // namespace gpusim::ctrl
