#pragma once
// Loading a scenario: users' Kubernetes manifests (multi-document YAML, unchanged), an optional
// `kind: Simulation` document and an optional KubeSchedulerConfiguration. docs/scenario.md says
// which kinds and fields are honoured.
#include <string>
#include <vector>

#include "core/diagnostics.hpp"
#include "engine/scenario.hpp"

namespace gpusim::scenario {

// Inputs are files, directories (every *.yaml and *.yml directly inside, by name) or "-" for
// standard input. Throws InputError carrying every error and warning found when any error is;
// otherwise the warnings are in Scenario::warnings.
engine::Scenario load_scenario(const std::vector<std::string>& inputs);

// Every error and warning, without throwing (`gpusim validate`); `scenario` gets what was read.
Diagnostics validate(const std::vector<std::string>& inputs, engine::Scenario& scenario);
Diagnostics validate(const std::vector<std::string>& inputs);

}  // namespace gpusim::scenario
