#pragma once
// The serving parts of the Simulation document (docs/scenario.md "Load", "Autoscaling and
// metrics", "Node lifecycle", "Pod lifecycle"): spec.load, spec.hpa, spec.metrics,
// spec.nodeLifecycle and the pod lifecycle fields of spec.defaults.
#include "engine/simulation_spec.hpp"
#include "scenario/fields.hpp"

namespace gpusim::scenario {

// Reads spec.load, spec.hpa, spec.metrics and spec.nodeLifecycle from the spec mapping.
void parse_serving(Fields& spec, engine::SimulationSpec& out);
// Reads imagePullBandwidth, shutdown and failureAfter from spec.defaults.
void parse_lifecycle_defaults(Fields& defaults, engine::Defaults& out);

}  // namespace gpusim::scenario
