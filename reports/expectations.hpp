#pragma once
// Named expectations (the Simulation document's spec.expectations) evaluated over a run
// directory: results for the CLI, summary.json's `expectations` and JUnit.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/diagnostics.hpp"
#include "reports/run_dir.hpp"

namespace gpusim::reports {

struct ExpectationInput {
  std::string name;
  std::string expr;
  SourceLocation expr_location;  // where the expression text starts (column of its first character)
};

struct ExpectationResult {
  std::string name;
  std::string expr;
  bool passed = false;
  bool error = false;  // could not be evaluated (a file or column the metric needs is missing)
  std::string observed;
  std::string expected;
  std::optional<TimeMs> at_ms;
  std::string message;
};

// Parses every expression; malformed ones are errors at file:line:column of the offending
// character. Also rejects duplicate names.
Diagnostics check_expectations(const std::vector<ExpectationInput>& inputs);

// Evaluates (inputs must have passed check_expectations).
std::vector<ExpectationResult> evaluate_expectations(const RunDir& run,
                                                     const std::vector<ExpectationInput>& inputs);

// summary.json's `expectations`: [{name, passed, observed, message, expr, expected, at_ms}].
nlohmann::ordered_json expectations_json(const std::vector<ExpectationResult>& results);
// The expectations recorded in a run's summary.json (to re-check a saved run).
std::vector<ExpectationInput> expectations_from_summary(const nlohmann::json& summary);

}  // namespace gpusim::reports
