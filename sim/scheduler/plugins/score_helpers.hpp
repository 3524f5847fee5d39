#pragma once
// Scoring arithmetic shared by the kube-scheduler plugins, exactly as upstream computes it
// (k8s-semantics.md 3.4, 3.5): integer division where Go divides int64s, float64 where Go does.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/rounding.hpp"  // exact_quotient
#include "scheduler/plugins/plugin_args.hpp"

namespace gpusim::sched {

inline constexpr std::int64_t kMaxNodeScore = 100;

// helper.DefaultNormalizeScore with maxPriority 100.
void default_normalize_score(std::span<std::int64_t> scores, bool reverse);

// helper.BuildBrokenLinearFunction: points sorted by utilization; clamps outside.
struct ShapePoint {
  std::int64_t utilization = 0;
  std::int64_t score = 0;
};
std::int64_t broken_linear(std::span<const ShapePoint> shape, std::int64_t p);

// One entry of a ScoringStrategy / BalancedAllocation resources list.
struct ResourceSpec {
  std::string name;
  std::int64_t weight = 1;
};
// [{cpu, 1}, {memory, 1}]: upstream's default for both plugins.
std::vector<ResourceSpec> default_resource_specs();
// Reads `resources` ([{name, weight}]) from args; the default list when absent or empty. A
// weight left out or 0 is 1, as upstream defaults it.
std::vector<ResourceSpec> read_resource_specs(const ArgsReader& args, std::string_view field);

// Per-resource scores (requested includes the incoming pod). Inline: called per node and resource.
inline std::int64_t least_requested_score(std::int64_t requested, std::int64_t capacity) {
  if (capacity == 0 || requested > capacity) return 0;
  return (capacity - requested) * kMaxNodeScore / capacity;
}
inline std::int64_t most_requested_score(std::int64_t requested, std::int64_t capacity) {
  if (capacity == 0) return 0;
  // Pods without requests count non-zero defaults, so requested may exceed capacity.
  if (requested > capacity) requested = capacity;
  return requested * kMaxNodeScore / capacity;
}

// schedutil.IsScalarResourceName: every resource but cpu, memory, ephemeral-storage and pods
// (extended resources, hugepages, kubernetes.io/-prefixed names). A scalar the pod does not
// request is left out of resource scoring.
bool is_scalar_resource(std::string_view name);

}  // namespace gpusim::sched
