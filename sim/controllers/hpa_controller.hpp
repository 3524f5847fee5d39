#pragma once
// The HorizontalPodAutoscaler controller (autoscaling/v2). reconcile_hpa() is upstream's
// reconcileAutoscaler over an abstract view of the scale subresource and the metrics APIs; the
// HpaController actor runs it for every HPA each sync period against the cluster and the
// MetricsPipeline, and the conformance vectors run it against fixtures.
#include <array>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controllers/conditions.hpp"
#include "controllers/hpa_normalization.hpp"
#include "controllers/metrics_pipeline.hpp"
#include "controllers/recommendation_window.hpp"
#include "controllers/replica_calculator.hpp"
#include "controllers/scrape_follower.hpp"
#include "core/fork_join.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

// kube-controller-manager's HPA flags.
struct HpaSettings {
  TimeMs sync_period_ms = 15'000;                    // --horizontal-pod-autoscaler-sync-period
  double tolerance = 0.1;                            // --horizontal-pod-autoscaler-tolerance
  TimeMs downscale_stabilization_ms = 5 * 60'000;    // ...-downscale-stabilization
  TimeMs cpu_initialization_period_ms = 5 * 60'000;  // ...-cpu-initialization-period
  TimeMs initial_readiness_delay_ms = 30'000;        // ...-initial-readiness-delay
  // gpusim's own: reconcile_hpa takes its shortcut for the syncs that keep the size of an HPA
  // without behavior on one metric (the tests turn it off to compare).
  bool steady_sync = true;
  // gpusim's own: the syncs at a scrape's instant run inside the scrape (HpaController's
  // ScrapeFollower side; the tests turn it off to compare).
  bool follow_scrape = true;
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
  // The same pods grouped for the calculator (see group_pods; `scratch` may hold the samples).
  // `cpu`: the metric is the cpu resource (the calculator's cpu rules, and the usage read).
  // The default groups pod_samples(); a source that can classify its pods in place overrides it.
  virtual std::optional<std::string> pod_groups(const MetricSpec& metric, bool cpu, TimeMs now,
                                                const CalculatorSettings& s,
                                                std::int64_t fill_percent, PodGroups& out,
                                                std::vector<PodSample>& scratch);
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

  // Everything but the name, which depends on the spec only (see reconcile_hpa).
  void clear_values() {
    ok = false;
    current_m = 0;
    target_m = 0;
    proposal = 0;
  }
};

// One condition update of a reconcile. The type, status, reason and message prefix are string
// literals and the message suffix is empty, one of HpaState::metric_names or other text. The
// first two kinds are known by address (`metric_name`, nullptr for none): the names do not
// change until HpaController::rebuild(), which forgets these records too. So two keys without
// text suffixes are the same update exactly when they compare equal.
struct ConditionKey {
  const char* type;
  const char* status;
  const char* reason;
  const char* prefix;
  const char* metric_name;
  bool operator==(const ConditionKey&) const = default;
};
// At most ScalingActive, AbleToScale and ScalingLimited, then AbleToScale's SucceededRescale.
constexpr std::size_t kMaxConditionUpdates = 4;

// What one applied condition update leaves besides its key.
struct AppliedCondition {
  std::string text_suffix;  // the message suffix when it is text (see ConditionKey)
  std::uint32_t index = 0;  // of its condition in hpa.status.conditions
};

// What the controller remembers per HPA between reconciles.
struct HpaState {
  bool initialized = false;  // the first reconcile seeds the recommendation log
  std::vector<TimedRecommendation> recommendations;  // with spec.behavior
  RecommendationWindow window;                       // without
  std::vector<ScaleEvent> scale_up_events;
  std::vector<ScaleEvent> scale_down_events;
  // Small vectors: a sync reads all of these, and kept inline they share the state's cache
  // lines instead of each costing a miss (most HPAs have one metric and three conditions).
  boost::container::small_vector<MetricValue, 1> metrics;
  std::vector<PodSample> scratch;
  PodGroups groups;  // a metric's pods as the calculator groups them, rewritten by each use
  // The condition updates of the last reconcile (keys, whether one had a text suffix, the rest
  // per update) and the size of the conditions list after them. A reconcile that would make
  // the very same updates skips them: they would change nothing, and comparing the messages
  // each sync cost more than the rest of the reconcile.
  std::array<ConditionKey, kMaxConditionUpdates> applied_keys{};
  bool applied_text = false;
  boost::container::small_vector<AppliedCondition, kMaxConditionUpdates> applied_conditions;
  std::size_t conditions_after = 0;
  // Per metric, for the conditions (spec-derived, kept).
  boost::container::small_vector<std::string, 1> metric_names;
  std::string message_scratch;  // a condition message being written
};

struct ScaleRead {
  std::int32_t spec_replicas = 0;
  std::int32_t status_replicas = 0;
};

struct ReconcileOutcome {
  bool rescale = false;
  std::int32_t desired = 0;
  std::string reason;                   // SuccessfulRescale reason text
  std::string error;                    // FailedComputeMetricsReplicas / per-metric problems
  bool scaling_active_changed = false;  // ScalingActive's reason changed (or it was added)
};

// reconcileAutoscaler: updates hpa.status (current/desired replicas, conditions, lastScaleTime)
// and `state`, and says whether the target's scale should be written.
ReconcileOutcome reconcile_hpa(HorizontalPodAutoscaler& hpa, HpaState& state, ScaleRead scale,
                               HpaInputs& inputs, const HpaSettings& settings, TimeMs now);

// The actor: syncs every HPA each sync period (after the metrics scrape of that instant).
class HpaController : public ClusterObserver, public ScrapeFollower {
 public:
  // With `fork_join`, a sync's reconciles are split over its threads where that changes
  // nothing (see rebuild()); their writes to the cluster follow in HPA order.
  HpaController(Cluster& cluster, EventLoop& loop, HpaSettings settings,
                const MetricsPipeline* metrics, ForkJoin* fork_join = nullptr);

  // Schedules the periodic syncs; the first one happens one sync period from now.
  void start();
  const HpaSettings& settings() const { return settings_; }
  // Per-HPA state by key ("namespace/name"), for outputs.
  const std::map<std::string, HpaState>& states() const { return states_; }

  void on_object_changed(std::string_view kind, const std::string& key) override;
  // As the metrics pipeline's follower, a sync whose instant has a scrape (same period, the
  // scrape first) reconciles each HPA right after its workload is scraped; the sync event then
  // only applies the outcomes, in HPA order. Nothing runs between the two events (both are
  // kMetrics at one instant and the scrape schedules nothing else), so this changes no output.
  void before_scrape(TimeMs now) override;
  void after_scraped(std::size_t begin, std::size_t end, TimeMs now) override;
  // How many syncs ran their reconciles inside a scrape so far.
  std::uint64_t syncs_inside_scrapes() const { return syncs_inside_scrapes_; }
  void on_pod_added(PodId id) override { pod_changed(id); }
  void on_pod_bound(PodId id) override { pod_changed(id); }
  void on_pod_updated(PodId id) override { pod_changed(id); }
  void on_pod_released(PodId id, NodeId) override { pod_changed(id); }
  void on_pod_deleted(PodId id) override { pod_changed(id); }

  // One pod of an HPA's target as the calculator sees it, minus the metric sample.
  struct CachedPod {
    PodSample sample;        // all but name, request and metric fields
    PodMetricInputs inputs;  // what the metrics pipeline reads to answer for it
    PodId id = kNoPod;
    std::uint32_t set = 0;  // index of its ReplicaSet in the target's set list
  };
  // One ReplicaSet's request of a metric's resource, and whether its pods carry the usage.
  struct SetRequest {
    std::optional<std::int64_t> request_m;  // nullopt: `missing_container` lacks a request
    std::string_view missing_container;
    bool carries_usage = true;
  };
  using SetRequests = boost::container::small_vector<SetRequest, 2>;
  // The target's pods counted by set and class, valid while no pod can change class (the
  // horizon, ClassHorizon) and no node's kubelet went down or came back. Usage is the same for
  // every busy (or idle) pod of a load model, so the calculator's sums are counts times values
  // and a sync costs per set, not per pod, until some pod crosses a threshold.
  struct SetCounts {
    std::int32_t pods = 0;
    std::int32_t ready_busy = 0;
    std::int32_t ready_idle = 0;
    std::int32_t unready = 0;
    std::int32_t missing = 0;
  };
  struct ClassCounts {
    bool valid = false;
    bool cpu = false;
    std::uint64_t node_generation = 0;
    ClassHorizon until;
    boost::container::small_vector<SetCounts, 2> sets;
    // The sums of `sets` but for the ready pods' usage, with missing pods filled at
    // base_fill_percent (-1: not summed since the last count).
    PodGroups base;
    std::int64_t base_fill_percent = -1;
    // The ready pods whose sets carry the usage, busy and idle (summed with `base`): a sync's
    // ready usage is usage_busy x busy usage + usage_idle x idle usage.
    std::int64_t usage_busy = 0;
    std::int64_t usage_idle = 0;
  };
  struct MetricRequests {
    const MetricSpec* spec = nullptr;  // the spec it was first asked for
    MetricSourceType type = MetricSourceType::kResource;
    std::string resource;
    std::string container;
    SetRequests sets;
    bool all_requested = true;  // every set has a request for the resource
    ClassCounts counts;
  };
  // The target's pods and their ReplicaSets' requests, re-read from the cluster only after an
  // observer callback said one of those pods (or the target's ReplicaSet list) changed: most
  // syncs see the same pods with a new scrape, and re-reading scattered Pod records and
  // templates per HPA per sync dominated long runs.
  struct TargetCache {
    bool valid = false;
    std::vector<CachedPod> pods;
    // Inline (like the sets in it), so that a sync finds them in its Entry: one heap block per
    // level cost a cache miss each per HPA per sync.
    boost::container::small_vector<MetricRequests, 1> requests;
  };

 private:
  struct Entry {
    std::string key;
    HorizontalPodAutoscaler* hpa = nullptr;
    HpaState* state = nullptr;
    Deployment* deployment = nullptr;
    const std::vector<const ReplicaSet*>* owned_sets = nullptr;  // the Deployment's sets
    ReplicaSet* replica_set = nullptr;
    const WorkloadLoadState* load = nullptr;
    TargetCache cache;
  };
  static bool has_target(const Entry& e) {
    return e.deployment != nullptr || e.replica_set != nullptr;
  }
  // Whether apply() has anything to do for the outcome.
  static bool writes_cluster(const Entry& e, const ReconcileOutcome& o) {
    return o.rescale || o.scaling_active_changed || !has_target(e);
  }
  // Asks for the objects a sync of `e` reads first, while the previous entry syncs: each is its
  // own heap block, last touched a sync period ago.
  static void prefetch(const Entry& e) {
    __builtin_prefetch(e.hpa);
    __builtin_prefetch(e.state);
    __builtin_prefetch(e.deployment);
    __builtin_prefetch(e.load);
  }
  void sync_all();
  // A sync is reconcile() on the HPA's own state, then apply() of what it decided to the
  // cluster (events, the target's scale).
  ReconcileOutcome reconcile(Entry& e, TimeMs now);
  // reconcile() of entry i, keeping the outcome in outcomes_/writes_ for apply_outcomes().
  void reconcile_into(std::size_t i, TimeMs now);
  void apply_outcomes(TimeMs now);
  void apply(Entry& e, const ReconcileOutcome& o, TimeMs now);
  void rebuild();
  void pod_changed(PodId id);
  // Marks the pod caches of the HPAs whose target is, or owns, the object with this uid.
  void invalidate(std::uint64_t uid);

  Cluster& cluster_;
  EventLoop& loop_;
  HpaSettings settings_;
  const MetricsPipeline* metrics_;
  ForkJoin* fork_join_;
  std::map<std::string, HpaState> states_;
  std::vector<Entry> entries_;
  // Whether the entries' reconciles may run in parallel: each reads only its own target and
  // load model, and no two share a target (one's rescale would be the other's input).
  bool independent_ = false;
  std::vector<ReconcileOutcome> outcomes_;
  std::vector<std::uint8_t> writes_;  // whether outcomes_[i] has something for apply()
  // The entry reading each of the metrics pipeline's workloads (-1: none), for after_scraped();
  // empty when the entries are not independent_ or the pipeline's period is not the sync's.
  std::vector<std::int32_t> entry_of_workload_;
  TimeMs next_sync_ms_ = -1;   // the instant of the next sync_all()
  TimeMs reconciled_ms_ = -1;  // the instant whose reconciles the scrape runs (set before it)
  std::uint64_t syncs_inside_scrapes_ = 0;
  bool dirty_ = true;
  bool target_missing_ = false;  // some HPA's scale target was not found at the last rebuild
  // ReplicaSets by owner (Deployment uid), kept from ReplicaSet changes.
  std::unordered_map<std::uint64_t, std::vector<const ReplicaSet*>> rs_by_owner_;
  struct IndexedSet {
    std::uint64_t owner = 0;
    std::uint64_t uid = 0;
    const ReplicaSet* rs = nullptr;
  };
  std::map<std::string, IndexedSet> rs_index_;
  // ReplicaSet uid -> owner uid, and target uid -> entries, for invalidate().
  std::unordered_map<std::uint64_t, std::uint64_t> rs_owner_;
  std::unordered_multimap<std::uint64_t, std::size_t> entries_by_target_;
};

}  // namespace gpusim::ctrl
