#include "scenario/timeline_resolver.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>

#include "core/duration.hpp"
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

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t i = s.find('/', start);
    out.push_back(s.substr(start, i == std::string::npos ? std::string::npos : i - start));
    if (i == std::string::npos) return out;
    start = i + 1;
  }
}

bool is_deployment_kind(const std::string& k) {
  return k == "Deployment" || k == "deployment" || k == "deployments" || k == "deploy";
}

// The same target syntax as engine::Timeline: Deployment/ns/name, deployment/name, ns/name, name.
std::string deployment_key(const std::string& target) {
  const std::vector<std::string> parts = split(target);
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
  for (const Node& n : scenario.nodes)
    nodes.insert(n.meta.name);
  for (const auto& p : scenario.simulation.node_pools) {
    pools.insert(p.name);
    for (std::int32_t i = 0; i < p.count; ++i)
      nodes.insert(p.name + "-" + std::to_string(i));
  }
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
    const bool workload = a == "setImage" || a == "patch" || a == "restart" || a == "scale";
    if (!workload) {
      std::string t = e->target;
      const bool pool_only = a == "spotInterruption" || t.rfind("pool/", 0) == 0;
      if (t.rfind("node/", 0) == 0 || t.rfind("pool/", 0) == 0) t = t.substr(5);
      const bool known = pools.count(t) || (!pool_only && nodes.count(t));
      if (t.empty() || !known) {
        error_at(
            diagnostics, *e,
            a + ": no " + (pool_only ? "node pool" : "node or node pool") + " named \"" + t + "\"",
            "targets are node names (from manifests or <pool>-<index>) or node pool names");
      }
      continue;
    }
    const std::string key = deployment_key(e->target);
    auto src = deployments.find(key);
    if (key.empty() || src == deployments.end()) {
      error_at(diagnostics, *e, a + ": no Deployment \"" + key + "\" in the manifests",
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
