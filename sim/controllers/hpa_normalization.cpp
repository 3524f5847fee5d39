#include "controllers/hpa_normalization.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

namespace gpusim::ctrl {
namespace {

double tolerance_value(const Quantity& q) {
  // AsApproximateFloat64: close enough for tolerances written as "0.05" or "50m".
  return static_cast<double>(q.nanos()) / 1e9;
}

ResolvedRules resolve(const std::optional<ScalingRules>& given, ResolvedRules defaults) {
  if (!given) return defaults;
  if (given->select_policy) defaults.select = *given->select_policy;
  if (given->stabilization_window_s)
    defaults.stabilization_window_s = *given->stabilization_window_s;
  if (!given->policies.empty()) defaults.policies = given->policies;
  if (given->tolerance) defaults.tolerance = tolerance_value(*given->tolerance);
  return defaults;
}

}  // namespace

ResolvedBehavior resolve_behavior(const HpaBehavior& behavior,
                                  std::int32_t downscale_stabilization_s) {
  ResolvedRules up;
  up.stabilization_window_s = 0;
  up.select = SelectPolicy::kMax;
  up.policies = {ScalingPolicy{ScalingPolicyType::kPods, 4, 15},
                 ScalingPolicy{ScalingPolicyType::kPercent, 100, 15}};
  ResolvedRules down;
  down.stabilization_window_s = downscale_stabilization_s;
  down.select = SelectPolicy::kMax;
  down.policies = {ScalingPolicy{ScalingPolicyType::kPercent, 100, 15}};
  return ResolvedBehavior{resolve(behavior.scale_up, up), resolve(behavior.scale_down, down)};
}

Limited convert_desired_replicas_with_rules(std::int32_t current, std::int32_t desired,
                                            std::int32_t min_replicas, std::int32_t max_replicas) {
  // Guards against bogus usage spikes: at most double (or 4) per reconcile.
  const auto scale_up_limit =
      static_cast<std::int32_t>(std::max(2.0 * static_cast<double>(current), 4.0));
  Limited limit;
  if (max_replicas > scale_up_limit) {
    limit = {scale_up_limit, "ScaleUpLimit",
             "the desired replica count is increasing faster than the maximum scale rate"};
  } else {
    limit = {max_replicas, "TooManyReplicas",
             "the desired replica count is more than the maximum replica count"};
  }
  if (desired < min_replicas) {
    return {min_replicas, "TooFewReplicas",
            "the desired replica count is less than the minimum replica count"};
  }
  if (desired > limit.replicas) return limit;
  return {desired, "DesiredWithinRange", "the desired count is within the acceptable range"};
}

Limited stabilize_with_behavior(std::vector<TimedRecommendation>& log, std::int32_t current,
                                std::int32_t desired, const ResolvedBehavior& behavior,
                                TimeMs now) {
  std::int32_t up = desired;
  std::int32_t down = desired;
  const TimeMs up_cutoff = now - behavior.scale_up.stabilization_window_s * 1000LL;
  const TimeMs down_cutoff = now - behavior.scale_down.stabilization_window_s * 1000LL;
  std::optional<std::size_t> old_sample;
  for (std::size_t i = 0; i < log.size(); ++i) {
    const TimedRecommendation& r = log[i];
    if (r.t_ms > up_cutoff) up = std::min(up, r.replicas);
    if (r.t_ms > down_cutoff) down = std::max(down, r.replicas);
    if (r.t_ms < up_cutoff && r.t_ms < down_cutoff) old_sample = i;
  }
  std::int32_t result = current;
  if (result < up) result = up;
  if (result > down) result = down;
  if (old_sample) {
    log[*old_sample] = TimedRecommendation{desired, now};
  } else {
    log.push_back(TimedRecommendation{desired, now});
  }
  if (desired >= current) {
    return {result, "ScaleUpStabilized",
            "recent recommendations were lower than current one, applying the lowest recent "
            "recommendation"};
  }
  return {result, "ScaleDownStabilized",
          "recent recommendations were higher than current one, applying the highest recent "
          "recommendation"};
}

std::int32_t replicas_change_per_period(std::int32_t period_s,
                                        const std::vector<ScaleEvent>& events, TimeMs now) {
  const TimeMs cutoff = now - period_s * 1000LL;
  std::int32_t sum = 0;
  for (const ScaleEvent& e : events) {
    if (e.t_ms > cutoff) sum += e.change;
  }
  return sum;
}

std::int32_t scale_up_limit_with_rules(std::int32_t current, const std::vector<ScaleEvent>& up,
                                       const std::vector<ScaleEvent>& down,
                                       const ResolvedRules& rules, TimeMs now) {
  if (rules.select == SelectPolicy::kDisabled) return current;
  const bool min_change = rules.select == SelectPolicy::kMin;
  std::int32_t result = min_change ? INT32_MAX : INT32_MIN;
  for (const ScalingPolicy& p : rules.policies) {
    const std::int32_t start = current - replicas_change_per_period(p.period_s, up, now) +
                               replicas_change_per_period(p.period_s, down, now);
    std::int32_t proposed = 0;
    if (p.type == ScalingPolicyType::kPods) {
      proposed = start + p.value;
    } else {
      // Rounded up so that a small percentage still adds a replica.
      proposed = static_cast<std::int32_t>(
          std::ceil(static_cast<double>(start) * (1 + static_cast<double>(p.value) / 100)));
    }
    result = min_change ? std::min(result, proposed) : std::max(result, proposed);
  }
  return result;
}

std::int32_t scale_down_limit_with_rules(std::int32_t current, const std::vector<ScaleEvent>& up,
                                         const std::vector<ScaleEvent>& down,
                                         const ResolvedRules& rules, TimeMs now) {
  if (rules.select == SelectPolicy::kDisabled) return current;
  const bool min_change = rules.select == SelectPolicy::kMin;
  std::int32_t result = min_change ? INT32_MIN : INT32_MAX;
  for (const ScalingPolicy& p : rules.policies) {
    const std::int32_t start = current - replicas_change_per_period(p.period_s, up, now) +
                               replicas_change_per_period(p.period_s, down, now);
    std::int32_t proposed = 0;
    if (p.type == ScalingPolicyType::kPods) {
      proposed = start - p.value;
    } else {
      proposed = static_cast<std::int32_t>(static_cast<double>(start) *
                                           (1 - static_cast<double>(p.value) / 100));
    }
    result = min_change ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

Limited convert_desired_replicas_with_behavior_rate(
    std::int32_t current, std::int32_t desired, std::int32_t min_replicas,
    std::int32_t max_replicas, const ResolvedBehavior& behavior, const std::vector<ScaleEvent>& up,
    const std::vector<ScaleEvent>& down, TimeMs now) {
  if (desired > current) {
    // Never below current: a full period of recent scale-ups only stops further growth.
    const std::int32_t limit =
        std::max(current, scale_up_limit_with_rules(current, up, down, behavior.scale_up, now));
    Limited bound;
    if (max_replicas > limit) {
      bound = {limit, "ScaleUpLimit",
               "the desired replica count is increasing faster than the maximum scale rate"};
    } else {
      bound = {max_replicas, "TooManyReplicas",
               "the desired replica count is more than the maximum replica count"};
    }
    if (desired > bound.replicas) return bound;
  } else if (desired < current) {
    const std::int32_t limit =
        std::min(current, scale_down_limit_with_rules(current, up, down, behavior.scale_down, now));
    Limited bound;
    if (min_replicas < limit) {
      bound = {limit, "ScaleDownLimit",
               "the desired replica count is decreasing faster than the maximum scale rate"};
    } else {
      bound = {min_replicas, "TooFewReplicas",
               "the desired replica count is less than the minimum replica count"};
    }
    if (desired < bound.replicas) return bound;
  }
  return {desired, "DesiredWithinRange", "the desired count is within the acceptable range"};
}

namespace {

std::int32_t longest_period_s(const ResolvedRules& rules) {
  std::int32_t longest = 0;
  for (const ScalingPolicy& p : rules.policies)
    longest = std::max(longest, p.period_s);
  return longest;
}

void record(std::vector<ScaleEvent>& events, std::int32_t change, std::int32_t longest_s,
            TimeMs now) {
  const TimeMs cutoff = now - longest_s * 1000LL;
  for (ScaleEvent& e : events) {
    if (e.t_ms < cutoff) e.outdated = true;
  }
  for (ScaleEvent& e : events) {
    if (e.outdated) {
      e = ScaleEvent{change, now, false};
      return;
    }
  }
  events.push_back(ScaleEvent{change, now, false});
}

}  // namespace

void store_scale_event(const ResolvedBehavior& behavior, std::vector<ScaleEvent>& up,
                       std::vector<ScaleEvent>& down, std::int32_t previous, std::int32_t next,
                       TimeMs now) {
  if (next > previous) {
    record(up, next - previous, longest_period_s(behavior.scale_up), now);
  } else if (next < previous) {
    record(down, previous - next, longest_period_s(behavior.scale_down), now);
  }
}

}  // namespace gpusim::ctrl
