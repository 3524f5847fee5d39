#include "model/quota_evaluator.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "model/pod_resources.hpp"

namespace gpusim {
namespace {

constexpr std::string_view kRequestsPrefix = "requests.";
constexpr std::string_view kLimitsPrefix = "limits.";

// podResources in pods.go: the names the evaluator charges besides prefixed ones.
const std::set<std::string, std::less<>>& pod_resources() {
  static const std::set<std::string, std::less<>> names{
      "cpu",          "memory",          "ephemeral-storage",
      "requests.cpu", "requests.memory", "requests.ephemeral-storage",
      "limits.cpu",   "limits.memory",   "limits.ephemeral-storage",
      "pods",         "count/pods"};
  return names;
}

// The names whose presence makes every container state them (Constraints' validationSet).
const std::set<std::string, std::less<>>& validation_set() {
  static const std::set<std::string, std::less<>> names{
      "cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"};
  return names;
}

bool is_standard_scope(std::string_view scope) {
  return scope == kScopeTerminating || scope == kScopeNotTerminating || scope == kScopeBestEffort ||
         scope == kScopeNotBestEffort || scope == kScopePriorityClass ||
         scope == kScopeCrossNamespacePodAffinity;
}

// IsResourceQuotaScopeValidForResource.
bool scope_valid_for_resource(std::string_view scope, std::string_view resource) {
  const bool object_count = resource == "pods";
  const bool compute = resource == "cpu" || resource == "memory" || resource == "limits.cpu" ||
                       resource == "limits.memory" || resource == "requests.cpu" ||
                       resource == "requests.memory";
  if (scope == kScopeBestEffort) return object_count;
  if (scope == kScopeTerminating || scope == kScopeNotTerminating || scope == kScopeNotBestEffort ||
      scope == kScopePriorityClass || scope == kScopeCrossNamespacePodAffinity) {
    return object_count || compute;
  }
  return true;
}

// Quota names that must hold whole numbers (isIntegerResourceName).
bool is_integer_quota_name(std::string_view name) {
  static const std::set<std::string, std::less<>> names{"pods",
                                                        "services",
                                                        "replicationcontrollers",
                                                        "resourcequotas",
                                                        "secrets",
                                                        "configmaps",
                                                        "persistentvolumeclaims",
                                                        "services.loadbalancers",
                                                        "services.nodeports"};
  if (names.count(name) || name.starts_with("count/")) return true;
  if (name.starts_with(kRequestsPrefix)) {
    return is_extended_resource(name.substr(kRequestsPrefix.size()));
  }
  return is_extended_resource(name);
}

bool terminating(const PodSpec& spec) {
  return spec.active_deadline_s && *spec.active_deadline_s >= 0;
}

bool cross_namespace_terms(const std::optional<PodAffinity>& a) {
  if (!a) return false;
  auto cross = [](const PodAffinityTerm& t) {
    return !t.namespaces.empty() || t.namespace_selector.has_value();
  };
  for (const auto& t : a->required) {
    if (cross(t)) return true;
  }
  for (const auto& w : a->preferred) {
    if (cross(w.term)) return true;
  }
  return false;
}

// podComputeUsageHelper over one requests/limits pair.
ResourceQuantities compute_usage(const ResourceQuantities& requests,
                                 const ResourceQuantities& limits) {
  ResourceQuantities out;
  out["pods"] = Quantity::from_int(1);
  for (std::string_view name : {kCpu, kMemory, kEphemeralStorage}) {
    if (auto it = requests.find(name); it != requests.end()) {
      out[std::string(name)] = it->second;
      out[std::string(kRequestsPrefix) + std::string(name)] = it->second;
    }
    if (auto it = limits.find(name); it != limits.end()) {
      out[std::string(kLimitsPrefix) + std::string(name)] = it->second;
    }
  }
  for (const auto& [name, q] : requests) {
    if (is_hugepages(name)) {
      out[name] = q;
      out[std::string(kRequestsPrefix) + name] = q;
    }
    if (is_extended_resource(name)) out[std::string(kRequestsPrefix) + name] = q;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i ? ", \"" : "\"") + values[i] + "\"";
  }
  return out + "]";
}

}  // namespace

const std::vector<std::string>& standard_quota_resource_names() {
  // upstream's standardQuotaResources (pkg/apis/core/helper), in its order.
  static const std::vector<std::string> names{"cpu",
                                              "memory",
                                              "ephemeral-storage",
                                              "requests.cpu",
                                              "requests.memory",
                                              "requests.storage",
                                              "requests.ephemeral-storage",
                                              "limits.cpu",
                                              "limits.memory",
                                              "limits.ephemeral-storage",
                                              "pods",
                                              "resourcequotas",
                                              "services",
                                              "replicationcontrollers",
                                              "secrets",
                                              "persistentvolumeclaims",
                                              "configmaps",
                                              "services.nodeports",
                                              "services.loadbalancers"};
  return names;
}

bool is_standard_quota_resource_name(std::string_view name) {
  const auto& names = standard_quota_resource_names();
  return std::find(names.begin(), names.end(), name) != names.end() ||
         name.starts_with("hugepages-") || name.starts_with("requests.hugepages-");
}

PodQuotaState quota_state_of(const Pod& pod) {
  PodQuotaState s;
  s.phase = pod.status.phase;
  s.deletion_ms = pod.deletion_ms;
  s.deletion_grace_s = pod.status.deletion_grace_s;
  return s;
}

bool pod_charges_compute(const PodQuotaState& state, TimeMs now_ms) {
  if (state.phase == PodPhase::kSucceeded || state.phase == PodPhase::kFailed) return false;
  if (state.deletion_ms && state.deletion_grace_s) {
    // now.After(deletionTimestamp + grace): strictly later.
    if (now_ms > *state.deletion_ms + *state.deletion_grace_s * 1000) return false;
  }
  return true;
}

ResourceQuantities pod_quota_usage(const PodSpec& spec, const PodQuotaState& state, TimeMs now_ms) {
  ResourceQuantities out;
  out[std::string(kCountPods)] = Quantity::from_int(1);
  if (!pod_charges_compute(state, now_ms)) return out;
  add_usage(out, compute_usage(effective_requests(spec), effective_limits(spec)));
  return out;
}

bool pod_evaluator_tracks(std::string_view name) {
  if (pod_resources().count(name)) return true;
  if (name.starts_with("hugepages-") || name.starts_with("requests.hugepages-")) return true;
  // Extended resources only in their requests.<name> form.
  return name.starts_with(kRequestsPrefix) &&
         is_extended_resource(name.substr(kRequestsPrefix.size()));
}

std::vector<std::string> tracked_names(const ResourceQuantities& hard) {
  std::vector<std::string> out;
  for (const auto& [name, q] : hard) {
    if (pod_evaluator_tracks(name)) out.push_back(name);
  }
  return out;
}

std::vector<ScopedResourceSelectorRequirement> quota_scope_selectors(const ResourceQuota& quota) {
  std::vector<ScopedResourceSelectorRequirement> out;
  for (const auto& s : quota.scopes) {
    out.push_back(ScopedResourceSelectorRequirement{s, SelectorOperator::kExists, {}});
  }
  for (const auto& s : quota.scope_selector)
    out.push_back(s);
  return out;
}

bool pod_matches_scope(const ScopedResourceSelectorRequirement& selector, const PodSpec& spec) {
  const std::string& scope = selector.scope_name;
  // Upstream ignores the operator for every scope but PriorityClass (validation only allows
  // Exists there).
  if (scope == kScopeTerminating) return terminating(spec);
  if (scope == kScopeNotTerminating) return !terminating(spec);
  if (scope == kScopeBestEffort) return qos_class(spec) == QosClass::kBestEffort;
  if (scope == kScopeNotBestEffort) return qos_class(spec) != QosClass::kBestEffort;
  if (scope == kScopeCrossNamespacePodAffinity) {
    return cross_namespace_terms(spec.affinity.pod_affinity) ||
           cross_namespace_terms(spec.affinity.pod_anti_affinity);
  }
  if (scope == kScopePriorityClass) {
    if (selector.op == SelectorOperator::kExists) return !spec.priority_class_name.empty();
    // A label selector over the one-entry set {PriorityClass: <name>}: the key is always
    // present, so DoesNotExist never matches (as upstream).
    Labels set{{std::string(kScopePriorityClass), spec.priority_class_name}};
    SelectorRequirement req{std::string(kScopePriorityClass), selector.op, selector.values};
    return requirement_matches(req, set);
  }
  return false;
}

std::vector<ScopedResourceSelectorRequirement> matching_scopes(
    const PodSpec& spec, const std::vector<ScopedResourceSelectorRequirement>& selectors) {
  std::vector<ScopedResourceSelectorRequirement> out;
  for (const auto& s : selectors) {
    if (pod_matches_scope(s, spec)) out.push_back(s);
  }
  return out;
}

std::string describe_scope(const ScopedResourceSelectorRequirement& selector) {
  if (selector.values.empty() && selector.op == SelectorOperator::kExists) {
    return selector.scope_name;
  }
  std::string out = selector.scope_name + " " + to_string(selector.op);
  if (!selector.values.empty()) out += " [" + join(selector.values, ",") + "]";
  return out;
}

ResourceQuantities usage_stats(const std::vector<ScopedResourceSelectorRequirement>& selectors,
                               const std::vector<QuotaPodView>& pods, TimeMs now_ms,
                               const std::vector<std::string>& zero_names) {
  ResourceQuantities used;
  for (const auto& n : zero_names)
    used[n] = Quantity{};
  for (const auto& p : pods) {
    bool match = true;
    for (const auto& s : selectors)
      match = match && pod_matches_scope(s, *p.spec);
    if (match) add_usage(used, pod_quota_usage(*p.spec, p.state, now_ms));
  }
  return used;
}

bool quota_matches_pod(const ResourceQuota& quota, const PodSpec& spec) {
  if (tracked_names(quota.status_hard).empty()) return false;
  for (const auto& s : quota_scope_selectors(quota)) {
    if (!pod_matches_scope(s, spec)) return false;
  }
  return true;
}

std::optional<std::string> pod_constraints_error(const std::vector<std::string>& required,
                                                 const PodSpec& spec) {
  std::set<std::string> required_set;
  for (const auto& r : required) {
    if (validation_set().count(r)) required_set.insert(r);
  }
  if (required_set.empty()) return std::nullopt;
  std::map<std::string, std::set<std::string>> missing;  // resource -> container names
  auto visit = [&](const Container& c) {
    const ResourceQuantities usage = compute_usage(c.resources.requests, c.resources.limits);
    for (const auto& r : required_set) {
      if (!usage.count(r)) missing[r].insert(c.name);
    }
  };
  for (const auto& c : spec.containers)
    visit(c);
  for (const auto& c : spec.init_containers)
    visit(c);
  if (missing.empty()) return std::nullopt;
  std::vector<std::string> parts;
  for (const auto& [resource, names] : missing) {
    parts.push_back(resource +
                    " for: " + join(std::vector<std::string>(names.begin(), names.end()), ","));
  }
  return "must specify " + join(parts, "; ");
}

std::string pretty_print(const ResourceQuantities& list) {
  std::vector<std::string> parts;
  for (const auto& [name, q] : list)
    parts.push_back(name + "=" + q.str());
  return join(parts, ",");
}

void add_usage(ResourceQuantities& into, const ResourceQuantities& usage) {
  for (const auto& [name, q] : usage) {
    auto it = into.find(name);
    if (it == into.end()) {
      into.emplace(name, q);
    } else {
      it->second += q;
    }
  }
}

void subtract_usage(ResourceQuantities& from, const ResourceQuantities& usage) {
  for (const auto& [name, q] : usage) {
    auto it = from.find(name);
    if (it == from.end()) {
      from.emplace(name, -q);
    } else {
      it->second -= q;
    }
  }
}

ResourceQuantities mask(const ResourceQuantities& list, const std::vector<std::string>& names) {
  ResourceQuantities out;
  for (const auto& n : names) {
    if (auto it = list.find(n); it != list.end()) out.emplace(n, it->second);
  }
  return out;
}

QuotaDecision check_pod_create(std::vector<ResourceQuota*>& quotas, const PodSpec& spec,
                               bool dry_run) {
  QuotaDecision d;
  std::vector<std::size_t> interesting;
  for (std::size_t i = 0; i < quotas.size(); ++i) {
    const ResourceQuota& q = *quotas[i];
    if (!quota_matches_pod(q, spec)) continue;
    const std::vector<std::string> required = tracked_names(q.status_hard);
    if (auto err = pod_constraints_error(required, spec)) {
      d.allowed = false;
      d.failed_quota = q.meta.name;
      d.message = "failed quota: " + q.meta.name + ": " + *err;
      return d;
    }
    for (const auto& name : required) {
      if (!q.status_used.count(name)) {
        d.allowed = false;
        d.failed_quota = q.meta.name;
        d.message =
            "status unknown for quota: " + q.meta.name + ", resources: " + join(required, ",");
        return d;
      }
    }
    interesting.push_back(i);
  }
  if (interesting.empty()) return d;

  // A CREATE is a fresh Pending pod: it charges everything it requests.
  ResourceQuantities delta = pod_quota_usage(spec, PodQuotaState{}, 0);
  for (auto it = delta.begin(); it != delta.end();) {
    it = it->second.is_zero() ? delta.erase(it) : std::next(it);
  }
  if (delta.empty()) return d;

  std::vector<std::pair<std::size_t, ResourceQuantities>> charges;
  for (std::size_t i : interesting) {
    const ResourceQuota& q = *quotas[i];
    std::vector<std::string> hard_names;
    for (const auto& [name, v] : q.status_hard)
      hard_names.push_back(name);
    const ResourceQuantities requested = mask(delta, hard_names);
    std::vector<std::string> exceeded;
    for (const auto& [name, amount] : requested) {
      auto used = q.status_used.find(name);
      const Quantity next = used == q.status_used.end() ? amount : used->second + amount;
      auto hard = q.status_hard.find(name);
      if (hard != q.status_hard.end() && next > hard->second) exceeded.push_back(name);
    }
    if (!exceeded.empty()) {
      d.allowed = false;
      d.failed_quota = q.meta.name;
      d.message = "exceeded quota: " + q.meta.name +
                  ", requested: " + pretty_print(mask(requested, exceeded)) +
                  ", used: " + pretty_print(mask(q.status_used, exceeded)) +
                  ", limited: " + pretty_print(mask(q.status_hard, exceeded));
      return d;
    }
    charges.emplace_back(i, requested);
  }
  if (!dry_run) {
    for (const auto& [i, requested] : charges)
      add_usage(quotas[i]->status_used, requested);
  }
  d.charged = std::move(charges);
  return d;
}

namespace {
// The kinds gpusim stores and their API resources.
constexpr std::pair<std::string_view, std::string_view> kCountedResources[] = {
    {"Deployment", "deployments.apps"},
    {"ReplicaSet", "replicasets.apps"},
    {"Job", "jobs.batch"},
    {"CronJob", "cronjobs.batch"},
    {"HorizontalPodAutoscaler", "horizontalpodautoscalers.autoscaling"},
    {"PodDisruptionBudget", "poddisruptionbudgets.policy"},
    {"PyTorchJob", "pytorchjobs.kubeflow.org"},
};
}  // namespace

std::optional<std::string_view> counted_resource(std::string_view kind) {
  for (const auto& [k, resource] : kCountedResources) {
    if (k == kind) return resource;
  }
  return std::nullopt;
}

std::optional<std::string_view> counted_kind(std::string_view quota_name) {
  if (!quota_name.starts_with("count/")) return std::nullopt;
  for (const auto& [kind, resource] : kCountedResources) {
    if (quota_name.substr(6) == resource) return kind;
  }
  return std::nullopt;
}

QuotaDecision check_object_create(std::vector<ResourceQuota*>& quotas, std::string_view resource) {
  QuotaDecision d;
  const std::string name = "count/" + std::string(resource);
  const ResourceQuantities requested{{name, Quantity::from_int(1)}};
  std::vector<std::pair<std::size_t, ResourceQuantities>> charges;
  for (std::size_t i = 0; i < quotas.size(); ++i) {
    const ResourceQuota& q = *quotas[i];
    if (!quota_scope_selectors(q).empty()) continue;
    auto hard = q.status_hard.find(name);
    if (hard == q.status_hard.end()) continue;
    auto used = q.status_used.find(name);
    if (used == q.status_used.end()) {
      d.allowed = false;
      d.failed_quota = q.meta.name;
      d.message = "status unknown for quota: " + q.meta.name + ", resources: " + name;
      return d;
    }
    if (used->second + requested.begin()->second > hard->second) {
      d.allowed = false;
      d.failed_quota = q.meta.name;
      d.message = "exceeded quota: " + q.meta.name + ", requested: " + pretty_print(requested) +
                  ", used: " + pretty_print(mask(q.status_used, {name})) +
                  ", limited: " + pretty_print(mask(q.status_hard, {name}));
      return d;
    }
    charges.emplace_back(i, requested);
  }
  for (const auto& [i, r] : charges)
    add_usage(quotas[i]->status_used, r);
  d.charged = std::move(charges);
  return d;
}

std::vector<std::string> validate_resource_quota(const ResourceQuota& quota) {
  std::vector<std::string> errs;
  for (const auto& [name, q] : quota.hard) {
    const std::string path = "spec.hard[" + name + "]";
    if (q.sign() < 0) {
      errs.push_back(path + ": Invalid value: \"" + q.str() +
                     "\": must be greater than or equal to 0");
    } else if (is_integer_quota_name(name) && q.nanos() % 1'000'000'000 != 0) {
      errs.push_back(path + ": Invalid value: \"" + q.str() + "\": must be an integer");
    }
  }
  auto check_pairs = [&](const std::set<std::string>& scopes, const std::string& path,
                         const std::string& shown) {
    const bool best = scopes.count(std::string(kScopeBestEffort)) &&
                      scopes.count(std::string(kScopeNotBestEffort));
    const bool term = scopes.count(std::string(kScopeTerminating)) &&
                      scopes.count(std::string(kScopeNotTerminating));
    if (best || term) errs.push_back(path + ": Invalid value: " + shown + ": conflicting scopes");
  };
  if (!quota.scopes.empty()) {
    const std::string path = "spec.scopes";
    const std::string shown = quoted_list(quota.scopes);
    std::set<std::string> seen;
    for (const auto& scope : quota.scopes) {
      if (!is_standard_scope(scope)) {
        errs.push_back(path + ": Invalid value: " + shown + ": unsupported scope");
      }
      for (const auto& [name, q] : quota.hard) {
        if (is_standard_quota_resource_name(name) && !scope_valid_for_resource(scope, name)) {
          errs.push_back(path + ": Invalid value: " + shown +
                         ": unsupported scope applied to resource");
        }
      }
      seen.insert(scope);
    }
    check_pairs(seen, path, shown);
  }
  if (!quota.scope_selector.empty()) {
    const std::string path = "spec.scopeSelector.matchExpressions";
    std::set<std::string> seen;
    for (std::size_t i = 0; i < quota.scope_selector.size(); ++i) {
      const auto& req = quota.scope_selector[i];
      const std::string at = path + "[" + std::to_string(i) + "]";
      if (!is_standard_scope(req.scope_name)) {
        errs.push_back(at + ".scopeName: Invalid value: \"" + req.scope_name +
                       "\": unsupported scope");
      }
      for (const auto& [name, q] : quota.hard) {
        if (is_standard_quota_resource_name(name) &&
            !scope_valid_for_resource(req.scope_name, name)) {
          errs.push_back(at + ": Invalid value: \"" + req.scope_name +
                         "\": unsupported scope applied to resource");
        }
      }
      const bool exists_only =
          req.scope_name != kScopePriorityClass && is_standard_scope(req.scope_name);
      if (exists_only && req.op != SelectorOperator::kExists) {
        errs.push_back(
            at + ".operator: Invalid value: \"" + std::string(to_string(req.op)) +
            "\": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, "
            "ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, "
            "ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity");
      }
      switch (req.op) {
        case SelectorOperator::kIn:
        case SelectorOperator::kNotIn:
          if (req.values.empty()) {
            errs.push_back(at +
                           ".values: Required value: must be at least one value when "
                           "`operator` is 'In' or 'NotIn' for scope selector");
          }
          break;
        case SelectorOperator::kExists:
        case SelectorOperator::kDoesNotExist:
          if (!req.values.empty()) {
            errs.push_back(at + ".values: Invalid value: " + quoted_list(req.values) +
                           ": must be no value when `operator` is 'Exist' or 'DoesNotExist' for "
                           "scope selector");
          }
          break;
        default:
          errs.push_back(at + ".operator: Invalid value: \"" + std::string(to_string(req.op)) +
                         "\": not a valid selector operator");
      }
      if (req.op == SelectorOperator::kExists) seen.insert(req.scope_name);
    }
    check_pairs(seen, path, "\"scopeSelector\"");
  }
  return errs;
}

}  // namespace gpusim
