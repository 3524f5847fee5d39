#pragma once
// The Priority admission plugin: resolves priorityClassName (or the globalDefault class) into
// the pod's priority, and rejects pods naming a class that does not exist or stating a priority
// or preemptionPolicy other than the class's (plugin/pkg/admission/priority).
#include "model/cluster.hpp"

namespace gpusim::ctrl {

inline constexpr std::int32_t kSystemClusterCritical = 2'000'000'000;
inline constexpr std::int32_t kSystemNodeCritical = 2'000'001'000;

class PriorityAdmission : public AdmissionPlugin {
 public:
  explicit PriorityAdmission(const Cluster& cluster) : cluster_(cluster) {}
  std::optional<std::string> admit(const Pod& pod, PodStatus& status) override;

 private:
  const Cluster& cluster_;
};

}  // namespace gpusim::ctrl
