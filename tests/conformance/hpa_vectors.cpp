// Handlers for hpa.yaml: the HPA replica calculator, pod grouping, normalization with and
// without spec.behavior, and whole reconciles. Every handler calls the functions the HPA
// controller itself runs (controllers/replica_calculator, hpa_normalization, hpa_controller).
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "controllers/hpa_controller.hpp"
#include "controllers/hpa_normalization.hpp"
#include "controllers/recommendation_window.hpp"
#include "controllers/replica_calculator.hpp"

namespace gpusim::conformance {
namespace {

using ctrl::CalculatorSettings;
using ctrl::PodClass;
using ctrl::PodSample;
using ctrl::ReplicaProposal;
using ctrl::Tolerances;

// "now" for every vector; ages are subtracted from it.
constexpr TimeMs kNow = 1'000'000'000;
// The replica_calculator_test fixtures use a 2 minute CPU initialization period and a 10 s
// initial readiness delay (the controller defaults are 5 min and 30 s).
const CalculatorSettings kFixtureSettings{2 * 60'000, 10'000};

bool is_null(const YAML::Node& map, std::string_view key) {
  return !has_field(map, key) || field(map, key).IsNull();
}

Tolerances tolerances(const YAML::Node& input) {
  Tolerances t;
  if (!has_field(input, "tolerance")) return t;
  const YAML::Node tol = field(input, "tolerance");
  check_keys(tol, {"scale_up", "scale_down"});
  t.scale_up = double_field(tol, "scale_up");
  t.scale_down = double_field(tol, "scale_down");
  return t;
}

PodPhase phase_of(const std::string& s) {
  if (s == "Running") return PodPhase::kRunning;
  if (s == "Pending") return PodPhase::kPending;
  if (s == "Failed") return PodPhase::kFailed;
  if (s == "Succeeded") return PodPhase::kSucceeded;
  throw VectorError("unknown phase '" + s + "'");
}

// A pod of the replica calculator fixtures. `value_key` is usage_m (resource metrics) or
// value_m (pods metrics).
PodSample fixture_pod(const YAML::Node& p, const char* value_key, bool with_request) {
  if (with_request) {
    check_keys(p, {"request_m", value_key, "phase", "ready", "started", "deleting"});
  } else {
    check_keys(p, {value_key, "phase", "ready", "started", "deleting"});
  }
  PodSample s;
  s.name = "pod";
  s.phase = has_field(p, "phase") ? phase_of(string_field(p, "phase")) : PodPhase::kRunning;
  s.ready = has_field(p, "ready") ? bool_field(p, "ready") : true;
  s.deleting = has_field(p, "deleting") && bool_field(p, "deleting");
  const std::string started = has_field(p, "started") ? string_field(p, "started") : "long_ago";
  s.window_ms = 30'000;
  s.metric_ms = kNow;
  if (started == "long_ago") {
    // Started long before the initialization period; Ready's transition right at start, so a
    // pod that is not ready has never been ready.
    s.start_ms = kNow - 10 * 60'000;
    s.ready_transition_ms = *s.start_ms;
  } else if (started == "just_now") {
    // Within the initialization period, and the sample is older than transition + window.
    s.start_ms = kNow - 30'000;
    s.ready_transition_ms = kNow - 10'000;
  } else {
    throw VectorError("unknown started value '" + started + "'");
  }
  if (with_request) {
    if (is_null(p, "request_m")) {
      s.request_m.reset();
      s.missing_request_container = "container1";
    } else {
      s.request_m = int_field(p, "request_m");
    }
  }
  if (!is_null(p, value_key)) {
    s.has_metric = true;
    s.value_m = int_field(p, value_key);
  }
  return s;
}

std::vector<PodSample> fixture_pods(const YAML::Node& input, const char* value_key,
                                    bool with_request) {
  std::vector<PodSample> pods;
  if (has_field(input, "pods_repeat")) {
    const YAML::Node r = field(input, "pods_repeat");
    check_keys(r, {"count", "pod"});
    const PodSample p = fixture_pod(field(r, "pod"), value_key, with_request);
    pods.assign(static_cast<std::size_t>(int_field(r, "count")), p);
    return pods;
  }
  for (const YAML::Node& p : field(input, "pods"))
    pods.push_back(fixture_pod(p, value_key, with_request));
  return pods;
}

void check_error(const ReplicaProposal& p, const YAML::Node& expect) {
  const std::string want = string_field(expect, "error_contains");
  EXPECT_FALSE(p.ok) << "expected an error containing '" << want << "', got " << p.replicas
                     << " replicas";
  EXPECT_NE(p.error.find(want), std::string::npos) << "error was: " << p.error;
}

void check_resource_utilization(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"current_replicas", "target_utilization", "tolerance", "pods", "pods_repeat"});
  check_keys(expect, {"replicas", "utilization", "raw_average_m", "error_contains"});
  const std::vector<PodSample> pods = fixture_pods(input, "usage_m", true);
  const ReplicaProposal p = ctrl::resource_utilization_replicas(
      static_cast<std::int32_t>(int_field(input, "current_replicas")),
      static_cast<std::int32_t>(int_field(input, "target_utilization")), "cpu", pods,
      tolerances(input), kNow, kFixtureSettings);
  if (has_field(expect, "error_contains")) {
    check_error(p, expect);
    return;
  }
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.replicas, int_field(expect, "replicas"));
  EXPECT_EQ(p.utilization, int_field(expect, "utilization"));
  EXPECT_EQ(p.usage_m, int_field(expect, "raw_average_m"));
}

void check_pods_metric(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"current_replicas", "target_average_m", "tolerance", "pods"});
  check_keys(expect, {"replicas", "usage_m"});
  const std::vector<PodSample> pods = fixture_pods(input, "value_m", false);
  const ReplicaProposal p = ctrl::plain_metric_replicas(
      static_cast<std::int32_t>(int_field(input, "current_replicas")),
      int_field(input, "target_average_m"), false, pods, tolerances(input), kNow, kFixtureSettings);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.replicas, int_field(expect, "replicas"));
  EXPECT_EQ(p.usage_m, int_field(expect, "usage_m"));
}

std::int64_t sum_values(const YAML::Node& input) {
  std::int64_t total = 0;
  for (const YAML::Node& v : field(input, "values_m"))
    total += v.as<std::int64_t>();
  return total;
}

void check_object_value(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input,
             {"current_replicas", "ready_running_pods", "values_m", "target_value_m", "tolerance"});
  check_keys(expect, {"replicas", "usage_m"});
  const ReplicaProposal p = ctrl::value_replicas(
      static_cast<std::int32_t>(int_field(input, "current_replicas")), sum_values(input),
      int_field(input, "target_value_m"),
      static_cast<std::int32_t>(int_field(input, "ready_running_pods")), tolerances(input));
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.replicas, int_field(expect, "replicas"));
  EXPECT_EQ(p.usage_m, int_field(expect, "usage_m"));
}

void check_average_value(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"status_replicas", "values_m", "target_average_m", "tolerance"});
  check_keys(expect, {"replicas", "usage_m"});
  const ReplicaProposal p = ctrl::average_value_replicas(
      static_cast<std::int32_t>(int_field(input, "status_replicas")), sum_values(input),
      int_field(input, "target_average_m"), tolerances(input));
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.replicas, int_field(expect, "replicas"));
  EXPECT_EQ(p.usage_m, int_field(expect, "usage_m"));
}

void check_group_pods(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"resource", "pod", "metric"});
  check_keys(expect, {"class"});
  const YAML::Node pod = field(input, "pod");
  check_keys(pod, {"phase", "start_ago_s", "ready_condition", "deleting"});
  const YAML::Node metric = field(input, "metric");
  check_keys(metric, {"present", "sample_ago_s", "window_s"});
  PodSample s;
  s.name = "pod";
  s.phase = has_field(pod, "phase") ? phase_of(string_field(pod, "phase")) : PodPhase::kRunning;
  s.deleting = has_field(pod, "deleting") && bool_field(pod, "deleting");
  if (!is_null(pod, "start_ago_s")) s.start_ms = kNow - int_field(pod, "start_ago_s") * 1000;
  if (is_null(pod, "ready_condition")) {
    s.has_ready_condition = false;
    s.ready = false;
  } else {
    const YAML::Node rc = field(pod, "ready_condition");
    check_keys(rc, {"status", "transition_ago_s"});
    s.ready = string_field(rc, "status") == "True";
    s.ready_transition_ms = kNow - int_field(rc, "transition_ago_s") * 1000;
  }
  s.has_metric = bool_field(metric, "present");
  s.metric_ms =
      kNow - (has_field(metric, "sample_ago_s") ? int_field(metric, "sample_ago_s") * 1000 : 0);
  s.window_ms = has_field(metric, "window_s") ? int_field(metric, "window_s") * 1000 : 30'000;
  const PodClass c =
      ctrl::classify_pod(s, string_field(input, "resource") == "cpu", kNow, kFixtureSettings);
  const char* names[] = {"ready", "unready", "missing", "ignored"};
  EXPECT_EQ(names[static_cast<int>(c)], string_field(expect, "class"));
}

void check_convert_rules(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"current_replicas", "desired_replicas", "min_replicas", "max_replicas"});
  check_keys(expect, {"replicas", "condition"});
  const ctrl::Limited l = ctrl::convert_desired_replicas_with_rules(
      static_cast<std::int32_t>(int_field(input, "current_replicas")),
      static_cast<std::int32_t>(int_field(input, "desired_replicas")),
      static_cast<std::int32_t>(int_field(input, "min_replicas")),
      static_cast<std::int32_t>(int_field(input, "max_replicas")));
  EXPECT_EQ(l.replicas, int_field(expect, "replicas"));
  EXPECT_EQ(std::string(l.reason), string_field(expect, "condition"));
}

std::vector<ctrl::TimedRecommendation> recommendations(const YAML::Node& input) {
  std::vector<ctrl::TimedRecommendation> log;
  for (const YAML::Node& r : field(input, "recommendations")) {
    check_keys(r, {"replicas", "age_s"});
    log.push_back(
        {static_cast<std::int32_t>(int_field(r, "replicas")), kNow - int_field(r, "age_s") * 1000});
  }
  return log;
}

void check_stabilize_no_behavior(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"downscale_window_s", "desired_replicas", "recommendations"});
  check_keys(expect, {"replicas"});
  std::vector<ctrl::TimedRecommendation> log = recommendations(input);
  std::stable_sort(log.begin(), log.end(),
                   [](const auto& a, const auto& b) { return a.t_ms < b.t_ms; });
  ctrl::RecommendationWindow window;  // the controller records them in time order
  for (const ctrl::TimedRecommendation& r : log)
    window.add(r.replicas, r.t_ms);
  const std::int32_t r =
      window.record(static_cast<std::int32_t>(int_field(input, "desired_replicas")), kNow,
                    int_field(input, "downscale_window_s") * 1000);
  EXPECT_EQ(r, int_field(expect, "replicas"));
}

void check_behavior_stabilize(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"current_replicas", "desired_replicas", "scale_up_window_s",
                     "scale_down_window_s", "recommendations"});
  check_keys(expect, {"replicas"});
  HpaBehavior b;
  b.scale_up = ScalingRules{};
  b.scale_up->stabilization_window_s =
      static_cast<std::int32_t>(int_field(input, "scale_up_window_s"));
  b.scale_down = ScalingRules{};
  b.scale_down->stabilization_window_s =
      static_cast<std::int32_t>(int_field(input, "scale_down_window_s"));
  const ctrl::ResolvedBehavior behavior = ctrl::resolve_behavior(b, 300);
  std::vector<ctrl::TimedRecommendation> log = recommendations(input);
  const ctrl::Limited l = ctrl::stabilize_with_behavior(
      log, static_cast<std::int32_t>(int_field(input, "current_replicas")),
      static_cast<std::int32_t>(int_field(input, "desired_replicas")), behavior, kNow);
  EXPECT_EQ(l.replicas, int_field(expect, "replicas"));
}

SelectPolicy select_policy(const std::string& s) {
  if (s == "Max") return SelectPolicy::kMax;
  if (s == "Min") return SelectPolicy::kMin;
  if (s == "Disabled") return SelectPolicy::kDisabled;
  throw VectorError("unknown select policy '" + s + "'");
}

ScalingRules scaling_rules(const YAML::Node& r) {
  check_keys(r, {"select_policy", "stabilization_window_s", "policies"});
  ScalingRules rules;
  if (has_field(r, "select_policy"))
    rules.select_policy = select_policy(string_field(r, "select_policy"));
  if (has_field(r, "stabilization_window_s")) {
    rules.stabilization_window_s =
        static_cast<std::int32_t>(int_field(r, "stabilization_window_s"));
  }
  if (has_field(r, "policies")) {
    for (const YAML::Node& p : field(r, "policies")) {
      check_keys(p, {"type", "value", "period_s"});
      const std::string type = string_field(p, "type");
      if (type != "Pods" && type != "Percent") throw VectorError("unknown policy type " + type);
      rules.policies.push_back(
          ScalingPolicy{type == "Pods" ? ScalingPolicyType::kPods : ScalingPolicyType::kPercent,
                        static_cast<std::int32_t>(int_field(p, "value")),
                        static_cast<std::int32_t>(int_field(p, "period_s"))});
    }
  }
  return rules;
}

HpaBehavior behavior_of(const YAML::Node& map, const char* up_key, const char* down_key) {
  HpaBehavior b;
  if (has_field(map, up_key)) b.scale_up = scaling_rules(field(map, up_key));
  if (has_field(map, down_key)) b.scale_down = scaling_rules(field(map, down_key));
  return b;
}

std::vector<ctrl::ScaleEvent> scale_events(const YAML::Node& input, const char* key) {
  std::vector<ctrl::ScaleEvent> out;
  if (!has_field(input, key)) return out;
  for (const YAML::Node& e : field(input, key)) {
    check_keys(e, {"change", "age_s"});
    out.push_back({static_cast<std::int32_t>(int_field(e, "change")),
                   kNow - int_field(e, "age_s") * 1000, false});
  }
  return out;
}

void check_behavior_rate(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"current_replicas", "desired_replicas", "min_replicas", "max_replicas",
                     "scale_up", "scale_down", "scale_up_events", "scale_down_events"});
  check_keys(expect, {"replicas", "condition"});
  const ctrl::ResolvedBehavior behavior =
      ctrl::resolve_behavior(behavior_of(input, "scale_up", "scale_down"), 300);
  const ctrl::Limited l = ctrl::convert_desired_replicas_with_behavior_rate(
      static_cast<std::int32_t>(int_field(input, "current_replicas")),
      static_cast<std::int32_t>(int_field(input, "desired_replicas")),
      static_cast<std::int32_t>(int_field(input, "min_replicas")),
      static_cast<std::int32_t>(int_field(input, "max_replicas")), behavior,
      scale_events(input, "scale_up_events"), scale_events(input, "scale_down_events"), kNow);
  EXPECT_EQ(l.replicas, int_field(expect, "replicas"));
  EXPECT_EQ(std::string(l.reason), string_field(expect, "condition"));
}

// The metrics APIs as the horizontal_test fixtures answer them: one container per pod, every
// pod Running, Ready and started long ago, samples fresh.
class FixtureInputs : public ctrl::HpaInputs {
 public:
  FixtureInputs(std::vector<PodSample> pods, std::optional<std::string> external_error)
      : pods_(std::move(pods)), external_error_(std::move(external_error)) {}

  std::optional<std::string> pod_samples(const MetricSpec&, std::vector<PodSample>& out) override {
    out = pods_;
    return std::nullopt;
  }
  std::optional<std::int64_t> object_metric(const MetricSpec&, std::string& error) override {
    error = "no object metrics in this fixture";
    return std::nullopt;
  }
  std::optional<std::int64_t> external_metric(const MetricSpec&, std::string& error) override {
    error = external_error_.value_or("no external metrics in this fixture");
    return std::nullopt;
  }
  std::optional<std::int32_t> ready_running_pods() override {
    return static_cast<std::int32_t>(pods_.size());
  }

 private:
  std::vector<PodSample> pods_;
  std::optional<std::string> external_error_;
};

MetricSpec metric_spec(const YAML::Node& m, std::optional<std::string>& external_error) {
  check_keys(m, {"type", "resource", "target_utilization", "name", "target_value_m", "error"});
  MetricSpec spec;
  const std::string type = string_field(m, "type");
  if (type == "Resource") {
    spec.type = MetricSourceType::kResource;
    spec.resource_name = string_field(m, "resource");
    spec.target.type = MetricTargetType::kUtilization;
    spec.target.average_utilization = static_cast<std::int32_t>(int_field(m, "target_utilization"));
  } else if (type == "External") {
    spec.type = MetricSourceType::kExternal;
    spec.metric_name = string_field(m, "name");
    spec.target.type = MetricTargetType::kValue;
    spec.target.value = Quantity::from_milli(int_field(m, "target_value_m"));
    if (has_field(m, "error")) external_error = string_field(m, "error");
  } else {
    // A source type the API does not have: the controller's own fallback branch handles it.
    spec.type = static_cast<MetricSourceType>(99);
  }
  return spec;
}

void check_reconcile(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"min_replicas", "max_replicas", "spec_replicas", "status_replicas", "metric",
                     "metrics", "behavior", "pods", "stabilization_history"});
  check_keys(expect, {"desired_replicas", "condition"});
  HorizontalPodAutoscaler hpa;
  hpa.meta.name = "test-hpa";
  hpa.meta.namespace_ = "test-namespace";
  hpa.min_replicas = static_cast<std::int32_t>(int_field(input, "min_replicas"));
  hpa.max_replicas = static_cast<std::int32_t>(int_field(input, "max_replicas"));
  std::optional<std::string> external_error;
  if (has_field(input, "metric"))
    hpa.metrics.push_back(metric_spec(field(input, "metric"), external_error));
  if (has_field(input, "metrics")) {
    for (const YAML::Node& m : field(input, "metrics"))
      hpa.metrics.push_back(metric_spec(m, external_error));
  }
  if (has_field(input, "behavior")) {
    const YAML::Node b = field(input, "behavior");
    check_keys(b, {"scale_up", "scale_down"});
    hpa.behavior = behavior_of(b, "scale_up", "scale_down");
  }
  std::vector<PodSample> pods;
  for (const YAML::Node& p : field(input, "pods"))
    pods.push_back(fixture_pod(p, "usage_m", true));
  FixtureInputs inputs(std::move(pods), external_error);

  ctrl::HpaState state;
  if (has_field(input, "stabilization_history")) {
    if (string_field(input, "stabilization_history") != "empty") {
      throw VectorError("stabilization_history: only 'empty' is understood");
    }
    state.initialized = true;  // the log is preset (to nothing) instead of seeded
  }
  const ctrl::ScaleRead scale{static_cast<std::int32_t>(int_field(input, "spec_replicas")),
                              static_cast<std::int32_t>(int_field(input, "status_replicas"))};
  const ctrl::HpaSettings settings;
  const ctrl::ReconcileOutcome o = ctrl::reconcile_hpa(hpa, state, scale, inputs, settings, kNow);
  EXPECT_EQ(o.desired, int_field(expect, "desired_replicas")) << o.error;
  if (has_field(expect, "condition")) {
    const YAML::Node c = field(expect, "condition");
    check_keys(c, {"type", "status", "reason"});
    const Condition* got = ctrl::find_condition(hpa.status.conditions, string_field(c, "type"));
    ASSERT_NE(got, nullptr) << "no condition " << string_field(c, "type");
    EXPECT_EQ(got->status, string_field(c, "status"));
    EXPECT_EQ(got->reason, string_field(c, "reason")) << got->message;
  }
}

}  // namespace

void register_hpa_handlers(HandlerRegistry& registry) {
  registry.add("resource_utilization", check_resource_utilization);
  registry.add("pods_metric", check_pods_metric);
  registry.add("object_value", check_object_value);
  registry.add("average_value", check_average_value);
  registry.add("group_pods", check_group_pods);
  registry.add("convert_rules", check_convert_rules);
  registry.add("stabilize_no_behavior", check_stabilize_no_behavior);
  registry.add("behavior_stabilize", check_behavior_stabilize);
  registry.add("behavior_rate", check_behavior_rate);
  registry.add("reconcile", check_reconcile);
}

}  // namespace gpusim::conformance
