#pragma once
// The gpusim.io/v1alpha1 `kind: Sweep` document (docs/sweep.md): a base scenario, axes whose
// values override parts of it, and the metrics to collect from each point's run directory.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/diagnostics.hpp"
#include "core/event_loop.hpp"

namespace gpusim::scenario {

// One axis: a name saying what it overrides (policy, seed, scenario, nodepool/<pool>.count, ...)
// and its values. `labels` are what ids, results.csv and reports show: the value as written,
// except for scenario paths, which show the file's stem when the stems are unique.
struct SweepAxis {
  std::string name;
  std::vector<std::string> values;  // canonical text (policy names canonicalised)
  std::vector<std::string> labels;
  std::vector<std::string> resolved_paths;  // scenario axis: each value relative to the sweep file
  SourceLocation source;                    // the axis name, where override errors point
};

enum class SweepMetricSource { kSummary, kArrival };

struct SweepMetric {
  std::string name;
  SweepMetricSource source = SweepMetricSource::kSummary;
  std::string pointer;  // kSummary: a JSON pointer into summary.json (/trace/scheduled)
  int arrival_pct = 0;  // kArrival: unallocated GPU % at this arrival % (arrival.csv)
  SourceLocation source_location;
};

struct SweepSpec {
  std::string name = "sweep";
  std::string file;               // the Sweep document's path as given
  std::vector<std::string> base;  // base scenario inputs, resolved against the sweep file
  std::vector<SourceLocation> base_sources;  // where each is written (spec.scenario)
  std::optional<TimeMs> until_ms;            // spec.until: simulated time each point stops at
  std::vector<SweepAxis> axes;
  std::vector<SweepMetric> metrics;
  std::string x_axis;             // spec.report.x: the axis charts put on x (empty: default)
  std::vector<std::string> keep;  // run-directory files kept per point besides summary.json
};

}  // namespace gpusim::scenario
