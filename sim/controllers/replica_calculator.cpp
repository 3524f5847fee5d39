#include "controllers/replica_calculator.hpp"

#include <algorithm>
#include <cmath>

#include "core/rounding.hpp"

namespace gpusim::ctrl {

PodGroups group_pods(std::span<const PodSample> pods, bool cpu, TimeMs now,
                     const CalculatorSettings& s, std::int64_t fill_percent) {
  PodGroups g;
  for (const PodSample& p : pods) {
    g.add(classify_pod(p, cpu, now, s), p.value_m, p.request_m, p.name, p.missing_request_container,
          fill_percent);
  }
  return g;
}

namespace {

ReplicaProposal fail(std::string error) {
  ReplicaProposal p;
  p.error = std::move(error);
  return p;
}

std::int32_t ceil_replicas(double x) {
  return static_cast<std::int32_t>(std::ceil(x));
}

// The counted set of a rebalance: what a missing or unready pod adds back.
enum class Fill { kNone, kZero, kValue };

}  // namespace

ReplicaProposal resource_utilization_replicas(std::int32_t current, std::int32_t target_percent,
                                              std::string_view resource,
                                              std::span<const PodSample> pods, Tolerances tol,
                                              TimeMs now, const CalculatorSettings& s) {
  return resource_utilization_replicas(
      current, target_percent, resource,
      group_pods(pods, resource == "cpu", now, s, missing_fill_percent(target_percent)), tol);
}

ReplicaProposal resource_utilization_replicas(std::int32_t current, std::int32_t target_percent,
                                              std::string_view resource, const PodGroups& g,
                                              Tolerances tol) {
  if (g.pods == 0) return fail("no pods returned by selector while calculating replica count");
  if (g.ready == 0) {
    return fail("did not receive metrics for targeted pods (pods might be unready)");
  }
  if (g.request_missing) {
    return fail("missing request for " + std::string(resource) + " in container " +
                std::string(g.request_missing_container) + " of Pod " +
                std::string(g.request_missing_pod));
  }
  if (g.ready_request_m == 0) return fail("no metrics returned matched known pods");
  // Upstream truncates the utilization to an integer percent BEFORE dividing by the target.
  const auto utilization =
      static_cast<std::int32_t>(divide_int64(g.ready_usage_m * 100, g.ready_request_m));
  const double ratio = static_cast<double>(utilization) / static_cast<double>(target_percent);
  ReplicaProposal out;
  out.ok = true;
  out.utilization = utilization;
  out.usage_m = divide_int64(g.ready_usage_m, g.ready);

  const bool scale_up_with_unready = g.unready > 0 && ratio > 1.0;
  if (!scale_up_with_unready && g.missing == 0) {
    out.replicas = tol.within(ratio) ? current : ceil_replicas(ratio * g.ready);
    return out;
  }
  // Rebalance: missing pods at max(100, target)% of request on a scale-down, 0 on a scale-up;
  // unready pods at 0 on a scale-up.
  Fill missing = Fill::kNone;
  if (g.missing > 0) {
    if (ratio < 1.0) missing = Fill::kValue;
    if (ratio > 1.0) missing = Fill::kZero;
  }
  std::int64_t usage_m = g.ready_usage_m;
  std::int64_t request_m = g.ready_request_m;
  std::int64_t count = g.ready;
  if (missing != Fill::kNone) {
    if (missing == Fill::kValue) usage_m += g.missing_fill_m;
    request_m += g.missing_request_m;
    count += g.missing;
  }
  if (scale_up_with_unready) {
    request_m += g.unready_request_m;
    count += g.unready;
  }
  if (request_m == 0) return fail("no metrics returned matched known pods");
  const auto new_util = static_cast<std::int32_t>(usage_m * 100 / request_m);
  const double new_ratio = static_cast<double>(new_util) / static_cast<double>(target_percent);
  if (tol.within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    out.replicas = current;
    return out;
  }
  const std::int32_t n = ceil_replicas(new_ratio * static_cast<double>(count));
  if ((new_ratio < 1.0 && n > current) || (new_ratio > 1.0 && n < current)) {
    out.replicas = current;
    return out;
  }
  out.replicas = n;
  return out;
}

ReplicaProposal plain_metric_replicas(std::int32_t current, std::int64_t target_m, bool cpu,
                                      std::span<const PodSample> pods, Tolerances tol, TimeMs now,
                                      const CalculatorSettings& s) {
  return plain_metric_replicas(current, target_m, group_pods(pods, cpu, now, s, 0), tol);
}

ReplicaProposal plain_metric_replicas(std::int32_t current, std::int64_t target_m,
                                      const PodGroups& g, Tolerances tol) {
  if (g.pods == 0) return fail("no pods returned by selector while calculating replica count");
  if (g.ready == 0) {
    return fail("did not receive metrics for targeted pods (pods might be unready)");
  }
  const std::int64_t usage = g.ready_usage_m / g.ready;
  const double ratio = static_cast<double>(usage) / static_cast<double>(target_m);
  ReplicaProposal out;
  out.ok = true;
  out.usage_m = usage;

  const bool scale_up_with_unready = g.unready > 0 && ratio > 1.0;
  if (!scale_up_with_unready && g.missing == 0) {
    out.replicas = tol.within(ratio) ? current : ceil_replicas(ratio * g.ready);
    return out;
  }
  // Missing pods are assumed exactly at target on a scale-down and at 0 on a scale-up.
  Fill missing = Fill::kNone;
  if (g.missing > 0) {
    if (ratio < 1.0) missing = Fill::kValue;
    if (ratio > 1.0) missing = Fill::kZero;
  }
  std::int64_t usage_m = g.ready_usage_m;
  std::int64_t count = g.ready;
  if (missing != Fill::kNone) {
    if (missing == Fill::kValue) usage_m += target_m * g.missing;
    count += g.missing;
  }
  if (scale_up_with_unready) count += g.unready;
  const double new_ratio = static_cast<double>(usage_m / count) / static_cast<double>(target_m);
  if (tol.within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    out.replicas = current;
    return out;
  }
  const std::int32_t n = ceil_replicas(new_ratio * static_cast<double>(count));
  if ((new_ratio < 1.0 && n > current) || (new_ratio > 1.0 && n < current)) {
    out.replicas = current;
    return out;
  }
  out.replicas = n;
  return out;
}

ReplicaProposal value_replicas(std::int32_t current, std::int64_t value_m, std::int64_t target_m,
                               std::optional<std::int32_t> ready_running, Tolerances tol) {
  const double ratio = static_cast<double>(value_m) / static_cast<double>(target_m);
  ReplicaProposal out;
  out.usage_m = value_m;
  if (current == 0) {
    // Scale-to-zero HPAs: straight from the ratio, no tolerance.
    out.ok = true;
    out.replicas = ceil_replicas(ratio);
    return out;
  }
  if (tol.within(ratio)) {
    out.ok = true;
    out.replicas = current;
    return out;
  }
  if (!ready_running) {
    return fail(
        "unable to calculate ready pods: no pods returned by selector while calculating "
        "replica count");
  }
  out.ok = true;
  out.replicas = ceil_replicas(ratio * static_cast<double>(*ready_running));
  return out;
}

ReplicaProposal average_value_replicas(std::int32_t status_replicas, std::int64_t total_m,
                                       std::int64_t target_average_m, Tolerances tol) {
  ReplicaProposal out;
  out.ok = true;
  out.replicas = status_replicas;
  const double ratio = static_cast<double>(total_m) / (static_cast<double>(target_average_m) *
                                                       static_cast<double>(status_replicas));
  if (!tol.within(ratio)) {
    out.replicas =
        ceil_replicas(static_cast<double>(total_m) / static_cast<double>(target_average_m));
  }
  // Upstream divides by status.replicas unguarded; with none the per-pod usage is the total.
  out.usage_m = status_replicas > 0
                    ? static_cast<std::int64_t>(std::ceil(static_cast<double>(total_m) /
                                                          static_cast<double>(status_replicas)))
                    : total_m;
  return out;
}

}  // namespace gpusim::ctrl
