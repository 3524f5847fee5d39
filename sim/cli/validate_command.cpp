#include <iostream>

#include "cli/commands.hpp"
#include "cli/run_outputs.hpp"
#include "cli/sweep_runner.hpp"
#include "engine/simulation.hpp"
#include "reports/expectations.hpp"
#include "scenario/loader.hpp"
#include "scenario/openb_trace.hpp"
#include "scenario/sweep_parser.hpp"

namespace gpusim::cli {

void add_validate_command(CLI::App& app) {
  auto inputs = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("validate", "Check scenario files and report every problem");
  cmd->footer(
      "A Sweep document (kind: Sweep) is checked as `gpusim sweep` checks it before it runs: the\n"
      "document, every base scenario and every axis value on each.\n"
      "Examples:\n  gpusim validate scenarios/demo\n  gpusim validate manifests.yaml sim.yaml\n"
      "  gpusim validate scenarios/sweeps/fgd-matrix.yaml");
  cmd->add_option("inputs", *inputs, "Scenario files or directories; - for stdin")->required();
  cmd->callback([inputs] {
    if (inputs->size() == 1 && scenario::is_sweep_document(inputs->front())) {
      try {
        const SweepCheck c = check_sweep(inputs->front());
        std::cout << "valid: Sweep " << c.name << ", " << c.points << " point(s) over " << c.bases
                  << " base scenario(s)\n";
      } catch (const std::exception& e) {
        throw ExitCode{report_error(e)};
      }
      return;
    }
    engine::Scenario scenario;
    Diagnostics d = scenario::validate(*inputs, scenario);
    // What `run` checks before it runs: the expectations, then the scheduler profiles and
    // everything else the simulation is built from. Valid here means `run` starts.
    if (!d.has_errors()) d.append(reports::check_expectations(expectation_inputs(scenario)));
    for (const auto& item : d.items())
      std::cerr << item.str() << "\n";
    if (d.has_errors()) {
      std::cerr << d.error_count() << " error(s)\n";
      throw ExitCode{2};
    }
    try {
      scenario::attach_trace_data(scenario);
      engine::RunOptions options;
      options.scorer = "cpu";  // no device is needed to build it
      const engine::Simulation built(scenario, options);
    } catch (const std::exception& e) {
      throw ExitCode{report_error(e)};
    }
    std::cout << "valid: " << inputs->size() << " input(s)";
    const std::size_t warnings = d.items().size();
    if (warnings) std::cout << ", " << warnings << " warning(s)";
    std::cout << "\n";
  });
}

}  // namespace gpusim::cli
