#pragma once
// Coscheduling (kubernetes-sigs/scheduler-plugins): gang scheduling for pods labelled
// scheduling.x-k8s.io/pod-group=<PodGroup>. Every other pod is left alone (PreFilter Skip,
// Permit Allow), so the plugin is safe in the default profile.
//   PreFilter  the PodGroup must exist and have at least minMember live pods.
//   Permit     a member waits (its node's resources reserved, not bound) until minMember
//              members are bound or waiting; the one that completes the gang allows the rest,
//              which are then bound together. A member waits at most the PodGroup's
//              scheduleTimeoutSeconds (default: args.permitWaitingTimeSeconds, 60).
//   PostFilter when a member cannot be placed, the waiting members are rejected at once
//              ("optimistic rejection"), releasing what they held, unless the gang is already
//              satisfied or at most 10% short of minMember.
//   Unreserve  one member rejected (timeout) rejects the whole waiting gang.
// So a gang never holds GPUs partially beyond its timeout, and never binds partially.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class CoschedulingPlugin : public PreFilterPlugin, public PostFilterPlugin, public PermitPlugin {
 public:
  static constexpr std::string_view kName = "Coscheduling";
  // args: {permitWaitingTimeSeconds: 60}
  CoschedulingPlugin(const nlohmann::json& args, FrameworkHandle& handle);
  std::string_view name() const override { return kName; }

  Status pre_filter(CycleState& state, const PodInfo& pod) override;
  PostFilterResult post_filter(CycleState& state, const PodInfo& pod,
                               const std::vector<Rejection>& rejections, DryRun& dry_run) override;
  PermitDecision permit(CycleState& state, const PodInfo& pod, NodeIndex node) override;
  TimeMs wait_timeout_ms(const PodInfo& pod) const override;
  void unreserve(PodId pod) override;

 private:
  // The pod's PodGroup, or nullptr (no label, or no such group).
  const PodGroup* group_of(const Pod& pod) const;
  // Live members of the group: not terminal, not being deleted.
  std::vector<PodId> members(const Pod& pod, const PodGroup& group) const;
  std::vector<PodId> waiting_members(const Pod& pod, PodId except) const;
  std::int32_t bound_members(const Pod& pod, const PodGroup& group, PodId except) const;

  FrameworkHandle& handle_;
  TimeMs default_timeout_ms_ = 60'000;
};

}  // namespace gpusim::sched
