#pragma once
// Checks that need every document: references between objects (HPA targets, priority classes,
// scheduler profiles, node names), feature-gated values and name clashes with node pools.
#include "core/diagnostics.hpp"
#include "engine/scenario.hpp"
#include "scenario/object_parser.hpp"

namespace gpusim::scenario {

void check_references(const engine::Scenario& scenario, const References& refs,
                      Diagnostics& diagnostics);

}  // namespace gpusim::scenario
