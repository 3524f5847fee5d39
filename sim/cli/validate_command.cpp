#include <iostream>

#include "cli/commands.hpp"
#include "scenario/loader.hpp"

namespace gpusim::cli {

void add_validate_command(CLI::App& app) {
  auto inputs = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("validate", "Check scenario files and report every problem");
  cmd->footer(
      "Examples:\n  gpusim validate scenarios/demo\n  gpusim validate manifests.yaml sim.yaml");
  cmd->add_option("inputs", *inputs, "Scenario files or directories; - for stdin")->required();
  cmd->callback([inputs] {
    const Diagnostics d = scenario::validate(*inputs);
    for (const auto& item : d.items())
      std::cerr << item.str() << "\n";
    if (d.has_errors()) {
      std::cerr << d.error_count() << " error(s)\n";
      throw ExitCode{2};
    }
    std::cout << "valid: " << inputs->size() << " input(s)";
    const std::size_t warnings = d.items().size();
    if (warnings) std::cout << ", " << warnings << " warning(s)";
    std::cout << "\n";
  });
}

}  // namespace gpusim::cli
