#include "scenario/cross_checks.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace gpusim::scenario {
namespace {

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates,
                         const std::string& otherwise) {
  const std::string near = closest_match(name, candidates);
  return near.empty() ? otherwise : "did you mean \"" + near + "\"?";
}

void check_priority_classes(const engine::Scenario& s, const References& refs, Diagnostics& d) {
  std::vector<std::string> names{"system-cluster-critical", "system-node-critical"};
  const PriorityClass* global_default = nullptr;
  for (const auto& pc : s.priority_classes) {
    names.push_back(pc.meta.name);
    if (!pc.global_default) continue;
    if (global_default) {
      d.error(pc.meta.source, "globalDefault",
              "PriorityClass \"" + global_default->meta.name + "\" (" +
                  global_default->meta.source.str() + ") is already the global default",
              "only one PriorityClass may set globalDefault: true");
    } else {
      global_default = &pc;
    }
  }
  for (const auto& ref : refs.priority_classes) {
    if (std::find(names.begin(), names.end(), ref.name) != names.end()) continue;
    d.error(ref.location, ref.path,
            "PriorityClass \"" + ref.name + "\" not found (used by " + ref.from + ")",
            did_you_mean(ref.name, names,
                         "define a scheduling.k8s.io/v1 PriorityClass named " + ref.name));
  }
}

void check_scheduler_names(const engine::Scenario& s, const References& refs, Diagnostics& d) {
  std::vector<std::string> profiles;
  for (const auto& p : s.scheduler.profiles)
    profiles.push_back(p.scheduler_name);
  std::string list;
  for (const auto& p : profiles)
    list += (list.empty() ? "" : ", ") + p;
  for (const auto& ref : refs.scheduler_names) {
    if (std::find(profiles.begin(), profiles.end(), ref.name) != profiles.end()) continue;
    // A name close to a profile's is a typo that would silently leave pods Pending; any other
    // name is a second scheduler gpusim does not run (Volcano, a custom one), as upstream allows.
    if (s.scheduler_configured && !closest_match(ref.name, profiles).empty()) {
      d.error(ref.location, ref.path,
              "no scheduler profile named \"" + ref.name + "\" (used by " + ref.from + ")",
              did_you_mean(ref.name, profiles, "the KubeSchedulerConfiguration has: " + list));
    } else if (s.scheduler_configured) {
      d.warning(ref.location, ref.path,
                "no scheduler profile named \"" + ref.name + "\": the pods of " + ref.from +
                    " will stay Pending (a scheduler gpusim does not run)",
                "the KubeSchedulerConfiguration has: " + list);
    } else {
      d.warning(
          ref.location, ref.path,
          "no scheduler named \"" + ref.name + "\": the pods of " + ref.from + " will stay Pending",
          "add a KubeSchedulerConfiguration with a profile for it");
    }
  }
}

void check_scale_targets(const engine::Scenario& s, const References& refs, Diagnostics& d) {
  std::map<std::string, std::string> targeted;  // "kind/ns/name" -> first HPA
  for (const auto& ref : refs.scale_targets) {
    std::vector<std::string> same_namespace;
    bool found = false;
    auto scan = [&](const auto& objects) {
      for (const auto& o : objects) {
        if (o.meta.namespace_ != ref.namespace_) continue;
        same_namespace.push_back(o.meta.name);
        found = found || o.meta.name == ref.name;
      }
    };
    if (ref.kind == "Deployment") scan(s.deployments);
    if (ref.kind == "ReplicaSet") scan(s.replica_sets);
    if (!found) {
      d.error(ref.location, ref.path,
              ref.kind + " \"" + ref.namespace_ + "/" + ref.name +
                  "\" not found (scale target of " + ref.from + ")",
              did_you_mean(
                  ref.name, same_namespace,
                  "the HPA and its target must be in the same namespace (" + ref.namespace_ + ")"));
      continue;
    }
    const std::string key = ref.kind + "/" + ref.namespace_ + "/" + ref.name;
    auto [it, inserted] = targeted.emplace(key, ref.from);
    if (!inserted) {
      d.warning(ref.location, ref.path,
                ref.kind + " \"" + ref.namespace_ + "/" + ref.name + "\" is also the target of " +
                    it->second,
                "two HPAs on one target fight each other (upstream reports AmbiguousSelector)");
    }
  }
}

void check_nodes(const engine::Scenario& s, const References& refs, Diagnostics& d) {
  std::set<std::string> names;
  for (const auto& pool : s.simulation.node_pools) {
    const std::int32_t n = std::max(pool.count, pool.autoscaling ? pool.autoscaling->max_size : 0);
    for (std::int32_t i = 0; i < n; ++i)
      names.insert(pool.name + "-" + std::to_string(i));
  }
  for (const auto& node : s.nodes) {
    if (names.count(node.meta.name)) {
      d.error(node.meta.source, "metadata.name",
              "node \"" + node.meta.name + "\" has the name of a node the node pool creates",
              "node pools name their nodes <pool>-<index>; rename the node or the pool");
    }
  }
  for (const auto& node : s.nodes)
    names.insert(node.meta.name);
  for (const auto& ref : refs.node_names) {
    if (names.count(ref.name)) continue;
    d.warning(ref.location, ref.path,
              "node \"" + ref.name + "\" does not exist: the pods of " + ref.from + " cannot start",
              "nodes come from Node manifests and from spec.nodePools (named <pool>-<index>)");
  }
}

}  // namespace

void check_references(const engine::Scenario& scenario, const References& refs,
                      Diagnostics& diagnostics) {
  check_priority_classes(scenario, refs, diagnostics);
  check_scheduler_names(scenario, refs, diagnostics);
  check_scale_targets(scenario, refs, diagnostics);
  check_nodes(scenario, refs, diagnostics);
  if (!refs.image_sizes.empty() && scenario.simulation.defaults.image_pull_bytes_per_second <= 0) {
    // Once: no image-size of the run sets a pull time, for the same reason. (Their sizes still
    // reach the nodes' status.images when pulled, and ImageLocality.)
    const ObjectRef& first = refs.image_sizes.front();
    std::string message = "gpusim.io/image-size sets no pull time without a pull bandwidth";
    if (refs.image_sizes.size() > 1) {
      message += " (nor do the " + std::to_string(refs.image_sizes.size() - 1) + " others)";
    }
    diagnostics.warning(first.location, first.path, message,
                        "set spec.defaults.imagePullBandwidth (e.g. 100Mi), or give "
                        "gpusim.io/image-pull as a duration");
  }
  const auto gate = scenario.simulation.feature_gates.find("HPAScaleToZero");
  const bool scale_to_zero = gate != scenario.simulation.feature_gates.end() && gate->second;
  if (!scale_to_zero) {
    for (const auto& ref : refs.scale_to_zero) {
      diagnostics.error(ref.location, ref.path, "must be greater than or equal to 1",
                        "minReplicas 0 needs the HPAScaleToZero feature gate: set "
                        "spec.featureGates.HPAScaleToZero: true in the Simulation document");
    }
  }
}

}  // namespace gpusim::scenario
