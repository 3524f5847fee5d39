#pragma once
// InterPodAffinity. Filter: the pod's required affinity (some matching pod in the node's domain
// for every term, or, for the first pod of a group, the pod matching its own terms), its
// required anti-affinity, and existing pods' required anti-affinity towards it. Score: preferred
// terms both ways plus existing pods' required affinity at hardPodAffinityWeight, summed per
// topology domain and normalised min..max to 0..100, as upstream.
//
// PreFilter extensions (AddPod/RemovePod) keep the Filter counts true in a preemption dry run.
//
// Simplifications (gpusim): matchLabelKeys / mismatchLabelKeys of affinity terms are not
// modelled.
//
// Which nodes hold pods with affinity terms is indexed per node and updated from the node
// table's change log, so pods without terms, in a cluster without such pods, cost nothing.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "scheduler/plugin.hpp"
#include "scheduler/plugins/topology_domains.hpp"

namespace gpusim::sched {

class InterPodAffinityPlugin : public PreFilterPlugin,
                               public PreFilterExtensions,
                               public FilterPlugin,
                               public ScorePlugin {
 public:
  static constexpr std::string_view kName = "InterPodAffinity";
  // args: {hardPodAffinityWeight: 0..100 (default 1), ignorePreferredTermsOfExistingPods: bool}
  InterPodAffinityPlugin(const nlohmann::json& args, FrameworkHandle& handle);
  ~InterPodAffinityPlugin() override;
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

  struct Term;
  struct State;

 private:
  void refresh_index();
  Term make_term(const PodAffinityTerm& term, const Pod& owner, std::int32_t weight);
  // make_term with the term's topology domains brought up to date.
  Term resolve(const PodAffinityTerm& term, const Pod& owner, std::int32_t weight);
  bool matches(const Term& term, const Pod& target) const;
  // Filter's counts for `other`, bound to node n, with weight delta (upstream's updateWithPod):
  // its required anti-affinity towards the incoming pod, and the incoming pod's own terms.
  void count_existing_anti(State& s, const Pod& incoming, const Pod& other, NodeIndex n,
                           std::int64_t delta);
  void count_own_terms(State& s, const Pod& other, NodeIndex n, std::int64_t delta);
  const Labels& namespace_labels(const std::string& ns) const;

  FrameworkHandle& handle_;
  std::int32_t hard_weight_ = 1;
  bool ignore_existing_preferred_ = false;
  TopologyKeys keys_;
  // Per node: bound pods with any pod (anti-)affinity term, and how many have required
  // anti-affinity; current up to the node table's change-log position index_seen_.
  std::uint64_t index_seen_ = 0;
  std::vector<std::vector<PodId>> with_affinity_;
  std::vector<std::int32_t> required_anti_;
  std::int64_t total_with_affinity_ = 0;
  std::int64_t total_required_anti_ = 0;
  ReasonId reason_affinity_, reason_anti_, reason_existing_anti_;
};

}  // namespace gpusim::sched
