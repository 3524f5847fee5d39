// The HTML and Markdown writers, checked against golden files in tests/unit/reports/golden/
// (rewritten only with GPUSIM_UPDATE_GOLDEN=1), plus properties every report must have.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "reports/html_report.hpp"
#include "reports/markdown_report.hpp"
#include "reports/report_model.hpp"
#include "reports/svg_chart.hpp"
#include "sample_run.hpp"

#ifndef GPUSIM_REPORTS_GOLDEN_DIR
#define GPUSIM_REPORTS_GOLDEN_DIR "tests/unit/reports/golden"
#endif

namespace gpusim::reports {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_golden(const std::string& name, const std::string& actual) {
  const std::filesystem::path p = std::filesystem::path(GPUSIM_REPORTS_GOLDEN_DIR) / name;
  if (const char* u = std::getenv("GPUSIM_UPDATE_GOLDEN"); u != nullptr && std::string(u) == "1") {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << actual;
    GTEST_SKIP() << "updated " << p;
  }
  ASSERT_TRUE(std::filesystem::exists(p))
      << p << " is missing: run with GPUSIM_UPDATE_GOLDEN=1 after checking the output";
  EXPECT_TRUE(slurp(p) == actual) << name << " differs from " << p
                                  << " (GPUSIM_UPDATE_GOLDEN=1 rewrites it)";
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1))
    ++n;
  return n;
}

TEST(ReportModel, SummaryFiguresComeFromTheRun) {
  const RunDir run = testing::sample_run();
  const ReportModel m = build_report({&run});
  ASSERT_FALSE(m.sections.empty());
  const Table& sum = m.sections[0].tables[0];
  auto row = [&](const std::string& label) -> std::string {
    for (const auto& r : sum.rows) {
      if (r.label == label) return r.cells.at(0).text;
    }
    return "(missing)";
  };
  EXPECT_EQ(row("GPU allocation, time-weighted mean"), "50%");
  EXPECT_EQ(row("scheduling wait p50"), "10m");
  EXPECT_EQ(row("scheduling wait max"), "5h30m");
  EXPECT_EQ(row("GPU-hours allocated"), "17.5");  // team-a 4 GPUs x 2h + 2 x 4h, team-b 0.5 x 3h
  EXPECT_EQ(row("pods pending at the end"), "1");
}

// The runs' cost (summary.json cost.total_micros, what the pools' costPerHour came to) is a row,
// in currency units; a run without one shows none.
TEST(ReportModel, CostIsTheRunsTotal) {
  auto files = testing::sample_files();
  files["summary.json"].insert(files["summary.json"].size() - 1,
                               R"(,"cost":{"unit":"micros","total_micros":338339999})");
  const RunDir priced = RunDir::from_files(files, "priced");
  const RunDir plain = testing::sample_run();
  const ReportModel m = build_report({&priced, &plain});
  const Table& sum = m.sections[0].tables[0];
  const auto it = std::find_if(sum.rows.begin(), sum.rows.end(),
                               [](const auto& r) { return r.label == "cost"; });
  ASSERT_NE(it, sum.rows.end());
  EXPECT_EQ(it->cells.at(0).text, "338.34");
  EXPECT_EQ(it->cells.at(1).text, "–");
}

// A run made with a GPU policy says which (summary.json scheduler.policy); one without does not.
TEST(ReportModel, TheRunsPolicyIsAmongItsFacts) {
  auto files = testing::sample_files();
  const RunDir plain = RunDir::from_files(files, "plain");
  auto summary = nlohmann::ordered_json::parse(files.at("summary.json"));
  summary["scheduler"]["policy"] = "FGD";
  files["summary.json"] = summary.dump();
  const RunDir with_policy = RunDir::from_files(files, "fgd");
  auto policy_of = [](const RunDir& r) {
    for (const auto& [name, value] : build_report({&r}).facts) {
      if (name == "policy") return value;
    }
    return std::string("(none)");
  };
  EXPECT_EQ(policy_of(with_policy), "FGD");
  EXPECT_EQ(policy_of(plain), "(none)");
}

TEST(ReportModel, ComparisonMarksTheBestValue) {
  const RunDir a = testing::sample_run();
  auto files = testing::sample_files();
  // Variant b: allocation mean 60 %, so it is the better one on that row.
  const std::string from = "\"allocated_mean\":4000";
  files["summary.json"].replace(files["summary.json"].find(from), from.size(),
                                "\"allocated_mean\":4800");
  RunDir b = RunDir::from_files(files, "b");
  b.set_label("b");
  const ReportModel m = build_report({&a, &b});
  EXPECT_TRUE(m.comparison);
  const Table& sum = m.sections[0].tables[0];
  for (const auto& r : sum.rows) {
    if (r.label == "GPU allocation, time-weighted mean") {
      EXPECT_FALSE(r.cells[0].best);
      EXPECT_TRUE(r.cells[1].best);
    }
    if (r.label == "pods failed") {  // equal everywhere: nothing marked
      EXPECT_FALSE(r.cells[0].best || r.cells[1].best);
    }
  }
  // Charts are overlaid: one GPU allocation chart with both variants' series.
  for (const auto& s : m.sections) {
    for (const auto& c : s.charts) {
      if (c.id == "gpu-allocation") {
        ASSERT_GE(c.series.size(), 2u);
        EXPECT_EQ(c.series.front().name.rfind("sample: ", 0), 0u);
        EXPECT_EQ(c.series.back().name.rfind("b: ", 0), 0u);
      }
    }
  }
}

TEST(HtmlReport, IsSelfContained) {
  const RunDir run = testing::sample_run();
  const std::string html = render_html(build_report({&run}));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(html, "<script"), 0u);
  EXPECT_EQ(count(html, "http://"),
            count(html, "http://www.w3.org/2000/svg"));  // only the SVG namespace
  EXPECT_EQ(count(html, "https://"), 0u);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_GE(count(html, "<svg xmlns"),
            4u);  // GPU allocation, fragmentation, pods, wait, nodes, HPA
  EXPECT_NE(html.find("quota.csv not in this run"),
            std::string::npos);  // absent files are said, not hidden
  EXPECT_EQ(count(html, "<section"), count(html, "</section>"));
  EXPECT_EQ(count(html, "<table"), count(html, "</table>"));
}

TEST(HtmlReport, Golden) {
  const RunDir run = testing::sample_run();
  expect_golden("sample.html", render_html(build_report({&run})));
}

TEST(MarkdownReport, Golden) {
  const RunDir run = testing::sample_run();
  expect_golden("sample.md", render_markdown(build_report({&run})));
}

// A NaN y is a gap: the line stops there and starts again after it, and the Markdown figures
// leave it out (a pool scaled to zero has no allocation, not 0 %).
TEST(ChartGaps, TheLineBreaksAndTheFiguresSkipTheGap) {
  Chart c;
  c.id = "g";
  c.title = "gappy";
  c.y_unit = Unit::kRatio;
  ChartSeries s;
  s.name = "pool h100";
  s.points = {{0, 0.5}, {1000, std::nan("")}, {2000, std::nan("")}, {3000, 1.0}, {4000, 1.0}};
  c.series.push_back(s);
  const std::string svg = render_svg_chart(c);
  EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
  const std::size_t path = svg.find("<path class=\"series\" d=\"");
  ASSERT_NE(path, std::string::npos);
  const std::string d = svg.substr(path, svg.find('"', path + 26) - path);
  EXPECT_EQ(count(d, "M"), 2u) << d;  // one segment before the gap, one after
  ReportModel m;
  m.title = "t";
  m.sections.push_back(Section{"s", "S", "", {}, {c}, {}});
  const std::string md = render_markdown(m);
  EXPECT_NE(md.find("| pool h100 | 50.0% | 83.3% | 100.0% | 100.0% |"), std::string::npos) << md;
  // Only gaps: no data.
  c.series[0].points = {{0, std::nan("")}};
  EXPECT_FALSE(c.has_data());
}

// The pool table's mean allocation and the chart's figures agree for a pool whose only node
// joins at 3 h: both cover the samples where the pool had GPUs.
TEST(ReportModel, APoolWithoutNodesIsAGapNotZeroAllocation) {
  auto files = testing::sample_files();
  files["nodes.csv"] += "h100-0,h100,H100,10800000,,16000,68719476736,110,4,gpusim.io/pool=h100,\n";
  files["pods.csv"] +=
      "team-c/"
      "gpu-1,team-c,,,0,10800000,10800000,10800000,,,h100-0,Running,,1000,0,2000,2,0;1,0,1,app=g\n";
  RunDir r = RunDir::from_files(files, "late-pool");
  r.set_label("late-pool");
  const ReportModel m = build_report({&r});
  const Section* gpu = nullptr;
  for (const auto& sec : m.sections)
    if (sec.id == "gpus") gpu = &sec;
  ASSERT_NE(gpu, nullptr);
  const Chart* alloc = nullptr;
  for (const auto& c : gpu->charts)
    if (c.id == "gpu-allocation") alloc = &c;
  ASSERT_NE(alloc, nullptr);
  const ChartSeries* h100 = nullptr;
  for (const auto& s : alloc->series)
    if (s.name == "pool h100") h100 = &s;
  ASSERT_NE(h100, nullptr);
  double sum = 0;
  int n = 0, gaps = 0;
  for (const auto& [x, y] : h100->points) {
    if (std::isnan(y)) {
      ++gaps;
      EXPECT_LT(x, 10800000) << "a gap after the node joined";
    } else {
      sum += y;
      ++n;
    }
  }
  EXPECT_GT(gaps, 0);
  ASSERT_GT(n, 0);
  EXPECT_NEAR(sum / n, 0.5, 1e-9);  // 2 of 4 GPUs whenever the pool exists
  std::string table_mean;
  for (const auto& t : gpu->tables)
    for (const auto& row : t.rows)
      if (row.label == "h100") table_mean = row.cells.at(3).text;
  EXPECT_EQ(table_mean, "50%");
  EXPECT_NE(render_markdown(m).find("| pool h100 | 50.0% | 50.0% | 50.0% | 50.0% |"),
            std::string::npos);
}

TEST(ReportCsvs, SummaryAndNamespaces) {
  const RunDir run = testing::sample_run();
  const auto csvs = report_csvs(build_report({&run}));
  ASSERT_TRUE(csvs.count("summary.csv"));
  ASSERT_TRUE(csvs.count("namespaces.csv"));
  EXPECT_EQ(csvs.at("namespaces.csv").substr(0, csvs.at("namespaces.csv").find('\n')),
            "namespace,pods,GPU-hours,wait p50,wait p95,wait p99,never bound,quota "
            "rejections,other rejections,preempted,failed");
  EXPECT_NE(csvs.at("namespaces.csv").find("\nteam-b,2,1.5,0s,5h30m,5h30m,1,2,0,0,0\n"),
            std::string::npos)
      << csvs.at("namespaces.csv");
}

}  // namespace
}  // namespace gpusim::reports
