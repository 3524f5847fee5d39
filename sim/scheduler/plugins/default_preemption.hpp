#pragma once
// DefaultPreemption (PostFilter). When no node fits, look for a node where evicting pods of lower
// priority (status.priority) makes room: remove every lower-priority pod, check the pod fits,
// then reprieve victims from the most important down (PDB-protected ones first) while it still
// fits. Among such nodes pick, as upstream: fewest PDB violations, lowest highest-victim
// priority, smallest sum of victim priorities, fewest victims, latest start of the
// highest-priority victims, then the first (lowest index).
//
// Simplifications (gpusim): the what-if check covers what NodeResourcesFit and GpuDeviceFit
// decide (requests, pod count, GPU devices), not the other filters, so only nodes rejected
// solely for resources ("Insufficient ...", "Too many pods") are candidates; nodes rejected for
// ports, topology spread or anti-affinity are not. Every candidate node is dry-run (upstream
// samples minCandidateNodes*; the args are accepted). A terminating lower-priority pod on the
// nominated node blocks a new preemption whatever its deletion reason.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class DefaultPreemptionPlugin : public PostFilterPlugin {
 public:
  static constexpr std::string_view kName = "DefaultPreemption";
  // args: {minCandidateNodesPercentage: 0..100, minCandidateNodesAbsolute: >= 0} (accepted)
  DefaultPreemptionPlugin(const nlohmann::json& args, FrameworkHandle& handle);
  std::string_view name() const override { return kName; }

  PostFilterResult post_filter(CycleState& state, const PodInfo& pod,
                               const std::vector<Rejection>& rejections) override;

 private:
  struct Candidate {
    NodeIndex node = 0;
    std::vector<PodId> victims;  // most important first
    std::int64_t pdb_violations = 0;
  };
  // True with a candidate, false with the reasons the node still fails for.
  bool select_victims(const PodInfo& pod, NodeIndex n, Candidate& out,
                      std::vector<std::string>& reasons);
  bool resource_reason(ReasonId id);
  bool preempt_never(const Pod& pod) const;

  FrameworkHandle& handle_;
  std::vector<std::int8_t> reason_kind_;  // per reason id: -1 unknown, 0 other, 1 resources
};

}  // namespace gpusim::sched
