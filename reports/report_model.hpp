#pragma once
// What a report shows, computed once from one run directory (a report) or several (a
// comparison, variants side by side), then rendered as HTML (html_report), Markdown
// (markdown_report) and CSV.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/run_dir.hpp"
#include "reports/svg_chart.hpp"

namespace gpusim::reports {

enum class Better { kNone, kLower, kHigher };

struct Cell {
  std::string text;
  std::optional<double> value;  // for picking the best value in comparisons
  bool best = false;
};

struct TableRow {
  std::string label;
  std::vector<Cell> cells;
  Better better = Better::kNone;
};

struct Table {
  std::string id;
  std::string title;
  std::vector<std::string> columns;  // after the row label column
  std::string label_column;
  std::vector<TableRow> rows;
  std::string note;
};

struct Section {
  std::string id;
  std::string title;
  std::string intro;
  std::vector<Table> tables;
  std::vector<Chart> charts;
  std::vector<std::string> notes;  // e.g. "hpa.csv not in this run: no HPA charts"
};

struct ReportModel {
  std::string title;
  bool comparison = false;
  std::vector<std::string> variants;                       // run labels
  std::vector<std::pair<std::string, std::string>> facts;  // scenario, seed, ... (key, value)
  std::vector<Section> sections;
};

ReportModel build_report(const std::vector<const RunDir*>& runs);
// Marks the best cell of every row whose direction is known (ties: all of them).
void mark_best(Table& t);

// CSVs of the report's tables: file name -> content (e.g. "summary.csv", "namespaces.csv").
std::map<std::string, std::string> report_csvs(const ReportModel& m);

}  // namespace gpusim::reports
