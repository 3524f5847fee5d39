#pragma once
// `gpusim compare` and `gpusim run --policy a,b,c`: one scenario, several GPU policies, and the
// FGD paper's figure side by side (unallocated GPU % at arrival 90/100/110/130 %). The runs and
// the table are separate functions so other front ends (HTML reports) can reuse them.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/output_lock.hpp"

namespace gpusim::cli {

struct CompareOptions {
  std::vector<std::string> inputs;
  std::vector<std::string> policies;  // empty: all six
  std::optional<std::uint64_t> seed;
  std::string outdir;  // when set, each run's outputs go to <outdir>/<policy>
  std::string scorer = "auto";
  bool reproducible = false;
};

struct PolicyResult {
  std::string policy;
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
  std::vector<int> arrival_pcts;
  std::vector<PolicyResult> results;
  // Held from the first write into the output directory until the report is written.
  std::shared_ptr<const OutputLock> lock;
};

// Splits "a,b,c" into policy names (trimmed, non-empty).
std::vector<std::string> split_policies(const std::string& list);
// Runs the scenario once per policy. Throws on bad input (InputError, std::invalid_argument).
Comparison run_comparison(const CompareOptions& options);
// The plain-text table.
std::string format_comparison(const Comparison& c);
// Runs, prints the table; returns the exit code.
int run_compare(const CompareOptions& options);

}  // namespace gpusim::cli
