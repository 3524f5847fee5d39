#include "cli/run_outputs.hpp"

#include <fstream>
#include <iostream>

#include "core/atomic_file.hpp"
#include "core/diagnostics.hpp"
#include "reports/evaluator.hpp"
#include "reports/html_report.hpp"
#include "reports/markdown_report.hpp"
#include "reports/report_model.hpp"
#include "reports/run_dir.hpp"

namespace gpusim::cli {

namespace fs = std::filesystem;

namespace {

// Where the expression text of an expectation starts: the loader records the list item's
// position; the `expr:` value is found from there in the file.
SourceLocation locate_expr(const engine::ExpectationSpec& e) {
  SourceLocation loc = e.source;
  loc.column = 0;
  if (e.source.file.empty() || e.source.file == "-" || e.source.line <= 0) return loc;
  std::ifstream in(e.source.file);
  if (!in) return loc;
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  for (int i = e.source.line - 1; i < static_cast<int>(lines.size()) && i < e.source.line + 20;
       ++i) {
    const std::string& l = lines[static_cast<std::size_t>(i)];
    std::size_t p = 0;
    while ((p = l.find("expr", p)) != std::string::npos) {
      const bool starts = p == 0 || l[p - 1] == ' ' || l[p - 1] == '{' || l[p - 1] == ',' ||
                          l[p - 1] == '-' || l[p - 1] == '"';
      std::size_t q = p + 4;
      if (q < l.size() && l[q] == '"') ++q;
      while (q < l.size() && l[q] == ' ')
        ++q;
      if (!starts || q >= l.size() || l[q] != ':') {
        p += 4;
        continue;
      }
      ++q;
      while (q < l.size() && l[q] == ' ')
        ++q;
      if (q < l.size() && (l[q] == '|' || l[q] == '>')) {
        // Block scalar: the text starts on the next line.
        if (i + 1 < static_cast<int>(lines.size())) {
          const std::string& n = lines[static_cast<std::size_t>(i + 1)];
          const std::size_t c = n.find_first_not_of(' ');
          loc.line = i + 2;
          loc.column = c == std::string::npos ? 0 : static_cast<int>(c) + 1;
        }
        return loc;
      }
      if (q < l.size() && (l[q] == '"' || l[q] == '\'')) ++q;
      if (l.compare(q, std::min<std::size_t>(8, e.expr.size()), e.expr, 0,
                    std::min<std::size_t>(8, e.expr.size())) != 0) {
        return loc;  // not the plain one-line form we can point into
      }
      loc.line = i + 1;
      loc.column = static_cast<int>(q) + 1;
      return loc;
    }
  }
  return loc;
}

}  // namespace

std::vector<reports::ExpectationInput> expectation_inputs(const engine::Scenario& scenario) {
  std::vector<reports::ExpectationInput> out;
  for (const auto& e : scenario.simulation.expectations) {
    reports::ExpectationInput in;
    in.name = e.name;
    in.expr = e.expr;
    in.expr_location = locate_expr(e);
    out.push_back(std::move(in));
  }
  return out;
}

void validate_expectations(const engine::Scenario& scenario) {
  reports::check_expectations(expectation_inputs(scenario)).throw_if_errors();
}

bool WrittenRun::all_passed() const {
  for (const auto& r : expectations) {
    if (!r.passed) return false;
  }
  return true;
}

WrittenRun write_run_directory(const engine::Simulation& sim, const engine::Scenario& scenario,
                               const fs::path& out, const RunDirOptions& options) {
  StagedDirectory dir(out);
  return write_run_directory(sim, scenario, dir, options);
}

WrittenRun write_run_directory(const engine::Simulation& sim, const engine::Scenario& scenario,
                               StagedDirectory& dir, const RunDirOptions& options) {
  const fs::path& out = dir.final_path();
  WrittenRun w;
  w.dir = out;
  sim.write_outputs(dir);
  const auto inputs = expectation_inputs(scenario);
  if (!inputs.empty() || options.report) {
    // Read from the staging directory but named as `out`: the staging name carries the pid,
    // and reports of one input must be byte-identical.
    const auto load_staged = [&] {
      reports::RunDir r = reports::RunDir::load(dir.staging_path());
      r.set_label(out.filename().string());
      r.set_path(out.string());
      return r;
    };
    reports::RunDir run = load_staged();
    if (!inputs.empty()) {
      w.expectations = reports::evaluate_expectations(run, inputs);
      nlohmann::ordered_json summary =
          nlohmann::ordered_json::parse(read_file(dir.file("summary.json")));
      summary["expectations"] = reports::expectations_json(w.expectations);
      dir.write("summary.json", summary.dump(2) + "\n");
      run = load_staged();
    }
    if (options.report) {
      const reports::ReportModel m = reports::build_report({&run});
      dir.write("report.html", reports::render_html(m));
      dir.write("report.md", reports::render_markdown(m));
    }
  }
  dir.commit();
  return w;
}

void print_expectations(std::ostream& os, const std::vector<reports::ExpectationResult>& results,
                        bool failures_only) {
  for (const auto& r : results) {
    if (r.passed) {
      if (!failures_only) os << "  PASS  " << r.name << "  (" << r.observed << ")\n";
      continue;
    }
    os << "  " << (r.error ? "ERROR " : "FAIL  ") << r.name << ": " << r.message;
    if (r.at_ms && r.message.find(" at ") == std::string::npos)
      os << " (at " << reports::format_time(*r.at_ms) << ")";
    os << "\n";
  }
}

std::vector<fs::path> write_report_files(const std::vector<fs::path>& run_dirs,
                                         const std::vector<std::string>& labels, fs::path html) {
  // `-o report.md` asks for the Markdown by its name: the HTML goes beside it (written to the
  // same path, the Markdown replaced it).
  if (html.extension() == ".md") html.replace_extension(".html");
  std::vector<reports::RunDir> runs;
  runs.reserve(run_dirs.size());
  for (std::size_t i = 0; i < run_dirs.size(); ++i) {
    runs.push_back(reports::RunDir::load(run_dirs[i]));
    if (i < labels.size() && !labels[i].empty()) runs.back().set_label(labels[i]);
  }
  // Labels must tell variants apart: fall back to the full path when names repeat.
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (std::size_t j = 0; j < runs.size(); ++j) {
      if (i != j && runs[i].label() == runs[j].label()) runs[i].set_label(runs[i].path());
    }
  }
  std::vector<const reports::RunDir*> ptrs;
  for (const auto& r : runs)
    ptrs.push_back(&r);
  const reports::ReportModel m = reports::build_report(ptrs);
  std::vector<fs::path> written;
  write_file_atomic(html, reports::render_html(m));
  written.push_back(html);
  fs::path md = html;
  md.replace_extension(".md");
  write_file_atomic(md, reports::render_markdown(m));
  written.push_back(md);
  const std::string stem = html.stem().string();
  for (const auto& [name, text] : reports::report_csvs(m)) {
    const fs::path p = html.parent_path() / (stem + "-" + name);
    write_file_atomic(p, text);
    written.push_back(p);
  }
  return written;
}

std::optional<TimeMs> planned_end(const engine::Scenario& scenario,
                                  const engine::RunOptions& options) {
  if (options.until) return options.until;
  return scenario.simulation.duration_ms;
}

bool explain_by_default(const engine::Scenario& scenario) {
  return engine::node_total(scenario) <= static_cast<std::int64_t>(kExplainDefaultMaxNodes) &&
         !scenario.simulation.trace;
}

bool explain_recordable(const engine::Scenario& scenario) {
  return !scenario.simulation.trace || scenario.simulation.trace->mode != "packing";
}

}  // namespace gpusim::cli
