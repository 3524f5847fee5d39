#pragma once
// What every command that runs a scenario does after the simulation: write the run directory
// atomically, evaluate the Simulation's expectations over the written files (results go into
// summary.json), and render report.html and report.md into it.
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "engine/scenario.hpp"
#include "engine/simulation.hpp"
#include "reports/expectations.hpp"

namespace gpusim::cli {

// The expectations of a loaded scenario, each located at the first character of its expression
// in the input file (so parse errors point at the exact column).
std::vector<reports::ExpectationInput> expectation_inputs(const engine::Scenario& scenario);
// Throws InputError (exit code 2) listing every malformed expectation.
void validate_expectations(const engine::Scenario& scenario);

struct RunDirOptions {
  bool report = true;  // report.html and report.md
};

struct WrittenRun {
  std::filesystem::path dir;
  std::vector<reports::ExpectationResult> expectations;
  bool all_passed() const;
};

WrittenRun write_run_directory(const engine::Simulation& sim, const engine::Scenario& scenario,
                               const std::filesystem::path& out, const RunDirOptions& options);
// The same into a directory staged before the run (see Simulation::stream_outputs).
WrittenRun write_run_directory(const engine::Simulation& sim, const engine::Scenario& scenario,
                               StagedDirectory& dir, const RunDirOptions& options);

// One line per expectation: "PASS name" or "FAIL name: <message> (at <time>)"; with
// `failures_only`, the FAIL and ERROR lines alone (check -q).
void print_expectations(std::ostream& os, const std::vector<reports::ExpectationResult>& results,
                        bool failures_only = false);

// Writes report.html (to `html`; a path ending in .md names the Markdown, and the HTML takes
// .html), the Markdown next to it (<stem>.md) and the report's CSVs (<stem>-summary.csv,
// <stem>-namespaces.csv, ...), each atomically. Returns the files written.
std::vector<std::filesystem::path> write_report_files(
    const std::vector<std::filesystem::path>& run_dirs, const std::vector<std::string>& labels,
    std::filesystem::path html);

// The simulated time a run will stop at, when known before it runs (--until or spec.duration).
std::optional<TimeMs> planned_end(const engine::Scenario& scenario,
                                  const engine::RunOptions& options);

}  // namespace gpusim::cli

namespace gpusim::cli {

// explain.jsonl costs about one line per node per attempt: it is recorded by default for
// clusters of up to this many nodes (at the start), and with --explain / --no-explain otherwise.
inline constexpr std::size_t kExplainDefaultMaxNodes = 64;
bool explain_by_default(const engine::Scenario& scenario);
// A packing trace replay places its pods with the batch GPU placer (each tried once, the FGD
// paper's protocol), not through the scheduler framework, so it has no per-node filter and score
// records to write: explain.jsonl would be empty.
bool explain_recordable(const engine::Scenario& scenario);

}  // namespace gpusim::cli
