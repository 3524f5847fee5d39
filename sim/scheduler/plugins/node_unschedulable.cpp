#include "scheduler/plugins/node_unschedulable.hpp"

#include "scheduler/fused_filter.hpp"
#include "scheduler/plugins/filter_helpers.hpp"

namespace gpusim::sched {

NodeUnschedulablePlugin::NodeUnschedulablePlugin(FrameworkHandle& handle)
    : handle_(handle),
      reason_(handle.reasons().intern("node(s) were unschedulable", /*unresolvable=*/true)) {}

bool NodeUnschedulablePlugin::tolerated(const PodInfo& pod) {
  static const Taint kUnschedulable{kTaintUnschedulable, "", TaintEffect::kNoSchedule, {}};
  return tolerates_any(pod.pod->spec().tolerations, kUnschedulable);
}

void NodeUnschedulablePlugin::filter(CycleState&, const PodInfo& pod, std::vector<NodeIndex>& nodes,
                                     Rejections& out) {
  if (tolerated(pod)) return;
  const NodeTable& t = handle_.nodes();
  filter_nodes(nodes, out, [&](NodeIndex n) { return t.unschedulable(n) ? reason_ : kFits; });
}

bool NodeUnschedulablePlugin::column_checks(CycleState&, const PodInfo& pod, FusedFilter& out) {
  if (!tolerated(pod)) out.reject_if_set(handle_.nodes().unschedulable_column(), reason_);
  return true;
}

}  // namespace gpusim::sched
