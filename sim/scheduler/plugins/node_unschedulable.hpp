#pragma once
// NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint.
#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class NodeUnschedulablePlugin : public FilterPlugin {
 public:
  static constexpr std::string_view kName = "NodeUnschedulable";
  explicit NodeUnschedulablePlugin(FrameworkHandle& handle);
  std::string_view name() const override { return kName; }
  void filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
              Rejections& out) override;
  bool column_checks(CycleState& state, const PodInfo& pod, FusedFilter& out) override;

 private:
  static bool tolerated(const PodInfo& pod);

  FrameworkHandle& handle_;
  ReasonId reason_;
};

}  // namespace gpusim::sched
