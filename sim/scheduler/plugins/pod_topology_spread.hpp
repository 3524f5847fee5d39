#pragma once
// PodTopologySpread. Filter: hard (DoNotSchedule) constraints by skew arithmetic over eligible
// domains (minDomains, nodeAffinityPolicy / nodeTaintsPolicy). Score: soft (ScheduleAnyway)
// constraints as upstream scores them (per-domain matching-pod counts weighted by
// log(domains + 2), plus maxSkew - 1; normalised so fewer matching pods score higher). Pods
// without constraints that a ReplicaSet owns get upstream's system default constraints
// (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway) with the ReplicaSet's selector.
//
// PreFilter extensions (AddPod/RemovePod) keep the hard constraints' domain counts true in a
// preemption dry run. There the global minimum is the exact smallest count, where upstream's
// two "critical paths" may miss it once a count rises again (a reprieved pod).
//
// Simplifications (gpusim): the default selector comes from the owning ReplicaSet only (gpusim
// has no Services, ReplicationControllers or StatefulSets); pods being deleted count until they
// release their node (upstream drops them at the deletion timestamp).
//
// Matching-pod counts per node, and their totals per topology domain, are cached per selector
// and updated from the node table's change log, so the common cases (no node-inclusion policy
// to apply) cost per feasible node and per domain, not a pass over every node and pod. A node's
// pods are kept as (template, namespace) ids, refreshed once per node change for all selectors,
// and each selector remembers its verdict per template: recounting a changed node is then
// integer work, not a label-map match per pod and selector.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/affinity.hpp"
#include "scheduler/plugin.hpp"
#include "scheduler/plugins/topology_domains.hpp"

namespace gpusim::sched {

class PodTopologySpreadPlugin : public PreFilterPlugin,
                                public PreFilterExtensions,
                                public FilterPlugin,
                                public ScorePlugin {
 public:
  static constexpr std::string_view kName = "PodTopologySpread";
  // args: {defaultingType: System|List, defaultConstraints: [{maxSkew, topologyKey,
  //        whenUnsatisfiable}]} (defaultConstraints only with List)
  PodTopologySpreadPlugin(const nlohmann::json& args, FrameworkHandle& handle);
  ~PodTopologySpreadPlugin() override;
  std::string_view name() const override { return kName; }

  Status pre_filter(CycleState& state, const PodInfo& pod) override;
  void add_pod(CycleState& state, const PodInfo& pod, PodId added, NodeIndex node) override;
  void remove_pod(CycleState& state, const PodInfo& pod, PodId removed, NodeIndex node) override;
  void filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
              Rejections& out) override;
  Status pre_score(CycleState& state, const PodInfo& pod,
                   std::span<const NodeIndex> nodes) override;
  void score(CycleState& state, const PodInfo& pod, std::span<const NodeIndex> nodes,
             std::span<std::int64_t> out) override;
  bool has_normalize() const override { return true; }
  void normalize(CycleState& state, const PodInfo& pod, std::span<std::int64_t> scores) override;

  struct MatchCounts;  // per-node matching pods of one selector (cache entry)
  struct Constraint;
  struct State;
  struct PodKeys;  // per node: the (template, namespace) ids of its pods

 private:
  State& build(CycleState& state, const PodInfo& pod);
  MatchCounts& counts_for(const void* owner, std::uint64_t owner_uid, int index,
                          const std::shared_ptr<const PodTemplate>& keep_alive,
                          const std::string& ns, const std::optional<LabelSelector>& selector);
  std::size_t track(MatchCounts& m, std::size_t key);
  void sync(MatchCounts& m);
  void sync_pod_keys();
  bool eligible(State& s, const PodInfo& pod, const Constraint& c, NodeIndex n);
  bool has_keys(const std::vector<std::size_t>& constraints, const State& s, NodeIndex n) const;
  // Upstream's updateWithPod: `other`, bound to node n, counted delta more times.
  void update_with_pod(CycleState& state, const PodInfo& pod, PodId other, NodeIndex n,
                       std::int64_t delta);

  FrameworkHandle& handle_;
  bool system_defaulted_ = true;
  std::vector<TopologySpreadConstraint> default_constraints_;
  TopologyKeys keys_;
  std::vector<std::unique_ptr<MatchCounts>> cache_;
  struct CacheKey {  // cache_[i]'s identity (MatchCounts::owner, owner_uid, index) and use
    const void* owner = nullptr;
    std::uint64_t owner_uid = 0;
    int index = -1;
    std::uint64_t last_use = 0;
  };
  std::vector<CacheKey> cache_keys_;
  std::unique_ptr<PodKeys> pod_keys_;
  std::uint64_t tick_ = 0;
  ReasonId reason_skew_, reason_label_;
};

}  // namespace gpusim::sched
