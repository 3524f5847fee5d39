#pragma once
// GangTopology: topology-aware placement for gangs (pods labelled
// scheduling.x-k8s.io/pod-group, as Coscheduling gangs and PyTorchJobs are). Not upstream's;
// a Score plugin a profile enables by name. Every other pod is skipped (scores 0 everywhere).
//
// The cluster is a TopologyGraph (zone -> rack -> host from node labels). A gang's hop spread
// is the sum, over every pair of its pods, of the hops between the nodes they run on (two pods
// on one node: 0). The plugin places each member greedily to keep that sum small:
//   - when other members are already bound or reserved (waiting at Permit, or nominated), the
//     raw score of a node is the sum of its hops to each of those members' nodes. Summed over
//     the gang's members in placement order this is exactly the gang's hop spread;
//   - for the first member, the raw score of a node is the span (largest hop distance between
//     two of its hosts) of the smallest domain around the node - the node itself (0), its rack,
//     its zone, the cluster - whose feasible nodes have room for every member not yet placed.
//     Room is counted as copies of this pod's requests (cpu, memory, extended resources, whole
//     or shared GPU devices) per node, an estimate when members differ (a master and workers).
// Lower raw is better; NormalizeScore maps the candidates' range onto 100 (best) .. 0, and all
// candidates score 100 when they are equal. `gpusim explain` shows the raw hop figure.
//
// args: {zoneLabel: topology.kubernetes.io/zone, rackLabel: topology.gpusim.io/rack}
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scheduler/plugin.hpp"
#include "scheduler/plugins/topology_graph.hpp"

namespace gpusim::sched {

inline constexpr const char* kDefaultRackLabel = "topology.gpusim.io/rack";

class GangTopologyPlugin : public ScorePlugin {
 public:
  static constexpr std::string_view kName = "GangTopology";
  GangTopologyPlugin(const nlohmann::json& args, FrameworkHandle& handle);
  std::string_view name() const override { return kName; }

  Status pre_score(CycleState& state, const PodInfo& pod,
                   std::span<const NodeIndex> nodes) override;
  void score(CycleState& state, const PodInfo& pod, std::span<const NodeIndex> nodes,
             std::span<std::int64_t> out) override;
  bool has_normalize() const override { return true; }
  void normalize(CycleState& state, const PodInfo& pod, std::span<std::int64_t> scores) override;

  const TopologyGraph& graph() const { return graph_; }

 private:
  struct State;
  // How many copies of the pod's requests still fit on the node (capped at `cap`).
  std::int64_t copies_fitting(const PodInfo& pod, NodeIndex n, std::int64_t cap) const;

  FrameworkHandle& handle_;
  TopologyGraph graph_;
};

}  // namespace gpusim::sched
