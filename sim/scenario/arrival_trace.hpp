#pragma once
// The CSV trace of an arrival (spec.arrivals[].traceFile; format in docs/scenario.md "Arrival
// traces"): one row per object, `time,namespace,requests[,duration]`. Every row is checked as the
// API server would check the pod it becomes (namespace a DNS-1123 label, known resource names,
// whole extended resources, non-negative amounts) plus the trace's own syntax; each problem is a
// diagnostic naming file:line:column and the column (`requests[memroy]`).
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"
#include "engine/simulation_spec.hpp"

namespace gpusim::scenario {

// Rows in time order (rows with equal times keep file order). At most 50 errors are reported.
std::vector<engine::ArrivalTraceRow> parse_arrival_trace(std::string_view text,
                                                         const std::string& file,
                                                         Diagnostics& diags);
// Reads the file; a file that cannot be read is an error at file:0:0.
std::vector<engine::ArrivalTraceRow> read_arrival_trace(const std::string& path,
                                                        Diagnostics& diags);

}  // namespace gpusim::scenario
