#include "reports/markdown_report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/duration.hpp"
#include "reports/evaluator.hpp"
#include "reports/format.hpp"

namespace gpusim::reports {

namespace {

std::string render_table(const Table& t) {
  std::string s;
  if (!t.title.empty()) s += "### " + t.title + "\n\n";
  if (t.rows.empty())
    return s + "_" + (t.note.empty() ? std::string("Nothing to show.") : t.note) + "_\n\n";
  s += "| " + md_escape(t.label_column) + " |";
  for (const auto& c : t.columns)
    s += " " + md_escape(c) + " |";
  s += "\n|---|";
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    s += t.rows.front().cells.size() > i && t.rows.front().cells[i].value ? "---:|" : "---|";
  s += "\n";
  for (const auto& r : t.rows) {
    s += "| " + md_escape(r.label) + " |";
    for (const auto& c : r.cells)
      s += " " + (c.best ? "**" + md_escape(c.text) + "** ★" : md_escape(c.text)) + " |";
    s += "\n";
  }
  s += "\n";
  if (!t.note.empty()) s += "_" + t.note + "_\n\n";
  return s;
}

std::string value_text(double v, Unit u) {
  return format_value(v, u);
}

std::string render_chart(const Chart& c) {
  std::string s = "**" + c.title + "**";
  if (!c.has_data()) return s + ": " + (c.note.empty() ? std::string("no data") : c.note) + "\n\n";
  s += "\n\n| series | min | mean | max | last |\n|---|---:|---:|---:|---:|\n";
  for (const auto& ser : c.series) {
    // Gaps (NaN) are where the series has no value: not in its figures.
    double mn = std::numeric_limits<double>::infinity(), mx = -mn, sum = 0, last = 0;
    std::size_t n = 0;
    for (const auto& [x, y] : ser.points) {
      if (std::isnan(y)) continue;
      mn = std::min(mn, y);
      mx = std::max(mx, y);
      sum += y;
      last = y;
      ++n;
    }
    if (n == 0) continue;
    const double mean = sum / static_cast<double>(n);
    if (c.y_unit == Unit::kBool) {
      // A state: no or yes, and the mean is the share of samples where it held.
      const auto state = [](double v) { return std::string(v != 0 ? "yes" : "no"); };
      s += "| " + md_escape(ser.name) + " | " + state(mn) + " | " + value_text(mean, Unit::kRatio) +
           " | " + state(mx) + " | " + state(last) + " |\n";
      continue;
    }
    const Unit u = c.y_unit;
    s += "| " + md_escape(ser.name) + " | " + value_text(mn, u) + " | " + value_text(mean, u) +
         " | " + value_text(mx, u) + " | " + value_text(last, u) + " |\n";
  }
  s += "\n";
  return s;
}

}  // namespace

std::string render_markdown(const ReportModel& m) {
  std::string s = "# " + m.title + "\n\n";
  for (const auto& [k, v] : m.facts)
    s += "- **" + k + "**: " + md_escape(v) + "\n";
  s += "\n";
  for (const auto& sec : m.sections) {
    s += "## " + sec.title + "\n\n";
    for (const auto& t : sec.tables)
      s += render_table(t);
    if (m.comparison && sec.id == "summary")
      s += "_★ marks the best value of a row where lower or higher is better._\n\n";
    for (const auto& c : sec.charts)
      s += render_chart(c);
    for (const auto& n : sec.notes)
      s += "_" + n + "_\n\n";
  }
  s += "_Charts are in the HTML report; this file summarises each series as min / mean / max / "
       "last._\n";
  return s;
}

}  // namespace gpusim::reports
