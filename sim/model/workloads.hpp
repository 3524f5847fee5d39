#pragma once
// Workload objects as users apply them. Controllers own their behaviour (sim/controllers/);
// these are the API shapes plus the status fields the simulation maintains.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/int_or_string.hpp"
#include "model/label_selector.hpp"
#include "model/object_meta.hpp"
#include "model/pod.hpp"

namespace gpusim {

struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  TimeMs last_transition_ms = 0;
};

// ---- apps/v1 -------------------------------------------------------------------------------

enum class DeploymentStrategyType { kRollingUpdate, kRecreate };

struct DeploymentStrategy {
  DeploymentStrategyType type = DeploymentStrategyType::kRollingUpdate;
  IntOrString max_surge = IntOrString::of(std::string("25%"));
  IntOrString max_unavailable = IntOrString::of(std::string("25%"));
};

struct DeploymentStatus {
  std::int32_t replicas = 0;
  std::int32_t updated_replicas = 0;
  std::int32_t ready_replicas = 0;
  std::int32_t available_replicas = 0;
  std::int32_t unavailable_replicas = 0;
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
};

struct Deployment {
  ObjectMeta meta;
  std::optional<std::int32_t> replicas;  // unset means 1 (or whatever the HPA sets)
  LabelSelector selector;
  std::shared_ptr<const PodTemplate> tmpl;
  DeploymentStrategy strategy;
  std::int32_t min_ready_s = 0;
  std::int32_t revision_history_limit = 10;
  std::int32_t progress_deadline_s = 600;
  bool paused = false;
  DeploymentStatus status;
  std::int32_t spec_replicas() const { return replicas.value_or(1); }
};

struct ReplicaSetStatus {
  std::int32_t replicas = 0;
  std::int32_t ready_replicas = 0;
  std::int32_t available_replicas = 0;
  std::vector<Condition> conditions;
};

struct ReplicaSet {
  ObjectMeta
      meta;  // annotations carry deployment.kubernetes.io/{revision,desired-replicas,max-replicas}
  std::int32_t replicas = 1;
  LabelSelector selector;
  std::shared_ptr<const PodTemplate> tmpl;
  std::int32_t min_ready_s = 0;
  ReplicaSetStatus status;
  // The owning Deployment's template this ReplicaSet was made from (without the hash label):
  // the Deployment controller finds its current ReplicaSet by it.
  std::shared_ptr<const PodTemplate> source_template;
};

// ---- batch/v1 ------------------------------------------------------------------------------

enum class CompletionMode { kNonIndexed, kIndexed };
// When a Job replaces a pod: TerminatingOrFailed (the default) as soon as it is deleted or
// failed; Failed only once it has terminated, and only phase Failed counts as a failure.
enum class PodReplacementPolicy { kTerminatingOrFailed, kFailed };

struct JobSpec {
  std::optional<std::int32_t> parallelism;  // default 1
  std::optional<std::int32_t> completions;  // unset: work queue, done when one pod succeeds
  CompletionMode completion_mode = CompletionMode::kNonIndexed;
  PodReplacementPolicy pod_replacement_policy = PodReplacementPolicy::kTerminatingOrFailed;
  std::int32_t backoff_limit = 6;
  std::optional<std::int64_t> active_deadline_s;
  std::optional<std::int64_t> ttl_seconds_after_finished;
  bool suspend = false;
  std::optional<LabelSelector> selector;
  std::shared_ptr<const PodTemplate> tmpl;
};

struct JobStatus {
  std::int32_t active = 0;
  std::int32_t succeeded = 0;
  std::int32_t failed = 0;
  std::optional<TimeMs> start_ms;
  std::optional<TimeMs> completion_ms;
  std::vector<Condition> conditions;  // Complete, Failed, Suspended
  std::vector<std::int32_t> completed_indexes;
};

struct Job {
  ObjectMeta meta;
  JobSpec spec;
  JobStatus status;
};

enum class ConcurrencyPolicy { kAllow, kForbid, kReplace };

struct JobTemplate {
  Labels labels;
  Annotations annotations;
  JobSpec spec;
};

struct CronJobStatus {
  std::optional<TimeMs> last_schedule_ms;
  std::optional<TimeMs> last_successful_ms;
  std::vector<std::string> active;  // names of running Jobs
};

struct CronJob {
  ObjectMeta meta;
  std::string schedule;
  std::string time_zone;
  ConcurrencyPolicy concurrency_policy = ConcurrencyPolicy::kAllow;
  std::optional<std::int64_t> starting_deadline_s;
  bool suspend = false;
  std::int32_t successful_jobs_history_limit = 3;
  std::int32_t failed_jobs_history_limit = 1;
  JobTemplate job_template;
  CronJobStatus status;
};

// ---- kubeflow.org/v1 PyTorchJob (training-operator) ----------------------------------------

struct ReplicaSpec {
  std::int32_t replicas = 1;
  RestartPolicy restart_policy = RestartPolicy::kOnFailure;
  // restartPolicy ExitCode: the pods get Never, and the operator recreates a failed one whose
  // exit code is retryable and fails the job otherwise (restart_policy then says kOnFailure).
  bool exit_code = false;
  std::shared_ptr<const PodTemplate> tmpl;
};

struct PyTorchJob {
  ObjectMeta meta;
  std::map<std::string, ReplicaSpec> replica_specs;  // "Master", "Worker"
  std::optional<std::int32_t> min_available;         // runPolicy.schedulingPolicy.minAvailable
  std::string priority_class_name;                   // runPolicy.schedulingPolicy.priorityClass
  std::optional<std::int64_t> schedule_timeout_s;    // ...schedulingPolicy.scheduleTimeoutSeconds
  std::optional<std::int64_t> active_deadline_s;
  std::optional<std::int32_t> backoff_limit;  // unset (the operator's default): no limit
  JobStatus status;
};

// ---- scheduling.x-k8s.io/v1alpha1 PodGroup (scheduler-plugins coscheduling) ----------------

// Pods labelled with a PodGroup's name are a gang: at least minMember of them are bound
// together or none is (the Coscheduling scheduler plugin). The training-operator creates one per
// PyTorchJob (minMember = runPolicy.schedulingPolicy.minAvailable or every replica).
inline constexpr const char* kPodGroupLabel = "scheduling.x-k8s.io/pod-group";

struct PodGroupStatus {
  std::string phase = "Pending";  // Pending, Scheduling, Running, Finished, Failed
  std::int32_t scheduled = 0;
  std::optional<TimeMs> schedule_start_ms;
};

struct PodGroup {
  ObjectMeta meta;
  std::int32_t min_member = 1;
  std::optional<std::int64_t> schedule_timeout_s;  // how long members wait at Permit
  PodGroupStatus status;
};

// ---- autoscaling/v2 ------------------------------------------------------------------------

enum class MetricSourceType { kResource, kContainerResource, kPods, kObject, kExternal };
enum class MetricTargetType { kUtilization, kValue, kAverageValue };

struct MetricTarget {
  MetricTargetType type = MetricTargetType::kUtilization;
  std::optional<std::int32_t> average_utilization;
  std::optional<Quantity> value;
  std::optional<Quantity> average_value;
};

struct CrossVersionObjectReference {
  std::string kind;
  std::string name;
  std::string api_version;
};

struct MetricSpec {
  MetricSourceType type = MetricSourceType::kResource;
  std::string resource_name;  // Resource / ContainerResource: cpu or memory
  std::string container;      // ContainerResource
  std::string metric_name;    // Pods / Object / External
  std::optional<LabelSelector> metric_selector;
  CrossVersionObjectReference described_object;  // Object
  MetricTarget target;
};

enum class ScalingPolicyType { kPods, kPercent };
enum class SelectPolicy { kMax, kMin, kDisabled };

struct ScalingPolicy {
  ScalingPolicyType type = ScalingPolicyType::kPods;
  std::int32_t value = 0;
  std::int32_t period_s = 15;
};

struct ScalingRules {
  std::optional<std::int32_t> stabilization_window_s;
  std::optional<SelectPolicy> select_policy;
  std::vector<ScalingPolicy> policies;
  std::optional<Quantity> tolerance;
};

struct HpaBehavior {
  std::optional<ScalingRules> scale_up;
  std::optional<ScalingRules> scale_down;
};

struct HpaStatus {
  std::int32_t current_replicas = 0;
  std::int32_t desired_replicas = 0;
  std::optional<TimeMs> last_scale_ms;
  std::vector<Condition> conditions;  // AbleToScale, ScalingActive, ScalingLimited
};

struct HorizontalPodAutoscaler {
  ObjectMeta meta;
  CrossVersionObjectReference scale_target_ref;
  std::optional<std::int32_t> min_replicas;  // default 1
  std::int32_t max_replicas = 1;
  std::vector<MetricSpec> metrics;  // default: cpu Utilization 80
  std::optional<HpaBehavior> behavior;
  HpaStatus status;
};

// ---- v1 ResourceQuota, scheduling.k8s.io PriorityClass, policy/v1 PDB, Namespace -----------

struct ScopedResourceSelectorRequirement {
  std::string scope_name;
  SelectorOperator op = SelectorOperator::kIn;
  std::vector<std::string> values;
};

struct ResourceQuota {
  ObjectMeta meta;
  ResourceQuantities hard;
  std::vector<std::string> scopes;
  std::vector<ScopedResourceSelectorRequirement> scope_selector;
  ResourceQuantities status_hard;
  ResourceQuantities status_used;
};

struct PriorityClass {
  ObjectMeta meta;
  std::int32_t value = 0;
  bool global_default = false;
  PreemptionPolicy preemption_policy = PreemptionPolicy::kPreemptLowerPriority;
  std::string description;
};

struct PodDisruptionBudget {
  ObjectMeta meta;
  std::optional<IntOrString> min_available;
  std::optional<IntOrString> max_unavailable;
  LabelSelector selector;
  // unhealthyPodEvictionPolicy AlwaysAllow: a Running pod that is not Ready may always be
  // evicted (IfHealthyBudget, the default: only while the budget is otherwise met).
  bool always_allow_unhealthy = false;
  // status
  std::int32_t current_healthy = 0;
  std::int32_t desired_healthy = 0;
  std::int32_t expected_pods = 0;
  std::int32_t disruptions_allowed = 0;
};

struct Namespace {
  ObjectMeta meta;
};

}  // namespace gpusim
