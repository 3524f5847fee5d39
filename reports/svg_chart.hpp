#pragma once
// Line charts as inline SVG (no scripts, no fonts to fetch), so a report is one file that opens
// anywhere, offline.
#include <string>
#include <vector>

#include "reports/metrics.hpp"

namespace gpusim::reports {

struct ChartSeries {
  std::string name;
  // (x, y) by x; a NaN y is a gap (no value there: a pool with no GPU nodes has no allocation)
  std::vector<std::pair<double, double>> points;
  bool step = true;      // a sampled state: holds until the next point
  int dash = 0;          // 0 solid; variants in comparisons get 1, 2, ...
  bool markers = false;  // a dot per point (sparse data, where lines would suggest values between)
};

struct Chart {
  std::string id;
  std::string title;
  std::string y_label;
  Unit y_unit = Unit::kNumber;
  bool x_is_time = true;  // x in simulated ms; otherwise a number (x_label says what)
  std::string x_label;
  std::vector<ChartSeries> series;
  std::string note;  // shown instead of (or under) the chart, e.g. why there is no data
  double x_end = 0;  // when > 0, the x axis extends to here at least (the end of the run)
  bool has_data() const;
};

// The <figure> for one chart: SVG plus an HTML legend.
std::string render_svg_chart(const Chart& c);
// Nice axis ticks over [lo, hi] (at most max_ticks).
std::vector<double> nice_ticks(double lo, double hi, int max_ticks, bool time_axis);

}  // namespace gpusim::reports
