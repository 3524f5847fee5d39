#pragma once
// NodeResourcesBalancedAllocation (k8s-semantics.md 3.4): prefers nodes whose resource
// fractions (real requests incl. the pod, over allocatable) are close to each other.
// Best-effort pods (no request for any configured resource) are skipped in PreScore.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "scheduler/plugin.hpp"
#include "scheduler/plugins/node_score_cache.hpp"
#include "scheduler/plugins/score_helpers.hpp"

namespace gpusim::sched {

class BalancedAllocationPlugin : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "NodeResourcesBalancedAllocation";
  // args: {resources: [{name, weight}]} (weights are accepted; the formula does not use them)
  BalancedAllocationPlugin(const nlohmann::json& args, FrameworkHandle& handle);
  std::string_view name() const override { return kName; }

  Status pre_score(CycleState& state, const PodInfo& pod,
                   std::span<const NodeIndex> nodes) override;
  void score(CycleState& state, const PodInfo& pod, std::span<const NodeIndex> nodes,
             std::span<std::int64_t> out) override;

 private:
  FrameworkHandle& handle_;
  std::vector<ResourceSpec> resources_;
  std::vector<double> fractions_;  // scratch, one per resource
  NodeScoreCache cache_;
};

}  // namespace gpusim::sched
