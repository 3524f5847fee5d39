#pragma once
// NodeName: a pod that names its node (spec.nodeName) fits only there.
#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class NodeNamePlugin : public PreFilterPlugin, public FilterPlugin {
 public:
  static constexpr std::string_view kName = "NodeName";
  explicit NodeNamePlugin(FrameworkHandle& handle);
  std::string_view name() const override { return kName; }
  Status pre_filter(CycleState& state, const PodInfo& pod) override;
  void filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
              Rejections& out) override;

 private:
  FrameworkHandle& handle_;
  ReasonId reason_;
};

}  // namespace gpusim::sched
