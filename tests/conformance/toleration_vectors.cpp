// Handlers for the toleration kinds of quota.yaml: Toleration.ToleratesTaint (toleration_match,
// the model's Toleration::tolerates that the scheduler and the taint-eviction controller call)
// and the taint-eviction controller's getMinTolerationTime (min_toleration_time).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "conformance.hpp"
#include "controllers/taint_eviction.hpp"
#include "model/taint.hpp"
#include "model_fields.hpp"

namespace gpusim::conformance {
namespace {

void check_toleration_match(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"feature_gates", "toleration", "taint"});
  check_keys(expect, {"tolerated"});
  bool comparison = false;
  if (has_field(input, "feature_gates")) {
    const YAML::Node gates = field(input, "feature_gates");
    check_keys(gates, {"TaintTolerationComparisonOperators"});
    comparison = bool_field(gates, "TaintTolerationComparisonOperators");
  }
  const YAML::Node t = field(input, "toleration");
  check_keys(t, {"key", "operator", "value", "effect"});
  Toleration tol;
  tol.key = has_field(t, "key") ? string_field(t, "key") : "";
  const std::string op = has_field(t, "operator") ? string_field(t, "operator") : "";
  if (op.empty() || op == "Equal") {
    tol.op = TolerationOperator::kEqual;
  } else if (op == "Exists") {
    tol.op = TolerationOperator::kExists;
  } else if (op == "Gt") {
    tol.op = TolerationOperator::kGt;
  } else if (op == "Lt") {
    tol.op = TolerationOperator::kLt;
  } else {
    throw VectorError("unknown operator '" + op + "'");
  }
  tol.value = has_field(t, "value") ? string_field(t, "value") : "";
  tol.effect = effect_of(t);
  const YAML::Node n = field(input, "taint");
  check_keys(n, {"key", "value", "effect"});
  Taint taint;
  taint.key = string_field(n, "key");
  taint.value = has_field(n, "value") ? string_field(n, "value") : "";
  taint.effect = effect_of(n);
  EXPECT_EQ(tol.tolerates(taint, comparison), bool_field(expect, "tolerated"));
}

void check_min_toleration_time(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"toleration_seconds"});
  check_keys(expect, {"seconds"});
  std::vector<std::optional<std::int64_t>> seconds;
  for (const YAML::Node& s : field(input, "toleration_seconds")) {
    if (s.IsNull()) {
      seconds.emplace_back();
    } else {
      seconds.emplace_back(s.as<std::int64_t>());
    }
  }
  EXPECT_EQ(ctrl::min_toleration_seconds(seconds), int_field(expect, "seconds"));
}

}  // namespace

void register_toleration_handlers(HandlerRegistry& registry) {
  registry.add("toleration_match", check_toleration_match);
  registry.add("min_toleration_time", check_min_toleration_time);
}

}  // namespace gpusim::conformance
