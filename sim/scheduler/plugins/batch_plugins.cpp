// Plugins for batch and training workloads: gang scheduling (Coscheduling) and topology-aware
// gang placement (GangTopology, enabled by profile).
#include <memory>

#include "scheduler/plugin_registry.hpp"
#include "scheduler/plugins/coscheduling.hpp"
#include "scheduler/plugins/gang_topology.hpp"

namespace gpusim::sched {

void register_batch_plugins(PluginRegistry& r) {
  r.add(std::string(CoschedulingPlugin::kName),
        [](const nlohmann::json& args, FrameworkHandle& h) -> std::unique_ptr<Plugin> {
          return std::make_unique<CoschedulingPlugin>(args, h);
        });
  r.add(std::string(GangTopologyPlugin::kName),
        [](const nlohmann::json& args, FrameworkHandle& h) -> std::unique_ptr<Plugin> {
          return std::make_unique<GangTopologyPlugin>(args, h);
        });
}

}  // namespace gpusim::sched
