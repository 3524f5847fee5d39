#include "controllers/hpa_controller.hpp"

#include <algorithm>
#include <charconv>

namespace gpusim::ctrl {

using namespace std::string_view_literals;
constexpr std::string_view kScalingActiveType = "ScalingActive";

namespace {
// `name == "cpu"` calls an out-of-line compare (and so did memcmp); this runs for every HPA
// metric each sync.
bool is_cpu(const std::string& name) {
  return name.size() == 3 && name[0] == 'c' && name[1] == 'p' && name[2] == 'u';
}
}  // namespace

std::optional<std::string> HpaInputs::pod_groups(const MetricSpec& metric, bool cpu, TimeMs now,
                                                 const CalculatorSettings& s,
                                                 std::int64_t fill_percent, PodGroups& out,
                                                 std::vector<PodSample>& scratch) {
  if (auto err = pod_samples(metric, scratch)) return err;
  out = group_pods(scratch, cpu, now, s, fill_percent);
  return std::nullopt;
}

namespace {

struct MetricOutcome {
  bool ok = false;
  std::int32_t replicas = 0;
  const std::string* name = nullptr;  // in HpaState::metric_names
  const char* fail_reason = "";
  std::string error;
};

// Collects a reconcile's condition updates and applies them at the end, skipping the ones that
// repeat the previous reconcile's (no-ops: only this controller writes the HPA's conditions).
// keys_ and ids_ have no initialisers (see there).
class ConditionUpdates {  // NOLINT(cppcoreguidelines-pro-type-member-init)
 public:
  enum Type { kAbleToScale, kScalingActive, kScalingLimited };
  // Keeps views: every argument must outlive apply().
  void set(Type type, const char* status, const char* reason, const char* prefix,
           std::string_view text = {}) {
    if (!text.empty()) has_text_ = true;
    add(type, ConditionKey{kTypeNames[type], status, reason, prefix, nullptr}, text);
  }
  // A suffix that is one of HpaState::metric_names (see ConditionKey).
  void set_with_metric_name(Type type, const char* status, const char* reason, const char* prefix,
                            const std::string& name) {
    add(type, ConditionKey{kTypeNames[type], status, reason, prefix, name.data()}, name);
  }
  // Returns whether ScalingActive's reason changed (or it is new).
  bool apply(std::vector<Condition>& conds, HpaState& state, TimeMs now) const {
    return repeats_last(conds, state) ? false : apply_new(conds, state, now);
  }
  // The usual sync: the very same updates as the last one, and no condition added since.
  bool repeats_last(const std::vector<Condition>& conds, const HpaState& state) const {
    if (has_text_ || state.applied_text || state.applied_conditions.size() != n_ ||
        conds.size() != state.conditions_after) {
      return false;
    }
    // Member by member: the keys were just stored a pointer at a time, and a memcmp's wider
    // loads cannot take their bytes from those stores, so they wait (fewer instructions than
    // this loop, more time).
    for (std::size_t i = 0; i < n_; ++i) {
      if (!(keys_[i] == state.applied_keys[i])) return false;
    }
    return true;
  }

 private:
  // One pointer per type, so that types compare as pointers.
  static constexpr const char* kTypeNames[] = {"AbleToScale", "ScalingActive", "ScalingLimited"};

  // Out of line: reconcile_hpa stays small where most syncs end in repeats_last().
  [[gnu::noinline]] bool apply_new(std::vector<Condition>& conds, HpaState& state,
                                   TimeMs now) const {
    auto& applied = state.applied_conditions;
    if (applied.size() == n_ && conds.size() == state.conditions_after && same_types_as(state)) {
      return apply_changes(conds, state, now);
    }
    bool scaling_active_changed = false;
    applied.resize(n_);
    // Kept between reconciles: the messages are longer than a short string, and a fresh one
    // allocated on every write.
    std::string& message = state.message_scratch;
    for (std::size_t i = 0; i < n_; ++i) {
      const ConditionKey& k = keys_[i];
      message.assign(k.prefix).append(suffixes_[i]);
      const bool reason_changed = set_condition(conds, k.type, k.status, k.reason, message, now);
      if (reason_changed && k.type == kTypeNames[kScalingActive]) scaling_active_changed = true;
      record(state, i, static_cast<std::uint32_t>(find_condition(conds, k.type) - conds.data()));
    }
    state.applied_text = has_text_;
    state.conditions_after = conds.size();
    return scaling_active_changed;
  }
  void add(Type type, const ConditionKey& key, std::string_view suffix) {
    keys_[n_] = key;
    suffixes_[n_] = suffix;
    ids_[n_++] = type;
  }
  // Each condition holds what the last reconcile's update of its type wrote, at the index
  // recorded then (see same_types_as): most syncs that change anything change one condition.
  bool apply_changes(std::vector<Condition>& conds, HpaState& state, TimeMs now) const {
    bool scaling_active_changed = false;
    for (std::size_t i = 0; i < n_; ++i) {
      const ConditionKey& u = keys_[i];
      const ConditionKey& a = state.applied_keys[i];
      if (u.status == a.status && u.reason == a.reason && u.prefix == a.prefix &&
          same_suffix(i, state)) {
        continue;
      }
      Condition& c = conds[state.applied_conditions[i].index];
      // Literals with the same text may sit at different addresses: the text decides.
      if (u.status != a.status && c.status != u.status) {
        c.status = u.status;
        c.last_transition_ms = now;
      }
      if (u.reason != a.reason && c.reason != u.reason) {
        c.reason = u.reason;
        if (u.type == kTypeNames[kScalingActive]) scaling_active_changed = true;
      }
      c.message.assign(u.prefix).append(suffixes_[i]);
      record(state, i, state.applied_conditions[i].index);
    }
    state.applied_text = has_text_;
    return scaling_active_changed;
  }
  void record(HpaState& state, std::size_t i, std::uint32_t index) const {
    state.applied_keys[i] = keys_[i];
    AppliedCondition& a = state.applied_conditions[i];
    if (keys_[i].metric_name == nullptr) {
      a.text_suffix.assign(suffixes_[i]);
    } else {
      a.text_suffix.clear();
    }
    a.index = index;
  }
  // Whether this reconcile and the last one wrote the same types in the same order, each once
  // (with as many updates, and no condition added since: see apply), so that each condition
  // holds what the last reconcile's update of its type wrote.
  bool same_types_as(const HpaState& state) const {
    unsigned seen = 0;  // a bit per Type
    for (std::size_t i = 0; i < n_; ++i) {
      if (keys_[i].type != state.applied_keys[i].type) return false;
      const unsigned bit = 1U << ids_[i];
      if ((seen & bit) != 0) return false;
      seen |= bit;
    }
    return true;
  }
  // The same metric name read from the same place needs no compare (its text is on the heap,
  // likely out of cache by the next sync).
  bool same_suffix(std::size_t i, const HpaState& state) const {
    const ConditionKey& u = keys_[i];
    const ConditionKey& a = state.applied_keys[i];
    if (u.metric_name != nullptr || a.metric_name != nullptr) {
      return u.metric_name == a.metric_name;
    }
    return suffixes_[i] == state.applied_conditions[i].text_suffix;
  }

  // Without initialisers: add() writes each entry before apply() reads it, and initialising
  // them all on every reconcile would cost more than the compare of a sync that changes nothing.
  ConditionKey keys_[kMaxConditionUpdates];
  std::string_view suffixes_[kMaxConditionUpdates];
  Type ids_[kMaxConditionUpdates];
  std::size_t n_ = 0;
  bool has_text_ = false;  // some suffix is text
};

// The ScalingActive update of a metrics pass that found a replica count.
void set_valid_metric(ConditionUpdates& updates, const std::string& metric_name) {
  updates.set_with_metric_name(ConditionUpdates::kScalingActive, "True", "ValidMetricFound",
                               "the HPA was able to successfully calculate a replica count from ",
                               metric_name);
}

// Without spec.behavior: the AbleToScale and ScalingLimited updates for the metrics' proposal
// and its stabilized value (RecommendationWindow); returns the count the HPA sets.
std::int32_t limit_without_behavior(ConditionUpdates& updates, std::int32_t current,
                                    std::int32_t proposal, std::int32_t stabilized,
                                    std::int32_t min_replicas, std::int32_t max_replicas) {
  if (stabilized != proposal) {
    updates.set(ConditionUpdates::kAbleToScale, "True", "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest "
                "recent recommendation");
  } else {
    updates.set(ConditionUpdates::kAbleToScale, "True", "ReadyForNewScale",
                "recommended size matches current size");
  }
  const Limited l =
      convert_desired_replicas_with_rules(current, stabilized, min_replicas, max_replicas);
  updates.set(ConditionUpdates::kScalingLimited, l.replicas == stabilized ? "False" : "True",
              l.reason, l.message);
  return l.replicas;
}

// spec.metrics, or upstream's default: cpu at 80 % of request.
const std::vector<MetricSpec>& metrics_of(const HorizontalPodAutoscaler& hpa) {
  static const std::vector<MetricSpec> kDefaultMetrics = [] {
    MetricSpec cpu;
    cpu.type = MetricSourceType::kResource;
    cpu.resource_name = "cpu";
    cpu.target.type = MetricTargetType::kUtilization;
    cpu.target.average_utilization = 80;
    return std::vector<MetricSpec>{cpu};
  }();
  return hpa.metrics.empty() ? kDefaultMetrics : hpa.metrics;
}

std::int64_t quantity_milli(const std::optional<Quantity>& q) {
  return q ? q->milli_value() : 0;
}

const char* resource_fail_reason(const MetricSpec& m) {
  return m.type == MetricSourceType::kContainerResource ? "FailedGetContainerResourceMetric"
                                                        : "FailedGetResourceMetric";
}

// The names a metric goes by: in the ScalingActive message and in hpa.csv. They depend on the
// spec only, so reconcile_hpa builds them once per HPA (HpaController::rebuild() clears them).
void metric_names(const MetricSpec& m, std::string& condition, std::string& value) {
  condition.clear();
  switch (m.type) {
    case MetricSourceType::kResource:
    case MetricSourceType::kContainerResource: {
      const bool container = m.type == MetricSourceType::kContainerResource;
      value = container ? m.resource_name + "/" + m.container : m.resource_name;
      if (m.target.type == MetricTargetType::kUtilization && m.target.average_utilization) {
        condition.append(m.resource_name)
            .append(container ? " container"sv : ""sv)
            .append(" resource utilization (percentage of request)"sv);
      } else if (m.target.type == MetricTargetType::kAverageValue && m.target.average_value) {
        condition.append(m.resource_name)
            .append(container ? " container"sv : ""sv)
            .append(" resource"sv);
      }
      break;
    }
    case MetricSourceType::kPods:
      condition.append("pods metric ").append(m.metric_name);
      value = "pods/" + m.metric_name;
      break;
    case MetricSourceType::kObject:
      condition.append(m.described_object.kind).append(" metric ").append(m.metric_name);
      value = "object/" + m.metric_name;
      break;
    case MetricSourceType::kExternal:
      condition.append("external metric ").append(m.metric_name);
      value = "external/" + m.metric_name;
      break;
    default:
      value = "unknown";
  }
}

// `name` is the metric's condition name (metric_names); `value` gets this sync's figures.
MetricOutcome compute_metric(const MetricSpec& m, ScaleRead scale, HpaInputs& in, HpaState& st,
                             MetricValue& value, std::string& name, Tolerances tol,
                             const CalculatorSettings& cs, TimeMs now) {
  MetricOutcome out;
  out.name = &name;
  // Each proposal is made in place (`const ReplicaProposal p = ...`): assigned to one declared
  // up front, its string member cost an out-of-line move each sync.
  auto take = [&out](const ReplicaProposal& p) {
    if (!p.ok) {
      out.error = p.error;
      return;
    }
    out.ok = true;
    out.replicas = p.replicas;
  };
  // Kept in the state: a fresh one each sync was zeroed with `rep stos`, slow to start.
  PodGroups& groups = st.groups;
  switch (m.type) {
    case MetricSourceType::kResource:
    case MetricSourceType::kContainerResource: {
      out.fail_reason = resource_fail_reason(m);
      const bool utilization =
          m.target.type == MetricTargetType::kUtilization && m.target.average_utilization;
      const std::int64_t fill_percent =
          utilization ? missing_fill_percent(*m.target.average_utilization) : 0;
      if (auto err = in.pod_groups(m, is_cpu(m.resource_name), now, cs, fill_percent, groups,
                                   st.scratch)) {
        out.error = "unable to get metrics for resource " + m.resource_name + ": " + *err;
        return out;
      }
      if (utilization) {
        const ReplicaProposal p = resource_utilization_replicas(
            scale.spec_replicas, *m.target.average_utilization, m.resource_name, groups, tol);
        value.current_m = p.utilization;
        value.target_m = *m.target.average_utilization;
        take(p);
      } else if (m.target.type == MetricTargetType::kAverageValue && m.target.average_value) {
        value.target_m = quantity_milli(m.target.average_value);
        const ReplicaProposal p =
            plain_metric_replicas(scale.spec_replicas, value.target_m, groups, tol);
        value.current_m = p.usage_m;
        take(p);
      } else {
        out.error =
            "invalid resource metric source: neither a utilization target nor a value "
            "target was set";
      }
      return out;
    }
    case MetricSourceType::kPods: {
      out.fail_reason = "FailedGetPodsMetric";
      if (auto err = in.pod_groups(m, false, now, cs, 0, groups, st.scratch)) {
        out.error = "unable to get metric " + m.metric_name + ": " + *err;
        return out;
      }
      value.target_m = quantity_milli(m.target.average_value);
      const ReplicaProposal p =
          plain_metric_replicas(scale.spec_replicas, value.target_m, groups, tol);
      value.current_m = p.usage_m;
      take(p);
      return out;
    }
    case MetricSourceType::kObject:
    case MetricSourceType::kExternal: {
      const bool object = m.type == MetricSourceType::kObject;
      out.fail_reason = object ? "FailedGetObjectMetric" : "FailedGetExternalMetric";
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
        const ReplicaProposal p =
            value_replicas(scale.spec_replicas, *v, value.target_m, in.ready_running_pods(), tol);
        value.current_m = p.usage_m;
        take(p);
      } else if (m.target.type == MetricTargetType::kAverageValue && m.target.average_value) {
        value.target_m = quantity_milli(m.target.average_value);
        const ReplicaProposal p =
            average_value_replicas(scale.status_replicas, *v, value.target_m, tol);
        value.current_m = p.usage_m;
        take(p);
      } else {
        out.error = "invalid " + std::string(object ? "object" : "external") +
                    " metric source: neither a value target nor an average value target was set";
      }
      return out;
    }
    default:
      out.fail_reason = "InvalidMetricSourceType";
      out.error = "unknown metric source type";
      return out;
  }
}

// Most syncs of a serving HPA (no behavior, one metric) keep the size. This does such a sync
// with the steps of the long way that it needs (compute_metric, the recommendation window, the
// condition updates) and returns true with `out` as the long way would set it; for any other
// outcome it returns false having changed nothing that the long way does not write again, and
// reconcile_hpa goes the long way.
bool steady_reconcile(HorizontalPodAutoscaler& hpa, HpaState& st, ScaleRead scale,
                      HpaInputs& inputs, const HpaSettings& settings, Tolerances tol,
                      const CalculatorSettings& cs, TimeMs now, ReconcileOutcome& out) {
  if (hpa.behavior || !st.initialized) return false;
  const std::vector<MetricSpec>& metrics = metrics_of(hpa);
  // One metric, its names built by an earlier reconcile.
  if (metrics.size() != 1 || st.metrics.size() != 1 || st.metrics[0].name.empty()) return false;
  const std::int32_t current = scale.spec_replicas;
  const std::int32_t min_replicas = hpa.min_replicas.value_or(1);
  if (current == 0 || current > hpa.max_replicas || current < min_replicas) return false;
  MetricValue& v = st.metrics[0];
  v.clear_values();
  const MetricOutcome o =
      compute_metric(metrics[0], scale, inputs, st, v, st.metric_names[0], tol, cs, now);
  if (!o.ok) return false;
  const std::int32_t stabilized =
      st.window.peek(o.replicas, now, settings.downscale_stabilization_ms);
  ConditionUpdates updates;
  set_valid_metric(updates, *o.name);
  if (limit_without_behavior(updates, current, o.replicas, stabilized, min_replicas,
                             hpa.max_replicas) != current) {
    return false;
  }
  // What the long way writes for this outcome.
  out.scaling_active_changed = updates.apply(hpa.status.conditions, st, now);
  st.window.record(o.replicas, now, settings.downscale_stabilization_ms);
  v.ok = true;
  v.proposal = o.replicas;
  hpa.status.current_replicas = current;
  hpa.status.desired_replicas = current;
  out.desired = current;
  return true;
}

}  // namespace

ReconcileOutcome reconcile_hpa(HorizontalPodAutoscaler& hpa, HpaState& state, ScaleRead scale,
                               HpaInputs& inputs, const HpaSettings& settings, TimeMs now) {
  ReconcileOutcome out;
  Tolerances tol{settings.tolerance, settings.tolerance};
  const CalculatorSettings cs{settings.cpu_initialization_period_ms,
                              settings.initial_readiness_delay_ms};
  if (settings.steady_sync &&
      steady_reconcile(hpa, state, scale, inputs, settings, tol, cs, now, out)) {
    return out;
  }
  const std::int32_t current = scale.spec_replicas;
  if (!state.initialized) {
    // A new HPA cannot scale below its starting size for one downscale window.
    if (hpa.behavior) {
      state.recommendations.push_back(TimedRecommendation{current, now});
    } else {
      state.window.add(current, now);
    }
    state.initialized = true;
  }
  const std::int32_t min_replicas = hpa.min_replicas.value_or(1);
  std::optional<ResolvedBehavior> behavior;
  if (hpa.behavior) {
    behavior = resolve_behavior(
        *hpa.behavior, static_cast<std::int32_t>(settings.downscale_stabilization_ms / 1000));
  }
  if (behavior && behavior->scale_up.tolerance) tol.scale_up = *behavior->scale_up.tolerance;
  if (behavior && behavior->scale_down.tolerance) tol.scale_down = *behavior->scale_down.tolerance;
  auto& conds = hpa.status.conditions;
  ConditionUpdates updates;

  std::int32_t desired = 0;
  bool rescale = true;
  // The rescale reason of the metrics branch, made into out.reason only if it rescales.
  const std::string* reason_metric = nullptr;  // "<metric> above target"
  bool reason_below = false;                   // "All metrics below target"
  if (current == 0 && min_replicas != 0) {
    rescale = false;
    updates.set(ConditionUpdates::kScalingActive, "False", "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero");
  } else if (current > hpa.max_replicas) {
    out.reason = "Current number of replicas above Spec.MaxReplicas";
    desired = hpa.max_replicas;
  } else if (current < min_replicas) {
    out.reason = "Current number of replicas below Spec.MinReplicas";
    desired = min_replicas;
  } else {
    const std::vector<MetricSpec>& metrics = metrics_of(hpa);
    state.metrics.resize(metrics.size());
    state.metric_names.resize(metrics.size());
    std::int32_t best = 0;
    static const std::string kNoName;
    const std::string* best_name = &kNoName;
    std::size_t invalid = 0;
    MetricOutcome first_invalid;
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      MetricValue& v = state.metrics[i];
      v.clear_values();
      if (v.name.empty()) metric_names(metrics[i], state.metric_names[i], v.name);
      MetricOutcome o =
          compute_metric(metrics[i], scale, inputs, state, v, state.metric_names[i], tol, cs, now);
      v.ok = o.ok;
      v.proposal = o.replicas;
      if (!o.ok) {
        if (invalid == 0) first_invalid = std::move(o);
        ++invalid;
        continue;
      }
      if (best == 0 || o.replicas > best) {
        best = o.replicas;
        best_name = o.name;
      }
    }
    // All metrics failed, or some failed and the rest would scale down: hold the size.
    if (invalid >= metrics.size() || (invalid > 0 && best < scale.spec_replicas)) {
      updates.set(ConditionUpdates::kScalingActive, "False", first_invalid.fail_reason,
                  "the HPA was unable to compute the replica count: ", first_invalid.error);
      out.scaling_active_changed = updates.apply(conds, state, now);
      hpa.status.current_replicas = current;
      out.error = "invalid metrics (" + std::to_string(invalid) + " invalid out of " +
                  std::to_string(metrics.size()) + "), first error is: " + first_invalid.error;
      out.desired = current;
      return out;
    }
    set_valid_metric(updates, *best_name);
    if (invalid > 0) {
      out.error = "invalid metrics (" + std::to_string(invalid) + " invalid out of " +
                  std::to_string(metrics.size()) + "), first error is: " + first_invalid.error;
    }
    desired = best;
    if (desired > current) reason_metric = best_name;
    if (desired < current) reason_below = true;

    if (!behavior) {
      const std::int32_t stabilized =
          state.window.record(desired, now, settings.downscale_stabilization_ms);
      desired = limit_without_behavior(updates, current, desired, stabilized, min_replicas,
                                       hpa.max_replicas);
    } else {
      const Limited s =
          stabilize_with_behavior(state.recommendations, current, desired, *behavior, now);
      if (s.replicas != desired) {
        updates.set(ConditionUpdates::kAbleToScale, "True", s.reason, s.message);
      } else {
        updates.set(ConditionUpdates::kAbleToScale, "True", "ReadyForNewScale",
                    "recommended size matches current size");
      }
      const Limited l = convert_desired_replicas_with_behavior_rate(
          current, s.replicas, min_replicas, hpa.max_replicas, *behavior, state.scale_up_events,
          state.scale_down_events, now);
      updates.set(ConditionUpdates::kScalingLimited, l.replicas == s.replicas ? "False" : "True",
                  l.reason, l.message);
      desired = l.replicas;
    }
    rescale = desired != current;
  }

  // Outlives the if: `updates` keeps a view of it until apply() below.
  char digits[16];
  if (rescale) {
    if (reason_metric != nullptr) out.reason = *reason_metric + " above target";
    if (reason_below) out.reason = "All metrics below target";
    const auto end = std::to_chars(digits, digits + sizeof digits, desired).ptr;
    updates.set(ConditionUpdates::kAbleToScale, "True", "SucceededRescale",
                "the HPA controller was able to update the target scale to ",
                std::string_view(digits, static_cast<std::size_t>(end - digits)));
    if (behavior) {
      store_scale_event(*behavior, state.scale_up_events, state.scale_down_events, current, desired,
                        now);
    }
    hpa.status.last_scale_ms = now;
  } else {
    desired = current;
  }
  out.scaling_active_changed = updates.apply(conds, state, now);
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
  // `cache` is the controller's cache of the target, refreshed here when invalid.
  ClusterInputs(const Cluster& cluster, const MetricsPipeline* metrics,
                const std::vector<const ReplicaSet*>& sets, const WorkloadLoadState* load,
                const std::string& ns, HpaController::TargetCache& cache)
      : cluster_(cluster), metrics_(metrics), sets_(sets), load_(load), ns_(ns), cache_(cache) {}

  std::optional<std::string> pod_samples(const MetricSpec& m,
                                         std::vector<PodSample>& out) override {
    if (!cache_.valid) refresh();
    const bool resource =
        m.type == MetricSourceType::kResource || m.type == MetricSourceType::kContainerResource;
    const HpaController::SetRequests& sets = requests(m, resource).sets;
    const std::vector<HpaController::CachedPod>& pods = cache_.pods;
    out.resize(pods.size());
    if (metrics_ == nullptr) {
      for (std::size_t i = 0; i < pods.size(); ++i)
        out[i] = sample_without_metric(pods[i], sets, resource);
      return std::string("no metrics pipeline");
    }
    if (resource) {
      const bool cpu = is_cpu(m.resource_name);
      for (std::size_t i = 0; i < pods.size(); ++i) {
        const HpaController::CachedPod& c = pods[i];
        PodSample& s = out[i];
        s = sample_without_metric(c, sets, resource);
        if (auto sample = metrics_->resource_sample(c.inputs, load_)) {
          s.has_metric = true;
          s.metric_ms = sample->t_ms;
          s.window_ms = sample->window_ms;
          s.value_m = !sets[c.set].carries_usage ? 0
                      : cpu                      ? sample->cpu_milli
                                                 : sample->memory_bytes * 1000;
        }
      }
    } else {
      for (std::size_t i = 0; i < pods.size(); ++i) {
        const HpaController::CachedPod& c = pods[i];
        PodSample& s = out[i];
        s = sample_without_metric(c, sets, resource);
        if (auto v = metrics_->pods_metric_milli(c.inputs, load_, m.metric_name)) {
          s.has_metric = true;
          s.value_m = *v;
          s.metric_ms = load_ ? load_->t_ms : 0;
          s.window_ms = metrics_->window_ms();
        }
      }
    }
    return std::nullopt;
  }

  // pod_samples() and group_pods() in one pass over the cache, without a PodSample per pod.
  std::optional<std::string> pod_groups(const MetricSpec& m, bool cpu, TimeMs now,
                                        const CalculatorSettings& cs, std::int64_t fill_percent,
                                        PodGroups& out, std::vector<PodSample>& scratch) override {
    if (metrics_ == nullptr) {
      return HpaInputs::pod_groups(m, cpu, now, cs, fill_percent, out, scratch);
    }
    if (!cache_.valid) refresh();
    const bool resource =
        m.type == MetricSourceType::kResource || m.type == MetricSourceType::kContainerResource;
    HpaController::MetricRequests& r_all = requests(m, resource);
    const HpaController::SetRequests& sets = r_all.sets;
    if (resource && load_ != nullptr && r_all.all_requested) {
      group_counted(r_all, cpu, now, cs, fill_percent, out);
      return std::nullopt;
    }
    out = PodGroups{};
    for (const HpaController::CachedPod& c : cache_.pods) {
      const HpaController::SetRequest& r = sets[c.set];
      MetricReading reading;
      std::int64_t value_m = 0;
      if (resource) {
        if (auto sample = metrics_->resource_sample(c.inputs, load_)) {
          reading = MetricReading{true, sample->t_ms, sample->window_ms};
          value_m = !r.carries_usage ? 0 : cpu ? sample->cpu_milli : sample->memory_bytes * 1000;
        }
      } else if (auto v = metrics_->pods_metric_milli(c.inputs, load_, m.metric_name)) {
        reading = MetricReading{true, load_ ? load_->t_ms : 0, metrics_->window_ms()};
        value_m = *v;
      }
      // The name only appears in the missing-request error (see sample_without_metric).
      std::string_view name;
      if (!r.request_m && resource) name = cluster_.pod(c.id).name;
      out.add(classify_pod(c.sample, reading, cpu, now, cs), value_m, r.request_m, name,
              r.missing_container, fill_percent);
    }
    return std::nullopt;
  }

  std::optional<std::int64_t> object_metric(const MetricSpec& m, std::string& error) override {
    if (metrics_ == nullptr) {
      error = "no metrics pipeline";
      return std::nullopt;
    }
    auto v = metrics_->object_metric_milli(ns_, m.described_object.kind, m.described_object.name,
                                           m.metric_name);
    if (!v) {
      error = "no metric " + m.metric_name + " for " + m.described_object.kind + " " +
              m.described_object.name + " (the load model exposes none)";
    }
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
  HpaController::TargetCache& cache_;

  PodSample sample_without_metric(const HpaController::CachedPod& c,
                                  const HpaController::SetRequests& sets, bool resource) const {
    PodSample s = c.sample;
    const HpaController::SetRequest& r = sets[c.set];
    s.request_m = r.request_m;
    s.missing_request_container = r.missing_container;
    // The name only appears in the missing-request error. It is read here, not cached: a
    // short name lives inside the Pod, which moves when the pod table grows.
    if (!s.request_m && resource) s.name = cluster_.pod(c.id).name;
    return s;
  }

  // Counts the pods per set and class (see HpaController::ClassCounts), unless the counts of
  // an earlier sync still hold, and sums them into `out` with this scrape's usage.
  void group_counted(HpaController::MetricRequests& r, bool cpu, TimeMs now,
                     const CalculatorSettings& cs, std::int64_t fill_percent, PodGroups& out) {
    HpaController::ClassCounts& k = r.counts;
    const TimeMs scrape_ms = metrics_->last_scrape_ms();
    const TimeMs load_ms = load_->t_ms;
    if (!k.valid || k.cpu != cpu || k.node_generation != metrics_->node_generation() ||
        now >= k.until.now_ms || scrape_ms >= k.until.sample_ms || load_ms >= k.until.load_ms) {
      k.valid = true;
      k.cpu = cpu;
      k.node_generation = metrics_->node_generation();
      k.until = ClassHorizon{};
      k.sets.assign(r.sets.size(), HpaController::SetCounts{});
      k.base_fill_percent = -1;
      const MetricReading sampled{true, scrape_ms, metrics_->window_ms()};
      for (const HpaController::CachedPod& c : cache_.pods) {
        HpaController::SetCounts& n = k.sets[c.set];
        ++n.pods;
        const bool has = metrics_->has_sample(c.inputs, &k.until.sample_ms);
        const bool busy = has && MetricsPipeline::ready_at(c.inputs, load_ms, &k.until.load_ms);
        switch (classify_pod(c.sample, has ? sampled : MetricReading{}, cpu, now, cs, &k.until)) {
          case PodClass::kReady:
            ++(busy ? n.ready_busy : n.ready_idle);
            break;
          case PodClass::kUnready:
            ++n.unready;
            break;
          case PodClass::kMissing:
            ++n.missing;
            break;
          case PodClass::kIgnored:
            break;
        }
      }
    }
    if (k.base_fill_percent != fill_percent) sum_counts(k, r.sets, fill_percent);
    // Only the ready pods' usage moves with the scrape.
    const std::int64_t busy_m = cpu ? load_->cpu_ready_milli : load_->memory_ready_bytes * 1000;
    const std::int64_t idle_m = cpu ? load_->cpu_idle_milli : load_->memory_idle_bytes * 1000;
    out = k.base;
    out.ready_usage_m = k.usage_busy * busy_m + k.usage_idle * idle_m;
  }

  // The PodGroups of the counts but for the ready pods' usage, and the pods that usage is
  // counted over (see group_counted).
  static void sum_counts(HpaController::ClassCounts& k, const HpaController::SetRequests& sets,
                         std::int64_t fill_percent) {
    PodGroups& g = k.base;
    g = PodGroups{};
    k.usage_busy = 0;
    k.usage_idle = 0;
    for (std::size_t i = 0; i < k.sets.size(); ++i) {
      const HpaController::SetCounts& n = k.sets[i];
      if (sets[i].carries_usage) {
        k.usage_busy += n.ready_busy;
        k.usage_idle += n.ready_idle;
      }
      const std::int64_t request = *sets[i].request_m;
      const std::int32_t ready = n.ready_busy + n.ready_idle;
      g.pods += n.pods;
      g.ready += ready;
      g.ready_request_m += ready * request;
      g.unready += n.unready;
      g.unready_request_m += n.unready * request;
      g.missing += n.missing;
      g.missing_request_m += n.missing * request;
      // PodGroups::add truncates per pod; every pod of a set truncates the same product.
      g.missing_fill_m += n.missing * (request * fill_percent / 100);
    }
    k.base_fill_percent = fill_percent;
  }

  // The sets' requests for the metric's resource, computed once per cache refresh.
  HpaController::MetricRequests& requests(const MetricSpec& m, bool resource) {
    // The HPA's metric specs do not move or change while its entry (and this cache) lives.
    for (HpaController::MetricRequests& r : cache_.requests) {
      if (r.spec == &m) return r;
    }
    return add_requests(m, resource);
  }
  // Out of line: requests() is called every sync and finds its entry.
  [[gnu::noinline]] HpaController::MetricRequests& add_requests(const MetricSpec& m,
                                                                bool resource) {
    static const std::string kAll;
    const std::string& container =
        m.type == MetricSourceType::kContainerResource ? m.container : kAll;
    for (HpaController::MetricRequests& r : cache_.requests) {
      if (r.type == m.type && r.resource == m.resource_name && r.container == container) {
        return r;
      }
    }
    HpaController::MetricRequests& r = cache_.requests.emplace_back();
    r.spec = &m;
    r.type = m.type;
    r.resource = m.resource_name;
    r.container = container;
    const std::string& load_container = load_ ? load_->spec->container : kAll;
    for (const ReplicaSet* rs : sets_) {
      HpaController::SetRequest info;
      if (resource) {
        const RequestInfo req = request_of(*rs->tmpl, m.resource_name, container);
        info.request_m = req.request_m;
        info.missing_container = req.missing_container;
        if (!container.empty()) {
          // The load model puts a pod's usage on one container (docs/scenario.md "Load").
          const auto& cs = rs->tmpl->spec.containers;
          info.carries_usage = load_container.empty()
                                   ? (!cs.empty() && cs.front().name == container)
                                   : load_container == container;
        }
      }
      if (!info.request_m) r.all_requested = false;
      r.sets.push_back(info);
    }
    return r;
  }

  // Re-reads the target's pods, in the order the selector lists them (set, then creation).
  void refresh() {
    cache_.pods.clear();
    cache_.requests.clear();
    for (std::uint32_t set = 0; set < sets_.size(); ++set) {
      for (PodId id : cluster_.pods_of(sets_[set]->meta.uid)) {
        const Pod& pod = cluster_.pod(id);
        HpaController::CachedPod c;
        PodSample& s = c.sample;
        s.phase = pod.status.phase;
        s.deleting = pod.deletion_ms.has_value();
        s.has_ready_condition = pod.bound();
        s.ready = pod.status.ready;
        s.start_ms = pod.status.scheduled_ms;
        s.ready_transition_ms =
            pod.status.ready_transition_ms.value_or(pod.status.scheduled_ms.value_or(0));
        if (metrics_ != nullptr) c.inputs = metrics_->metric_inputs(pod, load_);
        c.id = id;
        c.set = set;
        cache_.pods.push_back(c);
      }
    }
    cache_.valid = true;
  }
};

}  // namespace

HpaController::HpaController(Cluster& cluster, EventLoop& loop, HpaSettings settings,
                             const MetricsPipeline* metrics, ForkJoin* fork_join)
    : cluster_(cluster),
      loop_(loop),
      settings_(settings),
      metrics_(metrics),
      fork_join_(fork_join) {
  if (settings_.sync_period_ms <= 0) settings_.sync_period_ms = 15'000;
}

void HpaController::start() {
  next_sync_ms_ = loop_.now() + settings_.sync_period_ms;
  loop_.at_background(next_sync_ms_, EventPriority::kMetrics, [this] { sync_all(); });
}

void HpaController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "ReplicaSet") {
    auto it = cluster_.replica_sets.find(key);
    auto old = rs_index_.find(key);
    if (it == cluster_.replica_sets.end()) {
      if (old != rs_index_.end()) {
        const IndexedSet gone = old->second;
        auto& v = rs_by_owner_[gone.owner];
        v.erase(std::remove(v.begin(), v.end(), gone.rs), v.end());
        rs_index_.erase(old);
        rs_owner_.erase(gone.uid);
        invalidate(gone.uid);
        invalidate(gone.owner);
        // An HPA that targets the ReplicaSet itself holds a pointer to it.
        if (entries_by_target_.count(gone.uid) != 0) dirty_ = true;
      }
      return;
    }
    if (old != rs_index_.end()) return;
    if (target_missing_) dirty_ = true;  // it may be the ReplicaSet an HPA waits for
    const ReplicaSet& rs = it->second;
    const std::uint64_t owner = rs.meta.owner ? rs.meta.owner->uid : 0;
    rs_index_.emplace(key, IndexedSet{owner, rs.meta.uid, &rs});
    rs_owner_[rs.meta.uid] = owner;
    if (owner != 0) rs_by_owner_[owner].push_back(&rs);
    invalidate(rs.meta.uid);
    invalidate(owner);
  } else if (kind == "HorizontalPodAutoscaler" || kind == "Deployment") {
    // Added or removed objects change the HPA -> target pointers.
    if (kind == "HorizontalPodAutoscaler" || !cluster_.deployments.count(key)) dirty_ = true;
  }
}

void HpaController::pod_changed(PodId id) {
  const Pod& pod = cluster_.pod(id);
  if (!pod.owner) return;
  invalidate(pod.owner->uid);
  auto it = rs_owner_.find(pod.owner->uid);
  if (it != rs_owner_.end()) invalidate(it->second);
}

void HpaController::invalidate(std::uint64_t uid) {
  if (uid == 0) return;
  auto [begin, end] = entries_by_target_.equal_range(uid);
  for (auto it = begin; it != end; ++it)
    entries_[it->second].cache.valid = false;
}

void HpaController::rebuild() {
  dirty_ = false;
  target_missing_ = false;
  entries_.clear();
  // The names reconcile_hpa keeps per metric are the spec's; an HPA added under an old key may
  // have other metrics. The records of applied conditions point into those names.
  for (auto& [key, st] : states_) {
    st.metric_names.clear();
    st.applied_conditions.clear();
    for (MetricValue& v : st.metrics)
      v.name.clear();
  }
  entries_by_target_.clear();
  for (auto& [key, hpa] : cluster_.hpas) {
    Entry e;
    e.key = key;
    e.hpa = &hpa;
    e.state = &states_[key];
    const std::string target = hpa.meta.namespace_ + "/" + hpa.scale_target_ref.name;
    if (hpa.scale_target_ref.kind == "Deployment") {
      auto it = cluster_.deployments.find(target);
      if (it != cluster_.deployments.end()) {
        e.deployment = &it->second;
        // Entries of rs_by_owner_ are never erased, and an unordered_map keeps its values in
        // place when it grows.
        e.owned_sets = &rs_by_owner_[e.deployment->meta.uid];
      }
    } else if (hpa.scale_target_ref.kind == "ReplicaSet") {
      auto it = cluster_.replica_sets.find(target);
      if (it != cluster_.replica_sets.end()) e.replica_set = &it->second;
    }
    if (metrics_ != nullptr) e.load = metrics_->workload(target);
    const std::uint64_t target_uid = e.deployment    ? e.deployment->meta.uid
                                     : e.replica_set ? e.replica_set->meta.uid
                                                     : 0;
    if (target_uid != 0) {
      entries_by_target_.emplace(target_uid, entries_.size());
    } else {
      target_missing_ = true;
    }
    entries_.push_back(std::move(e));
  }
  // Without a load model a pod's usage comes from its annotations, read through a cache that
  // the metrics pipeline fills on demand: those reconciles stay on one thread.
  independent_ = metrics_ != nullptr;
  for (const Entry& e : entries_) {
    if (e.load == nullptr) independent_ = false;
  }
  for (const auto& [uid, index] : entries_by_target_) {
    if (entries_by_target_.count(uid) > 1) independent_ = false;
  }
  // Only with the scrape's period is every sync instant a scrape instant with the scrape first:
  // each schedules its next event while it runs, the scrape before the sync.
  entry_of_workload_.clear();
  if (settings_.follow_scrape && independent_ &&
      metrics_->settings().scrape_interval_ms == settings_.sync_period_ms) {
    const auto& workloads = metrics_->workloads();
    std::unordered_map<const WorkloadLoadState*, std::size_t> index;
    for (std::size_t w = 0; w < workloads.size(); ++w)
      index.emplace(workloads[w].get(), w);
    entry_of_workload_.assign(workloads.size(), -1);
    for (std::size_t i = 0; i < entries_.size(); ++i)
      entry_of_workload_[index.at(entries_[i].load)] = static_cast<std::int32_t>(i);
  }
}

void HpaController::before_scrape(TimeMs now) {
  if (now != next_sync_ms_) return;
  // Nothing changes the cluster between this scrape and the sync, so the rebuild the sync would
  // do is the same one.
  if (dirty_) rebuild();
  if (entry_of_workload_.empty()) return;
  outcomes_.resize(entries_.size());
  writes_.resize(entries_.size());
  reconciled_ms_ = now;
}

void HpaController::after_scraped(std::size_t begin, std::size_t end, TimeMs now) {
  if (reconciled_ms_ != now) return;
  for (std::size_t w = begin; w < end; ++w) {
    const std::int32_t i = entry_of_workload_[w];
    if (i < 0) continue;
    if (w + 1 < end && entry_of_workload_[w + 1] >= 0)
      prefetch(entries_[entry_of_workload_[w + 1]]);
    reconcile_into(static_cast<std::size_t>(i), now);
  }
}

void HpaController::sync_all() {
  const TimeMs now = loop_.now();
  if (reconciled_ms_ == now) {
    apply_outcomes(now);
    ++syncs_inside_scrapes_;
  } else {
    if (dirty_) rebuild();
    if (fork_join_ != nullptr && fork_join_->threads() > 1 && independent_) {
      outcomes_.resize(entries_.size());
      writes_.resize(entries_.size());
      fork_join_->for_each_range(entries_.size(), [this, now](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
          if (i + 1 < end) prefetch(entries_[i + 1]);
          reconcile_into(i, now);
        }
      });
      apply_outcomes(now);
    } else {
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        Entry& e = entries_[i];
        if (i + 1 < entries_.size()) prefetch(entries_[i + 1]);
        const ReconcileOutcome o = reconcile(e, now);
        if (writes_cluster(e, o)) apply(e, o, now);
      }
    }
  }
  next_sync_ms_ = now + settings_.sync_period_ms;
  loop_.at_background(next_sync_ms_, EventPriority::kMetrics, [this] { sync_all(); });
}

void HpaController::reconcile_into(std::size_t i, TimeMs now) {
  ReconcileOutcome o = reconcile(entries_[i], now);
  // Most syncs write nothing: only those outcomes are kept for apply_outcomes().
  writes_[i] = writes_cluster(entries_[i], o);
  if (writes_[i] != 0) outcomes_[i] = std::move(o);
}

void HpaController::apply_outcomes(TimeMs now) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (writes_[i] != 0) apply(entries_[i], outcomes_[i], now);
  }
}

ReconcileOutcome HpaController::reconcile(Entry& e, TimeMs now) {
  if (!has_target(e)) return {};  // see apply()
  ScaleRead scale;
  static const std::vector<const ReplicaSet*> kNone;
  std::vector<const ReplicaSet*> single;
  const std::vector<const ReplicaSet*>* sets = &kNone;
  if (e.deployment != nullptr) {
    scale.spec_replicas = e.deployment->spec_replicas();
    scale.status_replicas = e.deployment->status.replicas;
    sets = e.owned_sets;
  } else {
    scale.spec_replicas = e.replica_set->replicas;
    scale.status_replicas = e.replica_set->status.replicas;
    single.push_back(e.replica_set);
    sets = &single;
  }
  ClusterInputs inputs(cluster_, metrics_, *sets, e.load, e.hpa->meta.namespace_, e.cache);
  return reconcile_hpa(*e.hpa, *e.state, scale, inputs, settings_, now);
}

void HpaController::apply(Entry& e, const ReconcileOutcome& o, TimeMs now) {
  HorizontalPodAutoscaler& hpa = *e.hpa;
  if (!has_target(e)) {
    // Written outside the reconcile: its next updates must not be skipped as repeats.
    e.state->applied_conditions.clear();
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
  if (o.scaling_active_changed) {
    const Condition* c = find_condition(hpa.status.conditions, kScalingActiveType);
    if (c != nullptr && c->status == "False"sv) {
      // Upstream repeats these warnings every sync; one per change keeps events.jsonl readable.
      cluster_.emit(
          ClusterEvent{0, c->reason, "HorizontalPodAutoscaler", e.key, {}, c->message, true});
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
