#pragma once
// Evaluates an expectation expression over a run directory's recorded files.
#include <optional>
#include <string>

#include "reports/expression.hpp"
#include "reports/run_dir.hpp"

namespace gpusim::reports {

struct QueryValue {
  std::optional<double> value;  // nullopt: no data
  Unit unit = Unit::kNumber;
  std::optional<TimeMs> at_ms, until_ms;  // when it happened (a point or a stretch)
  std::string subject;                    // which pod/job/series
  std::string no_data;                    // why there is no value
};

struct Outcome {
  bool passed = false;
  std::string observed;  // e.g. "14m3s"
  std::string expected;  // e.g. "<= 10m"
  std::optional<TimeMs> at_ms;
  std::string message;  // one line: what failed, observed vs expected, when
};

class Evaluator {
 public:
  explicit Evaluator(const RunDir& run) : run_(run) {}
  // Throws MetricError when the run lacks what a metric needs.
  Outcome evaluate(const Expression& e) const;
  QueryValue value_of(const Query& q) const;

 private:
  Outcome eval(const Condition& c) const;
  const RunDir& run_;
};

// "14m3s", "81.3%", "3", "2.25"
std::string format_value(double v, Unit u);
std::string format_time(TimeMs t);  // a simulated time, e.g. "2h5m"

}  // namespace gpusim::reports
