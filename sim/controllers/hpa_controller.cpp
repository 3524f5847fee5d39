#include "controllers/hpa_controller.hpp"

#include <algorithm>

namespace gpusim::ctrl {

namespace {

struct MetricOutcome {
  bool ok = false;
  std::int32_t replicas = 0;
  std::string name;
  const char* fail_reason = "";
  std::string error;
};

std::int64_t quantity_milli(const std::optional<Quantity>& q) {
  return q ? q->milli_value() : 0;
}

const char* resource_fail_reason(const MetricSpec& m) {
  return m.type == MetricSourceType::kContainerResource ? "FailedGetContainerResourceMetric"
                                                        : "FailedGetResourceMetric";
}

MetricOutcome compute_metric(const MetricSpec& m, ScaleRead scale, HpaInputs& in, HpaState& st,
                             MetricValue& value, Tolerances tol, const CalculatorSettings& cs,
                             TimeMs now) {
  MetricOutcome out;
  ReplicaProposal p;
  switch (m.type) {
    case MetricSourceType::kResource:
    case MetricSourceType::kContainerResource: {
      const bool container = m.type == MetricSourceType::kContainerResource;
      out.fail_reason = resource_fail_reason(m);
      value.name = container ? m.resource_name + "/" + m.container : m.resource_name;
      if (auto err = in.pod_samples(m, st.scratch)) {
        out.error = "unable to get metrics for resource " + m.resource_name + ": " + *err;
        return out;
      }
      if (m.target.type == MetricTargetType::kUtilization && m.target.average_utilization) {
        out.name = m.resource_name + (container ? " container" : "") +
                   " resource utilization (percentage of request)";
        p = resource_utilization_replicas(scale.spec_replicas, *m.target.average_utilization,
                                          m.resource_name, st.scratch, tol, now, cs);
        value.current_m = p.utilization;
        value.target_m = *m.target.average_utilization;
      } else if (m.target.type == MetricTargetType::kAverageValue && m.target.average_value) {
        out.name = m.resource_name + (container ? " container" : "") + " resource";
        value.target_m = quantity_milli(m.target.average_value);
        p = plain_metric_replicas(scale.spec_replicas, value.target_m, m.resource_name == "cpu",
                                  st.scratch, tol, now, cs);
        value.current_m = p.usage_m;
      } else {
        out.error =
            "invalid resource metric source: neither a utilization target nor a value "
            "target was set";
        return out;
      }
      break;
    }
    case MetricSourceType::kPods: {
      out.fail_reason = "FailedGetPodsMetric";
      out.name = "pods metric " + m.metric_name;
      value.name = "pods/" + m.metric_name;
      if (auto err = in.pod_samples(m, st.scratch)) {
        out.error = "unable to get metric " + m.metric_name + ": " + *err;
        return out;
      }
      value.target_m = quantity_milli(m.target.average_value);
      p = plain_metric_replicas(scale.spec_replicas, value.target_m, false, st.scratch, tol, now,
                                cs);
      value.current_m = p.usage_m;
      break;
    }
    case MetricSourceType::kObject:
    case MetricSourceType::kExternal: {
      const bool object = m.type == MetricSourceType::kObject;
      out.fail_reason = object ? "FailedGetObjectMetric" : "FailedGetExternalMetric";
      out.name = object ? m.described_object.kind + " metric " + m.metric_name
                        : "external metric " + m.metric_name;
      value.name = (object ? "object/" : "external/") + m.metric_name;
      std::string err;
      const std::optional<std::int64_t> v =
          object ? in.object_metric(m, err) : in.external_metric(m, err);
      if (!v) {
        out.error = "unable to get " + std::string(object ? "object" : "external") + " metric " +
                    m.metric_name + ": " + err;
        return out;
      }
      if (m.target.type == MetricTargetType::kValue && m.target.value) {
        value.target_m = quantity_milli(m.target.value);
        p = value_replicas(scale.spec_replicas, *v, value.target_m, in.ready_running_pods(), tol);
      } else if (m.target.type == MetricTargetType::kAverageValue && m.target.average_value) {
        value.target_m = quantity_milli(m.target.average_value);
        p = average_value_replicas(scale.status_replicas, *v, value.target_m, tol);
      } else {
        out.error = "invalid " + std::string(object ? "object" : "external") +
                    " metric source: neither a value target nor an average value target was set";
        return out;
      }
      value.current_m = p.usage_m;
      break;
    }
    default:
      out.fail_reason = "InvalidMetricSourceType";
      out.error = "unknown metric source type";
      value.name = "unknown";
      return out;
  }
  if (!p.ok) {
    out.error = p.error;
    return out;
  }
  out.ok = true;
  out.replicas = p.replicas;
  return out;
}

}  // namespace

ReconcileOutcome reconcile_hpa(HorizontalPodAutoscaler& hpa, HpaState& state, ScaleRead scale,
                               HpaInputs& inputs, const HpaSettings& settings, TimeMs now) {
  ReconcileOutcome out;
  const std::int32_t current = scale.spec_replicas;
  if (!state.initialized) {
    // A new HPA cannot scale below its starting size for one downscale window.
    state.recommendations.push_back(TimedRecommendation{current, now});
    state.initialized = true;
  }
  const std::int32_t min_replicas = hpa.min_replicas.value_or(1);
  std::optional<ResolvedBehavior> behavior;
  if (hpa.behavior) {
    behavior = resolve_behavior(
        *hpa.behavior, static_cast<std::int32_t>(settings.downscale_stabilization_ms / 1000));
  }
  Tolerances tol{settings.tolerance, settings.tolerance};
  if (behavior && behavior->scale_up.tolerance) tol.scale_up = *behavior->scale_up.tolerance;
  if (behavior && behavior->scale_down.tolerance) tol.scale_down = *behavior->scale_down.tolerance;
  const CalculatorSettings cs{settings.cpu_initialization_period_ms,
                              settings.initial_readiness_delay_ms};
  auto& conds = hpa.status.conditions;

  std::int32_t desired = 0;
  bool rescale = true;
  if (current == 0 && min_replicas != 0) {
    rescale = false;
    set_condition(conds, "ScalingActive", "False", "ScalingDisabled",
                  "scaling is disabled since the replica count of the target is zero", now);
  } else if (current > hpa.max_replicas) {
    out.reason = "Current number of replicas above Spec.MaxReplicas";
    desired = hpa.max_replicas;
  } else if (current < min_replicas) {
    out.reason = "Current number of replicas below Spec.MinReplicas";
    desired = min_replicas;
  } else {
    static const std::vector<MetricSpec> kDefaultMetrics = [] {
      MetricSpec cpu;
      cpu.type = MetricSourceType::kResource;
      cpu.resource_name = "cpu";
      cpu.target.type = MetricTargetType::kUtilization;
      cpu.target.average_utilization = 80;
      return std::vector<MetricSpec>{cpu};
    }();
    const std::vector<MetricSpec>& metrics = hpa.metrics.empty() ? kDefaultMetrics : hpa.metrics;
    state.metrics.resize(metrics.size());
    std::int32_t best = 0;
    std::string best_name;
    std::size_t invalid = 0;
    MetricOutcome first_invalid;
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      MetricValue& v = state.metrics[i];
      v = MetricValue{};
      MetricOutcome o = compute_metric(metrics[i], scale, inputs, state, v, tol, cs, now);
      v.ok = o.ok;
      v.proposal = o.replicas;
      if (!o.ok) {
        if (invalid == 0) first_invalid = std::move(o);
        ++invalid;
        continue;
      }
      if (best == 0 || o.replicas > best) {
        best = o.replicas;
        best_name = std::move(o.name);
      }
    }
    // All metrics failed, or some failed and the rest would scale down: hold the size.
    if (invalid >= metrics.size() || (invalid > 0 && best < scale.spec_replicas)) {
      set_condition(conds, "ScalingActive", "False", first_invalid.fail_reason,
                    "the HPA was unable to compute the replica count: " + first_invalid.error, now);
      hpa.status.current_replicas = current;
      out.error = "invalid metrics (" + std::to_string(invalid) + " invalid out of " +
                  std::to_string(metrics.size()) + "), first error is: " + first_invalid.error;
      out.desired = current;
      return out;
    }
    set_condition(conds, "ScalingActive", "True", "ValidMetricFound",
                  "the HPA was able to successfully calculate a replica count from " + best_name,
                  now);
    if (invalid > 0) {
      out.error = "invalid metrics (" + std::to_string(invalid) + " invalid out of " +
                  std::to_string(metrics.size()) + "), first error is: " + first_invalid.error;
    }
    desired = best;
    if (desired > current) out.reason = best_name + " above target";
    if (desired < current) out.reason = "All metrics below target";

    if (!behavior) {
      const std::int32_t stabilized = stabilize_recommendation(state.recommendations, desired, now,
                                                               settings.downscale_stabilization_ms);
      if (stabilized != desired) {
        set_condition(conds, "AbleToScale", "True", "ScaleDownStabilized",
                      "recent recommendations were higher than current one, applying the highest "
                      "recent recommendation",
                      now);
      } else {
        set_condition(conds, "AbleToScale", "True", "ReadyForNewScale",
                      "recommended size matches current size", now);
      }
      const Limited l =
          convert_desired_replicas_with_rules(current, stabilized, min_replicas, hpa.max_replicas);
      set_condition(conds, "ScalingLimited", l.replicas == stabilized ? "False" : "True", l.reason,
                    l.message, now);
      desired = l.replicas;
    } else {
      const Limited s =
          stabilize_with_behavior(state.recommendations, current, desired, *behavior, now);
      if (s.replicas != desired) {
        set_condition(conds, "AbleToScale", "True", s.reason, s.message, now);
      } else {
        set_condition(conds, "AbleToScale", "True", "ReadyForNewScale",
                      "recommended size matches current size", now);
      }
      const Limited l = convert_desired_replicas_with_behavior_rate(
          current, s.replicas, min_replicas, hpa.max_replicas, *behavior, state.scale_up_events,
          state.scale_down_events, now);
      set_condition(conds, "ScalingLimited", l.replicas == s.replicas ? "False" : "True", l.reason,
                    l.message, now);
      desired = l.replicas;
    }
    rescale = desired != current;
  }

  if (rescale) {
    set_condition(
        conds, "AbleToScale", "True", "SucceededRescale",
        "the HPA controller was able to update the target scale to " + std::to_string(desired),
        now);
    if (behavior) {
      store_scale_event(*behavior, state.scale_up_events, state.scale_down_events, current, desired,
                        now);
    }
    hpa.status.last_scale_ms = now;
  } else {
    desired = current;
  }
  hpa.status.current_replicas = current;
  hpa.status.desired_replicas = desired;
  out.rescale = rescale;
  out.desired = desired;
  return out;
}

// ---- the actor ------------------------------------------------------------------------------

namespace {

// Request of the resource summed over app containers and sidecars (or one container), milli.
struct RequestInfo {
  std::optional<std::int64_t> request_m;
  std::string_view missing_container;
};

RequestInfo request_of(const PodTemplate& t, const std::string& resource, const std::string& only) {
  RequestInfo r{std::int64_t{0}, {}};
  auto add = [&](const Container& c) {
    if (!only.empty() && c.name != only) return;
    if (!r.request_m) return;
    auto it = c.resources.requests.find(resource);
    if (it == c.resources.requests.end()) {
      r.request_m.reset();
      r.missing_container = c.name;
      return;
    }
    *r.request_m += it->second.milli_value();
  };
  for (const Container& c : t.spec.containers)
    add(c);
  for (const Container& c : t.spec.init_containers) {
    if (c.restartable) add(c);
  }
  return r;
}

class ClusterInputs : public HpaInputs {
 public:
  ClusterInputs(const Cluster& cluster, const MetricsPipeline* metrics,
                const std::vector<const ReplicaSet*>& sets, const WorkloadLoadState* load,
                const std::string& ns)
      : cluster_(cluster), metrics_(metrics), sets_(sets), load_(load), ns_(ns) {}

  std::optional<std::string> pod_samples(const MetricSpec& m,
                                         std::vector<PodSample>& out) override {
    out.clear();
    const bool resource =
        m.type == MetricSourceType::kResource || m.type == MetricSourceType::kContainerResource;
    const bool cpu = m.resource_name == "cpu";
    const std::string& load_container =
        load_ && !load_->spec->container.empty() ? load_->spec->container : std::string();
    for (const ReplicaSet* rs : sets_) {
      RequestInfo req;
      bool carries_usage = true;
      if (resource) {
        const std::string& only =
            m.type == MetricSourceType::kContainerResource ? m.container : std::string();
        req = request_of(*rs->tmpl, m.resource_name, only);
        if (!only.empty()) {
          // The load model puts a pod's usage on one container (docs/scenario.md "Load").
          const auto& cs = rs->tmpl->spec.containers;
          carries_usage = load_container.empty() ? (!cs.empty() && cs.front().name == only)
                                                 : load_container == only;
        }
      }
      for (PodId id : cluster_.pods_of(rs->meta.uid)) {
        const Pod& pod = cluster_.pod(id);
        PodSample s;
        s.name = pod.name;
        s.phase = pod.status.phase;
        s.deleting = pod.deletion_ms.has_value();
        s.has_ready_condition = pod.bound();
        s.ready = pod.status.ready;
        s.start_ms = pod.status.scheduled_ms;
        s.ready_transition_ms =
            pod.status.ready_transition_ms.value_or(pod.status.scheduled_ms.value_or(0));
        s.request_m = req.request_m;
        s.missing_request_container = req.missing_container;
        if (metrics_ != nullptr) {
          if (resource) {
            if (auto sample = metrics_->resource_sample(pod, load_)) {
              s.has_metric = true;
              s.metric_ms = sample->t_ms;
              s.window_ms = sample->window_ms;
              s.value_m = !carries_usage ? 0
                          : cpu          ? sample->cpu_milli
                                         : sample->memory_bytes * 1000;
            }
          } else if (auto v = metrics_->pods_metric_milli(pod, load_, m.metric_name)) {
            s.has_metric = true;
            s.value_m = *v;
            s.metric_ms = load_ ? load_->t_ms : 0;
            s.window_ms = metrics_->window_ms();
          }
        }
        out.push_back(s);
      }
    }
    if (metrics_ == nullptr) return std::string("no metrics pipeline");
    return std::nullopt;
  }

  std::optional<std::int64_t> object_metric(const MetricSpec& m, std::string& error) override {
    if (metrics_ == nullptr) {
      error = "no metrics pipeline";
      return std::nullopt;
    }
    auto v = metrics_->object_metric_milli(ns_, m.described_object.kind, m.described_object.name,
                                           m.metric_name);
    if (!v)
      error = "no metric " + m.metric_name + " for " + m.described_object.kind + " " +
              m.described_object.name + " (the load model exposes none)";
    return v;
  }

  std::optional<std::int64_t> external_metric(const MetricSpec& m, std::string& error) override {
    if (metrics_ == nullptr) {
      error = "no metrics pipeline";
      return std::nullopt;
    }
    auto v = metrics_->external_metric_milli(ns_, m.metric_name);
    if (!v) error = "no external metric " + m.metric_name + " in namespace " + ns_;
    return v;
  }

  std::optional<std::int32_t> ready_running_pods() override {
    std::int32_t n = 0;
    bool any = false;
    for (const ReplicaSet* rs : sets_) {
      for (PodId id : cluster_.pods_of(rs->meta.uid)) {
        any = true;
        const Pod& p = cluster_.pod(id);
        if (p.status.phase == PodPhase::kRunning && p.status.ready) ++n;
      }
    }
    if (!any) return std::nullopt;
    return n;
  }

 private:
  const Cluster& cluster_;
  const MetricsPipeline* metrics_;
  const std::vector<const ReplicaSet*>& sets_;
  const WorkloadLoadState* load_;
  const std::string& ns_;
};

}  // namespace

HpaController::HpaController(Cluster& cluster, EventLoop& loop, HpaSettings settings,
                             const MetricsPipeline* metrics)
    : cluster_(cluster), loop_(loop), settings_(settings), metrics_(metrics) {
  if (settings_.sync_period_ms <= 0) settings_.sync_period_ms = 15'000;
}

void HpaController::start() {
  loop_.at_background(loop_.now() + settings_.sync_period_ms, EventPriority::kMetrics,
                      [this] { sync_all(); });
}

const HpaState* HpaController::state(const std::string& key) const {
  auto it = states_.find(key);
  return it == states_.end() ? nullptr : &it->second;
}

void HpaController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "ReplicaSet") {
    auto it = cluster_.replica_sets.find(key);
    auto old = rs_index_.find(key);
    if (it == cluster_.replica_sets.end()) {
      if (old != rs_index_.end()) {
        auto& v = rs_by_owner_[old->second.first];
        v.erase(std::remove(v.begin(), v.end(), old->second.second), v.end());
        rs_index_.erase(old);
      }
      return;
    }
    if (old != rs_index_.end()) return;
    const ReplicaSet& rs = it->second;
    const std::uint64_t owner = rs.meta.owner ? rs.meta.owner->uid : 0;
    rs_index_.emplace(key, std::make_pair(owner, &rs));
    if (owner != 0) rs_by_owner_[owner].push_back(&rs);
  } else if (kind == "HorizontalPodAutoscaler" || kind == "Deployment") {
    // Added or removed objects change the HPA -> target pointers.
    if (kind == "HorizontalPodAutoscaler" || !cluster_.deployments.count(key)) dirty_ = true;
  }
}

void HpaController::rebuild() {
  dirty_ = false;
  entries_.clear();
  for (auto& [key, hpa] : cluster_.hpas) {
    Entry e;
    e.key = key;
    e.hpa = &hpa;
    e.state = &states_[key];
    const std::string target = hpa.meta.namespace_ + "/" + hpa.scale_target_ref.name;
    if (hpa.scale_target_ref.kind == "Deployment") {
      auto it = cluster_.deployments.find(target);
      if (it != cluster_.deployments.end()) e.deployment = &it->second;
    } else if (hpa.scale_target_ref.kind == "ReplicaSet") {
      auto it = cluster_.replica_sets.find(target);
      if (it != cluster_.replica_sets.end()) e.replica_set = &it->second;
    }
    if (metrics_ != nullptr) e.load = metrics_->workload(target);
    entries_.push_back(std::move(e));
  }
}

void HpaController::sync_all() {
  if (dirty_) rebuild();
  for (Entry& e : entries_)
    sync(e);
  loop_.at_background(loop_.now() + settings_.sync_period_ms, EventPriority::kMetrics,
                      [this] { sync_all(); });
}

void HpaController::sync(Entry& e) {
  HorizontalPodAutoscaler& hpa = *e.hpa;
  const TimeMs now = loop_.now();
  if (e.deployment == nullptr && e.replica_set == nullptr) {
    const bool changed =
        hpa.status.conditions.empty() || hpa.status.conditions.front().reason != "FailedGetScale";
    set_condition(hpa.status.conditions, "AbleToScale", "False", "FailedGetScale",
                  "the HPA controller was unable to get the target's current scale: " +
                      hpa.scale_target_ref.kind + " " + hpa.scale_target_ref.name + " not found",
                  now);
    if (changed) {
      cluster_.emit(ClusterEvent{0,
                                 "FailedGetScale",
                                 "HorizontalPodAutoscaler",
                                 e.key,
                                 {},
                                 hpa.scale_target_ref.kind + " " + hpa.meta.namespace_ + "/" +
                                     hpa.scale_target_ref.name + " not found",
                                 true});
    }
    return;
  }
  ScaleRead scale;
  static const std::vector<const ReplicaSet*> kNone;
  std::vector<const ReplicaSet*> single;
  const std::vector<const ReplicaSet*>* sets = &kNone;
  if (e.deployment != nullptr) {
    scale.spec_replicas = e.deployment->spec_replicas();
    scale.status_replicas = e.deployment->status.replicas;
    auto it = rs_by_owner_.find(e.deployment->meta.uid);
    if (it != rs_by_owner_.end()) sets = &it->second;
  } else {
    scale.spec_replicas = e.replica_set->replicas;
    scale.status_replicas = e.replica_set->status.replicas;
    single.push_back(e.replica_set);
    sets = &single;
  }
  ClusterInputs inputs(cluster_, metrics_, *sets, e.load, hpa.meta.namespace_);
  std::string active_before;
  for (const Condition& c : hpa.status.conditions) {
    if (c.type == "ScalingActive") active_before = c.reason;
  }
  const ReconcileOutcome o = reconcile_hpa(hpa, *e.state, scale, inputs, settings_, now);
  for (const Condition& c : hpa.status.conditions) {
    if (c.type == "ScalingActive" && c.reason != active_before && c.status == "False") {
      // Upstream repeats these warnings every sync; one per change keeps events.jsonl readable.
      cluster_.emit(
          ClusterEvent{0, c.reason, "HorizontalPodAutoscaler", e.key, {}, c.message, true});
    }
  }
  if (!o.rescale) return;
  if (e.deployment != nullptr) {
    e.deployment->replicas = o.desired;
    ++e.deployment->meta.generation;
    cluster_.emit(ClusterEvent{0,
                               "SuccessfulRescale",
                               "HorizontalPodAutoscaler",
                               e.key,
                               {},
                               "New size: " + std::to_string(o.desired) + "; reason: " + o.reason,
                               false});
    cluster_.object_changed("Deployment", e.deployment->meta.key());
  } else {
    e.replica_set->replicas = o.desired;
    cluster_.emit(ClusterEvent{0,
                               "SuccessfulRescale",
                               "HorizontalPodAutoscaler",
                               e.key,
                               {},
                               "New size: " + std::to_string(o.desired) + "; reason: " + o.reason,
                               false});
    cluster_.object_changed("ReplicaSet", e.replica_set->meta.key());
  }
}

}  // namespace gpusim::ctrl
