// `gpusim report RUNDIR... -o report.html`: the HTML report (plus Markdown and CSVs) of one run
// directory, or of several side by side.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/run_outputs.hpp"

namespace gpusim::cli {

namespace fs = std::filesystem;

void add_report_command(CLI::App& app) {
  struct Args {
    std::vector<std::string> run_dirs;
    std::vector<std::string> labels;
    std::string out;
    bool quiet = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("report", "Render the HTML/Markdown report of run directories");
  cmd->footer(
      "One run directory gives a report; several give one report with the runs side by side "
      "(charts\n"
      "overlaid, the best value of each row marked). Also writes <stem>.md and <stem>-*.csv next "
      "to\n"
      "the HTML. `gpusim run` writes report.html and report.md into every run directory already.\n"
      "Examples:\n"
      "  gpusim report out/demo                      # writes out/demo/report.html\n"
      "  gpusim report out/demo -o /tmp/demo.html\n"
      "  gpusim report out/fgd out/bestfit --label FGD --label BestFit -o compare.html");
  cmd->add_option("run_dirs", a->run_dirs, "Run directories written by gpusim run")->required();
  cmd->add_option("-f,--filename", a->run_dirs, "Same as the positional run directories");
  cmd->add_option("-o,--output", a->out,
                  "HTML file (default: RUNDIR/report.html for one run, report.html for several); "
                  "a path ending in .md names the Markdown, and the HTML goes beside it");
  cmd->add_option("--label", a->labels,
                  "Name of each run in the report, in order (default: directory names)");
  cmd->add_flag("-q,--quiet", a->quiet, "Print nothing on success");
  cmd->callback([a] {
    std::vector<fs::path> dirs(a->run_dirs.begin(), a->run_dirs.end());
    fs::path out = a->out.empty()
                       ? (dirs.size() == 1 ? dirs.front() / "report.html" : fs::path("report.html"))
                       : fs::path(a->out);
    const auto written = write_report_files(dirs, a->labels, out);
    if (!a->quiet) {
      for (const auto& p : written)
        std::cout << "wrote " << p.string() << "\n";
    }
  });
}

}  // namespace gpusim::cli
