#include "controllers/priority_admission.hpp"

namespace gpusim::ctrl {

namespace {

const char* policy_name(PreemptionPolicy p) {
  return p == PreemptionPolicy::kNever ? "Never" : "PreemptLowerPriority";
}

}  // namespace

std::optional<std::string> PriorityAdmission::admit(const Pod& pod, PodStatus& status) {
  // The class's value and policy (the globalDefault class's, or 0 and PreemptLowerPriority,
  // without a name); a pod spec that states others is refused, as upstream's admission does.
  const std::string& name = pod.spec().priority_class_name;
  std::int32_t priority = 0;
  PreemptionPolicy policy = PreemptionPolicy::kPreemptLowerPriority;
  if (name.empty()) {
    for (const auto& [key, pc] : cluster_.priority_classes) {
      if (pc.global_default) {
        priority = pc.value;
        policy = pc.preemption_policy;
        break;
      }
    }
  } else if (name == "system-cluster-critical") {
    priority = kSystemClusterCritical;
  } else if (name == "system-node-critical") {
    priority = kSystemNodeCritical;
  } else {
    auto it = cluster_.priority_classes.find(name);
    if (it == cluster_.priority_classes.end()) {
      return "no PriorityClass with name " + name + " was found";
    }
    priority = it->second.value;
    policy = it->second.preemption_policy;
  }
  if (const auto& stated = pod.spec().priority; stated && *stated != priority) {
    return "the integer value of priority (" + std::to_string(*stated) +
           ") must not be provided in pod spec; priority admission controller computed " +
           std::to_string(priority) + " from the given PriorityClass name";
  }
  if (const auto& stated = pod.spec().preemption_policy; stated && *stated != policy) {
    return std::string("the string value of PreemptionPolicy (") + policy_name(*stated) +
           ") must not be provided in pod spec; priority admission controller computed " +
           policy_name(policy) + " from the given PriorityClass name";
  }
  status.priority = priority;
  return std::nullopt;
}

}  // namespace gpusim::ctrl
