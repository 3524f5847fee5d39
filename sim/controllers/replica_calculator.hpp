#pragma once
// The HPA's replica calculator (k8s-semantics.md 6.3/6.4): from pods and metric samples to a
// replica proposal per metric. Pure functions over plain samples; the HPA controller feeds them
// from the metrics pipeline, the conformance vectors (hpa.yaml) from fixtures.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/event_loop.hpp"
#include "model/pod.hpp"

namespace gpusim::ctrl {

// "Within tolerance" is 1 - scale_down <= ratio <= 1 + scale_up, both ends inclusive.
struct Tolerances {
  double scale_up = 0.1;
  double scale_down = 0.1;
  bool within(double ratio) const {
    return (1.0 - scale_down) <= ratio && ratio <= (1.0 + scale_up);
  }
};

// kube-controller-manager flags the calculator reads.
struct CalculatorSettings {
  TimeMs cpu_initialization_period_ms = 5 * 60 * 1000;
  TimeMs initial_readiness_delay_ms = 30 * 1000;
};

// One pod returned by the HPA's selector, with its metric sample (if the metrics API has one).
struct PodSample {
  std::string_view name;
  PodPhase phase = PodPhase::kRunning;
  bool deleting = false;            // deletionTimestamp set
  bool has_ready_condition = true;  // the PodReady condition exists
  bool ready = true;                // PodReady status
  TimeMs ready_transition_ms = 0;   // PodReady lastTransitionTime
  std::optional<TimeMs> start_ms;   // status.startTime (when the kubelet accepted the pod)
  // Sum of the container requests for the resource (milli-units); nullopt when a container
  // lacks one (then `missing_request_container` names it).
  std::optional<std::int64_t> request_m;
  std::string_view missing_request_container;
  bool has_metric = false;
  std::int64_t value_m = 0;  // the sample, milli-units
  TimeMs metric_ms = 0;      // sample timestamp
  TimeMs window_ms = 0;      // sample window
};

enum class PodClass { kReady, kUnready, kMissing, kIgnored };

// groupPods: ignored (deleting, Failed), unready (Pending; for cpu also the initialization and
// never-ready rules), missing (no sample), or ready.
PodClass classify_pod(const PodSample& pod, bool cpu, TimeMs now, const CalculatorSettings& s);

struct ReplicaProposal {
  bool ok = false;
  std::string error;
  std::int32_t replicas = 0;
  std::int32_t utilization = 0;  // Resource Utilization: percent of request
  std::int64_t usage_m = 0;      // raw average (Resource) or the metric's usage value
};

// GetResourceReplicas (Utilization targets of Resource and ContainerResource metrics).
ReplicaProposal resource_utilization_replicas(std::int32_t current, std::int32_t target_percent,
                                              std::string_view resource,
                                              std::span<const PodSample> pods, Tolerances tol,
                                              TimeMs now, const CalculatorSettings& s);
// calcPlainMetricReplicas: Pods metrics (cpu=false) and AverageValue targets of Resource
// metrics (cpu for the cpu resource).
ReplicaProposal plain_metric_replicas(std::int32_t current, std::int64_t target_m, bool cpu,
                                      std::span<const PodSample> pods, Tolerances tol, TimeMs now,
                                      const CalculatorSettings& s);
// Object / External metrics with a Value target: ratio = value / target. `ready_running` is
// the number of pods that are Running and Ready (nullopt: the selector returned no pods).
ReplicaProposal value_replicas(std::int32_t current, std::int64_t value_m, std::int64_t target_m,
                               std::optional<std::int32_t> ready_running, Tolerances tol);
// Object / External metrics with an AverageValue target, against scale.status.replicas.
ReplicaProposal average_value_replicas(std::int32_t status_replicas, std::int64_t total_m,
                                       std::int64_t target_average_m, Tolerances tol);

}  // namespace gpusim::ctrl
