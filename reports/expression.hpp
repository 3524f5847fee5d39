#pragma once
// The expectation language of the Simulation document (docs/scenario.md "Expectations"):
//
//   max(pod_wait{namespace="team-a"}) <= 10m
//   p50(gpu_allocation) >= 80% over 2h..6h
//   duration(hpa_at_max{hpa="ml-serving/fraud-detector"}) <= 30m
//   count(quota_rejections{namespace="team-b"}) == 0
//   all(jobs_complete{cronjob="team-a/retrain"} over ..5h)
//   count(pod_wait{namespace="team-a"} > 10m) == 0 and p95(pod_wait) < 5m
//
// An expression is a condition: comparisons of aggregates with literals (or each other),
// all/any/none, joined by and/or/not and parentheses. Parsing checks names, labels and units, so
// a malformed expression is a load error that points at its column.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_loop.hpp"
#include "reports/metrics.hpp"

namespace gpusim::reports {

class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(int column, std::string message, std::string hint = {})
      : std::runtime_error(message), column_(column), hint_(std::move(hint)) {}
  int column() const { return column_; }  // 1-based, within the expression text
  const std::string& hint() const { return hint_; }

 private:
  int column_;
  std::string hint_;
};

enum class CmpOp { kLt, kLe, kGt, kGe, kEq, kNe };
const char* to_string(CmpOp op);
bool compare(double a, CmpOp op, double b);

struct Literal {
  double value = 0;           // durations in ms, percentages as fractions
  Unit unit = Unit::kNumber;  // kDuration, kRatio (written with %), kNumber
  std::string text;
  int column = 0;
};

// A simulated-time window: [from, to], either end open; `last` counts back from the run's end.
struct Window {
  std::optional<TimeMs> from_ms, to_ms;
  std::optional<TimeMs> last_ms;
  std::string text;
  // The window in absolute times for a run ending at end_ms.
  std::pair<TimeMs, TimeMs> resolve(TimeMs end_ms) const;
};

// fn(metric{labels} [op literal] [over window])
struct Query {
  std::string
      function;  // max min avg sum count first last pNN duration total_duration all any none
  double percentile = 0;
  std::string metric;
  std::vector<LabelMatcher> matchers;
  std::optional<std::pair<CmpOp, Literal>> filter;
  std::optional<Window> window;
  std::string text;
  int column = 0;
  bool is_condition() const { return function == "all" || function == "any" || function == "none"; }
  // The unit of the aggregate's value given the metric's unit.
  Unit result_unit(Unit metric_unit) const;
};

struct Operand {
  std::optional<Literal> literal;
  std::optional<Query> query;
};

struct Condition {
  enum class Type { kCompare, kQuery, kAnd, kOr, kNot };
  Type type = Type::kCompare;
  Operand lhs, rhs;
  CmpOp op = CmpOp::kLe;
  std::optional<Query> query;                     // kQuery: all/any/none
  std::vector<std::unique_ptr<Condition>> parts;  // kAnd, kOr (2+), kNot (1)
  std::string text;
};

class Expression {
 public:
  // Throws ExpressionError.
  static Expression parse(std::string_view text);
  const Condition& root() const { return *root_; }
  const std::string& text() const { return text_; }
  // Every query in the expression, in order.
  std::vector<const Query*> queries() const;

 private:
  std::string text_;
  std::shared_ptr<const Condition> root_;
};

}  // namespace gpusim::reports
