#include "scheduler/plugins/node_unschedulable.hpp"

#include "scheduler/plugins/filter_helpers.hpp"

namespace gpusim::sched {

NodeUnschedulablePlugin::NodeUnschedulablePlugin(FrameworkHandle& handle)
    : handle_(handle),
      reason_(handle.reasons().intern("node(s) were unschedulable", /*unresolvable=*/true)) {}

void NodeUnschedulablePlugin::filter(CycleState&, const PodInfo& pod, std::vector<NodeIndex>& nodes,
                                     Rejections& out) {
  static const Taint kUnschedulable{kTaintUnschedulable, "", TaintEffect::kNoSchedule, {}};
  if (tolerates_any(pod.pod->spec().tolerations, kUnschedulable)) return;
  const NodeTable& t = handle_.nodes();
  filter_nodes(nodes, out, [&](NodeIndex n) { return t.unschedulable(n) ? reason_ : kFits; });
}

}  // namespace gpusim::sched
