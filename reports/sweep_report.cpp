#include "reports/sweep_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/atomic_file.hpp"
#include "reports/csv_table.hpp"
#include "reports/format.hpp"
#include "reports/svg_chart.hpp"

namespace gpusim::reports {
namespace {

namespace fs = std::filesystem;

// How the axes are shown: series per policy, seeds folded into the aggregate, one axis along
// x, and whatever axes remain split the series further ("variant").
struct Layout {
  std::optional<std::size_t> policy;
  std::optional<std::size_t> seed;
  std::optional<std::size_t> x;
  std::vector<std::size_t> others;
};

Layout layout_of(const SweepResults& r) {
  Layout l;
  for (std::size_t k = 0; k < r.axis_names.size(); ++k) {
    if (r.axis_names[k] == "policy") l.policy = k;
    if (r.axis_names[k] == "seed") l.seed = k;
  }
  for (std::size_t k = 0; k < r.axis_names.size(); ++k) {
    if (!r.x_axis.empty() && r.axis_names[k] == r.x_axis) l.x = k;
  }
  if (!l.x) {
    for (std::size_t k = 0; k < r.axis_names.size(); ++k) {
      if (k != l.policy && k != l.seed) {
        l.x = k;
        break;
      }
    }
  }
  for (std::size_t k = 0; k < r.axis_names.size(); ++k) {
    if (k != l.policy && k != l.seed && k != l.x) l.others.push_back(k);
  }
  return l;
}

std::size_t index_of(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<std::size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

// One aggregated cell: series (policy + variant) by x value.
struct Grid {
  std::vector<std::string> series;                                     // labels, in axis order
  std::vector<std::string> xs;                                         // x labels, in axis order
  std::map<std::pair<std::size_t, std::size_t>, SeedAggregate> cells;  // (series, x)
  std::size_t seeds = 1;
};

Grid grid_of(const SweepResults& r, const Layout& l, std::size_t metric) {
  Grid g;
  g.xs = l.x ? r.axis_values[*l.x] : std::vector<std::string>{""};
  g.seeds = l.seed ? r.axis_values[*l.seed].size() : 1;
  // Series keys in axis order: policy outermost, then the other axes.
  std::vector<std::size_t> series_axes;
  if (l.policy) series_axes.push_back(*l.policy);
  series_axes.insert(series_axes.end(), l.others.begin(), l.others.end());
  std::size_t n_series = 1;
  for (auto k : series_axes)
    n_series *= r.axis_values[k].size();
  for (std::size_t s = 0; s < n_series; ++s) {
    std::string label;
    std::size_t rest = s;
    std::vector<std::string> parts(series_axes.size());
    for (std::size_t i = series_axes.size(); i-- > 0;) {
      const auto& vals = r.axis_values[series_axes[i]];
      parts[i] = (series_axes[i] == l.policy ? "" : r.axis_names[series_axes[i]] + "=") +
                 vals[rest % vals.size()];
      rest /= vals.size();
    }
    for (const auto& p : parts)
      label += (label.empty() ? "" : ", ") + p;
    g.series.push_back(label.empty() ? r.metric_names[metric] : label);
  }
  std::map<std::pair<std::size_t, std::size_t>, std::vector<double>> values;
  for (const auto& row : r.rows) {
    if (!row.metrics[metric]) continue;
    std::size_t s = 0;
    for (auto k : series_axes)
      s = s * r.axis_values[k].size() + index_of(r.axis_values[k], row.values[k]);
    const std::size_t x = l.x ? index_of(r.axis_values[*l.x], row.values[*l.x]) : 0;
    values[{s, x}].push_back(*row.metrics[metric]);
  }
  for (auto& [key, v] : values)
    g.cells[key] = aggregate(std::move(v));
  return g;
}

std::string num(double v) {
  return fixed(v, 2);
}

std::string cell_text(const SeedAggregate& a, std::size_t seeds) {
  if (a.n == 0) return "-";
  std::string s = num(a.median);
  if (a.n > 1) s += " [" + num(a.q1) + ", " + num(a.q3) + "]";
  if (seeds > 1 && a.n < seeds) s += " (n=" + std::to_string(a.n) + ")";
  return s;
}

bool all_numeric(const std::vector<std::string>& v) {
  for (const auto& s : v) {
    if (!to_double(s)) return false;
  }
  return !v.empty();
}

const char* const kPalette[] = {"#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00",
                                "#116329", "#953800", "#6e7781", "#d4a72c", "#0550ae"};

// Grouped bars (median) with an IQR whisker, for a categorical x such as the trace.
std::string bar_chart_svg(const Grid& g, const std::string& title) {
  const std::size_t groups = g.xs.size();
  const std::size_t bars = g.series.size();
  double hi = 0;
  for (const auto& [k, a] : g.cells)
    hi = std::max({hi, a.q3, a.median});
  if (hi <= 0) hi = 1;
  const std::vector<double> ticks = nice_ticks(0, hi, 6, false);
  if (!ticks.empty()) hi = std::max(hi, ticks.back());
  const double left = 56, top = 10, plot_h = 260, bottom = 90;
  const double bar_w =
      std::max(3.0, std::min(14.0, 700.0 / static_cast<double>(groups * (bars + 1))));
  const double group_w = bar_w * static_cast<double>(bars + 1);
  const double width = left + group_w * static_cast<double>(groups) + 10;
  const double height = top + plot_h + bottom;
  char buf[256];
  std::string s = "<figure class=\"chart\"><figcaption>" + html_escape(title) + "</figcaption>\n";
  std::snprintf(buf, sizeof buf, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\">", width, height);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "<rect class=\"plot\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", left,
                top, width - left - 10, plot_h);
  s += buf;
  auto y_of = [&](double v) { return top + plot_h - plot_h * v / hi; };
  for (double t : ticks) {
    std::snprintf(buf, sizeof buf,
                  "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                  "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                  left, width - 10, y_of(t), y_of(t), left - 4, y_of(t) + 4, fixed(t, 2).c_str());
    s += buf;
  }
  for (std::size_t x = 0; x < groups; ++x) {
    const double gx = left + group_w * static_cast<double>(x) + bar_w / 2;
    for (std::size_t b = 0; b < bars; ++b) {
      auto it = g.cells.find({b, x});
      if (it == g.cells.end() || it->second.n == 0) continue;
      const auto& a = it->second;
      const double bx = gx + bar_w * static_cast<double>(b);
      const char* color = kPalette[b % (sizeof kPalette / sizeof *kPalette)];
      std::snprintf(
          buf, sizeof buf,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", bx,
          y_of(a.median), bar_w * 0.9, std::max(0.0, top + plot_h - y_of(a.median)), color);
      s += buf;
      s += html_escape(g.series[b] + " @ " + g.xs[x] + ": " + cell_text(a, g.seeds)) +
           "</title></rect>";
      if (a.n > 1) {
        std::snprintf(buf, sizeof buf,
                      "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#1b1f24\"/>",
                      bx + bar_w * 0.45, bx + bar_w * 0.45, y_of(a.q1), y_of(a.q3));
        s += buf;
      }
    }
    std::snprintf(
        buf, sizeof buf,
        "<text class=\"tick\" transform=\"translate(%.1f,%.1f) rotate(-45)\" text-anchor=\"end\">",
        gx + group_w / 2 - bar_w, top + plot_h + 12);
    s += buf;
    s += html_escape(g.xs[x]) + "</text>";
  }
  s += "</svg>\n<ul class=\"legend\">";
  for (std::size_t b = 0; b < bars; ++b) {
    s += "<li><span style=\"display:inline-block;width:12px;height:12px;background:";
    s += kPalette[b % (sizeof kPalette / sizeof *kPalette)];
    s += "\"></span>" + html_escape(g.series[b]) + "</li>";
  }
  s += "</ul></figure>\n";
  return s;
}

std::string line_chart(const Grid& g, const SweepResults& r, const Layout& l, std::size_t m) {
  Chart c;
  c.id = "metric-" + std::to_string(m);
  c.title = r.metric_names[m] + " vs " + r.axis_names[*l.x] + " (median over seeds)";
  c.y_label = r.metric_names[m];
  c.x_is_time = false;
  c.x_label = r.axis_names[*l.x];
  for (std::size_t s = 0; s < g.series.size(); ++s) {
    ChartSeries cs;
    cs.name = g.series[s];
    cs.step = false;
    cs.markers = true;
    for (std::size_t x = 0; x < g.xs.size(); ++x) {
      auto it = g.cells.find({s, x});
      if (it != g.cells.end() && it->second.n > 0)
        cs.points.emplace_back(*to_double(g.xs[x]), it->second.median);
    }
    std::sort(cs.points.begin(), cs.points.end());
    c.series.push_back(std::move(cs));
  }
  return render_svg_chart(c);
}

std::string title_of(const SweepResults& r) {
  return "Sweep " + r.name;
}

std::string facts_md(const SweepResults& r) {
  std::string s = "- points: " + std::to_string(r.rows.size()) + " of " +
                  std::to_string(r.planned) + " finished\n";
  for (std::size_t k = 0; k < r.axis_names.size(); ++k) {
    s += "- axis `" + r.axis_names[k] + "`: " + std::to_string(r.axis_values[k].size()) +
         " value(s)";
    std::string list;
    for (std::size_t i = 0; i < r.axis_values[k].size() && i < 20; ++i)
      list += (i ? ", " : "") + r.axis_values[k][i];
    s += " (" + md_escape(list) + (r.axis_values[k].size() > 20 ? ", ..." : "") + ")\n";
  }
  return s;
}

}  // namespace

SeedAggregate aggregate(std::vector<double> v) {
  SeedAggregate a;
  a.n = v.size();
  if (v.empty()) return a;
  std::sort(v.begin(), v.end());
  auto q = [&](double p) {
    const double pos = p * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
  };
  a.median = q(0.5);
  a.q1 = q(0.25);
  a.q3 = q(0.75);
  return a;
}

SweepResults read_sweep_results(const fs::path& dir) {
  SweepResults r;
  const fs::path sj = dir / "sweep.json";
  nlohmann::json plan;
  try {
    plan = nlohmann::json::parse(read_file(sj));
    r.name = plan.at("name").get<std::string>();
    for (const auto& a : plan.at("axes")) {
      r.axis_names.push_back(a.at("name").get<std::string>());
      r.axis_values.push_back(a.at("values").get<std::vector<std::string>>());
    }
    for (const auto& m : plan.at("metrics")) {
      r.metric_names.push_back(m.at("name").get<std::string>());
      r.metric_sources.push_back(m.at("source").get<std::string>());
    }
    r.x_axis = plan.value("x", "");
    r.planned = plan.at("points").size();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(sj.string() + ": not a sweep plan: " + e.what());
  }
  const fs::path rc = dir / "results.csv";
  const CsvTable t = CsvTable::parse(read_file(rc), rc.string());
  std::vector<std::size_t> axis_col;
  std::vector<std::size_t> metric_col;
  for (const auto& n : r.axis_names) {
    auto c = t.column(n);
    if (!c) throw std::runtime_error(rc.string() + ": no column \"" + n + "\"");
    axis_col.push_back(*c);
  }
  for (const auto& n : r.metric_names) {
    auto c = t.column(n);
    if (!c) throw std::runtime_error(rc.string() + ": no column \"" + n + "\"");
    metric_col.push_back(*c);
  }
  for (const auto& row : t.rows()) {
    SweepResults::Row out;
    for (auto c : axis_col)
      out.values.push_back(row[c]);
    for (auto c : metric_col)
      out.metrics.push_back(to_double(row[c]));
    r.rows.push_back(std::move(out));
  }
  return r;
}

std::string sweep_markdown(const SweepResults& r) {
  const Layout l = layout_of(r);
  std::string s = "# " + title_of(r) + "\n\n" + facts_md(r) + "\n";
  if (l.seed && r.axis_values[*l.seed].size() > 1) {
    s += "Cells: median over the " + std::to_string(r.axis_values[*l.seed].size()) +
         " seeds [first quartile, third quartile].\n\n";
  }
  for (std::size_t m = 0; m < r.metric_names.size(); ++m) {
    const Grid g = grid_of(r, l, m);
    s += "## " + r.metric_names[m] + "\n\n`" + r.metric_sources[m] + "`\n\n";
    s += "| " + (l.x ? md_escape(r.axis_names[*l.x]) : std::string("point")) + " |";
    for (const auto& ser : g.series)
      s += " " + md_escape(ser) + " |";
    s += "\n|---|";
    for (std::size_t i = 0; i < g.series.size(); ++i)
      s += "---:|";
    s += "\n";
    for (std::size_t x = 0; x < g.xs.size(); ++x) {
      s += "| " + md_escape(g.xs[x].empty() ? "all" : g.xs[x]) + " |";
      for (std::size_t ser = 0; ser < g.series.size(); ++ser) {
        auto it = g.cells.find({ser, x});
        s += " " + (it == g.cells.end() ? std::string("-") : cell_text(it->second, g.seeds)) + " |";
      }
      s += "\n";
    }
    s += "\n";
  }
  return s;
}

std::string sweep_html(const SweepResults& r) {
  const Layout l = layout_of(r);
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      html_escape(title_of(r)) +
      "</title>\n<style>\n"
      "body{font:14px/1.45 system-ui,sans-serif;color:#1b1f24;margin:0 "
      "auto;max-width:1120px;padding:16px 24px 48px}\n"
      "h2{font-size:18px;margin:28px 0 8px;padding-top:8px;border-top:1px solid #d0d7de}\n"
      "table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:tabular-nums}\n"
      "th,td{border:1px solid #d0d7de;padding:3px "
      "8px;text-align:left}th{background:#f6f8fa}td.num{text-align:right}\n"
      "td.best{background:#dafbe1;font-weight:600}.note{color:#57606a;font-size:13px}.wide{"
      "overflow-x:auto}\n"
      "figure.chart svg{width:100%;height:auto;max-width:900px;display:block}\n"
      "svg .plot{fill:#fff;stroke:#d0d7de}svg .grid{stroke:#eaeef2}svg .tick,svg "
      ".axis{font-size:11px;fill:#57606a}\n"
      "svg .series{fill:none;stroke-width:1.8}\n"
      "ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px}"
      "ul.legend li{display:flex;align-items:center;gap:6px}\n"
      "</style>\n</head>\n<body>\n<h1>" +
      html_escape(title_of(r)) + "</h1>\n<ul>";
  h += "<li>points: " + std::to_string(r.rows.size()) + " of " + std::to_string(r.planned) +
       " finished</li>";
  for (std::size_t k = 0; k < r.axis_names.size(); ++k) {
    h += "<li>axis <code>" + html_escape(r.axis_names[k]) +
         "</code>: " + std::to_string(r.axis_values[k].size()) + " value(s)</li>";
  }
  h += "</ul>\n";
  if (l.seed && r.axis_values[*l.seed].size() > 1) {
    h += "<p class=\"note\">Cells: median over the " +
         std::to_string(r.axis_values[*l.seed].size()) +
         " seeds [first quartile, third quartile]; charts show the median (bars: whiskers span the "
         "interquartile "
         "range).</p>\n";
  }
  for (std::size_t m = 0; m < r.metric_names.size(); ++m) {
    const Grid g = grid_of(r, l, m);
    h += "<section id=\"metric-" + std::to_string(m) + "\">\n<h2>" +
         html_escape(r.metric_names[m]) + "</h2>\n<p class=\"note\"><code>" +
         html_escape(r.metric_sources[m]) + "</code></p>\n";
    if (l.x && g.xs.size() > 1 && all_numeric(g.xs)) {
      h += line_chart(g, r, l, m);
    } else if (l.x) {
      h += bar_chart_svg(g,
                         r.metric_names[m] + " per " + r.axis_names[*l.x] + " (median over seeds)");
    }
    h += "<div class=\"wide\"><table>\n<tr><th>" +
         html_escape(l.x ? r.axis_names[*l.x] : std::string("point")) + "</th>";
    for (const auto& ser : g.series)
      h += "<th>" + html_escape(ser) + "</th>";
    h += "</tr>\n";
    for (std::size_t x = 0; x < g.xs.size(); ++x) {
      h += "<tr><td>" + html_escape(g.xs[x].empty() ? "all" : g.xs[x]) + "</td>";
      for (std::size_t ser = 0; ser < g.series.size(); ++ser) {
        auto it = g.cells.find({ser, x});
        h += "<td class=\"num\">" +
             html_escape(it == g.cells.end() ? "-" : cell_text(it->second, g.seeds)) + "</td>";
      }
      h += "</tr>\n";
    }
    h += "</table></div>\n</section>\n";
  }
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace gpusim::reports
