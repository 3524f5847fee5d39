#pragma once
// The six GPU policies as score plugins (Random, DotProduct, GpuClustering, GpuPacking, BestFit,
// FGD). Each scores nodes with the batch scorer's definition (gpusim/gpu/policies.hpp) and picks
// the devices inside the chosen node by the same code, so a profile's choice and the packing
// replay's choice cannot drift apart.
//
// pluginConfig args (all optional):
//   scorer: auto | cpu | cuda        backend of the batch scorer (run --scorer sets it)
//   typicalPods: [{cpuMilli, gpuCount, gpuMilli, gpuModels, weight}]   FGD's distribution;
//                                    absent: the pods in the cluster at the first cycle
//   popularityThreshold: 95          percent of pods the typical shapes cover (derived case)
//   normalize: false                 true: min-max scale to 0..100 (for mixing with other
//                                    score plugins); false: the policy's own integer scale
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>
#include <vector>

#include "scheduler/config.hpp"
#include "scheduler/plugin.hpp"
#include "scheduler/plugins/gpu_scoring.hpp"

namespace gpusim::sched {

class GpuPolicyPlugin : public ScorePlugin, public GpuSelectPlugin {
 public:
  GpuPolicyPlugin(gpu::Policy policy, const nlohmann::json& args, FrameworkHandle& handle);
  std::string_view name() const override { return policy_name(scoring_.policy()); }

  void score(CycleState& state, const PodInfo& pod, std::span<const NodeIndex> nodes,
             std::span<std::int64_t> out) override;
  bool has_normalize() const override { return normalize_; }
  void normalize(CycleState& state, const PodInfo& pod, std::span<std::int64_t> scores) override;
  bool select_gpus(const PodInfo& pod, NodeIndex node, std::vector<std::int32_t>& devices) override;

  GpuScoring& scoring() { return scoring_; }

 private:
  void prepare();
  static std::uint64_t salt_of(const PodInfo& pod);

  FrameworkHandle& handle_;
  GpuScoring scoring_;
  bool normalize_ = false;
  int threshold_pct_ = kDefaultPopularityThresholdPct;
  std::vector<std::int32_t> list_;
  std::vector<std::int64_t> raw_;
};

// Gives every GPU policy plugin of every profile the `scorer` backend and (when not null) FGD's
// `typicalPods`, unless the profile's pluginConfig already sets them.
SchedulerConfig configure_gpu_policies(SchedulerConfig config, const std::string& scorer,
                                       const std::vector<TypicalPod>* typical);

// The GPU policy a profile scores with: the highest-weighted of the six among its score plugins
// (multiPoint or score); empty when it has none.
std::string profile_gpu_policy(const ProfileSpec& profile);

}  // namespace gpusim::sched
