#include "model/pod.hpp"

#include <stdexcept>

#include "model/pod_resources.hpp"

namespace gpusim {

bool PodResources::requests_nothing() const {
  for (const auto& [name, units] : requests.entries()) {
    if (units != 0) return false;
  }
  return gpu.count == 0;
}

void PodTemplate::finalize() {
  resources = compute_pod_resources(spec, annotations);
}

std::shared_ptr<const PodTemplate> make_template(PodTemplate t) {
  t.finalize();
  return std::make_shared<const PodTemplate>(std::move(t));
}

const char* to_string(PodPhase phase) {
  switch (phase) {
    case PodPhase::kPending:
      return "Pending";
    case PodPhase::kRunning:
      return "Running";
    case PodPhase::kSucceeded:
      return "Succeeded";
    case PodPhase::kFailed:
      return "Failed";
    case PodPhase::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

}  // namespace gpusim
