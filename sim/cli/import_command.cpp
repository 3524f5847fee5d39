// `gpusim import -f dump.yaml -o DIR`: a scenario directory from `kubectl get
// nodes,pods,deployments,jobs,hpa,resourcequotas -A -o yaml` (docs/plan.md). Exit 2 on bad input.
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

// A Simulation name from the output directory's name ("Prod_EU" -> "prod-eu").
std::string name_from_directory(const std::string& dir) {
  std::string name = scenario::dns_label_chars(dir);
  if (name.size() > 63) name.resize(63);
  while (!name.empty() && name.back() == '-')
    name.pop_back();
  name.erase(0, name.find_first_not_of('-'));
  return name.empty() ? "imported" : name;
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
  cmd->add_option("--pool-label", o->pool_label,
                  "Group nodes into node pools by this label's values (default: "
                  "node.kubernetes.io/instance-type, else nvidia.com/gpu.product)");
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
    if (!opts.pool_label.empty()) {
      if (const std::string why = scenario::check_label_key(opts.pool_label); !why.empty()) {
        throw std::invalid_argument("--pool-label: invalid label key \"" + opts.pool_label +
                                    "\": " + why);
      }
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
    std::cout << "imported " << r.nodes << " node(s) in " << r.pools << " pool(s), " << r.bound_pods
              << " running pod(s) bound "
              << "to their nodes, " << r.pending_pods << " pending pod(s), " << r.deployments
              << " Deployment(s) with " << r.replica_sets << " ReplicaSet(s), " << r.jobs
              << " Job(s), " << r.hpas << " HPA(s), " << r.quotas << " ResourceQuota(s), "
              << r.priority_classes << " PriorityClass(es) into " << *out << "\n";
    for (const auto& n : r.notes)
      std::cout << "  note: " << n << "\n";
  });
}

}  // namespace gpusim::cli
