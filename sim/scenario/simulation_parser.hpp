#pragma once
// The gpusim.io/v1alpha1 `kind: Simulation` document (docs/scenario.md, "The Simulation
// document") into engine::SimulationSpec.
#include <optional>
#include <string>
#include <vector>

#include "engine/simulation_spec.hpp"
#include "scenario/object_parser.hpp"
#include "scenario/value.hpp"

namespace gpusim::scenario {

struct ParsedSimulation {
  engine::SimulationSpec spec;
  std::optional<std::string> tie_break;  // spec.tieBreak, for the scheduler configuration
};

ParsedSimulation parse_simulation(const Value& object, ObjectParser& objects);

// Timeline actions the loader accepts (the timeline controller implements them).
const std::vector<std::string>& known_timeline_actions();
// Feature gates spec.featureGates accepts.
const std::vector<std::string>& known_feature_gates();

}  // namespace gpusim::scenario
