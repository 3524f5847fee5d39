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

// A pod's metric sample as classification reads it.
struct MetricReading {
  bool has_metric = false;
  TimeMs metric_ms = 0;
  TimeMs window_ms = 0;
};

// The times from which a pod's classification (and its sample and busy answers, see
// MetricsPipeline) can differ, per clock: `now`, the sample's time, and the time of the load the
// usage comes from. Each clock only moves forward, so an answer found at times below all three
// holds until one of them is reached (while the pod itself does not change).
struct ClassHorizon {
  TimeMs now_ms = kForever;
  TimeMs sample_ms = kForever;
  TimeMs load_ms = kForever;
};

// groupPods: ignored (deleting, Failed), unready (Pending; for cpu also the initialization and
// never-ready rules), missing (no sample), or ready. This overload takes the sample apart from
// the pod (whose own metric fields it ignores). Inline: the HPA controller classifies every pod
// of every target each sync from its cache, without building a PodSample. With `h`, also lowers
// h's `now` and sample times to those from which the class can differ.
inline PodClass classify_pod(const PodSample& pod, const MetricReading& reading, bool cpu,
                             TimeMs now, const CalculatorSettings& s, ClassHorizon* h = nullptr) {
  if (pod.deleting || pod.phase == PodPhase::kFailed) return PodClass::kIgnored;
  if (pod.phase == PodPhase::kPending) return PodClass::kUnready;
  if (!reading.has_metric) return PodClass::kMissing;
  if (!cpu) return PodClass::kReady;
  if (!pod.has_ready_condition || !pod.start_ms) return PodClass::kUnready;
  bool unready = false;
  const TimeMs initialized_ms = *pod.start_ms + s.cpu_initialization_period_ms;
  if (initialized_ms > now) {
    if (h != nullptr && initialized_ms < h->now_ms) h->now_ms = initialized_ms;
    // Still initialising: the sample must cover a full window since the last Ready transition.
    const TimeMs covered_ms = pod.ready_transition_ms + reading.window_ms;
    unready = !pod.ready || reading.metric_ms < covered_ms;
    if (h != nullptr && pod.ready && reading.metric_ms < covered_ms && covered_ms < h->sample_ms) {
      h->sample_ms = covered_ms;
    }
  } else {
    // Unready and never ready since start: its CPU says nothing about load.
    unready = !pod.ready && *pod.start_ms + s.initial_readiness_delay_ms > pod.ready_transition_ms;
  }
  return unready ? PodClass::kUnready : PodClass::kReady;
}

inline PodClass classify_pod(const PodSample& pod, bool cpu, TimeMs now,
                             const CalculatorSettings& s) {
  return classify_pod(pod, MetricReading{pod.has_metric, pod.metric_ms, pod.window_ms}, cpu, now,
                      s);
}

struct PodGroups {
  std::int32_t pods = 0;  // every pod the selector returned, ignored ones included
  std::int32_t ready = 0;
  std::int32_t unready = 0;
  std::int32_t missing = 0;
  std::int64_t ready_usage_m = 0;
  std::int64_t ready_request_m = 0;
  std::int64_t unready_request_m = 0;
  std::int64_t missing_request_m = 0;
  // Sum over missing pods of request x fill_percent / 100 (each truncated, as upstream does per
  // pod), the usage a scale-down assumes for them.
  std::int64_t missing_fill_m = 0;
  // Some pod lacks a request for the metric: upstream's "missing request" error.
  bool request_missing = false;
  std::string_view request_missing_pod;
  std::string_view request_missing_container;

  // One pod; `request_m` nullopt when `missing_container` lacks a request.
  void add(PodClass c, std::int64_t value_m, const std::optional<std::int64_t>& request_m,
           std::string_view name, std::string_view missing_container, std::int64_t fill_percent) {
    ++pods;
    if (!request_m && !request_missing) {
      request_missing = true;
      request_missing_pod = name;
      request_missing_container = missing_container;
    }
    const std::int64_t request = request_m.value_or(0);
    switch (c) {
      case PodClass::kReady:
        ++ready;
        ready_usage_m += value_m;
        ready_request_m += request;
        break;
      case PodClass::kUnready:
        ++unready;
        unready_request_m += request;
        break;
      case PodClass::kMissing:
        ++missing;
        missing_request_m += request;
        missing_fill_m += request * fill_percent / 100;
        break;
      case PodClass::kIgnored:
        break;
    }
  }
};

// Groups `pods` (cpu: the resource is cpu, with its readiness rules). `fill_percent` is the
// percent of request a missing pod counts at on a scale-down: max(100, target) for Utilization
// targets, unused otherwise.
PodGroups group_pods(std::span<const PodSample> pods, bool cpu, TimeMs now,
                     const CalculatorSettings& s, std::int64_t fill_percent);
inline std::int64_t missing_fill_percent(std::int32_t target_percent) {
  return target_percent > 100 ? target_percent : 100;
}

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
ReplicaProposal resource_utilization_replicas(std::int32_t current, std::int32_t target_percent,
                                              std::string_view resource, const PodGroups& pods,
                                              Tolerances tol);
// calcPlainMetricReplicas: Pods metrics (cpu=false) and AverageValue targets of Resource
// metrics (cpu for the cpu resource).
ReplicaProposal plain_metric_replicas(std::int32_t current, std::int64_t target_m, bool cpu,
                                      std::span<const PodSample> pods, Tolerances tol, TimeMs now,
                                      const CalculatorSettings& s);
ReplicaProposal plain_metric_replicas(std::int32_t current, std::int64_t target_m,
                                      const PodGroups& pods, Tolerances tol);
// Object / External metrics with a Value target: ratio = value / target. `ready_running` is
// the number of pods that are Running and Ready (nullopt: the selector returned no pods).
ReplicaProposal value_replicas(std::int32_t current, std::int64_t value_m, std::int64_t target_m,
                               std::optional<std::int32_t> ready_running, Tolerances tol);
// Object / External metrics with an AverageValue target, against scale.status.replicas.
ReplicaProposal average_value_replicas(std::int32_t status_replicas, std::int64_t total_m,
                                       std::int64_t target_average_m, Tolerances tol);

}  // namespace gpusim::ctrl
