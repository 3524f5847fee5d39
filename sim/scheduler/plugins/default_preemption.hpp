#pragma once
// DefaultPreemption (PostFilter). When no node fits, look for a node where evicting pods of lower
// priority (status.priority) makes room, as upstream's SelectVictimsOnNode: every node Filter
// rejected for a reason that is not UnschedulableAndUnresolvable is a candidate (resources, host
// ports, anti-affinity either way, topology spread skew); on each, a dry run (DryRun) takes every
// lower-priority pod off the node and out of the cycle's PreFilter state (PreFilterExtensions),
// runs all the profile's Filter plugins, then reprieves victims from the most important down
// (PDB-violating ones first), putting each back and keeping it where the pod still passes
// Filter. Among such nodes pick, as upstream: fewest PDB violations, lowest highest-victim
// priority, smallest sum of victim priorities, fewest victims, latest start of the
// highest-priority victims, then the first (lowest index).
//
// Simplifications (gpusim): every candidate node is dry-run (upstream samples
// minCandidateNodes*; the args are accepted). Nominated pods count in the dry run through the
// resources they hold on their node (NodeTable reservations), not through their ports or
// affinity, as in gpusim's Filter. A terminating lower-priority pod on the nominated node blocks
// a new preemption whatever its deletion reason.
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
                               const std::vector<Rejection>& rejections, DryRun& dry_run) override;

 private:
  struct Candidate {
    NodeIndex node = 0;
    std::vector<PodId> victims;  // most important first
    std::int64_t pdb_violations = 0;
  };
  // True with a candidate, false with the reasons the node still fails for.
  bool select_victims(CycleState& state, const PodInfo& pod, NodeIndex n, DryRun& dry_run,
                      Candidate& out, std::vector<std::string>& reasons);
  bool preempt_never(const Pod& pod) const;

  FrameworkHandle& handle_;
};

}  // namespace gpusim::sched
