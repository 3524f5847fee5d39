#pragma once
// The ResourceQuota pod evaluator and admission check with upstream's semantics
// (k8s-semantics.md section 5; pkg/quota/v1/evaluator/core/pods.go and
// plugin/pkg/admission/resourcequota/controller.go). Pure functions over model objects: the
// admission plugin, the quota controller and the conformance tests all call these.
//
// Usage is kept in exact Quantities (a memory request of "1m" is one thousandth of a byte and
// is charged as such), because quota messages print the values the user wrote.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/pod.hpp"
#include "model/workloads.hpp"

namespace gpusim {

inline constexpr std::string_view kScopeTerminating = "Terminating";
inline constexpr std::string_view kScopeNotTerminating = "NotTerminating";
inline constexpr std::string_view kScopeBestEffort = "BestEffort";
inline constexpr std::string_view kScopeNotBestEffort = "NotBestEffort";
inline constexpr std::string_view kScopePriorityClass = "PriorityClass";
inline constexpr std::string_view kScopeCrossNamespacePodAffinity = "CrossNamespacePodAffinity";
inline constexpr std::string_view kCountPods = "count/pods";

// What the pod evaluator reads besides the spec: the lifecycle facts that decide whether a pod
// still charges compute quota.
struct PodQuotaState {
  PodPhase phase = PodPhase::kPending;
  std::optional<TimeMs> deletion_ms;             // deletionTimestamp
  std::optional<std::int64_t> deletion_grace_s;  // deletionGracePeriodSeconds
};
PodQuotaState quota_state_of(const Pod& pod);

// QuotaV1Pod: false for terminal pods and pods past deletionTimestamp + grace period.
bool pod_charges_compute(const PodQuotaState& state, TimeMs now_ms);

// The usage a pod charges (5.1): count/pods always; pods, cpu/requests.cpu, limits.cpu, memory,
// ephemeral-storage, hugepages-* and requests.<extended> while it charges compute.
ResourceQuantities pod_quota_usage(const PodSpec& spec, const PodQuotaState& state, TimeMs now_ms);

// MatchingResources: the quota resource names the pod evaluator tracks.
bool pod_evaluator_tracks(std::string_view resource_name);
// upstream's standardQuotaResources, in its order; with hugepages-* and requests.hugepages-*
// they are the standard quota resource names (IsStandardQuotaResourceName).
const std::vector<std::string>& standard_quota_resource_names();
bool is_standard_quota_resource_name(std::string_view name);
std::vector<std::string> tracked_names(const ResourceQuantities& hard);

// The quota's scopes as selector requirements: spec.scopes (each "Exists") followed by
// scopeSelector.matchExpressions.
std::vector<ScopedResourceSelectorRequirement> quota_scope_selectors(const ResourceQuota& quota);
bool pod_matches_scope(const ScopedResourceSelectorRequirement& selector, const PodSpec& spec);
// MatchingScopes: the selectors, of those given, that the pod matches (in the given order).
std::vector<ScopedResourceSelectorRequirement> matching_scopes(
    const PodSpec& spec, const std::vector<ScopedResourceSelectorRequirement>& selectors);
// "Terminating", or "PriorityClass In [class1]" for selectors with values: for messages/tests.
std::string describe_scope(const ScopedResourceSelectorRequirement& selector);

// One pod as the evaluator sees it.
struct QuotaPodView {
  const PodSpec* spec = nullptr;
  PodQuotaState state;
};
// UsageStats: the summed usage of the pods that match every selector (not masked to any hard
// list; each name in `zero_names` is present even when nothing charges it).
ResourceQuantities usage_stats(const std::vector<ScopedResourceSelectorRequirement>& selectors,
                               const std::vector<QuotaPodView>& pods, TimeMs now_ms,
                               const std::vector<std::string>& zero_names = {});

// Matches: every scope matches and status.hard names at least one tracked resource.
bool quota_matches_pod(const ResourceQuota& quota, const PodSpec& spec);

// Constraints: with cpu or memory names among `required`, every container and init container
// must set them explicitly. Returns "must specify memory for: a,b; cpu for: c" or nullopt.
std::optional<std::string> pod_constraints_error(const std::vector<std::string>& required,
                                                 const PodSpec& spec);

// The outcome of an admission check of a pod CREATE.
struct QuotaDecision {
  bool allowed = true;
  std::string message;       // Forbidden reason without the `pods "x" is forbidden: ` prefix
  std::string failed_quota;  // name of the quota that rejected, if any
  // Indexes (into the input) of the quotas whose status.used was (or, for a dry run, would be)
  // charged, and what each was charged.
  std::vector<std::pair<std::size_t, ResourceQuantities>> charged;
};

// CheckRequest for a pod CREATE against the quotas of its namespace (in name order). On success
// and unless dry_run, each applicable quota's status_used is increased by what it was charged.
QuotaDecision check_pod_create(std::vector<ResourceQuota*>& quotas, const PodSpec& spec,
                               bool dry_run = false);

// Object count quota (ObjectCountEvaluator): "count/<resource>.<group>" charges 1 for every
// object of that resource in the namespace, whatever its state, from its CREATE until it is
// deleted. The API resource of each kind gpusim stores ("jobs.batch" for Job); nullopt for Pod
// (the pod evaluator counts pods) and for kinds gpusim does not keep.
std::optional<std::string_view> counted_resource(std::string_view kind);
// The kind whose objects `quota_name` ("count/jobs.batch") counts: the inverse of
// counted_resource (nullopt for count/pods and names of kinds gpusim does not keep).
std::optional<std::string_view> counted_kind(std::string_view quota_name);

// CheckRequest for the CREATE of one object of `resource` ("jobs.batch") against the quotas of
// its namespace (in name order): every quota whose status.hard limits count/<resource> must have
// room for one more. Quotas with scopes never match objects other than pods
// (MatchesNoScopeFunc). On success each such quota's status_used is charged.
QuotaDecision check_object_create(std::vector<ResourceQuota*>& quotas, std::string_view resource);

// prettyPrint: "k=v,k=v" sorted by name, canonical quantities.
std::string pretty_print(const ResourceQuantities& list);

// ValidateResourceQuota's scope rules (BestEffort only with pods, conflicting scope pairs,
// unknown scopes, selector operators). Messages are upstream's field errors.
std::vector<std::string> validate_resource_quota(const ResourceQuota& quota);

// Quota arithmetic (quota.Add, quota.Subtract, quota.Mask).
void add_usage(ResourceQuantities& into, const ResourceQuantities& usage);
void subtract_usage(ResourceQuantities& from, const ResourceQuantities& usage);
ResourceQuantities mask(const ResourceQuantities& list, const std::vector<std::string>& names);

}  // namespace gpusim
