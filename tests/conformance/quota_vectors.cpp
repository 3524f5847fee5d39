// Handlers for quota.yaml's ResourceQuota kinds: pod_usage, pod_constraints, matching_scopes,
// usage_stats, admission and quota_validation. (toleration_match and min_toleration_time are
// registered by the taint handlers.) Each runs the simulator's own code: the pod evaluator in
// model/quota_evaluator, and for admission the ResourceQuota admission plugin inside a Cluster.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "controllers/resource_quota_admission.hpp"
#include "core/event_loop.hpp"
#include "core/quantity.hpp"
#include "model/cluster.hpp"
#include "model/quota_evaluator.hpp"
#include "model_fields.hpp"

namespace gpusim::conformance {
namespace {

std::vector<std::string> string_list(const YAML::Node& map, std::string_view key) {
  std::vector<std::string> out;
  const YAML::Node n = field(map, key);
  if (!n.IsSequence()) throw VectorError("field '" + std::string(key) + "' must be a list");
  for (const auto& v : n)
    out.push_back(v.as<std::string>());
  return out;
}

Container container(const YAML::Node& c) {
  check_keys(c, {"name", "requests", "limits"});
  Container out;
  if (has_field(c, "name")) out.name = string_field(c, "name");
  out.resources.requests = resource_list(c["requests"], "requests");
  out.resources.limits = resource_list(c["limits"], "limits");
  return out;
}

// A pod in the vectors' shorthand (quota.yaml's header), plus its lifecycle state.
struct VectorPod {
  Pod pod;
  PodQuotaState state;
  TimeMs now_ms = 0;
};

VectorPod vector_pod(const YAML::Node& p) {
  check_keys(
      p, {"name", "containers", "init_containers", "overhead", "phase", "active_deadline_seconds",
          "priority_class", "deletion", "pod_affinity_required_namespaces"});
  VectorPod out;
  PodTemplate t;
  if (has_field(p, "containers")) {
    for (const auto& c : field(p, "containers"))
      t.spec.containers.push_back(container(c));
  }
  if (has_field(p, "init_containers")) {
    for (const auto& c : field(p, "init_containers")) {
      t.spec.init_containers.push_back(container(c));
    }
  }
  t.spec.overhead = resource_list(p["overhead"], "overhead");
  if (has_field(p, "active_deadline_seconds")) {
    t.spec.active_deadline_s = int_field(p, "active_deadline_seconds");
  }
  if (has_field(p, "priority_class"))
    t.spec.priority_class_name = string_field(p, "priority_class");
  if (has_field(p, "pod_affinity_required_namespaces")) {
    PodAffinityTerm term;
    term.namespaces = string_list(p, "pod_affinity_required_namespaces");
    term.topology_key = "kubernetes.io/hostname";
    t.spec.affinity.pod_affinity = PodAffinity{};
    t.spec.affinity.pod_affinity->required.push_back(term);
  }
  out.pod.name = has_field(p, "name") ? string_field(p, "name") : "pod";
  out.pod.namespace_ = "test";
  out.pod.tmpl = make_template(std::move(t));

  out.state.phase = PodPhase::kRunning;
  if (has_field(p, "phase")) {
    const std::string phase = string_field(p, "phase");
    if (phase == "Pending") {
      out.state.phase = PodPhase::kPending;
    } else if (phase == "Running") {
      out.state.phase = PodPhase::kRunning;
    } else if (phase == "Succeeded") {
      out.state.phase = PodPhase::kSucceeded;
    } else if (phase == "Failed") {
      out.state.phase = PodPhase::kFailed;
    } else {
      throw VectorError("unknown phase '" + phase + "'");
    }
  }
  out.now_ms = 1'000'000;
  if (has_field(p, "deletion")) {
    const YAML::Node d = field(p, "deletion");
    check_keys(d, {"grace_period_s", "deleted_ago_s"});
    out.state.deletion_grace_s = int_field(d, "grace_period_s");
    out.state.deletion_ms = out.now_ms - int_field(d, "deleted_ago_s") * 1000;
  }
  return out;
}

SelectorOperator scope_operator(const std::string& op) {
  if (op == "In") return SelectorOperator::kIn;
  if (op == "NotIn") return SelectorOperator::kNotIn;
  if (op == "Exists") return SelectorOperator::kExists;
  if (op == "DoesNotExist") return SelectorOperator::kDoesNotExist;
  throw VectorError("unknown scope selector operator '" + op + "'");
}

std::vector<ScopedResourceSelectorRequirement> scope_selector(const YAML::Node& list) {
  std::vector<ScopedResourceSelectorRequirement> out;
  if (!list.IsDefined() || list.IsNull()) return out;
  for (const auto& s : list) {
    check_keys(s, {"scope", "operator", "values"});
    ScopedResourceSelectorRequirement r;
    r.scope_name = string_field(s, "scope");
    r.op = scope_operator(string_field(s, "operator"));
    if (has_field(s, "values")) r.values = string_list(s, "values");
    out.push_back(std::move(r));
  }
  return out;
}

ResourceQuota vector_quota(const YAML::Node& q) {
  check_keys(q, {"name", "scopes", "scope_selector", "hard", "used"});
  ResourceQuota out;
  out.meta.name = has_field(q, "name") ? string_field(q, "name") : "quota";
  out.meta.namespace_ = "test";
  if (has_field(q, "scopes")) out.scopes = string_list(q, "scopes");
  out.scope_selector = scope_selector(q["scope_selector"]);
  out.hard = resource_list(q["hard"], "hard");
  out.status_hard = out.hard;
  out.status_used = resource_list(q["used"], "used");
  return out;
}

// Compares by value, name by name; both sides must list the same names.
void expect_same_usage(const ResourceQuantities& got, const ResourceQuantities& want,
                       const std::string& what) {
  for (const auto& [name, q] : want) {
    auto it = got.find(name);
    if (it == got.end()) {
      ADD_FAILURE() << what << ": missing " << name;
    } else {
      EXPECT_TRUE(it->second == q)
          << what << ": " << name << " is " << it->second.str() << ", want " << q.str();
    }
  }
  for (const auto& [name, q] : got) {
    if (!want.count(name)) ADD_FAILURE() << what << ": unexpected " << name << "=" << q.str();
  }
}

void check_pod_usage(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"pod"});
  check_keys(expect, {"usage"});
  const VectorPod p = vector_pod(field(input, "pod"));
  const ResourceQuantities got = pod_quota_usage(p.pod.spec(), p.state, p.now_ms);
  const ResourceQuantities want = resource_list(field(expect, "usage"), "usage");
  // Values compare by value ("1100m" == "1.1"), so compare entries rather than printed text.
  ASSERT_EQ(got.size(), want.size()) << "got " << pretty_print(got);
  for (const auto& [name, q] : want) {
    auto it = got.find(name);
    ASSERT_TRUE(it != got.end()) << "missing " << name << " in " << pretty_print(got);
    EXPECT_TRUE(it->second == q) << name << " is " << it->second.str() << ", want " << q.str();
  }
}

void check_pod_constraints(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"required", "pod"});
  check_keys(expect, {"error"});
  const VectorPod p = vector_pod(field(input, "pod"));
  const auto err = pod_constraints_error(string_list(input, "required"), p.pod.spec());
  const YAML::Node want = field(expect, "error");
  if (want.IsNull()) {
    EXPECT_FALSE(err.has_value()) << *err;
  } else {
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(*err, want.as<std::string>());
  }
}

// "Terminating" or "PriorityClass In [class1]" (describe_scope's spelling) into a selector.
ScopedResourceSelectorRequirement parse_scope(const std::string& text) {
  ScopedResourceSelectorRequirement r;
  const auto sp = text.find(' ');
  if (sp == std::string::npos) {
    r.scope_name = text;
    r.op = SelectorOperator::kExists;
    return r;
  }
  r.scope_name = text.substr(0, sp);
  std::string rest = text.substr(sp + 1);
  const auto sp2 = rest.find(' ');
  r.op = scope_operator(rest.substr(0, sp2));
  if (sp2 != std::string::npos) {
    std::string values = rest.substr(sp2 + 1);
    if (values.size() < 2 || values.front() != '[' || values.back() != ']') {
      throw VectorError("bad scope values in '" + text + "'");
    }
    values = values.substr(1, values.size() - 2);
    std::size_t start = 0;
    while (start <= values.size()) {
      const auto comma = values.find(',', start);
      r.values.push_back(values.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return r;
}

void check_matching_scopes(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"pod", "candidates"});
  check_keys(expect, {"matched"});
  const VectorPod p = vector_pod(field(input, "pod"));
  std::vector<ScopedResourceSelectorRequirement> candidates;
  if (has_field(input, "candidates")) {
    for (const auto& c : string_list(input, "candidates"))
      candidates.push_back(parse_scope(c));
  } else {
    // The upstream test's default list.
    for (const char* c : {"Terminating", "NotTerminating", "BestEffort", "NotBestEffort",
                          "PriorityClass In [class1]", "CrossNamespacePodAffinity"}) {
      candidates.push_back(parse_scope(c));
    }
  }
  std::vector<std::string> got;
  for (const auto& s : matching_scopes(p.pod.spec(), candidates))
    got.push_back(describe_scope(s));
  EXPECT_EQ(got, string_list(expect, "matched"));
}

void check_usage_stats(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"scopes", "scope_selector", "pods"});
  check_keys(expect, {"used"});
  ResourceQuota q;
  if (has_field(input, "scopes")) q.scopes = string_list(input, "scopes");
  q.scope_selector = scope_selector(input["scope_selector"]);
  std::vector<VectorPod> pods;
  for (const auto& p : field(input, "pods"))
    pods.push_back(vector_pod(p));
  std::vector<QuotaPodView> views;
  for (const auto& p : pods)
    views.push_back(QuotaPodView{&p.pod.spec(), p.state});
  const ResourceQuantities got =
      usage_stats(quota_scope_selectors(q), views, pods.empty() ? 0 : pods.front().now_ms);
  expect_same_usage(got, resource_list(field(expect, "used"), "used"), "used");
}

// Runs the admission plugin inside a Cluster, as the simulation does; a dry run has no API
// path in the simulation, so it calls the same check the plugin makes, without recording.
void check_admission(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"quotas", "pod", "dry_run"});
  check_keys(expect, {"allowed", "message", "full_error", "used_after"});
  EventLoop loop;
  Cluster cluster(loop, 1);
  ctrl::ResourceQuotaAdmission plugin(cluster);
  cluster.add_admission(&plugin);
  for (const auto& qn : field(input, "quotas")) {
    ResourceQuota q = vector_quota(qn);
    cluster.quotas[q.meta.key()] = q;
  }
  VectorPod p = vector_pod(field(input, "pod"));
  const bool dry_run = has_field(input, "dry_run") && bool_field(input, "dry_run");
  bool allowed = false;
  std::string message;
  std::string full_error;
  if (dry_run) {
    std::vector<ResourceQuota*> quotas = ctrl::quotas_in_namespace(cluster, "test");
    const QuotaDecision d = check_pod_create(quotas, p.pod.spec(), /*dry_run=*/true);
    allowed = d.allowed;
    message = d.message;
    full_error = "pods \"" + p.pod.name + "\" is forbidden: " + d.message;
  } else {
    const CreateResult r = cluster.create_pod(p.pod);
    allowed = r.ok();
    full_error = r.error;
    const std::string prefix = "pods \"" + p.pod.name + "\" is forbidden: ";
    if (!allowed) {
      ASSERT_EQ(r.error.rfind(prefix, 0), 0u) << r.error;
      message = r.error.substr(prefix.size());
    }
  }
  EXPECT_EQ(allowed, bool_field(expect, "allowed")) << message;
  if (has_field(expect, "message")) {
    EXPECT_EQ(message, string_field(expect, "message"));
  }
  if (has_field(expect, "full_error")) {
    EXPECT_EQ(full_error, string_field(expect, "full_error"));
  }
  if (has_field(expect, "used_after")) {
    for (const auto& kv : field(expect, "used_after")) {
      const std::string name = kv.first.as<std::string>();
      auto it = cluster.quotas.find("test/" + name);
      ASSERT_TRUE(it != cluster.quotas.end()) << "no quota " << name;
      expect_same_usage(it->second.status_used, resource_list(kv.second, "used_after." + name),
                        "used_after." + name);
    }
  }
}

void check_quota_validation(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"scopes", "scope_selector", "hard"});
  check_keys(expect, {"valid", "error_contains"});
  ResourceQuota q;
  q.meta.name = "quota";
  q.meta.namespace_ = "test";
  if (has_field(input, "scopes")) q.scopes = string_list(input, "scopes");
  q.scope_selector = scope_selector(input["scope_selector"]);
  q.hard = resource_list(input["hard"], "hard");
  const std::vector<std::string> errors = validate_resource_quota(q);
  std::string all;
  for (const auto& e : errors)
    all += e + "\n";
  EXPECT_EQ(errors.empty(), bool_field(expect, "valid")) << all;
  if (has_field(expect, "error_contains")) {
    EXPECT_NE(all.find(string_field(expect, "error_contains")), std::string::npos) << all;
  }
}

}  // namespace

void register_quota_handlers(HandlerRegistry& registry) {
  registry.add("pod_usage", check_pod_usage);
  registry.add("pod_constraints", check_pod_constraints);
  registry.add("matching_scopes", check_matching_scopes);
  registry.add("usage_stats", check_usage_stats);
  registry.add("admission", check_admission);
  registry.add("quota_validation", check_quota_validation);
}

}  // namespace gpusim::conformance
