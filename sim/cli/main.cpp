#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/run_stop.hpp"
#include "core/diagnostics.hpp"

int main(int argc, char** argv) {
  CLI::App app{"gpusim: what-if simulation of Kubernetes clusters running ML workloads on GPUs",
               "gpusim"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gpusim 0.1.0");
  gpusim::cli::add_run_command(app);
  gpusim::cli::add_validate_command(app);
  gpusim::cli::add_check_command(app);
  gpusim::cli::add_report_command(app);
  gpusim::cli::add_explain_command(app);
  gpusim::cli::add_get_command(app);
  gpusim::cli::add_compare_command(app);
  gpusim::cli::add_sweep_command(app);
  gpusim::cli::add_merge_command(app);
  gpusim::cli::add_plan_command(app);
  gpusim::cli::add_import_command(app);
  // CLI11 reads an unknown first word as a stray argument ("A subcommand is required"): name it.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
      names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      const std::string near = gpusim::closest_match(argv[1], names);
      std::string list;
      for (const auto& n : names)
        list += (list.empty() ? "" : ", ") + n;
      std::cerr << "gpusim: error: unknown command \"" << argv[1] << "\""
                << (near.empty() ? "" : " (did you mean \"" + near + "\"?)")
                << "; commands: " << list << "\n";
      return 2;
    }
  }
  try {
    // Read once, before any work: a bad GPUSIM_MAX_MEMORY_MIB is bad input (exit 2).
    gpusim::cli::detail::memory_cap_env();
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const gpusim::cli::ExitCode& e) {
    return e.code;
  } catch (const std::exception& e) {
    return gpusim::cli::report_error(e);
  }
  return 0;
}
