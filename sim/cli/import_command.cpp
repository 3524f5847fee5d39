// `gpusim import -f dump.yaml -o DIR`: a scenario directory from `kubectl get
// nodes,pods,deployments,jobs,hpa,resourcequotas -A -o yaml` (docs/plan.md). Exit 2 on bad input.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "core/duration.hpp"
#include "scenario/cluster_import.hpp"
#include "scenario/names.hpp"

namespace gpusim::cli {
namespace {

// A Simulation name from the output directory's name ("Prod_EU" -> "prod-eu"): lower case,
// other characters than [a-z0-9.-] as '-', trimmed to start and end alphanumeric.
std::string name_from_directory(const std::string& dir) {
  std::string name;
  for (const char c : dir) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    name.push_back(
        (std::isalnum(static_cast<unsigned char>(l)) != 0 || l == '.' || l == '-') ? l : '-');
  }
  const auto keep = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  while (!name.empty() && !keep(name.back()))
    name.pop_back();
  const auto first = std::find_if(name.begin(), name.end(), keep);
  name.erase(name.begin(), first);
  if (name.size() > 253) name.resize(253);
  return scenario::check_dns_subdomain(name).empty() ? name : "imported";
}

}  // namespace

void add_import_command(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto o = std::make_shared<scenario::ImportOptions>();
  auto quiet = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "import", "Write a scenario that reproduces a live cluster from its kubectl dump");
  cmd->footer(
      "The dump: kubectl get nodes,pods,deployments,jobs,hpa,resourcequotas -A -o yaml > "
      "dump.yaml\n"
      "Example:\n"
      "  gpusim import -f dump.yaml -o prod/ && gpusim run prod/ -o out/prod");
  cmd->add_option("-f,--filename", *file, "The dump (a kind: List); - reads standard input")
      ->required();
  cmd->add_option("-o,--output-dir", *out, "The scenario directory to write")->required();
  cmd->add_option("--name", o->name, "The Simulation's name (default: the directory's name)");
  cmd->add_option("--duration", o->duration, "The Simulation's spec.duration (default 1h)");
  cmd->add_flag("-q,--quiet", *quiet, "Print nothing on success");
  cmd->callback([file, out, o, quiet] {
    namespace fs = std::filesystem;
    scenario::ImportOptions opts = *o;
    // The written Simulation must load: its flags are checked here, not by the next run.
    if (const auto ms = parse_duration_ms(opts.duration); !ms || *ms <= 0) {
      throw std::invalid_argument(
          "--duration: expected a positive duration such as 1h or 90m, "
          "got \"" +
          opts.duration + "\"");
    }
    if (opts.name == "imported") {
      opts.name = name_from_directory(fs::path(*out).lexically_normal().filename().string());
    } else if (const std::string why = scenario::check_dns_subdomain(opts.name); !why.empty()) {
      throw std::invalid_argument("--name: invalid name \"" + opts.name + "\": " + why);
    }
    const scenario::ImportResult r = scenario::import_cluster_dump(*file, opts);
    // The whole directory appears at once, or not at all.
    StagedDirectory dir{fs::path(*out)};
    for (const auto& [name, text] : r.files)
      dir.write(name, text);
    dir.commit();
    if (*quiet) return;
    std::cout << "imported " << r.nodes << " node(s), " << r.bound_pods << " running pod(s) bound "
              << "to their nodes, " << r.pending_pods << " pending pod(s), " << r.deployments
              << " Deployment(s), " << r.jobs << " Job(s), " << r.hpas << " HPA(s), " << r.quotas
              << " ResourceQuota(s), " << r.priority_classes << " PriorityClass(es) into " << *out
              << "\n";
    for (const auto& n : r.notes)
      std::cout << "  note: " << n << "\n";
  });
}

}  // namespace gpusim::cli
