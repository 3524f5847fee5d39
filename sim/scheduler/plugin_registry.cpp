#include "scheduler/plugin_registry.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace gpusim::sched {

void PluginRegistry::add(std::string name, Factory factory) {
  factories_[std::move(name)] = std::move(factory);
}

bool PluginRegistry::has(const std::string& name) const {
  return factories_.count(name) != 0;
}

std::unique_ptr<Plugin> PluginRegistry::create(const std::string& name, const nlohmann::json& args,
                                               FrameworkHandle& handle) const {
  auto it = factories_.find(name);
  if (it == factories_.end())
    throw std::invalid_argument("unknown scheduler plugin \"" + name + "\"");
  return it->second(args, handle);
}

std::vector<std::string> PluginRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : factories_)
    out.push_back(name);
  return out;
}

std::string PluginRegistry::canonical(const std::string& name) const {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  const std::string want = lower(name);
  for (const auto& [n, f] : factories_) {
    if (lower(n) == want) return n;
  }
  return {};
}

const PluginRegistry& PluginRegistry::builtin() {
  static const PluginRegistry registry = [] {
    PluginRegistry r;
    register_kube_plugins(r);
    register_gpu_plugins(r);
    register_batch_plugins(r);
    return r;
  }();
  return registry;
}

}  // namespace gpusim::sched
