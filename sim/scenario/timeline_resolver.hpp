#pragma once
// Resolves the Simulation timeline against the manifests at load time: each setImage, patch
// and restart of a Deployment is applied, in time order, to that Deployment's YAML (a strategic
// merge patch: mappings merge, containers/env/volumes/ports merge by key, null deletes) and the
// result is parsed like a manifest, so the engine receives the Deployment as it will be after the
// change. Targets of every action are checked here: a missing Deployment, node or pool is an
// error at the timeline entry.
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include "core/diagnostics.hpp"
#include "engine/scenario.hpp"

namespace gpusim::scenario {

// A Deployment manifest as written, kept for the timeline.
struct DeploymentSource {
  YAML::Node node;
  std::string file;
};

void resolve_timeline(engine::Scenario& scenario,
                      const std::map<std::string, DeploymentSource>& deployments,
                      Diagnostics& diagnostics);

// Applies a strategic-merge-style patch to `target` in place.
void merge_patch(YAML::Node target, const YAML::Node& patch);

}  // namespace gpusim::scenario
