#include "scheduler/plugin_registry.hpp"
#include "scheduler/plugins/gpu_policy_plugin.hpp"

namespace gpusim::sched {

// The GPU policies of Weng et al. (ATC'23): Random, DotProduct, GpuClustering, GpuPacking,
// BestFit and FGD, each a score plugin with its own device choice (docs/policies.md).
void register_gpu_plugins(PluginRegistry& r) {
  for (int i = 0; i < gpu::kPolicyCount; ++i) {
    const auto policy = static_cast<gpu::Policy>(i);
    r.add(policy_name(policy), [policy](const nlohmann::json& args, FrameworkHandle& handle) {
      return std::make_unique<GpuPolicyPlugin>(policy, args, handle);
    });
  }
}

}  // namespace gpusim::sched
