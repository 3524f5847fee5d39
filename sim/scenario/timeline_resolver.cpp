#include "scenario/timeline_resolver.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>

#include "core/duration.hpp"
#include "core/split.hpp"
#include "engine/timeline.hpp"
#include "scenario/document.hpp"
#include "scenario/object_parser.hpp"
#include "scenario/value.hpp"

namespace gpusim::scenario {
namespace {

// Lists that strategic merge patches merge element by element, and the key that matches them.
const char* merge_key(const std::string& field) {
  if (field == "containers" || field == "initContainers" || field == "env" || field == "volumes" ||
      field == "imagePullSecrets") {
    return "name";
  }
  if (field == "volumeMounts") return "mountPath";
  if (field == "ports") return "containerPort";
  return nullptr;
}

bool same_key(const YAML::Node& a, const YAML::Node& b, const char* key) {
  return a.IsMap() && b.IsMap() && a[key].IsScalar() && b[key].IsScalar() &&
         a[key].Scalar() == b[key].Scalar();
}

void error_at(Diagnostics& d, const engine::TimelineEvent& e, const std::string& message,
              const std::string& hint = {}) {
  d.error(e.source, "spec.timeline", message, hint);
}

// Every param is one the action reads, with a value it can read: the engine reads a value it
// cannot parse as absent, so a typo would otherwise change the run silently.
void check_params(Diagnostics& d, const engine::TimelineEvent& e) {
  const std::vector<engine::TimelineParam>& known = engine::timeline_params(e.action);
  for (const auto& param : e.params) {
    const std::string& name = param.first;
    const std::string& value = param.second;
    auto it = std::find_if(known.begin(), known.end(),
                           [&name](const engine::TimelineParam& p) { return p.name == name; });
    if (it == known.end()) {
      std::vector<std::string> names;
      std::string listed;
      for (const engine::TimelineParam& p : known) {
        names.push_back(p.name);
        listed += (listed.empty() ? "" : ", ") + p.name;
      }
      const std::string near = closest_match(name, names);
      d.warning(e.source, "spec.timeline", e.action + ": unknown param \"" + name + "\" (ignored)",
                !near.empty()   ? "did you mean \"" + near + "\"?"
                : names.empty() ? e.action + " takes no params"
                                : e.action + " reads " + listed);
      continue;
    }
    if (engine::valid_timeline_param(it->type, value)) continue;
    using T = engine::TimelineParam::Type;
    const char* want = it->type == T::kDuration ? "a duration such as 90s, 10m or 1h30m"
                       : it->type == T::kBool   ? "true or false"
                                                : "unreachable or notReady";
    error_at(d, e, e.action + ": params." + name + " \"" + value + "\" is not " + want);
  }
}

bool is_deployment_kind(const std::string& k) {
  return k == "Deployment" || k == "deployment" || k == "deployments" || k == "deploy";
}

// The same target syntax as engine::Timeline: Deployment/ns/name, deployment/name, ns/name, name.
std::string deployment_key(const std::string& target) {
  const std::vector<std::string> parts = split(target, '/');
  if (parts.size() == 3 && is_deployment_kind(parts[0])) return parts[1] + "/" + parts[2];
  if (parts.size() == 2) {
    return is_deployment_kind(parts[0]) ? "default/" + parts[1] : parts[0] + "/" + parts[1];
  }
  if (parts.size() == 1) return "default/" + parts[0];
  return {};
}

YAML::Node find_container(YAML::Node pod_spec, const std::string& name) {
  for (const char* list : {"containers", "initContainers"}) {
    YAML::Node l = pod_spec[list];
    if (!l.IsSequence()) continue;
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (l[i].IsMap() && l[i]["name"].IsScalar() && l[i]["name"].Scalar() == name) return l[i];
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// Two timeline entries contradict each other when they set one thing two ways at the same
// instant: the run would follow file order, which is rarely what the author meant.
const char* opposite_node_actions(const std::string& a, const std::string& b) {
  static const std::pair<const char*, const char*> kPairs[] = {
      {"cordon", "uncordon"}, {"drain", "uncordon"},  {"fail", "recover"},
      {"remove", "recover"},  {"remove", "uncordon"}, {"stockOut", "restock"}};
  for (const auto& [x, y] : kPairs) {
    if ((a == x && b == y) || (a == y && b == x)) return x;
  }
  return nullptr;
}

std::string strip_kind(const std::string& t) {
  return t.rfind("node/", 0) == 0 || t.rfind("pool/", 0) == 0 ? t.substr(5) : t;
}

std::string param(const engine::TimelineEvent& e, const char* key) {
  auto it = e.params.find(key);
  return it == e.params.end() ? std::string() : it->second;
}

// Whether node action targets `a` and `b` can name one node: equal, or a pool and one of its nodes.
bool same_node_target(const std::string& a, const std::string& b,
                      const std::map<std::string, std::string>& pool_of_node) {
  if (a == b) return true;
  auto pa = pool_of_node.find(a);
  auto pb = pool_of_node.find(b);
  return (pa != pool_of_node.end() && pa->second == b) ||
         (pb != pool_of_node.end() && pb->second == a);
}

// Returns why `e` contradicts the earlier entry `first`, or an empty string.
std::string conflict(const engine::TimelineEvent& first, const engine::TimelineEvent& e,
                     const std::map<std::string, std::string>& pool_of_node) {
  const bool workload = e.action == "setImage" || e.action == "scale";
  if (workload) {
    if (first.action != e.action) return {};
    const std::string key = deployment_key(e.target);
    if (key.empty() || key != deployment_key(first.target)) return {};
    if (e.action == "setImage" && param(first, "container") == param(e, "container") &&
        param(first, "image") != param(e, "image")) {
      const std::string c = param(e, "container");
      return "setImage sets " + (c.empty() ? std::string("the image") : "container \"" + c + "\"") +
             " of Deployment " + key + " to both \"" + param(first, "image") + "\" and \"" +
             param(e, "image") + "\"";
    }
    if (e.action == "scale" && param(first, "replicas") != param(e, "replicas")) {
      return "scale sets Deployment " + key + " to both " + param(first, "replicas") + " and " +
             param(e, "replicas") + " replicas";
    }
    return {};
  }
  const char* pair = opposite_node_actions(first.action, e.action);
  const std::string a = strip_kind(first.target);
  const std::string b = strip_kind(e.target);
  if (pair == nullptr || !same_node_target(a, b, pool_of_node)) return {};
  return first.action + " of \"" + a + "\" and " + e.action + " of \"" + b +
         "\" contradict each other";
}

void check_conflicts(const std::vector<engine::TimelineEvent>& timeline,
                     const std::map<std::string, std::string>& pool_of_node,
                     Diagnostics& diagnostics) {
  for (std::size_t j = 0; j < timeline.size(); ++j) {
    const engine::TimelineEvent& e = timeline[j];
    for (std::size_t i = 0; i < j; ++i) {
      const engine::TimelineEvent& first = timeline[i];
      if (first.at_ms != e.at_ms) continue;
      const std::string why = conflict(first, e, pool_of_node);
      if (why.empty()) continue;
      error_at(diagnostics, e,
               "conflicting timeline entries at " + format_duration(e.at_ms) + ": " + why +
                   " (the other entry is at " + first.source.str() + ")",
               e.action == "setImage" || e.action == "scale"
                   ? "keep only the one you mean, or give them different times for two changes"
                   : "give them different times (e.g. uncordon after the drain has finished), or "
                     "keep only one");
      break;
    }
  }
}

}  // namespace

void merge_patch(YAML::Node target, const YAML::Node& patch) {
  for (const auto& kv : patch) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& value = kv.second;
    if (value.IsNull()) {
      target.remove(key);
      continue;
    }
    YAML::Node current = target[key];
    if (value.IsMap() && current.IsMap()) {
      merge_patch(current, value);
    } else if (const char* mk = merge_key(key); mk && value.IsSequence() && current.IsSequence()) {
      for (const YAML::Node& item : value) {
        bool merged = false;
        for (std::size_t i = 0; i < current.size(); ++i) {
          if (same_key(current[i], item, mk)) {
            YAML::Node element = current[i];
            merge_patch(element, item);
            merged = true;
            break;
          }
        }
        if (!merged) current.push_back(YAML::Clone(item));
      }
    } else {
      target[key] = YAML::Clone(value);
    }
  }
}

void resolve_timeline(engine::Scenario& scenario,
                      const std::map<std::string, DeploymentSource>& deployments,
                      Diagnostics& diagnostics) {
  std::set<std::string> nodes;
  std::set<std::string> pools;
  std::set<std::string> autoscaled;
  for (const Node& n : scenario.nodes)
    nodes.insert(n.meta.name);
  std::map<std::string, std::string> pool_of_node;
  for (const auto& p : scenario.simulation.node_pools) {
    pools.insert(p.name);
    if (p.autoscaling) autoscaled.insert(p.name);
    // Members (Node manifests of the pool) are in `nodes` already; the template makes the rest.
    for (std::int32_t i = 0; i < p.count - engine::pool_members(scenario, p); ++i) {
      std::string name = p.name + "-" + std::to_string(i);
      pool_of_node.emplace(name, p.name);
      nodes.insert(std::move(name));
    }
  }
  check_conflicts(scenario.simulation.timeline, pool_of_node, diagnostics);
  std::map<std::string, YAML::Node> current;  // each Deployment as the timeline changed it

  // Load model targets must exist too.
  for (const ctrl::WorkloadLoadSpec& w : scenario.simulation.load) {
    const std::string key = w.target_key();
    const bool found = w.kind == "ReplicaSet"
                           ? std::any_of(scenario.replica_sets.begin(), scenario.replica_sets.end(),
                                         [&](const ReplicaSet& r) { return r.meta.key() == key; })
                           : deployments.count(key) > 0;
    if (!found) {
      diagnostics.error(w.source, "spec.load", "no " + w.kind + " \"" + key + "\" in the manifests",
                        "the target is Deployment/namespace/name or ReplicaSet/namespace/name");
    }
  }

  std::vector<engine::TimelineEvent*> order;
  for (auto& e : scenario.simulation.timeline)
    order.push_back(&e);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->at_ms < b->at_ms; });

  for (engine::TimelineEvent* e : order) {
    const std::string& a = e->action;
    // An unknown action is already reported by the Simulation parser; its target means nothing.
    const auto& known_actions = engine::timeline_actions();
    if (std::find(known_actions.begin(), known_actions.end(), a) == known_actions.end()) continue;
    check_params(diagnostics, *e);
    const bool workload = a == "setImage" || a == "patch" || a == "restart" || a == "scale";
    if (!workload) {
      std::string t = e->target;
      const bool cloud = a == "stockOut" || a == "restock";
      const bool pool_only = a == "spotInterruption" || cloud || t.rfind("pool/", 0) == 0;
      if (t.rfind("node/", 0) == 0 || t.rfind("pool/", 0) == 0) t = t.substr(5);
      const bool known = pools.count(t) || (!pool_only && nodes.count(t));
      if (t.empty() || !known) {
        error_at(
            diagnostics, *e,
            a + ": no " + (pool_only ? "node pool" : "node or node pool") + " named \"" + t + "\"",
            "targets are node names (from manifests or <pool>-<index>) or node pool names");
      } else if (cloud && !autoscaled.count(t)) {
        error_at(diagnostics, *e, a + ": node pool \"" + t + "\" is not autoscaled",
                 "a stock-out only refuses the cluster-autoscaler's new nodes; give the pool "
                 "autoscaling (minSize/maxSize)");
      }
      continue;
    }
    const std::string key = deployment_key(e->target);
    auto src = deployments.find(key);
    if (key.empty() || src == deployments.end()) {
      // An empty key is another kind (StatefulSet/ns/x) or a malformed target: name the text.
      error_at(diagnostics, *e,
               key.empty() ? a + ": \"" + e->target + "\" is not a Deployment target"
                           : a + ": no Deployment \"" + key + "\" in the manifests",
               "targets are Deployment/namespace/name, deployment/name or namespace/name");
      continue;
    }
    if (a == "scale") {
      auto it = e->params.find("replicas");
      std::int64_t n = -1;
      if (it != e->params.end()) {
        try {
          std::size_t used = 0;
          n = std::stoll(it->second, &used);
          if (used != it->second.size()) n = -1;
        } catch (const std::exception&) {
          n = -1;
        }
      }
      if (n < 0 || n > 1'000'000)
        error_at(diagnostics, *e, "scale: params.replicas must be an integer 0..1000000");
      continue;
    }
    auto [it, fresh] = current.emplace(key, YAML::Node());
    if (fresh) it->second = YAML::Clone(src->second.node);
    YAML::Node object = YAML::Clone(it->second);
    YAML::Node pod_spec = object["spec"]["template"]["spec"];
    if (a == "setImage") {
      auto image = e->params.find("image");
      auto container = e->params.find("container");
      if (image == e->params.end() || image->second.empty()) {
        error_at(diagnostics, *e, "setImage: params.image is required");
        continue;
      }
      YAML::Node c;
      if (container != e->params.end()) {
        c = find_container(pod_spec, container->second);
      } else if (pod_spec["containers"].IsSequence() && pod_spec["containers"].size() == 1) {
        c = pod_spec["containers"][0];
      }
      if (!c.IsDefined() || !c.IsMap()) {
        error_at(
            diagnostics, *e,
            container != e->params.end()
                ? "setImage: Deployment " + key + " has no container \"" + container->second + "\""
                : "setImage: params.container is required when the pod has several containers");
        continue;
      }
      c["image"] = image->second;
    } else if (a == "patch") {
      YAML::Node patch;
      try {
        patch = YAML::Load(e->patch_yaml);
      } catch (const YAML::Exception& ex) {
        error_at(diagnostics, *e, "patch: not valid YAML: " + ex.msg);
        continue;
      }
      if (!patch.IsMap()) {
        error_at(diagnostics, *e, "patch: a mapping of Deployment fields is required",
                 "e.g. patch: {spec: {template: {spec: {containers: [{name: app, image: x}]}}}}");
        continue;
      }
      merge_patch(object, patch);
      if (patch["spec"].IsMap() && patch["spec"]["replicas"].IsScalar()) {
        try {
          e->replicas = patch["spec"]["replicas"].as<std::int32_t>();
        } catch (const YAML::Exception&) {
          // the re-parse below reports the bad value
        }
      }
    } else if (a == "restart") {
      object["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] =
          format_duration(e->at_ms);
    }
    // Parse the changed manifest as the loader parses manifests.
    Diagnostics local;
    const Document doc(local, src->second.file,
                       std::filesystem::path(src->second.file).parent_path(), 0);
    References refs;
    ObjectParser parser(refs);
    Deployment parsed = parser.deployment(Value(&doc, object, "", object.Mark()));
    if (local.has_errors()) {
      const Diagnostic& first =
          *std::find_if(local.items().begin(), local.items().end(),
                        [](const Diagnostic& x) { return x.severity == Severity::kError; });
      error_at(diagnostics, *e,
               a + " makes Deployment " + key + " invalid: " +
                   (first.field_path.empty() ? "" : first.field_path + ": ") + first.message);
      continue;
    }
    it->second = object;
    e->deployment = std::make_shared<const Deployment>(std::move(parsed));
  }
}

}  // namespace gpusim::scenario
