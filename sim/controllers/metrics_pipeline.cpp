#include "controllers/metrics_pipeline.hpp"

#include <algorithm>
#include <cmath>

#include "controllers/kubelet.hpp"
#include "core/rounding.hpp"

namespace gpusim::ctrl {

MetricsPipeline::MetricsPipeline(Cluster& cluster, EventLoop& loop, MetricsSettings settings,
                                 std::vector<WorkloadLoadSpec> load, std::uint64_t seed,
                                 ForkJoin* fork_join)
    : cluster_(cluster),
      loop_(loop),
      settings_(settings),
      window_ms_(settings.window_ms > 0 ? settings.window_ms : settings.scrape_interval_ms),
      specs_(std::move(load)),
      fork_join_(fork_join) {
  if (settings_.scrape_interval_ms <= 0) settings_.scrape_interval_ms = 15'000;
  if (window_ms_ <= 0) window_ms_ = settings_.scrape_interval_ms;
  for (const WorkloadLoadSpec& spec : specs_) {
    auto w = std::make_unique<WorkloadLoadState>();
    w->spec = &spec;
    w->rng = Rng::stream(seed, "load/" + spec.kind + "/" + spec.target_key());
    by_key_[spec.target_key()] = w.get();
    workloads_.push_back(std::move(w));
  }
}

void MetricsPipeline::start() {
  scrape();
}

const WorkloadLoadState* MetricsPipeline::workload(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

void MetricsPipeline::on_node_updated(NodeId id) {
  if (node_down_.size() <= id) node_down_.resize(id + 1, 0);
  const char down = cluster_.node(id).meta.annotation(kAnnotationKubeletDown) != nullptr ? 1 : 0;
  if (node_down_[id] != down) ++node_generation_;
  node_down_[id] = down;
}

namespace {

// The status part of PodMetricInputs (no annotated usage).
PodMetricInputs status_inputs(const Pod& pod) {
  PodMetricInputs in;
  in.node = pod.status.node;
  in.started_ms = pod.status.started_ms;
  in.terminated = pod.status.stage == PodStage::kTerminated;
  in.ready = pod.status.ready;
  in.ever_ready = pod.status.ever_ready;
  in.ready_since_ms = pod.status.ready_transition_ms.value_or(0);
  return in;
}

}  // namespace

PodMetricInputs MetricsPipeline::metric_inputs(const Pod& pod, const WorkloadLoadState* w) const {
  PodMetricInputs in = status_inputs(pod);
  if (w == nullptr) {
    const auto [cpu, memory] = annotated_usage(pod);
    in.annotated_cpu_milli = cpu;
    in.annotated_memory_bytes = memory;
  }
  return in;
}

bool MetricsPipeline::ready_at(const Pod& pod, TimeMs t) {
  return ready_at(status_inputs(pod), t);
}

bool MetricsPipeline::has_sample(const Pod& pod) const {
  return has_sample(status_inputs(pod));
}

std::pair<std::int64_t, std::int64_t> MetricsPipeline::annotated_usage(const Pod& pod) const {
  auto it = usage_cache_.find(pod.tmpl.get());
  if (it != usage_cache_.end()) return it->second;
  std::pair<std::int64_t, std::int64_t> usage{0, 0};
  const Annotations& a = pod.tmpl->annotations;
  if (auto c = a.find(kAnnotationCpuUsage); c != a.end()) {
    if (auto q = Quantity::parse(c->second)) usage.first = q->milli_value();
  }
  if (auto m = a.find(kAnnotationMemoryUsage); m != a.end()) {
    if (auto q = Quantity::parse(m->second)) usage.second = q->value();
  }
  usage_cache_.emplace(pod.tmpl.get(), usage);
  return usage;
}

std::optional<ResourceSample> MetricsPipeline::resource_sample(const Pod& pod,
                                                               const WorkloadLoadState* w) const {
  return resource_sample(metric_inputs(pod, w), w);
}

std::optional<std::int64_t> MetricsPipeline::pods_metric_milli(const PodMetricInputs& pod,
                                                               const WorkloadLoadState* w,
                                                               const std::string& metric) const {
  if (w == nullptr || w->spec->pods_metric != metric || !has_sample(pod)) return std::nullopt;
  const double rps = ready_at(pod, w->t_ms) ? w->per_pod_rps : 0.0;
  return static_cast<std::int64_t>(std::llround(rps * 1000));
}

std::optional<std::int64_t> MetricsPipeline::pods_metric_milli(const Pod& pod,
                                                               const WorkloadLoadState* w,
                                                               const std::string& metric) const {
  return pods_metric_milli(status_inputs(pod), w, metric);
}

std::optional<std::int64_t> MetricsPipeline::external_metric_milli(
    const std::string& ns, const std::string& metric) const {
  bool found = false;
  double total = 0;
  for (const auto& w : workloads_) {
    if (w->spec->namespace_ != ns || w->t_ms < 0) continue;
    if (w->spec->queue && metric == w->spec->queue_depth_metric) {
      total += w->queue_depth;
      found = true;
    } else if (w->spec->queue && metric == w->spec->queue_age_metric) {
      total += w->oldest_age_s;
      found = true;
    } else if (!w->spec->external_metric.empty() && metric == w->spec->external_metric) {
      total += w->spec->queue ? w->queue_depth : w->offered_rps;
      found = true;
    }
  }
  if (!found) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(total * 1000));
}

std::optional<std::int64_t> MetricsPipeline::object_metric_milli(const std::string& ns,
                                                                 const std::string& kind,
                                                                 const std::string& name,
                                                                 const std::string& metric) const {
  for (const auto& w : workloads_) {
    const auto& o = w->spec->object_metric;
    if (!o || w->spec->namespace_ != ns || w->t_ms < 0) continue;
    if (o->kind == kind && o->name == name && o->metric == metric) {
      return static_cast<std::int64_t>(std::llround(w->offered_rps * 1000));
    }
  }
  return std::nullopt;
}

void MetricsPipeline::on_object_changed(std::string_view kind, const std::string& key) {
  // A removed target drops its cached pointer (map nodes are stable until erased).
  if (kind != "Deployment" && kind != "ReplicaSet") return;
  auto it = by_key_.find(key);
  if (it != by_key_.end()) it->second->target_resolved = false;
}

const PodTemplate* MetricsPipeline::resolve(WorkloadLoadState& w) {
  if (!w.target_resolved) {
    w.target_resolved = true;
    w.deployment = nullptr;
    w.replica_set = nullptr;
    if (w.spec->kind == "ReplicaSet") {
      auto it = cluster_.replica_sets.find(w.spec->target_key());
      if (it != cluster_.replica_sets.end()) w.replica_set = &it->second;
    } else {
      auto it = cluster_.deployments.find(w.spec->target_key());
      if (it != cluster_.deployments.end()) w.deployment = &it->second;
    }
  }
  if (w.deployment) {
    w.target_uid = w.deployment->meta.uid;
    return w.deployment->tmpl.get();
  }
  if (w.replica_set) {
    w.target_uid = w.replica_set->meta.uid;
    return w.replica_set->tmpl.get();
  }
  return nullptr;
}

std::int32_t MetricsPipeline::ready_pods_of(const WorkloadLoadState& w) const {
  if (w.deployment) return w.deployment->status.ready_replicas;
  if (w.replica_set) return w.replica_set->status.ready_replicas;
  return 0;
}

std::int64_t MetricsPipeline::cpu_limit_of(WorkloadLoadState& w, const PodTemplate* t) {
  // The usage of a container cannot exceed its CPU limit (CFS throttling).
  if (t == nullptr || t == w.limit_template) return w.cpu_limit_milli;
  w.limit_template = t;
  w.cpu_limit_milli = 0;
  for (const Container& c : t->spec.containers) {
    if (!w.spec->container.empty() && c.name != w.spec->container) continue;
    if (auto it = c.resources.limits.find("cpu"); it != c.resources.limits.end()) {
      w.cpu_limit_milli = it->second.milli_value();
    }
    break;
  }
  return w.cpu_limit_milli;
}

void MetricsPipeline::scrape_workload(WorkloadLoadState& w, TimeMs now,
                                      std::vector<MmcQuery>& queries,
                                      std::vector<WorkloadLoadState*>& waiting) {
  const WorkloadLoadSpec& s = *w.spec;
  // Totals over the interval since the last scrape use the values of that scrape.
  if (w.t_ms >= 0 && now > w.t_ms) {
    const double dt = static_cast<double>(now - w.t_ms) / 1000.0;
    w.offered_requests += w.offered_rps * dt;
    w.served_requests += w.served_rps * dt;
    if (w.latency_known && std::isfinite(w.latency_s)) {
      w.latency_request_s += w.latency_s * w.served_rps * dt;
    }
    if (!s.queue && w.offered_rps > w.served_rps + 1e-9) w.saturated_ms += now - w.t_ms;
  }
  const double dt_s = w.t_ms >= 0 ? static_cast<double>(now - w.t_ms) / 1000.0 : 0.0;
  const double offered = noisy_rate_at(s.rate, now, w.rng);
  const PodTemplate* tmpl = resolve(w);
  const std::int32_t ready = ready_pods_of(w);
  const double capacity = s.service_rate > 0 ? s.service_rate * ready : (ready > 0 ? 1e300 : 0.0);
  double served = 0;
  if (s.queue) {
    // FIFO queue: arrivals over the interval join it, the ready workers drain it.
    const double arrivals = offered * dt_s;
    const double can_serve = s.service_rate > 0 ? capacity * dt_s : w.queue_depth + arrivals;
    const double done = std::min(w.queue_depth + arrivals, can_serve);
    w.queue_depth = std::max(0.0, w.queue_depth + arrivals - done);
    w.cum_arrivals += arrivals;
    w.cum_departures += done;
    w.arrival_history.emplace_back(now, w.cum_arrivals);
    // The oldest waiting message arrived when cumulative arrivals passed the departures.
    while (w.arrival_history.size() > 1 && w.arrival_history[1].second <= w.cum_departures) {
      w.arrival_history.pop_front();
    }
    w.oldest_age_s = 0;
    if (w.queue_depth > 1e-9 && w.arrival_history.size() > 1) {
      const auto& a = w.arrival_history[0];
      const auto& b = w.arrival_history[1];
      const double f =
          b.second > a.second ? (w.cum_departures - a.second) / (b.second - a.second) : 0;
      const double t_arrival = static_cast<double>(a.first) +
                               std::clamp(f, 0.0, 1.0) * static_cast<double>(b.first - a.first);
      w.oldest_age_s = (static_cast<double>(now) - t_arrival) / 1000.0;
    }
    served = dt_s > 0 ? done / dt_s : 0;
    w.latency_known = s.service_rate > 0;
    if (w.latency_known) {
      w.latency_s = ready > 0 ? w.queue_depth / capacity + 1.0 / s.service_rate
                              : (w.queue_depth > 0 ? kInfiniteLatency : 1.0 / s.service_rate);
    }
  } else {
    served = std::min(offered, capacity);
    w.latency_known = s.service_rate > 0;
    if (w.latency_known) {
      // Answered with the others of its range by scrape(), which then finishes this one.
      queries.push_back(MmcQuery{offered, s.service_rate, ready});
      waiting.push_back(&w);
    }
  }
  if (w.latency_known && s.queue && std::isfinite(w.latency_s)) {
    w.max_latency_s = std::max(w.max_latency_s, w.latency_s);
  }
  w.t_ms = now;
  w.offered_rps = offered;
  w.served_rps = served;
  w.ready_pods = ready;
  w.per_pod_rps = ready > 0 ? served / ready : 0.0;
  std::int64_t cpu = s.cpu_idle_milli + round_to_int64(s.cpu_milli_per_request * w.per_pod_rps);
  const std::int64_t limit = cpu_limit_of(w, tmpl);
  if (limit > 0) cpu = std::min(cpu, limit);
  w.cpu_ready_milli = cpu;
  w.cpu_idle_milli = s.cpu_idle_milli;
  w.memory_ready_bytes =
      s.memory_base_bytes + round_to_int64(s.memory_bytes_per_request * w.per_pod_rps);
  w.memory_idle_bytes = s.memory_base_bytes;
}

void MetricsPipeline::scrape_block(std::size_t begin, std::size_t end, TimeMs now) {
  // Per thread, reused: an M/M/c answer does not depend on the queries beside it.
  thread_local std::vector<MmcQuery> queries;
  thread_local std::vector<WorkloadLoadState*> waiting;
  thread_local std::vector<double> latency_s;
  queries.clear();
  waiting.clear();
  for (std::size_t i = begin; i < end; ++i) {
    // The next state is fetched while this one is scraped: each is its own heap block, last
    // touched a sync ago, and its first read was a tenth of the scrape's time.
    if (i + 1 < workloads_.size()) __builtin_prefetch(workloads_[i + 1].get());
    scrape_workload(*workloads_[i], now, queries, waiting);
  }
  latency_s.resize(queries.size());
  mmc_response_times_s(queries, latency_s);
  for (std::size_t i = 0; i < waiting.size(); ++i) {
    WorkloadLoadState& w = *waiting[i];
    w.latency_s = latency_s[i];
    if (std::isfinite(w.latency_s)) w.max_latency_s = std::max(w.max_latency_s, w.latency_s);
  }
  if (follower_ != nullptr) follower_->after_scraped(begin, end, now);
}

void MetricsPipeline::scrape() {
  const TimeMs now = loop_.now();
  // Set first: a follower reads the samples of this scrape (scrape_workload reads only w.t_ms).
  last_scrape_ms_ = now;
  if (follower_ != nullptr) follower_->before_scrape(now);
  for_each_range(fork_join_, workloads_.size(), [this, now](std::size_t begin, std::size_t end) {
    // In blocks, so that a follower finds the block's states still in L1.
    constexpr std::size_t kBlock = 16;
    for (std::size_t b = begin; b < end; b += kBlock)
      scrape_block(b, std::min(end, b + kBlock), now);
  });
  loop_.at_background(now + settings_.scrape_interval_ms, EventPriority::kMetrics,
                      [this] { scrape(); });
}

}  // namespace gpusim::ctrl
