#include "reports/expectations.hpp"

#include <set>

#include "reports/evaluator.hpp"
#include "reports/expression.hpp"

namespace gpusim::reports {

Diagnostics check_expectations(const std::vector<ExpectationInput>& inputs) {
  Diagnostics d;
  std::set<std::string> names;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    const std::string field = "spec.expectations[" + std::to_string(i) + "].expr";
    if (!in.name.empty() && !names.insert(in.name).second) {
      d.error(in.expr_location, "spec.expectations[" + std::to_string(i) + "].name",
              "duplicate expectation \"" + in.name + "\"");
    }
    if (in.expr.empty()) {
      d.error(in.expr_location, field, "empty expression");
      continue;
    }
    try {
      (void)Expression::parse(in.expr);
    } catch (const ExpressionError& e) {
      SourceLocation loc = in.expr_location;
      if (loc.column > 0) loc.column += e.column() - 1;
      d.error(loc, field, e.what(), e.hint());
    }
  }
  return d;
}

std::vector<ExpectationResult> evaluate_expectations(const RunDir& run,
                                                     const std::vector<ExpectationInput>& inputs) {
  std::vector<ExpectationResult> out;
  Evaluator ev(run);
  for (const auto& in : inputs) {
    ExpectationResult r;
    r.name = in.name.empty() ? in.expr : in.name;
    r.expr = in.expr;
    try {
      const Expression e = Expression::parse(in.expr);
      const Outcome o = ev.evaluate(e);
      r.passed = o.passed;
      r.observed = o.observed;
      r.expected = o.expected;
      r.at_ms = o.at_ms;
      r.message = o.message;
    } catch (const ExpressionError& e) {
      r.error = true;
      r.observed = "error";
      r.message = std::string("malformed expression: ") + e.what();
    } catch (const MetricError& e) {
      r.error = true;
      r.observed = "error";
      r.message = e.what();
    }
    out.push_back(std::move(r));
  }
  return out;
}

nlohmann::ordered_json expectations_json(const std::vector<ExpectationResult>& results) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& r : results) {
    nlohmann::ordered_json j;
    j["name"] = r.name;
    j["passed"] = r.passed;
    j["observed"] = r.observed;
    j["message"] = r.message;
    j["expr"] = r.expr;
    j["expected"] = r.expected;
    if (r.at_ms) j["at_ms"] = *r.at_ms;
    if (r.error) j["error"] = true;
    arr.push_back(std::move(j));
  }
  return arr;
}

std::vector<ExpectationInput> expectations_from_summary(const nlohmann::json& summary) {
  std::vector<ExpectationInput> out;
  if (!summary.contains("expectations") || !summary["expectations"].is_array()) return out;
  for (const auto& j : summary["expectations"]) {
    if (!j.is_object() || !j.contains("expr")) continue;
    ExpectationInput in;
    in.name = j.value("name", "");
    in.expr = j.value("expr", "");
    in.expr_location.file = "summary.json";
    out.push_back(std::move(in));
  }
  return out;
}

}  // namespace gpusim::reports
