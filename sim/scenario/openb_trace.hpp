#pragma once
// The openb CSV files of the Alibaba GPU trace (cluster-trace-gpu-v2023; SCHEMA in
// scenarios/openb/data/README.md): a node list and a pod list. Malformed rows are errors naming
// file:line:column and the column, e.g.
//   data/pods.csv:12:20: error: gpu_milli: must be 1000 when num_gpu > 1 (a pod shares at most one
//   device)
#include <string>

#include "engine/scenario.hpp"
#include "engine/trace_data.hpp"

namespace gpusim::scenario {

// Reads both files; throws InputError with every problem found (up to 50).
engine::TraceData read_openb_trace(const std::string& node_file, const std::string& pod_file);

// Reads the files named by the Simulation's `trace:` section into spec.trace->data (once; a
// no-op when there is no trace or it is already loaded). Throws InputError for bad rows.
void attach_trace_data(engine::Scenario& scenario);

}  // namespace gpusim::scenario
