#pragma once
// NodePorts: a pod's container hostPorts must be free on the node. As upstream's HostPortInfo, a
// port is taken per protocol and host IP: two pods conflict on the same hostPort and protocol
// when they name the same hostIP or either binds every address (no hostIP, or 0.0.0.0).
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
