#pragma once
// The report of a sweep, from the files of its directory only: sweep.json (axes, metrics, the
// plan) and results.csv (one row per finished point). Seeds are aggregated as median and
// interquartile range; each metric gets a table over the x axis per policy and a chart.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gpusim::reports {

struct SweepResults {
  std::string name;
  std::vector<std::string> axis_names;
  std::vector<std::vector<std::string>> axis_values;  // per axis, in declared order
  std::vector<std::string> metric_names;
  std::vector<std::string> metric_sources;  // "summary:/pointer" or "arrival:100"
  std::string x_axis;                       // sweep.json "x"; empty: chosen by the report
  std::size_t planned = 0;                  // points in the whole plan
  struct Row {
    std::vector<std::string> values;  // per axis
    std::vector<std::optional<double>> metrics;
  };
  std::vector<Row> rows;
};

// Throws std::runtime_error naming the file on a malformed sweep.json or results.csv.
SweepResults read_sweep_results(const std::filesystem::path& dir);

// Median and interquartile range (linear interpolation between order statistics).
struct SeedAggregate {
  std::size_t n = 0;
  double median = 0;
  double q1 = 0;
  double q3 = 0;
};
SeedAggregate aggregate(std::vector<double> values);

std::string sweep_markdown(const SweepResults& r);
std::string sweep_html(const SweepResults& r);

}  // namespace gpusim::reports
