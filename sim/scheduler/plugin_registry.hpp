#pragma once
// Plugins register by name; profiles pick them. Adding a policy is one factory registration.
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class PluginRegistry {
 public:
  // Throws std::invalid_argument with a readable message for bad args.
  using Factory =
      std::function<std::unique_ptr<Plugin>(const nlohmann::json& args, FrameworkHandle& handle)>;

  void add(std::string name, Factory factory);
  bool has(const std::string& name) const;
  std::unique_ptr<Plugin> create(const std::string& name, const nlohmann::json& args,
                                 FrameworkHandle& handle) const;
  std::vector<std::string> names() const;
  // Finds a registered name case-insensitively ("fgd" -> "FGD"); empty when none.
  std::string canonical(const std::string& name) const;

  // Every built-in plugin (kube-scheduler's and the GPU policies).
  static const PluginRegistry& builtin();

 private:
  std::map<std::string, Factory> factories_;
};

// Registration functions, one per plugin family (called by PluginRegistry::builtin()).
void register_kube_plugins(PluginRegistry& r);
void register_gpu_plugins(PluginRegistry& r);
void register_batch_plugins(PluginRegistry& r);  // Coscheduling, GangTopology (gangs)

}  // namespace gpusim::sched
