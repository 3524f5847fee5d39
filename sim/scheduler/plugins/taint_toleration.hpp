#pragma once
// TaintToleration (k8s-semantics.md 3.6, 4.1). Filter: every NoSchedule/NoExecute taint must be
// tolerated. Score: the number of PreferNoSchedule taints the pod does not tolerate, normalised
// in reverse. Nodes share taint lists (the node table interns them), so verdicts are computed
// once per distinct taint set and pod, not once per node.
#include <cstdint>
#include <vector>

#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class TaintTolerationPlugin : public PreFilterPlugin, public FilterPlugin, public ScorePlugin {
 public:
  static constexpr std::string_view kName = "TaintToleration";
  struct Options {
    // Feature gate TaintTolerationComparisonOperators (alpha, off by default): Gt/Lt
    // tolerations compare canonical int64 values; with the gate off they never match.
    bool comparison_operators = false;
  };
  TaintTolerationPlugin(FrameworkHandle& handle, Options options);
  explicit TaintTolerationPlugin(FrameworkHandle& handle)
      : TaintTolerationPlugin(handle, Options{}) {}
  std::string_view name() const override { return kName; }

  Status pre_filter(CycleState& state, const PodInfo& pod) override;
  void filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
              Rejections& out) override;
  // Fused while the cluster has few distinct taint sets: the pod's verdict on each is computed up
  // front (the lazy filter() only looks at the sets its nodes have).
  bool column_checks(CycleState& state, const PodInfo& pod, FusedFilter& out) override;
  Status pre_score(CycleState& state, const PodInfo& pod,
                   std::span<const NodeIndex> nodes) override;
  void score(CycleState& state, const PodInfo& pod, std::span<const NodeIndex> nodes,
             std::span<std::int64_t> out) override;
  bool has_normalize() const override { return true; }
  void normalize(CycleState& state, const PodInfo& pod, std::span<std::int64_t> scores) override;
  // No node has a PreferNoSchedule taint: every count is 0, every normalized score 100.
  bool uniform(const CycleState& state, const PodInfo& pod,
               std::span<const NodeIndex> nodes) override;

  // The first untolerated NoSchedule/NoExecute taint, as kubectl writes taints:
  // "{dedicated=training:NoSchedule}".
  std::string explain_rejection(const PodInfo& pod, NodeIndex node) const override;

  // core/v1 Toleration.ToleratesTaint with the comparison-operator gate.
  static bool tolerates(const Toleration& toleration, const Taint& taint,
                        bool comparison_operators);

 private:
  // The first NoSchedule/NoExecute taint no toleration tolerates, or null.
  const Taint* first_untolerated(const std::vector<Toleration>& tolerations,
                                 const std::vector<Taint>& taints) const;
  bool untolerated_blocking(const std::vector<Toleration>& tolerations,
                            const std::vector<Taint>& taints) const {
    return first_untolerated(tolerations, taints) != nullptr;
  }

  FrameworkHandle& handle_;
  Options options_;
  ReasonId reason_;
  // Taint sets only grow (the node table interns them); those already looked at for uniform().
  std::size_t prefer_sets_seen_ = 0;
  bool any_prefer_ = false;  // some taint set seen has a PreferNoSchedule taint
};

}  // namespace gpusim::sched
