// The kube-scheduler plugins gpusim models, by their upstream names, plus GpuDeviceFit (the
// device plugin's admission check, part of the default profile).
#include <memory>

#include "scheduler/plugin_registry.hpp"
#include "scheduler/plugins/balanced_allocation.hpp"
#include "scheduler/plugins/default_preemption.hpp"
#include "scheduler/plugins/gpu_device_fit.hpp"
#include "scheduler/plugins/image_locality.hpp"
#include "scheduler/plugins/inter_pod_affinity.hpp"
#include "scheduler/plugins/node_affinity.hpp"
#include "scheduler/plugins/node_name.hpp"
#include "scheduler/plugins/node_ports.hpp"
#include "scheduler/plugins/node_resources_fit.hpp"
#include "scheduler/plugins/node_unschedulable.hpp"
#include "scheduler/plugins/plugin_args.hpp"
#include "scheduler/plugins/pod_topology_spread.hpp"
#include "scheduler/plugins/taint_toleration.hpp"

namespace gpusim::sched {
namespace {

// Plugins without args reject any they are given.
template <typename P>
PluginRegistry::Factory no_args() {
  return [](const nlohmann::json& args, FrameworkHandle& h) -> std::unique_ptr<Plugin> {
    ArgsReader(P::kName, args).only({});
    return std::make_unique<P>(h);
  };
}

template <typename P>
PluginRegistry::Factory with_args() {
  return [](const nlohmann::json& args, FrameworkHandle& h) -> std::unique_ptr<Plugin> {
    return std::make_unique<P>(args, h);
  };
}

}  // namespace

void register_kube_plugins(PluginRegistry& r) {
  r.add(std::string(NodeUnschedulablePlugin::kName), no_args<NodeUnschedulablePlugin>());
  r.add(std::string(NodeNamePlugin::kName), no_args<NodeNamePlugin>());
  r.add(std::string(TaintTolerationPlugin::kName), no_args<TaintTolerationPlugin>());
  r.add(std::string(NodeAffinityPlugin::kName), with_args<NodeAffinityPlugin>());
  r.add(std::string(NodePortsPlugin::kName), no_args<NodePortsPlugin>());
  r.add(std::string(NodeResourcesFitPlugin::kName), with_args<NodeResourcesFitPlugin>());
  r.add(std::string(BalancedAllocationPlugin::kName), with_args<BalancedAllocationPlugin>());
  r.add(std::string(ImageLocalityPlugin::kName), with_args<ImageLocalityPlugin>());
  r.add(std::string(PodTopologySpreadPlugin::kName), with_args<PodTopologySpreadPlugin>());
  r.add(std::string(InterPodAffinityPlugin::kName), with_args<InterPodAffinityPlugin>());
  r.add(std::string(DefaultPreemptionPlugin::kName), with_args<DefaultPreemptionPlugin>());
  r.add(std::string(GpuDeviceFitPlugin::kName), no_args<GpuDeviceFitPlugin>());
}

}  // namespace gpusim::sched
