#pragma once
// How the HPA turns a raw replica proposal into the size it sets (k8s-semantics.md 6.5/6.6):
// the recommendation log and stabilization windows, the old scale-up limit without
// spec.behavior, and behavior's scaling policies over recorded scale events. Pure functions over
// the controller's per-HPA state, shared by the HPA controller and the conformance vectors.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/event_loop.hpp"
#include "model/workloads.hpp"

namespace gpusim::ctrl {

struct TimedRecommendation {
  std::int32_t replicas = 0;
  TimeMs t_ms = 0;
};

struct ScaleEvent {
  std::int32_t change = 0;  // always positive: replicas added or removed
  TimeMs t_ms = 0;
  bool outdated = false;
};

// One direction of spec.behavior with upstream's defaults filled in.
struct ResolvedRules {
  std::int32_t stabilization_window_s = 0;
  SelectPolicy select = SelectPolicy::kMax;
  std::vector<ScalingPolicy> policies;
  std::optional<double> tolerance;  // HPAConfigurableTolerance
};

struct ResolvedBehavior {
  ResolvedRules scale_up;
  ResolvedRules scale_down;
};

// SetDefaults_HorizontalPodAutoscalerBehavior plus the controller's scale-down window default.
ResolvedBehavior resolve_behavior(const HpaBehavior& behavior,
                                  std::int32_t downscale_stabilization_s);

// A bounded result and the ScalingLimited reason/message upstream records for it.
struct Limited {
  std::int32_t replicas = 0;
  const char* reason = "";
  const char* message = "";
};

// stabilizeRecommendation without behavior: see RecommendationWindow.
// convertDesiredReplicasWithRules: clamp into [min, min(max, max(2*current, 4))].
Limited convert_desired_replicas_with_rules(std::int32_t current, std::int32_t desired,
                                            std::int32_t min_replicas, std::int32_t max_replicas);

// stabilizeRecommendationWithBehaviors: current clamped into [min of recent recommendations
// (scale-up window), max of recent recommendations (scale-down window)], both windows strict;
// logs `desired`. The reason is the AbleToScale reason when the result differs from desired.
Limited stabilize_with_behavior(std::vector<TimedRecommendation>& log, std::int32_t current,
                                std::int32_t desired, const ResolvedBehavior& behavior, TimeMs now);

// Sum of the changes of events younger than the period (strict).
std::int32_t replicas_change_per_period(std::int32_t period_s,
                                        const std::vector<ScaleEvent>& events, TimeMs now);
std::int32_t scale_up_limit_with_rules(std::int32_t current, const std::vector<ScaleEvent>& up,
                                       const std::vector<ScaleEvent>& down,
                                       const ResolvedRules& rules, TimeMs now);
std::int32_t scale_down_limit_with_rules(std::int32_t current, const std::vector<ScaleEvent>& up,
                                         const std::vector<ScaleEvent>& down,
                                         const ResolvedRules& rules, TimeMs now);
// convertDesiredReplicasWithBehaviorRate.
Limited convert_desired_replicas_with_behavior_rate(
    std::int32_t current, std::int32_t desired, std::int32_t min_replicas,
    std::int32_t max_replicas, const ResolvedBehavior& behavior, const std::vector<ScaleEvent>& up,
    const std::vector<ScaleEvent>& down, TimeMs now);
// storeScaleEvent: records a scale change (only HPAs with behavior keep events), reusing one
// entry older than the direction's longest policy period.
void store_scale_event(const ResolvedBehavior& behavior, std::vector<ScaleEvent>& up,
                       std::vector<ScaleEvent>& down, std::int32_t previous, std::int32_t next,
                       TimeMs now);

}  // namespace gpusim::ctrl
