#pragma once
// `gpusim plan`: the smallest or cheapest cluster for which every expectation of a scenario
// holds on every given seed (docs/plan.md). Candidates are the scenario with the --vary values
// applied through the sweep's overrides (scenario/sweep_overrides.hpp); each candidate runs once
// per seed on a pool of threads, its run directories land in DIR/runs/<candidate>/seed-<n>/
// (summary.json with the expectations' results), and DIR/plan.json records every evaluated
// candidate. plan.md and the printed table are rendered from plan.json.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gpusim::cli {

struct PlanOptions {
  std::vector<std::string> inputs;      // the scenario (files or directories)
  std::vector<std::string> vary;        // NAME=lo..hi or NAME=a,b,c
  std::vector<std::uint64_t> seeds;     // empty: the scenario's seed
  std::string objective = "min-nodes";  // or min-cost
  std::string load_multiplier;          // empty: unchanged
  std::string until;                    // simulated time to stop at (overrides spec.duration)
  std::string outdir;
  unsigned jobs = 0;       // 0: all cores
  bool keep_runs = false;  // keep every run file, not only summary.json
  bool quiet = false;
};

// Runs the search and writes DIR/plan.json and DIR/plan.md. Throws InputError or
// std::invalid_argument on bad input (before anything runs). Returns plan.json's content.
nlohmann::ordered_json run_plan(const PlanOptions& options);

}  // namespace gpusim::cli
