#pragma once
// `gpusim compare` and `gpusim run --policy a,b,c`: one scenario run as several variants (GPU
// policies, KubeSchedulerConfiguration files, Simulation overrides in the Sweep's axis syntax),
// with a table of figures side by side: the FGD paper's (unallocated GPU % at arrival
// 90/100/110/130 %) for a trace replay, the run's own (pods scheduled, wait p95, GPU allocation,
// cost, expectations) otherwise. The runs and the table are separate functions so other front
// ends (HTML reports) can reuse them.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/output_lock.hpp"

namespace gpusim::cli {

struct CompareOptions {
  std::vector<std::string> inputs;
  // The variants: every policy, every scheduler configuration and every value of every
  // override is one run of the scenario as loaded with that one change. None given: all six
  // GPU policies.
  std::vector<std::string> policies;
  std::vector<std::string> scheduler_configs;  // files, each one KubeSchedulerConfiguration
  std::vector<std::string> overrides;          // "AXIS=v1,v2" (sweep axis names)
  std::optional<std::uint64_t> seed;
  std::string outdir;  // when set, each run's outputs go to <outdir>/<variant directory>
  std::string scorer = "auto";
  bool reproducible = false;
};

struct VariantResult {
  std::string label;  // as the report and the table name it: "FGD", "load.multiplier=1.5", ...
  std::string dir;    // its directory under the output directory
  std::vector<double> unallocated_pct;  // at each of the arrival percentages; NaN = not reached
  std::int64_t pods = 0;
  std::int64_t scheduled = 0;
  std::int64_t frag_milli_final = 0;
  std::int64_t capacity_milli = 0;
  std::int64_t wall_ms = 0;
  std::string outdir;  // empty when not written
};

struct Comparison {
  std::string scenario;
  std::uint64_t seed = 0;
  bool trace = false;  // a trace replay: the arrival-curve table
  std::vector<int> arrival_pcts;
  std::vector<VariantResult> results;
  // Not a trace replay: the report's figures per variant (rows: figure, then one cell per
  // variant), computed from the run directories.
  std::vector<std::vector<std::string>> figures;
  // Held from the first write into the output directory until the report is written.
  std::shared_ptr<const OutputLock> lock;
};

// Splits "a,b,c" into names (trimmed, non-empty).
std::vector<std::string> split_policies(const std::string& list);
// Runs the scenario once per variant. Throws on bad input (InputError, std::invalid_argument)
// before the first run.
Comparison run_comparison(const CompareOptions& options);
// The plain-text table.
std::string format_comparison(const Comparison& c);
// Runs, prints the table; returns the exit code.
int run_compare(const CompareOptions& options);

}  // namespace gpusim::cli
