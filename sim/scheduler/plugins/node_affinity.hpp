#pragma once
// NodeAffinity (k8s-semantics.md 3.7): nodeSelector AND required node affinity AND the profile's
// addedAffinity filter; preferred terms (the pod's plus addedAffinity's) score, normalised.
// Label matching is the expensive part, and pods of one workload share a template, so verdicts
// and raw scores are cached per (template, node) and recomputed only for nodes whose table
// version changed since.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class NodeAffinityPlugin : public PreFilterPlugin, public FilterPlugin, public ScorePlugin {
 public:
  static constexpr std::string_view kName = "NodeAffinity";
  // args: {addedAffinity: <core/v1 NodeAffinity>}
  NodeAffinityPlugin(const nlohmann::json& args, FrameworkHandle& handle);
  std::string_view name() const override { return kName; }

  Status pre_filter(CycleState& state, const PodInfo& pod) override;
  void filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
              Rejections& out) override;
  Status pre_score(CycleState& state, const PodInfo& pod,
                   std::span<const NodeIndex> nodes) override;
  void score(CycleState& state, const PodInfo& pod, std::span<const NodeIndex> nodes,
             std::span<std::int64_t> out) override;
  bool has_normalize() const override { return true; }
  void normalize(CycleState& state, const PodInfo& pod, std::span<std::int64_t> scores) override;

  // The pod's own required rule (nodeSelector AND required terms), without addedAffinity:
  // PodTopologySpread's nodeAffinityPolicy uses it too.
  static bool pod_requires_node(const PodSpec& spec);
  static bool pod_matches_node(const PodSpec& spec, const Node& node);

 private:
  struct Entry {
    std::shared_ptr<const PodTemplate> tmpl;
    std::vector<std::uint64_t> filter_version, score_version;
    std::vector<std::int8_t> verdict;  // 0 fits, 1 addedAffinity fails, 2 the pod's rule fails
    std::vector<std::int32_t> raw;     // sum of matching preferred weights
    std::uint64_t last_use = 0;
  };
  Entry& entry(const Pod& pod);
  std::int8_t evaluate_filter(const PodSpec& spec, const Node& node) const;
  std::int32_t evaluate_score(const PodSpec& spec, const Node& node) const;

  FrameworkHandle& handle_;
  std::optional<std::vector<NodeSelectorTerm>> added_required_;
  std::vector<PreferredSchedulingTerm> added_preferred_;
  ReasonId reason_pod_, reason_enforced_;
  std::vector<Entry> cache_;
  std::uint64_t tick_ = 0;
};

}  // namespace gpusim::sched
