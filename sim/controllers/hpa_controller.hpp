#pragma once
// The HorizontalPodAutoscaler controller (autoscaling/v2). reconcile_hpa() is upstream's
// reconcileAutoscaler over an abstract view of the scale subresource and the metrics APIs; the
// HpaController actor runs it for every HPA each sync period against the cluster and the
// MetricsPipeline, and the conformance vectors run it against fixtures.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controllers/conditions.hpp"
#include "controllers/hpa_normalization.hpp"
#include "controllers/metrics_pipeline.hpp"
#include "controllers/replica_calculator.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

// kube-controller-manager's HPA flags.
struct HpaSettings {
  TimeMs sync_period_ms = 15'000;                    // --horizontal-pod-autoscaler-sync-period
  double tolerance = 0.1;                            // --horizontal-pod-autoscaler-tolerance
  TimeMs downscale_stabilization_ms = 5 * 60'000;    // ...-downscale-stabilization
  TimeMs cpu_initialization_period_ms = 5 * 60'000;  // ...-cpu-initialization-period
  TimeMs initial_readiness_delay_ms = 30'000;        // ...-initial-readiness-delay
};

// What one reconcile reads besides the HPA object.
class HpaInputs {
 public:
  virtual ~HpaInputs() = default;
  // The pods the target's selector returns, each with its sample for `metric` (Resource and
  // ContainerResource: request and usage of the resource; Pods: the metric value). Returns an
  // error message when the metrics API cannot answer.
  virtual std::optional<std::string> pod_samples(const MetricSpec& metric,
                                                 std::vector<PodSample>& out) = 0;
  // Object metric value (milli), or an error message.
  virtual std::optional<std::int64_t> object_metric(const MetricSpec& metric,
                                                    std::string& error) = 0;
  // External metric: the sum of the matching series (milli), or an error message.
  virtual std::optional<std::int64_t> external_metric(const MetricSpec& metric,
                                                      std::string& error) = 0;
  // Pods selected by the target that are Running and Ready; nullopt when the selector returns
  // no pods at all.
  virtual std::optional<std::int32_t> ready_running_pods() = 0;
};

// One metric's outcome, kept for hpa.csv and the summary.
struct MetricValue {
  std::string name;  // "cpu", "pods/requests_per_second", "external/queue_depth", ...
  bool ok = false;
  std::int64_t current_m = 0;  // utilization percent for Utilization targets, else milli-units
  std::int64_t target_m = 0;   // same unit as current_m
  std::int32_t proposal = 0;
};

// What the controller remembers per HPA between reconciles.
struct HpaState {
  bool initialized = false;  // the first reconcile seeds the recommendation log
  std::vector<TimedRecommendation> recommendations;
  std::vector<ScaleEvent> scale_up_events;
  std::vector<ScaleEvent> scale_down_events;
  std::vector<MetricValue> metrics;
  std::vector<PodSample> scratch;
};

struct ScaleRead {
  std::int32_t spec_replicas = 0;
  std::int32_t status_replicas = 0;
};

struct ReconcileOutcome {
  bool rescale = false;
  std::int32_t desired = 0;
  std::string reason;  // SuccessfulRescale reason text
  std::string error;   // FailedComputeMetricsReplicas / per-metric problems
};

// reconcileAutoscaler: updates hpa.status (current/desired replicas, conditions, lastScaleTime)
// and `state`, and says whether the target's scale should be written.
ReconcileOutcome reconcile_hpa(HorizontalPodAutoscaler& hpa, HpaState& state, ScaleRead scale,
                               HpaInputs& inputs, const HpaSettings& settings, TimeMs now);

// The actor: syncs every HPA each sync period (after the metrics scrape of that instant).
class HpaController : public ClusterObserver {
 public:
  HpaController(Cluster& cluster, EventLoop& loop, HpaSettings settings,
                const MetricsPipeline* metrics);

  // Schedules the periodic syncs; the first one happens one sync period from now.
  void start();
  const HpaSettings& settings() const { return settings_; }
  // Per-HPA state (key "namespace/name"), for outputs.
  const HpaState* state(const std::string& key) const;

  void on_object_changed(std::string_view kind, const std::string& key) override;

 private:
  struct Entry {
    std::string key;
    HorizontalPodAutoscaler* hpa = nullptr;
    HpaState* state = nullptr;
    Deployment* deployment = nullptr;
    ReplicaSet* replica_set = nullptr;
    const WorkloadLoadState* load = nullptr;
  };
  void sync_all();
  void sync(Entry& e);
  void rebuild();

  Cluster& cluster_;
  EventLoop& loop_;
  HpaSettings settings_;
  const MetricsPipeline* metrics_;
  std::map<std::string, HpaState> states_;
  std::vector<Entry> entries_;
  bool dirty_ = true;
  // ReplicaSets by owner (Deployment uid), kept from ReplicaSet changes.
  std::unordered_map<std::uint64_t, std::vector<const ReplicaSet*>> rs_by_owner_;
  std::map<std::string, std::pair<std::uint64_t, const ReplicaSet*>> rs_index_;
};

}  // namespace gpusim::ctrl
