#include "scheduler/plugins/node_name.hpp"

#include "scheduler/plugins/filter_helpers.hpp"

namespace gpusim::sched {

NodeNamePlugin::NodeNamePlugin(FrameworkHandle& handle)
    : handle_(handle),
      reason_(handle.reasons().intern("node(s) didn't match the requested node name",
                                      /*unresolvable=*/true)) {}

Status NodeNamePlugin::pre_filter(CycleState&, const PodInfo& pod) {
  return pod.pod->spec().node_name.empty() ? Status::skip() : Status::ok();
}

void NodeNamePlugin::filter(CycleState&, const PodInfo& pod, std::vector<NodeIndex>& nodes,
                            Rejections& out) {
  const std::string& want = pod.pod->spec().node_name;
  if (want.empty()) return;
  const NodeId target = handle_.cluster().find_node(want);  // kNoNode: nothing fits
  filter_nodes(nodes, out, [&](NodeIndex n) { return n == target ? kFits : reason_; });
}

}  // namespace gpusim::sched
