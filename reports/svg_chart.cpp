#include "reports/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/duration.hpp"
#include "reports/format.hpp"

namespace gpusim::reports {

namespace {

// Colour-blind-safe palette (Okabe-Ito plus greys), in a fixed order for determinism.
const char* const kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                                "#56B4E9", "#F0E442", "#000000", "#999999", "#7F3C8D"};
const char* const kDash[] = {"", "6 3", "2 3", "8 3 2 3"};

constexpr double kW = 760, kH = 260, kLeft = 70, kRight = 14, kTop = 12, kBottom = 34;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string y_tick_label(double v, Unit u) {
  switch (u) {
    case Unit::kRatio:
      return percent(v, 0);
    case Unit::kDuration:
      return format_duration(static_cast<TimeMs>(std::llround(v)));
    case Unit::kBool:
      if (v == 0 || v == 1) return v == 1 ? "yes" : "no";
      return fixed(v, 2);
    default:
      return std::fabs(v) >= 10000 ? fixed(v / 1000, 1) + "k" : fixed(v, 2);
  }
}

// Keeps shape with at most ~max points: per bucket the first, min, max and last point, and
// both sides of every edge of a gap (so gaps keep their place).
std::vector<std::pair<double, double>> thin(const std::vector<std::pair<double, double>>& pts,
                                            std::size_t max) {
  if (pts.size() <= max) return pts;
  std::vector<std::pair<double, double>> out;
  const std::size_t buckets = max / 4;
  const std::size_t per = (pts.size() + buckets - 1) / buckets;
  for (std::size_t b = 0; b < pts.size(); b += per) {
    const std::size_t e = std::min(pts.size(), b + per);
    std::size_t lo = e, hi = e;
    std::vector<std::size_t> idx = {b, e - 1};
    for (std::size_t i = b; i < e; ++i) {
      const double y = pts[i].second;
      if (i > 0 && std::isnan(y) != std::isnan(pts[i - 1].second)) {
        idx.push_back(i - 1);
        idx.push_back(i);
      }
      if (std::isnan(y)) continue;
      if (lo == e || y < pts[lo].second) lo = i;
      if (hi == e || y > pts[hi].second) hi = i;
    }
    if (lo != e) idx.push_back(lo);
    if (hi != e) idx.push_back(hi);
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    for (auto i : idx)
      out.push_back(pts[i]);
  }
  return out;
}

}  // namespace

bool Chart::has_data() const {
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isnan(y)) return true;
    }
  }
  return false;
}

std::vector<double> nice_ticks(double lo, double hi, int max_ticks, bool time_axis) {
  std::vector<double> out;
  if (!(hi > lo)) return {lo};
  const double span = hi - lo;
  double step = 0;
  if (time_axis) {
    static const double steps[] = {1e3,    5e3,     1e4,     3e4,      6e4,     3e5,     6e5,
                                   9e5,    1.8e6,   3.6e6,   7.2e6,    1.08e7,  2.16e7,  4.32e7,
                                   8.64e7, 1.728e8, 6.048e8, 1.2096e9, 2.592e9, 7.776e9, 3.1536e10};
    step = steps[sizeof steps / sizeof steps[0] - 1];
    for (double s : steps) {
      if (span / s <= max_ticks) {
        step = s;
        break;
      }
    }
  } else {
    const double raw = span / max_ticks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
      if (m * mag >= raw) {
        step = m * mag;
        break;
      }
    }
  }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push_back(v);
  return out;
}

std::string render_svg_chart(const Chart& c) {
  std::string h = "<figure class=\"chart\" id=\"" + html_escape(c.id) + "\">\n<figcaption>" +
                  html_escape(c.title) + "</figcaption>\n";
  if (!c.has_data()) {
    h += "<p class=\"note\">" + html_escape(c.note.empty() ? "No data." : c.note) +
         "</p>\n</figure>\n";
    return h;
  }
  double x0 = 1e300, x1 = -1e300, y0 = 0, y1 = -1e300;
  for (const auto& s : c.series) {
    for (const auto& [x, y] : s.points) {
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      if (std::isnan(y)) continue;
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  if (y1 < y0) y1 = y0;  // only gaps
  x1 = std::max(x1, c.x_end);
  if (c.x_is_time) x0 = std::min(x0, 0.0);
  if (x1 <= x0) x1 = x0 + (c.x_is_time ? 60'000 : 1);
  if (c.y_unit == Unit::kRatio) y1 = std::max(y1, 1.0);
  if (y1 <= y0) y1 = y0 + 1;
  // A state (0 or 1) has two ticks, "no" and "yes", and room above "yes" so a line held there
  // does not run along the frame.
  const bool state = c.y_unit == Unit::kBool && y0 == 0 && y1 == 1;
  const std::vector<double> yt =
      state ? std::vector<double>{0, 1} : nice_ticks(y0, y1, 5, c.y_unit == Unit::kDuration);
  if (state) {
    y1 = 1.25;
  } else if (!yt.empty() && yt.back() < y1) {
    // Round the top up to a tick so lines never touch the frame.
    const double step = yt.size() > 1 ? yt[1] - yt[0] : y1;
    y1 = yt.back() + step;
  } else if (!yt.empty()) {
    y1 = std::max(y1, yt.back());
  }
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto X = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * pw; };
  auto Y = [&](double y) { return kTop + ph - (y - y0) / (y1 - y0) * ph; };

  h += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + num(kW) + " " + num(kH) +
       "\" role=\"img\" aria-label=\"" + html_escape(c.title) + "\">\n";
  h += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" + num(pw) +
       "\" height=\"" + num(ph) + "\" class=\"plot\"/>\n";
  for (double v : state ? yt : nice_ticks(y0, y1, 5, c.y_unit == Unit::kDuration)) {
    h += "<line class=\"grid\" x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + pw) + "\" y1=\"" +
         num(Y(v)) + "\" y2=\"" + num(Y(v)) + "\"/>";
    h += "<text class=\"tick\" x=\"" + num(kLeft - 6) + "\" y=\"" + num(Y(v) + 4) +
         "\" text-anchor=\"end\">" + html_escape(y_tick_label(v, c.y_unit)) + "</text>\n";
  }
  for (double v : nice_ticks(x0, x1, 8, c.x_is_time)) {
    h += "<line class=\"grid\" x1=\"" + num(X(v)) + "\" x2=\"" + num(X(v)) + "\" y1=\"" +
         num(kTop) + "\" y2=\"" + num(kTop + ph) + "\"/>";
    const std::string label =
        c.x_is_time ? format_duration(static_cast<TimeMs>(std::llround(v))) : fixed(v, 2);
    h += "<text class=\"tick\" x=\"" + num(X(v)) + "\" y=\"" + num(kTop + ph + 16) +
         "\" text-anchor=\"middle\">" + html_escape(label) + "</text>\n";
  }
  h += "<text class=\"axis\" x=\"" + num(kLeft + pw / 2) + "\" y=\"" + num(kH - 2) +
       "\" text-anchor=\"middle\">" +
       html_escape(c.x_is_time ? std::string("simulated time") : c.x_label) + "</text>\n";
  if (!c.y_label.empty()) {
    h += "<text class=\"axis\" transform=\"translate(12," + num(kTop + ph / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(c.y_label) + "</text>\n";
  }
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const ChartSeries& s = c.series[i];
    if (s.points.empty()) continue;
    const auto pts = thin(s.points, 1600);
    std::string d;
    bool pen_up = true;
    for (std::size_t k = 0; k < pts.size(); ++k) {
      const double px = X(pts[k].first);
      if (std::isnan(pts[k].second)) {
        // A held value ends where the gap starts.
        if (!pen_up && s.step) d += "H" + num(px);
        pen_up = true;
        continue;
      }
      const double py = Y(pts[k].second);
      if (pen_up) {
        d += "M" + num(px) + " " + num(py);
        pen_up = false;
      } else if (s.step) {
        d += "H" + num(px) + "V" + num(py);
      } else {
        d += "L" + num(px) + " " + num(py);
      }
    }
    if (d.empty()) continue;
    if (s.step && pts.size() == 1) d += "H" + num(X(x1));
    const char* color = kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
    h += "<path class=\"series\" d=\"" + d + "\" stroke=\"" + color + "\"";
    const char* dash = kDash[s.dash % 4];
    if (*dash) h += std::string(" stroke-dasharray=\"") + dash + "\"";
    h += "><title>" + html_escape(s.name) + "</title></path>\n";
    if (s.markers && pts.size() <= 600) {
      for (const auto& [x, y] : pts) {
        if (std::isnan(y)) continue;
        h += "<circle cx=\"" + num(X(x)) + "\" cy=\"" + num(Y(y)) + "\" r=\"2.2\" fill=\"" + color +
             "\"/>";
      }
      h += "\n";
    }
  }
  h += "</svg>\n<ul class=\"legend\">";
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const char* color = kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
    const char* dash = kDash[c.series[i].dash % 4];
    h += std::string(
             "<li><svg width=\"22\" height=\"8\" aria-hidden=\"true\"><line x1=\"0\" y1=\"4\" "
             "x2=\"22\" y2=\"4\" stroke=\"") +
         color + "\" stroke-width=\"2.5\"" +
         (*dash ? std::string(" stroke-dasharray=\"") + dash + "\"" : std::string()) + "/></svg>" +
         html_escape(c.series[i].name) + "</li>";
  }
  h += "</ul>\n";
  if (!c.note.empty()) h += "<p class=\"note\">" + html_escape(c.note) + "</p>\n";
  h += "</figure>\n";
  return h;
}

}  // namespace gpusim::reports
