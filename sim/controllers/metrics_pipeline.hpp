#pragma once
// The metrics pipeline: what metrics-server (metrics.k8s.io) and a custom/external metrics
// adapter would answer. Every scrape interval it evaluates each workload's load model against
// the pods that are ready at that moment: offered and served requests, an M/M/c latency estimate,
// per-pod CPU/memory usage, queue depth and the age of the oldest message. The HPA reads the
// samples of the last scrape, so it sees load with upstream-like delay: a sample exists for a
// container only once it has run for a full window, and it is as old as the last scrape.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controllers/load_model.hpp"
#include "controllers/scrape_follower.hpp"
#include "core/event_loop.hpp"
#include "core/fork_join.hpp"
#include "core/rng.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

struct MetricsSettings {
  TimeMs scrape_interval_ms = 15'000;  // metrics-server --metric-resolution
  TimeMs window_ms = 0;                // sample window; 0 = the scrape interval
};

// Pods without a load model report constant usage from these annotations (quantities).
inline constexpr const char* kAnnotationCpuUsage = "gpusim.io/cpu-usage";
inline constexpr const char* kAnnotationMemoryUsage = "gpusim.io/memory-usage";

// One workload's load at the last scrape, plus running totals for the summary.
struct WorkloadLoadState {
  const WorkloadLoadSpec* spec = nullptr;
  TimeMs t_ms = -1;  // last scrape; -1 before the first
  double offered_rps = 0;
  double served_rps = 0;
  std::int32_t ready_pods = 0;
  double per_pod_rps = 0;
  std::int64_t cpu_ready_milli = 0;  // per ready pod
  std::int64_t cpu_idle_milli = 0;   // per running pod without traffic
  std::int64_t memory_ready_bytes = 0;
  std::int64_t memory_idle_bytes = 0;
  double latency_s = 0;  // mean response time estimate; infinity when saturated
  bool latency_known = false;
  // Queue-driven workloads.
  double queue_depth = 0;
  double oldest_age_s = 0;
  // Totals over the run.
  double offered_requests = 0;
  double served_requests = 0;
  double latency_request_s = 0;  // sum of latency x served requests (finite latencies)
  TimeMs saturated_ms = 0;       // time with offered load above capacity
  double max_latency_s = 0;      // largest finite estimate

  // Internal: cached target and queue bookkeeping.
  std::uint64_t target_uid = 0;
  bool target_resolved = false;
  const Deployment* deployment = nullptr;
  const ReplicaSet* replica_set = nullptr;
  const PodTemplate* limit_template = nullptr;
  std::int64_t cpu_limit_milli = 0;  // 0 = no limit
  double cum_arrivals = 0;
  double cum_departures = 0;
  std::deque<std::pair<TimeMs, double>> arrival_history;  // (t, cumulative arrivals)
  Rng rng;
};

struct ResourceSample {
  TimeMs t_ms = 0;
  TimeMs window_ms = 0;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_bytes = 0;
};

// What resource_sample() and pods_metric_milli() read of a pod. A caller that hears every pod
// update (a ClusterObserver) may keep it between updates instead of re-reading the Pod each
// sync; whether the pod's node is down is still read live.
struct PodMetricInputs {
  NodeId node = kNoNode;
  std::optional<TimeMs> started_ms;
  bool terminated = false;
  bool ready = false;
  bool ever_ready = false;
  TimeMs ready_since_ms = 0;  // ready_transition_ms, 0 when never set
  // Usage from the pod's annotations, for pods without a load model.
  std::int64_t annotated_cpu_milli = 0;
  std::int64_t annotated_memory_bytes = 0;
};

class MetricsPipeline : public ClusterObserver {
 public:
  // With `fork_join`, a scrape's workloads are split over its threads (each one's state and
  // random stream are its own).
  MetricsPipeline(Cluster& cluster, EventLoop& loop, MetricsSettings settings,
                  std::vector<WorkloadLoadSpec> load, std::uint64_t seed,
                  ForkJoin* fork_join = nullptr);

  // Schedules the periodic scrapes; the first happens now.
  void start();
  // `follower` (or nullptr) is called by every scrape from now on (see ScrapeFollower).
  void set_follower(ScrapeFollower* follower) { follower_ = follower; }
  const MetricsSettings& settings() const { return settings_; }
  TimeMs window_ms() const { return window_ms_; }

  // The workload state of a Deployment/ReplicaSet ("namespace/name"), or nullptr.
  const WorkloadLoadState* workload(const std::string& key) const;
  // The same, in key order.
  const std::map<std::string, WorkloadLoadState*>& workloads_by_key() const { return by_key_; }
  const std::vector<std::unique_ptr<WorkloadLoadState>>& workloads() const { return workloads_; }

  // metrics.k8s.io for one pod of `w` (nullptr: the pod has no load model): nullopt while
  // metrics-server has no sample for it.
  std::optional<ResourceSample> resource_sample(const Pod& pod, const WorkloadLoadState* w) const;
  std::optional<ResourceSample> resource_sample(const PodMetricInputs& pod,
                                                const WorkloadLoadState* w) const;
  // custom.metrics.k8s.io Pods metric of one pod (milli-units).
  std::optional<std::int64_t> pods_metric_milli(const Pod& pod, const WorkloadLoadState* w,
                                                const std::string& metric) const;
  std::optional<std::int64_t> pods_metric_milli(const PodMetricInputs& pod,
                                                const WorkloadLoadState* w,
                                                const std::string& metric) const;
  // The inputs of the two calls above for `pod` (annotated usage only when `w` is nullptr).
  PodMetricInputs metric_inputs(const Pod& pod, const WorkloadLoadState* w) const;
  // external.metrics.k8s.io: the sum of the series named `metric` in the namespace (milli).
  std::optional<std::int64_t> external_metric_milli(const std::string& ns,
                                                    const std::string& metric) const;
  // custom.metrics.k8s.io Object metric (milli).
  std::optional<std::int64_t> object_metric_milli(const std::string& ns, const std::string& kind,
                                                  const std::string& name,
                                                  const std::string& metric) const;
  // Whether the pod's kubelet answered the last scrape and the pod ran a full window before it.
  // With `scrape_until`, also lowers it to the last-scrape time from which the answer can
  // differ while the pod and node_generation() stay the same (a caller keeping the answer
  // between scrapes knows when to ask again).
  bool has_sample(const Pod& pod) const;
  bool has_sample(const PodMetricInputs& pod, TimeMs* scrape_until = nullptr) const;
  // Whether the pod was Ready at time `t` (the last scrape of its workload). With `t_until`,
  // also lowers it to the `t` from which the answer can differ.
  static bool ready_at(const Pod& pod, TimeMs t);
  static bool ready_at(const PodMetricInputs& pod, TimeMs t, TimeMs* t_until = nullptr);
  TimeMs last_scrape_ms() const { return last_scrape_ms_; }
  // Changes whenever a node's kubelet goes down or comes back (has_sample reads that live).
  std::uint64_t node_generation() const { return node_generation_; }

  void on_node_updated(NodeId id) override;
  void on_node_added(NodeId id) override { on_node_updated(id); }
  void on_object_changed(std::string_view kind, const std::string& key) override;

 private:
  void scrape();
  // Scrapes workloads [begin, end) of one thread's range and hands them to the follower.
  void scrape_block(std::size_t begin, std::size_t end, TimeMs now);
  // Workloads whose latency is an M/M/c answer are left in `queries` and `waiting`: a range's
  // queries are answered together (see mmc_response_times_s).
  void scrape_workload(WorkloadLoadState& w, TimeMs now, std::vector<MmcQuery>& queries,
                       std::vector<WorkloadLoadState*>& waiting);
  const PodTemplate* resolve(WorkloadLoadState& w);
  std::int32_t ready_pods_of(const WorkloadLoadState& w) const;
  std::int64_t cpu_limit_of(WorkloadLoadState& w, const PodTemplate* t);
  std::pair<std::int64_t, std::int64_t> annotated_usage(const Pod& pod) const;

  Cluster& cluster_;
  EventLoop& loop_;
  MetricsSettings settings_;
  TimeMs window_ms_;
  std::vector<WorkloadLoadSpec> specs_;
  std::vector<std::unique_ptr<WorkloadLoadState>> workloads_;
  std::map<std::string, WorkloadLoadState*> by_key_;
  std::vector<char> node_down_;
  std::uint64_t node_generation_ = 0;
  TimeMs last_scrape_ms_ = -1;
  mutable std::unordered_map<const PodTemplate*, std::pair<std::int64_t, std::int64_t>>
      usage_cache_;
  ForkJoin* fork_join_;
  ScrapeFollower* follower_ = nullptr;
};

// The PodMetricInputs overloads are inline: the HPA controller calls them for every pod of every
// target on every sync.
namespace detail {
// Each answer below flips at most once as its time grows, so "can differ from time T on" is a
// single threshold per answer.
inline void lower(TimeMs* until, TimeMs t) {
  if (until != nullptr && t < *until) *until = t;
}
}  // namespace detail

inline bool MetricsPipeline::ready_at(const PodMetricInputs& pod, TimeMs t, TimeMs* t_until) {
  if (pod.ready) {
    if (pod.ready_since_ms <= t) return true;
    detail::lower(t_until, pod.ready_since_ms);
    return false;
  }
  // Not ready now: it was ready at t only if it lost readiness after t.
  if (pod.ever_ready && pod.ready_since_ms > t) {
    detail::lower(t_until, pod.ready_since_ms);
    return true;
  }
  return false;
}

inline bool MetricsPipeline::has_sample(const PodMetricInputs& pod, TimeMs* scrape_until) const {
  if (last_scrape_ms_ < 0) {
    detail::lower(scrape_until, 0);
    return false;
  }
  if (pod.node == kNoNode || !pod.started_ms || pod.terminated) return false;
  if (pod.node < node_down_.size() && node_down_[pod.node]) return false;
  // metrics-server computes a rate between two scrapes: the container needs a full window.
  if (*pod.started_ms + window_ms_ <= last_scrape_ms_) return true;
  detail::lower(scrape_until, *pod.started_ms + window_ms_);
  return false;
}

inline std::optional<ResourceSample> MetricsPipeline::resource_sample(
    const PodMetricInputs& pod, const WorkloadLoadState* w) const {
  if (!has_sample(pod)) return std::nullopt;
  ResourceSample s;
  s.t_ms = last_scrape_ms_;
  s.window_ms = window_ms_;
  if (w == nullptr) {
    s.cpu_milli = pod.annotated_cpu_milli;
    s.memory_bytes = pod.annotated_memory_bytes;
    return s;
  }
  const bool busy = ready_at(pod, w->t_ms);
  s.cpu_milli = busy ? w->cpu_ready_milli : w->cpu_idle_milli;
  s.memory_bytes = busy ? w->memory_ready_bytes : w->memory_idle_bytes;
  return s;
}

}  // namespace gpusim::ctrl
