#pragma once
// NodePorts: a pod's container hostPorts must be free on the node. gpusim models ports as plain
// numbers (no protocol or hostIP), so two pods conflict when they use the same hostPort.
#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class NodePortsPlugin : public PreFilterPlugin, public FilterPlugin {
 public:
  static constexpr std::string_view kName = "NodePorts";
  explicit NodePortsPlugin(FrameworkHandle& handle);
  std::string_view name() const override { return kName; }
  Status pre_filter(CycleState& state, const PodInfo& pod) override;
  void filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
              Rejections& out) override;

 private:
  FrameworkHandle& handle_;
  ReasonId reason_;
};

}  // namespace gpusim::sched
