// The HTML and Markdown writers, checked against golden files in tests/unit/reports/golden/
// (rewritten only with GPUSIM_UPDATE_GOLDEN=1), plus properties every report must have.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/split.hpp"
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
  const auto it = std::find_if(sum.rows.begin(), sum.rows.end(), [](const auto& r) {
    return r.label == "cost (costPerHour's currency)";
  });
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

// The sample run with an autoscaled a100 pool whose zone was stocked out from 0 to 3h: two
// scale-ups refused (at 1h and 2h, two nodes each), the pool backed off from 1h to 4h. pools.csv
// is sampled hourly, as timeseries.csv.
std::map<std::string, std::string> stock_out_files() {
  auto files = testing::sample_files();
  auto summary = nlohmann::ordered_json::parse(files.at("summary.json"));
  summary["pools"] = nlohmann::ordered_json::parse(
      R"([{"pool":"a100","autoscaled":true,"min_size":0,"max_size":4,"scale_ups":2,)"
      R"("nodes_added":0,"nodes_removed":0,"failed_scale_ups":2,"nodes_failed":4},)"
      R"({"pool":"cpu","autoscaled":false}])");
  files["summary.json"] = summary.dump();
  files["pools.csv"] =
      "t_ms,pool,nodes,nodes_ready,gpus,gpu_allocated_milli,cost_micros,failed_scale_ups,"
      "nodes_failed,backed_off,stocked_out\n";
  // failed scale-ups, nodes failed, backed off, stocked out of a100 at 0h..6h
  const int a100[7][4] = {{0, 0, 0, 1}, {1, 2, 1, 1}, {2, 4, 1, 1}, {2, 4, 1, 0},
                          {2, 4, 0, 0}, {2, 4, 0, 0}, {2, 4, 0, 0}};
  for (int h = 0; h <= 6; ++h) {
    const std::string t = std::to_string(h * 3'600'000);
    files["pools.csv"] += t + ",a100,2,2,8,0,0," + std::to_string(a100[h][0]) + "," +
                          std::to_string(a100[h][1]) + "," + std::to_string(a100[h][2]) + "," +
                          std::to_string(a100[h][3]) + "\n";
    files["pools.csv"] += t + ",cpu,1,1,0,0,0,0,0,0,0\n";
  }
  auto event = [](TimeMs t, const char* type, const char* message, bool warning) {
    return R"({"t_ms":)" + std::to_string(t) + R"(,"type":")" + type +
           R"(","kind":"NodePool","object":"a100","message":")" + message + R"(","warning":)" +
           (warning ? "true" : "false") + "}\n";
  };
  files["events.jsonl"] +=
      event(0, "StockOut",
            "The cloud has no capacity for node pool a100 for 3h: new instances "
            "fail",
            true) +
      event(3'590'000, "ScaledUpGroup", "Scale-up: setting group a100 0->2 (max: 4)", false) +
      event(3'600'000, "ScaleUpFailed", "Failed adding 2 nodes to group a100", true) +
      event(3'600'000, "BackOff", "Disabling scale-up for node group a100", true) +
      event(7'190'000, "ScaledUpGroup", "Scale-up: setting group a100 0->2 (max: 4)", false) +
      event(7'200'000, "ScaleUpFailed", "Failed adding 2 nodes to group a100", true) +
      event(7'200'000, "BackOff", "Disabling scale-up for node group a100", true) +
      event(10'800'000, "Restock", "The cloud has capacity for node pool a100 again", false);
  return files;
}

const Table* find_table(const ReportModel& m, const std::string& id) {
  for (const auto& s : m.sections) {
    for (const auto& t : s.tables) {
      if (t.id == id) return &t;
    }
  }
  return nullptr;
}
const Section& find_section(const ReportModel& m, const std::string& id) {
  for (const auto& s : m.sections) {
    if (s.id == id) return s;
  }
  throw std::out_of_range("no section " + id);
}
const Chart* find_chart(const ReportModel& m, const std::string& id) {
  for (const auto& s : m.sections) {
    for (const auto& c : s.charts) {
      if (c.id == id) return &c;
    }
  }
  return nullptr;
}

// A capacity planner sees what failed provisioning cost: which pool, how many scale-ups and
// nodes, how long the pool could not grow, when it started; a chart of each over time; the
// cloud's and the autoscaler's events among the notable ones; the total in the summary.
TEST(ReportModel, FailedProvisioningIsShownPerPool) {
  const RunDir run = RunDir::from_files(stock_out_files(), "stock-out");
  const ReportModel m = build_report({&run});
  const Table* prov = find_table(m, "pool-provisioning");
  ASSERT_NE(prov, nullptr);
  ASSERT_EQ(prov->rows.size(), 1u);  // the cpu pool never failed
  EXPECT_EQ(prov->rows[0].label, "a100");
  std::vector<std::string> cells;
  for (const auto& c : prov->rows[0].cells)
    cells.push_back(c.text);
  // Backed off 1h..4h and stocked out 0..3h, each sample holding until the next.
  EXPECT_EQ(cells, (std::vector<std::string>{"2", "4", "3h", "3h", "1h"}));

  const Chart* failed = find_chart(m, "pool-failed-scale-ups");
  ASSERT_NE(failed, nullptr);
  ASSERT_EQ(failed->series.size(), 1u);
  EXPECT_EQ(failed->series[0].name, "a100");
  EXPECT_EQ(failed->series[0].points.back().second, 2);
  const Chart* state = find_chart(m, "pool-provisioning-a100");
  ASSERT_NE(state, nullptr);
  ASSERT_EQ(state->series.size(), 2u);
  EXPECT_EQ(state->y_unit, Unit::kBool);
  EXPECT_EQ(find_chart(m, "pool-provisioning-cpu"), nullptr);
  // A state chart's axis says no and yes.
  const std::string svg = render_svg_chart(*state);
  EXPECT_NE(svg.find(">no</text>"), std::string::npos);
  EXPECT_NE(svg.find(">yes</text>"), std::string::npos);

  const Table* notable = find_table(m, "notable-events");
  ASSERT_NE(notable, nullptr);
  std::set<std::string> reasons;
  for (const auto& r : notable->rows)
    reasons.insert(r.cells.at(0).text);
  for (const char* r : {"StockOut", "ScaledUpGroup", "ScaleUpFailed", "BackOff", "Restock"})
    EXPECT_TRUE(reasons.count(r)) << r;

  const Table& sum = m.sections[0].tables[0];
  const auto row = std::find_if(sum.rows.begin(), sum.rows.end(), [](const auto& r) {
    return r.label == "failed scale-ups (refused or timed out)";
  });
  ASSERT_NE(row, sum.rows.end());
  EXPECT_EQ(row->cells.at(0).text, "2");

  // The section as report.md shows it.
  ReportModel part = m;
  part.sections.erase(std::remove_if(part.sections.begin(), part.sections.end(),
                                     [](const Section& s) { return s.id != "nodes"; }),
                      part.sections.end());
  expect_golden("provisioning.md", render_markdown(part));
}

// An autoscaled run where nothing failed says so; a pools.csv from before these columns, and a
// run without autoscaled pools, show nothing about provisioning.
TEST(ReportModel, NoFailedProvisioningIsSaidOnlyForAutoscaledRuns) {
  auto files = stock_out_files();
  std::string& pools = files["pools.csv"];
  for (std::size_t at = pools.find(",a100,"); at != std::string::npos;
       at = pools.find(",a100,", at + 1))
    pools.replace(pools.find('\n', at) - 7, 7, "0,0,0,0");
  const RunDir quiet = RunDir::from_files(files, "quiet");
  const ReportModel m = build_report({&quiet});
  EXPECT_EQ(find_table(m, "pool-provisioning"), nullptr);
  EXPECT_EQ(find_chart(m, "pool-failed-scale-ups"), nullptr);
  const auto& notes = find_section(m, "nodes").notes;
  EXPECT_NE(std::find(notes.begin(), notes.end(),
                      "No scale-up failed; no pool was backed off or stocked out."),
            notes.end());

  auto old = stock_out_files();
  std::string csv;
  for (const auto& line : split(old["pools.csv"], '\n')) {
    if (line.empty()) continue;
    std::size_t cut = line.size();
    for (int i = 0; i < 4; ++i)
      cut = line.rfind(',', cut - 1);
    csv += line.substr(0, cut) + "\n";
  }
  ASSERT_EQ(csv.substr(0, csv.find('\n')),
            "t_ms,pool,nodes,nodes_ready,gpus,gpu_allocated_milli,cost_micros");
  old["pools.csv"] = csv;
  const RunDir before = RunDir::from_files(old, "before");
  const ReportModel mb = build_report({&before});
  EXPECT_EQ(find_table(mb, "pool-provisioning"), nullptr);
  EXPECT_EQ(find_chart(mb, "pool-failed-scale-ups"), nullptr);
  for (const auto& n : find_section(mb, "nodes").notes)
    EXPECT_EQ(n.find("No scale-up failed"), std::string::npos) << n;
  const RunDir plain = testing::sample_run();
  const ReportModel mp = build_report({&plain});
  for (const auto& n : find_section(mp, "nodes").notes)
    EXPECT_EQ(n.find("No scale-up failed"), std::string::npos) << n;
}

TEST(ReportCsvs, SummaryAndNamespaces) {
  const RunDir run = testing::sample_run();
  const auto csvs = report_csvs(build_report({&run}));
  ASSERT_TRUE(csvs.count("summary.csv"));
  ASSERT_TRUE(csvs.count("namespaces.csv"));
  EXPECT_EQ(csvs.at("namespaces.csv").substr(0, csvs.at("namespaces.csv").find('\n')),
            "namespace,pods,GPU-hours,scheduling wait p50,scheduling wait p95,scheduling wait "
            "p99,wait with quota p50,wait with quota p95,wait with quota p99,never bound,quota "
            "rejections,other rejections,preempted,failed");
  EXPECT_NE(
      csvs.at("namespaces.csv").find("\nteam-b,2,1.5,0s,5h30m,5h30m,0s,5h30m,5h30m,1,2,0,0,0\n"),
      std::string::npos)
      << csvs.at("namespaces.csv");
}

// The per-namespace table shows both waits: the scheduling wait (creation to binding, as
// pod_wait) and the wait with quota (from the owner's first quota refusal, as pod_wait_with_quota
// and the run's namespaces.csv), so a namespace held back by quota does not read 0s.
TEST(ReportModel, NamespaceTableShowsTheWaitWithQuota) {
  const RunDir run = RunDir::from_files(testing::files_with_quota_waits(), "quota-wait");
  const ReportModel m = build_report({&run});
  const Table* nt = find_table(m, "namespace-table");
  ASSERT_NE(nt, nullptr);
  const auto column = [&](const std::string& name) {
    const auto it = std::find(nt->columns.begin(), nt->columns.end(), name);
    EXPECT_NE(it, nt->columns.end()) << name;
    return static_cast<std::size_t>(it - nt->columns.begin());
  };
  const auto row = std::find_if(nt->rows.begin(), nt->rows.end(),
                                [](const TableRow& r) { return r.label == "team-b"; });
  ASSERT_NE(row, nt->rows.end());
  // team-b waited 10m and 1h for a node, 1h10m and 3h counting quota.
  EXPECT_EQ(row->cells.at(column("scheduling wait p50")).text, "10m");
  EXPECT_EQ(row->cells.at(column("scheduling wait p99")).text, "1h");
  EXPECT_EQ(row->cells.at(column("wait with quota p50")).text, "1h10m");
  EXPECT_EQ(row->cells.at(column("wait with quota p95")).text, "3h");
  EXPECT_NE(nt->note.find("pod_wait_with_quota"), std::string::npos) << nt->note;
}

const TableRow& summary_row(const ReportModel& m, const std::string& label) {
  const Table& sum = m.sections.at(0).tables.at(0);
  const auto it = std::find_if(sum.rows.begin(), sum.rows.end(),
                               [&](const TableRow& r) { return r.label == label; });
  if (it == sum.rows.end()) throw std::out_of_range("no summary row " + label);
  return *it;
}

// The best value is marked on every variant that shows it (values that print the same are a
// tie), never when every variant shows the same, and on every row with a better direction,
// GPU allocation at the end included.
TEST(ReportModel, BestValuesMarkEveryTieAndEveryRowWithADirection) {
  auto variant = [](const std::string& label, int cpu_mean_milli, int gpu_final_milli) {
    auto files = testing::sample_files();
    std::string& s = files["summary.json"];
    s.replace(s.find("\"allocated_mean\":6000"), 21,
              "\"allocated_mean\":" + std::to_string(cpu_mean_milli));
    s.replace(s.find("\"allocated_final\":2500"), 22,
              "\"allocated_final\":" + std::to_string(gpu_final_milli));
    RunDir r = RunDir::from_files(files, label);
    r.set_label(label);
    return r;
  };
  // CPU means 6,000 / 6,001 / 5,000 milli of 48,000: 12.5%, 12.5% (printed) and 10.4%.
  const RunDir a = variant("a", 6000, 2500), b = variant("b", 6001, 4000),
               c = variant("c", 5000, 4000);
  const ReportModel m = build_report({&a, &b, &c});
  const TableRow& cpu = summary_row(m, "CPU allocation, time-weighted mean");
  EXPECT_EQ(cpu.cells.at(0).text, cpu.cells.at(1).text);
  EXPECT_TRUE(cpu.cells.at(0).best);
  EXPECT_TRUE(cpu.cells.at(1).best);
  EXPECT_FALSE(cpu.cells.at(2).best);
  const TableRow& end = summary_row(m, "GPU allocation at the end");
  EXPECT_FALSE(end.cells.at(0).best);
  EXPECT_TRUE(end.cells.at(1).best);
  EXPECT_TRUE(end.cells.at(2).best);
  // Printed the same everywhere: nothing to choose.
  const RunDir d = variant("d", 6000, 2500), e = variant("e", 6001, 2500);
  const ReportModel same = build_report({&d, &e});
  const TableRow& cpu_same = summary_row(same, "CPU allocation, time-weighted mean");
  EXPECT_FALSE(cpu_same.cells.at(0).best || cpu_same.cells.at(1).best);
}

// hpa.csv's state columns (metrics, conditions) do not split an HPA into a series per state: the
// HPA chart has one line per numeric column.
TEST(ReportModel, HpaChartHasOneLinePerColumn) {
  const RunDir run = RunDir::from_files(testing::files_with_hpa_state(), "hpa-state");
  const ReportModel m = build_report({&run});
  const Chart* hpa = find_chart(m, "hpa-team-b/infer-hpa");
  ASSERT_NE(hpa, nullptr);
  EXPECT_EQ(hpa->series.size(), 4u);  // min, max, current, desired replicas
  for (const auto& s : hpa->series)
    EXPECT_EQ(s.points.size(), 4u) << s.name;
}

// workloads.csv: the Replicas chart has the replica counts only; CPU per ready pod (hundreds of
// milli-CPU) has its own chart rather than flattening the counts on a shared axis.
TEST(ReportModel, CpuPerPodIsNotOnTheReplicasAxis) {
  auto files = testing::sample_files();
  files["workloads.csv"] =
      "t_ms,deployment,desired,replicas,updated,ready,available,unavailable,offered_rps,"
      "served_rps,latency_ms,queue_depth,queue_oldest_age_s,cpu_per_ready_pod_milli\n"
      "0,team-b/infer,2,2,2,0,0,2,70.0,0.0,,,,30\n"
      "3600000,team-b/infer,10,10,10,9,9,1,300.0,290.0,12.5,0,0,560\n";
  const RunDir run = RunDir::from_files(files, "workloads");
  const ReportModel m = build_report({&run});
  const Chart* replicas = find_chart(m, "replicas-team-b/infer");
  ASSERT_NE(replicas, nullptr);
  std::set<std::string> names;
  for (const auto& s : replicas->series)
    names.insert(s.name);
  EXPECT_EQ(names, (std::set<std::string>{"available", "desired", "ready", "replicas",
                                          "unavailable", "updated"}));
  const Chart* cpu = find_chart(m, "cpu-per-pod-team-b/infer");
  ASSERT_NE(cpu, nullptr);
  ASSERT_EQ(cpu->series.size(), 1u);
  EXPECT_EQ(cpu->series[0].name, "cpu_per_ready_pod_milli");
  EXPECT_EQ(cpu->y_label, "milli-CPU");
}

// Cost per hour by pool, in costPerHour's currency (pools.csv cost_micros is the cost so far in
// millionths): 2 nodes at 3.5 an hour, then 4.
TEST(ReportModel, CostIsChartedPerHourInCurrencyUnits) {
  auto files = testing::sample_files();
  files["pools.csv"] =
      "t_ms,pool,nodes,nodes_ready,gpus,gpu_allocated_milli,cost_micros\n"
      "0,a100,2,2,8,0,0\n"
      "3600000,a100,2,2,8,0,7000000\n"
      "5400000,a100,4,4,16,0,14000000\n"
      "0,cpu,1,1,0,0,0\n"
      "3600000,cpu,1,1,0,0,0\n";
  const RunDir run = RunDir::from_files(files, "priced");
  const ReportModel m = build_report({&run});
  const Chart* cost = find_chart(m, "pool-cost");
  ASSERT_NE(cost, nullptr);
  ASSERT_EQ(cost->series.size(), 2u);
  EXPECT_EQ(cost->series[0].name, "a100");
  EXPECT_EQ(cost->series[0].points,
            (std::vector<std::pair<double, double>>{{0, 7.0}, {3'600'000, 14.0}}));
  EXPECT_NE(cost->y_label.find("per hour"), std::string::npos);
  // The axis reads in currency units, not millionths.
  const std::string svg = render_svg_chart(*cost);
  EXPECT_EQ(svg.find("000k"), std::string::npos) << svg;
}

}  // namespace
}  // namespace gpusim::reports
