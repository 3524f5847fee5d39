#include "scheduler/plugins/node_ports.hpp"

#include <algorithm>

#include "scheduler/plugins/filter_helpers.hpp"

namespace gpusim::sched {
namespace {

// Host ports of the app containers (upstream's getContainerPorts), hostPort > 0 only.
template <typename F>
void for_each_host_port(const PodSpec& spec, F&& f) {
  for (const auto& c : spec.containers) {
    for (auto p : c.host_ports) {
      if (p > 0) f(p);
    }
  }
}

struct NodePortsState : PluginState {
  std::vector<std::int32_t> wanted;  // sorted
};

}  // namespace

NodePortsPlugin::NodePortsPlugin(FrameworkHandle& handle)
    : handle_(handle),
      reason_(handle.reasons().intern("node(s) didn't have free ports for the requested pod ports",
                                      /*unresolvable=*/false)) {}

Status NodePortsPlugin::pre_filter(CycleState& state, const PodInfo& pod) {
  NodePortsState& s = cycle_slot<NodePortsState>(state, *this);
  s.wanted.clear();
  for_each_host_port(pod.pod->spec(), [&](std::int32_t p) { s.wanted.push_back(p); });
  if (s.wanted.empty()) return Status::skip();
  std::sort(s.wanted.begin(), s.wanted.end());
  return Status::ok();
}

void NodePortsPlugin::filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
                             Rejections& out) {
  NodePortsState& s = cycle_slot<NodePortsState>(state, *this);
  if (s.wanted.empty()) return;
  const Cluster& c = handle_.cluster();
  filter_nodes(nodes, out, [&](NodeIndex n) {
    bool conflict = false;
    for (PodId id : c.node(n).pods) {
      for_each_host_port(c.pod(id).spec(), [&](std::int32_t p) {
        conflict = conflict || std::binary_search(s.wanted.begin(), s.wanted.end(), p);
      });
      if (conflict) return reason_;
    }
    return kFits;
  });
}

}  // namespace gpusim::sched
