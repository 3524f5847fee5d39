#include "scheduler/plugins/node_ports.hpp"

#include "scheduler/plugins/filter_helpers.hpp"

namespace gpusim::sched {
namespace {

// Host ports of the app containers (upstream's getContainerPorts), hostPort > 0 only.
template <typename F>
void for_each_host_port(const PodSpec& spec, F&& f) {
  for (const auto& c : spec.containers) {
    for (const auto& p : c.host_ports) {
      if (p.host_port > 0) f(p);
    }
  }
}

bool binds_every_address(const ContainerPort& p) {
  return p.host_ip.empty() || p.host_ip == "0.0.0.0";
}

// Upstream's HostPortInfo.CheckConflict: the same protocol and port, on the same host IP or with
// either side on every address (0.0.0.0); TCP 53 and UDP 53 do not conflict, nor do one port on
// two different host IPs.
bool conflict(const ContainerPort& wanted, const ContainerPort& used) {
  return wanted.host_port == used.host_port && wanted.protocol == used.protocol &&
         (binds_every_address(wanted) || binds_every_address(used) ||
          wanted.host_ip == used.host_ip);
}

struct NodePortsState : PluginState {
  std::vector<ContainerPort> wanted;
};

}  // namespace

NodePortsPlugin::NodePortsPlugin(FrameworkHandle& handle)
    : handle_(handle),
      reason_(handle.reasons().intern("node(s) didn't have free ports for the requested pod ports",
                                      /*unresolvable=*/false)) {}

Status NodePortsPlugin::pre_filter(CycleState& state, const PodInfo& pod) {
  NodePortsState& s = cycle_slot<NodePortsState>(state, *this);
  s.wanted.clear();
  for_each_host_port(pod.pod->spec(), [&](const ContainerPort& p) { s.wanted.push_back(p); });
  if (s.wanted.empty()) return Status::skip();
  return Status::ok();
}

void NodePortsPlugin::filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
                             Rejections& out) {
  NodePortsState& s = cycle_slot<NodePortsState>(state, *this);
  if (s.wanted.empty()) return;
  const Cluster& c = handle_.cluster();
  const NodeTable& t = handle_.nodes();
  filter_nodes(nodes, out, [&](NodeIndex n) {
    bool clash = false;
    // The table's list: a preemption dry run takes pods off it.
    for (PodId id : t.pods(n)) {
      for_each_host_port(c.pod(id).spec(), [&](const ContainerPort& used) {
        for (const ContainerPort& wanted : s.wanted)
          clash = clash || conflict(wanted, used);
      });
      if (clash) return reason_;
    }
    return kFits;
  });
}

}  // namespace gpusim::sched
