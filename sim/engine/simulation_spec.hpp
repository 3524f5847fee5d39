#pragma once
// The `kind: Simulation` document (apiVersion gpusim.io/v1alpha1): everything a run needs that
// Kubernetes manifests do not say. Every field is documented in docs/scenario.md.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controllers/autoscaler_options.hpp"
#include "controllers/hpa_controller.hpp"
#include "controllers/load_model.hpp"
#include "controllers/metrics_pipeline.hpp"
#include "controllers/node_lifecycle.hpp"
#include "core/diagnostics.hpp"
#include "core/distribution.hpp"
#include "core/event_loop.hpp"
#include "engine/trace_data.hpp"
#include "model/node.hpp"
#include "model/workloads.hpp"

namespace gpusim::engine {

// A group of identical nodes built from a Node template: names are <pool>-<index>.
struct NodePoolSpec {
  std::string name;
  std::int32_t count = 0;
  Node node_template;     // labels, taints, capacity/allocatable; name ignored
  std::string gpu_model;  // sets the GPU model label when non-empty
  // Autoscaling (cluster-autoscaler per pool); absent = fixed size.
  struct Autoscaling {
    std::int32_t min_size = 0;
    std::int32_t max_size = 0;
    TimeMs provisioning_delay_ms = 0;
    double scale_down_utilization_threshold = 0.5;
    double scale_down_gpu_utilization_threshold = 0.5;
    TimeMs scale_down_unneeded_ms = 10 * 60 * 1000;
    TimeMs max_node_provision_ms = 15 * 60 * 1000;  // --max-node-provision-time for this pool
    // The cloud: instances of the pool at once (unset: unlimited), and the chance that a new
    // instance never registers (seeded).
    std::optional<std::int32_t> capacity;
    double provisioning_failure_probability = 0;
  };
  std::optional<Autoscaling> autoscaling;
  std::int64_t cost_per_hour_micros = 0;  // cost per node-hour in millionths of the currency unit
  SourceLocation source;
};

// spec.clusterAutoscaler: the cluster-autoscaler's global flags (ctrl::AutoscalerOptions) and
// the defaults of the per-pool settings (--scale-down-utilization-threshold,
// --scale-down-gpu-utilization-threshold, --scale-down-unneeded-time), which a pool's
// `autoscaling` overrides. Defaults are upstream's.
struct ClusterAutoscalerSpec {
  ctrl::AutoscalerOptions options;
  double scale_down_utilization_threshold = 0.5;
  double scale_down_gpu_utilization_threshold = 0.5;
  TimeMs scale_down_unneeded_ms = 10 * 60'000;
  SourceLocation source;  // where the section is (unset when absent)
};

// How long things take when annotations do not say (gpusim.io/* annotations win).
struct Defaults {
  TimeMs pod_startup_ms = 0;     // bind -> containers running (besides image pulls and init)
  TimeMs image_pull_ms = 0;      // per image, per node, first pull only
  TimeMs init_container_ms = 0;  // per init container
  std::optional<TimeMs> job_pod_duration_ms;  // how long a Job pod runs; unset: 10m
  std::optional<TimeMs> pod_duration_ms;      // bare/ReplicaSet pods: unset = run until deleted
  // The same two as written: a fixed duration or a distribution ("exponential(20m)"), drawn per
  // pod. The _ms fields above hold the fixed value, or the distribution's mean (median for
  // lognormal).
  std::optional<DurationDistribution> job_pod_duration;
  std::optional<DurationDistribution> pod_duration;
  // Pod lifecycle (docs/scenario.md "Pod lifecycle"): image pull speed for gpusim.io/image-size,
  // how long containers take to exit after SIGTERM (unset: the whole grace period), and the mean
  // time to a crash/hang of long-running containers with a failure or hang probability.
  std::int64_t image_pull_bytes_per_second = 0;
  std::optional<TimeMs> shutdown_ms;
  TimeMs failure_after_ms = 60LL * 60 * 1000;
};

enum class ArrivalProcess { kPoisson, kInterval, kTrace };

// One row of an arrival trace (docs/scenario.md "Arrival traces"), as the scenario loader read
// and checked it.
struct ArrivalTraceRow {
  TimeMs t_ms = 0;  // from the arrival's start
  std::string namespace_;
  ResourceQuantities requests;  // of the first container
  std::string duration;         // a gpusim.io/duration value; empty: the template's or default
};

// A generator of objects over time: copies of a template object (a Job, a Pod, a PyTorchJob...)
// named <name>-<n>, created by a Poisson process, at fixed intervals, or from a CSV trace.
struct ArrivalSpec {
  std::string name;
  ArrivalProcess process = ArrivalProcess::kInterval;
  double rate_per_hour = 0;  // Poisson
  TimeMs interval_ms = 0;    // fixed interval
  TimeMs start_ms = 0;
  std::optional<TimeMs> stop_ms;
  std::optional<std::int64_t> count;  // at most this many objects
  std::string trace_file;  // CSV: arrival time, namespace, requests, duration (path resolved)
  // Its rows in time order, read by the scenario loader (scenario/arrival_trace.hpp) so that
  // `validate` reports every bad row; shared because sweeps copy the spec per point.
  std::shared_ptr<const std::vector<ArrivalTraceRow>> trace_rows;
  // The template: one inline Kubernetes object, parsed by the scenario loader into the objects
  // below (exactly one is set; none for a trace without a template). Its name is unused.
  std::shared_ptr<const Job> job;
  std::shared_ptr<const Pod> pod;
  std::shared_ptr<const PyTorchJob> pytorch_job;
  SourceLocation source;
};

// openb / FGD trace replay (scenarios/openb/*.yaml).
struct TraceReplaySpec {
  std::string format = "openb";
  std::string node_file;
  std::string pod_file;
  std::string mode = "packing";  // packing: the paper's protocol; timed: creation/deletion times
  double inflate = 1.3;          // target requested GPU / cluster GPU capacity
  bool shuffle = true;
  SourceLocation source;
  // The files' contents, read by scenario::attach_trace_data (sim/scenario/openb_trace.hpp).
  std::shared_ptr<const TraceData> data;
};

// One action at a simulated time (a rollout, a drain, a failure...). The action-specific
// payload is kept as key/value strings plus an optional object patch; the timeline controller
// interprets it. Later issues add actions; unknown actions are load errors.
struct TimelineEvent {
  TimeMs at_ms = 0;
  // setImage, patch, scale, cordon, uncordon, drain, fail, recover, remove, ... (the loader's
  // known_timeline_actions() lists those accepted)
  std::string action;
  std::string target;  // kind/namespace/name or node name / pool name
  std::map<std::string, std::string> params;
  std::string patch_yaml;  // for `patch`: a strategic-merge-style fragment of the target
  // setImage/patch/restart of a Deployment: the Deployment as it is after this change (and every
  // earlier one on the timeline), resolved by the loader; null when not resolved (setImage and
  // restart then edit the running Deployment's template directly).
  std::shared_ptr<const Deployment> deployment;
  std::optional<std::int32_t> replicas;  // the patch sets spec.replicas
  SourceLocation source;
};

struct ExpectationSpec {
  std::string name;
  std::string expr;  // the assertion, see docs/scenario.md "Expectations"
  SourceLocation source;
};

struct SimulationSpec {
  std::string name = "simulation";
  std::uint64_t seed = 1;
  bool seed_set = false;
  std::optional<TimeMs> duration_ms;  // unset: until nothing more happens (capped by max_time)
  TimeMs sample_interval_ms = 60'000;
  std::string gpu_model_label = kGpuProductLabel;
  std::string policy;  // GPU policy shortcut (--policy); empty = profiles as configured
  std::vector<NodePoolSpec> node_pools;
  ClusterAutoscalerSpec cluster_autoscaler;
  Defaults defaults;
  std::vector<ArrivalSpec> arrivals;
  std::optional<TraceReplaySpec> trace;
  std::vector<TimelineEvent> timeline;
  std::vector<ExpectationSpec> expectations;
  // Kubernetes feature gates (spec.featureGates), e.g. HPAScaleToZero. Only gates gpusim knows
  // are accepted; absent gates take upstream's default.
  std::map<std::string, bool> feature_gates;
  // Serving (docs/scenario.md "Load", "Autoscaling and metrics", "Node lifecycle"): the load
  // model per workload, and the HPA, metrics pipeline and node lifecycle controller settings.
  std::vector<ctrl::WorkloadLoadSpec> load;
  ctrl::HpaSettings hpa;
  ctrl::MetricsSettings metrics;
  ctrl::NodeLifecycleSettings node_lifecycle;
  // Safety caps (bad input must not run forever).
  std::uint64_t max_events = 500'000'000;
  TimeMs max_time_ms = 365LL * 24 * 3600 * 1000;
  SourceLocation source;
};

}  // namespace gpusim::engine
