#pragma once
// NodeResourcesFit (k8s-semantics.md 3.3, 3.4). Filter: requests against allocatable minus what
// the node's pods request, plus the pod count; reasons "Insufficient <name>" / "Too many pods",
// UnschedulableAndUnresolvable when a request exceeds the node's whole allocatable (preemption
// cannot help there). Score: LeastAllocated, MostAllocated or RequestedToCapacityRatio over the
// configured resources, with the scheduler's non-zero cpu/memory defaults.
#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scheduler/plugin.hpp"
#include "scheduler/plugins/node_score_cache.hpp"
#include "scheduler/plugins/score_helpers.hpp"

namespace gpusim::sched {

class NodeResourcesFitPlugin : public PreFilterPlugin, public FilterPlugin, public ScorePlugin {
 public:
  static constexpr std::string_view kName = "NodeResourcesFit";
  enum class Strategy { kLeastAllocated, kMostAllocated, kRequestedToCapacityRatio };

  // args: {scoringStrategy: {type, resources: [{name, weight}],
  //        requestedToCapacityRatio: {shape: [{utilization, score}]}},
  //        ignoredResources: [names], ignoredResourceGroups: [prefixes]}
  NodeResourcesFitPlugin(const nlohmann::json& args, FrameworkHandle& handle);
  std::string_view name() const override { return kName; }

  Status pre_filter(CycleState& state, const PodInfo& pod) override;
  void filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
              Rejections& out) override;
  bool column_checks(CycleState& state, const PodInfo& pod, FusedFilter& out) override;
  Status pre_score(CycleState& state, const PodInfo& pod,
                   std::span<const NodeIndex> nodes) override;
  void score(CycleState& state, const PodInfo& pod, std::span<const NodeIndex> nodes,
             std::span<std::int64_t> out) override;

  Strategy strategy() const { return strategy_; }
  const std::vector<ResourceSpec>& resources() const { return resources_; }

 private:
  void intern_reasons();
  bool ignored(int dim) const;
  bool ignored_name(const std::string& name) const;  // ignoredResources / ignoredResourceGroups

  FrameworkHandle& handle_;
  Strategy strategy_ = Strategy::kLeastAllocated;
  std::vector<ResourceSpec> resources_;
  std::vector<ShapePoint> shape_;  // scores already scaled to 0..100
  std::vector<std::string> ignored_resources_, ignored_groups_;
  std::vector<std::array<ReasonId, 2>> insufficient_;  // per dim: {resolvable, unresolvable}
  std::vector<char> ignored_dim_;
  // Requests for resources no node has: their reasons, and a column of zeros to check them
  // against (allocatable and requested are 0 on every node).
  std::map<std::string, std::array<ReasonId, 2>, std::less<>> unknown_reasons_;
  std::vector<std::int64_t> zeros_;
  ReasonId too_many_pods_;
  NodeScoreCache cache_;
};

}  // namespace gpusim::sched
