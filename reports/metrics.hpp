#pragma once
// The metrics expectations and reports read from a run directory: each is a set of series
// (one per label combination) of points over simulated time. docs/scenario.md "Expectations"
// lists them; metric_catalog() is that list in code.
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "reports/run_dir.hpp"

namespace gpusim::reports {

// Gauge: sampled state, each sample holding until the next. Event: one point per occurrence
// (value 1). Object: one point per pod or Job, at its creation time.
enum class MetricKind { kGauge, kEvent, kObject };
// What a value means; decides how observed values print and which literals compare with it.
enum class Unit { kNumber, kRatio, kDuration, kBool };

struct Point {
  TimeMs t_ms = 0;
  double value = 0;
  std::string subject;  // the pod, Job, event object... the point is about (for messages)
};

using Labels = std::map<std::string, std::string>;

struct Series {
  Labels labels;
  std::vector<Point> points;  // by time
};

struct MetricInfo {
  std::string name;
  MetricKind kind = MetricKind::kGauge;
  Unit unit = Unit::kNumber;
  std::vector<std::string> labels;  // labels a selector may use
  std::string source;               // the run files it comes from
  std::string help;
};

// The fixed metrics. Besides these, every numeric column COL of workloads.csv, hpa.csv,
// quota.csv and pools.csv is a gauge named workload_COL, hpa_COL, quota_COL, pool_COL, one series
// per object, labelled by the columns that name it (family_identity; those files are written by
// the controllers that own them).
const std::vector<MetricInfo>& metric_catalog();
const MetricInfo* find_metric(std::string_view name);
// The CSV family (file) a name belongs to, e.g. "hpa_desired_replicas" -> "hpa.csv"; empty if none.
std::string family_file(std::string_view name);
// The columns of a family's file (e.g. "hpa.csv") that name the object a row is about: its
// series' labels (hpa, target; deployment; quota, namespace, resource; pool). The file's other
// text columns are state, not identity. Empty for a file that is no family's.
std::vector<std::string> family_identity(std::string_view file);

struct LabelMatcher {
  enum class Op { kEq, kNe, kRegex, kNotRegex };
  std::string label;
  Op op = Op::kEq;
  std::string value;
  bool matches(const std::string& v) const;
};

// Thrown when a run lacks what a metric needs (a file, a column, a label).
class MetricError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The series of `metric` in `run` whose labels match every matcher. For the per-group GPU
// gauges the labels the matchers name pick the grouping (pool, gpu_model or both); without
// any the series is the whole cluster.
std::vector<Series> load_series(const RunDir& run, std::string_view metric,
                                const std::vector<LabelMatcher>& matchers);
// Unit and kind of a metric, including the CSV families (resolved against `run`).
MetricInfo describe_metric(const RunDir* run, std::string_view metric);

// Waits and other per-pod figures used by reports too.
// How long a pod waited for a node: scheduled - created, or until it was deleted or the run
// ended when it never was.
TimeMs pod_wait_ms(const PodRecord& p, TimeMs end_ms);
// The same wait, starting earlier when admission (quota) refused the owner's creations before
// the pod existed (pods.csv wait_from_ms): what namespaces.csv and summary.json "namespaces"
// report.
TimeMs pod_wait_with_quota_ms(const PodRecord& p, TimeMs end_ms);
// GPU-hours a pod held: milli-GPU x time bound / 1000 / 1h.
double pod_gpu_hours(const PodRecord& p, TimeMs end_ms);
// The quota name and resource of an "exceeded quota" rejection message, if it is one.
struct QuotaRejection {
  std::string quota;
  std::string resource;
};
std::optional<QuotaRejection> parse_quota_rejection(const std::string& message);

}  // namespace gpusim::reports
