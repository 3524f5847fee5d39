#include "controllers/priority_admission.hpp"

namespace gpusim::ctrl {

std::optional<std::string> PriorityAdmission::admit(const Pod& pod, PodStatus& status) {
  const std::string& name = pod.spec().priority_class_name;
  if (name.empty()) {
    status.priority = pod.spec().priority.value_or(0);
    for (const auto& [key, pc] : cluster_.priority_classes) {
      if (pc.global_default) {
        status.priority = pc.value;
        break;
      }
    }
    return std::nullopt;
  }
  if (name == "system-cluster-critical") {
    status.priority = kSystemClusterCritical;
    return std::nullopt;
  }
  if (name == "system-node-critical") {
    status.priority = kSystemNodeCritical;
    return std::nullopt;
  }
  auto it = cluster_.priority_classes.find(name);
  if (it == cluster_.priority_classes.end()) {
    return "no PriorityClass with name " + name + " was found";
  }
  status.priority = it->second.value;
  return std::nullopt;
}

}  // namespace gpusim::ctrl
