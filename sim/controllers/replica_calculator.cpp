#include "controllers/replica_calculator.hpp"

#include <algorithm>
#include <cmath>

namespace gpusim::ctrl {

PodClass classify_pod(const PodSample& pod, bool cpu, TimeMs now, const CalculatorSettings& s) {
  if (pod.deleting || pod.phase == PodPhase::kFailed) return PodClass::kIgnored;
  if (pod.phase == PodPhase::kPending) return PodClass::kUnready;
  if (!pod.has_metric) return PodClass::kMissing;
  if (!cpu) return PodClass::kReady;
  if (!pod.has_ready_condition || !pod.start_ms) return PodClass::kUnready;
  bool unready = false;
  if (*pod.start_ms + s.cpu_initialization_period_ms > now) {
    // Still initialising: the sample must cover a full window since the last Ready transition.
    unready = !pod.ready || pod.metric_ms < pod.ready_transition_ms + pod.window_ms;
  } else {
    // Unready and never ready since start: its CPU says nothing about load.
    unready = !pod.ready && *pod.start_ms + s.initial_readiness_delay_ms > pod.ready_transition_ms;
  }
  return unready ? PodClass::kUnready : PodClass::kReady;
}

namespace {

struct Grouped {
  std::int32_t ready = 0;
  std::int32_t unready = 0;
  std::int32_t missing = 0;
};

// What the calculator adds back for pods without a usable sample when rebalancing.
enum class Fill { kNone, kZero, kValue };

struct Totals {
  std::int64_t usage_m = 0;
  std::int64_t request_m = 0;
  std::int64_t count = 0;
};

// Sums the counted set: ready pods with their samples, plus missing and unready pods filled in.
template <typename Classes>
Totals totals(std::span<const PodSample> pods, const Classes& classes, Fill missing,
              std::int64_t missing_value_m, bool missing_value_is_percent, Fill unready) {
  Totals t;
  for (std::size_t i = 0; i < pods.size(); ++i) {
    const PodSample& p = pods[i];
    std::int64_t v = 0;
    switch (classes[i]) {
      case PodClass::kReady:
        v = p.value_m;
        break;
      case PodClass::kMissing:
        if (missing == Fill::kNone) continue;
        if (missing == Fill::kValue) {
          v = missing_value_is_percent ? p.request_m.value_or(0) * missing_value_m / 100
                                       : missing_value_m;
        }
        break;
      case PodClass::kUnready:
        if (unready == Fill::kNone) continue;
        break;
      case PodClass::kIgnored:
        continue;
    }
    t.usage_m += v;
    t.request_m += p.request_m.value_or(0);
    ++t.count;
  }
  return t;
}

// Small fixed-capacity storage for per-pod classes: HPAs see tens of pods, not thousands, but
// the vector fallback keeps large selectors correct.
class ClassBuffer {
 public:
  explicit ClassBuffer(std::size_t n) : heap_(n > kInline ? n : 0) {}
  PodClass& operator[](std::size_t i) { return heap_.empty() ? inline_[i] : heap_[i]; }
  const PodClass& operator[](std::size_t i) const { return heap_.empty() ? inline_[i] : heap_[i]; }

 private:
  static constexpr std::size_t kInline = 64;
  PodClass inline_[kInline] = {};
  std::vector<PodClass> heap_;
};

Grouped group(std::span<const PodSample> pods, bool cpu, TimeMs now, const CalculatorSettings& s,
              ClassBuffer& classes) {
  Grouped g;
  for (std::size_t i = 0; i < pods.size(); ++i) {
    classes[i] = classify_pod(pods[i], cpu, now, s);
    switch (classes[i]) {
      case PodClass::kReady:
        ++g.ready;
        break;
      case PodClass::kUnready:
        ++g.unready;
        break;
      case PodClass::kMissing:
        ++g.missing;
        break;
      case PodClass::kIgnored:
        break;
    }
  }
  return g;
}

ReplicaProposal fail(std::string error) {
  ReplicaProposal p;
  p.error = std::move(error);
  return p;
}

std::int32_t ceil_replicas(double x) {
  return static_cast<std::int32_t>(std::ceil(x));
}

}  // namespace

ReplicaProposal resource_utilization_replicas(std::int32_t current, std::int32_t target_percent,
                                              std::string_view resource,
                                              std::span<const PodSample> pods, Tolerances tol,
                                              TimeMs now, const CalculatorSettings& s) {
  if (pods.empty()) return fail("no pods returned by selector while calculating replica count");
  ClassBuffer classes(pods.size());
  const Grouped g = group(pods, resource == "cpu", now, s, classes);
  if (g.ready == 0) {
    return fail("did not receive metrics for targeted pods (pods might be unready)");
  }
  for (const PodSample& p : pods) {
    if (!p.request_m) {
      return fail("missing request for " + std::string(resource) + " in container " +
                  std::string(p.missing_request_container) + " of Pod " + std::string(p.name));
    }
  }
  const Totals base = totals(pods, classes, Fill::kNone, 0, false, Fill::kNone);
  if (base.request_m == 0) return fail("no metrics returned matched known pods");
  // Upstream truncates the utilization to an integer percent BEFORE dividing by the target.
  const auto utilization = static_cast<std::int32_t>(base.usage_m * 100 / base.request_m);
  const double ratio = static_cast<double>(utilization) / static_cast<double>(target_percent);
  ReplicaProposal out;
  out.ok = true;
  out.utilization = utilization;
  out.usage_m = base.usage_m / base.count;

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
  const Totals re = totals(pods, classes, missing, std::max<std::int64_t>(100, target_percent),
                           true, scale_up_with_unready ? Fill::kZero : Fill::kNone);
  if (re.request_m == 0) return fail("no metrics returned matched known pods");
  const auto new_util = static_cast<std::int32_t>(re.usage_m * 100 / re.request_m);
  const double new_ratio = static_cast<double>(new_util) / static_cast<double>(target_percent);
  if (tol.within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    out.replicas = current;
    return out;
  }
  const std::int32_t n = ceil_replicas(new_ratio * static_cast<double>(re.count));
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
  if (pods.empty()) return fail("no pods returned by selector while calculating replica count");
  ClassBuffer classes(pods.size());
  const Grouped g = group(pods, cpu, now, s, classes);
  if (g.ready == 0) {
    return fail("did not receive metrics for targeted pods (pods might be unready)");
  }
  const Totals base = totals(pods, classes, Fill::kNone, 0, false, Fill::kNone);
  const std::int64_t usage = base.usage_m / base.count;
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
  const Totals re = totals(pods, classes, missing, target_m, false,
                           scale_up_with_unready ? Fill::kZero : Fill::kNone);
  const double new_ratio =
      static_cast<double>(re.usage_m / re.count) / static_cast<double>(target_m);
  if (tol.within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    out.replicas = current;
    return out;
  }
  const std::int32_t n = ceil_replicas(new_ratio * static_cast<double>(re.count));
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
