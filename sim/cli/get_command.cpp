// `gpusim get nodes|pods|deployments|hpa|quota RUNDIR --at TIME`: kubectl get, at a simulated time.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "core/duration.hpp"
#include "reports/resource_view.hpp"
#include "reports/run_dir.hpp"

namespace gpusim::cli {

void add_get_command(CLI::App& app) {
  struct Args {
    std::string kind, run_dir, at, format, selector, ns;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("get", "Print nodes, pods, deployments, hpa or quota at a simulated time");
  cmd->footer(
      "The state is rebuilt from the run's recorded files and printed as kubectl prints it, with "
      "GPU\n"
      "columns: allocatable, allocated, free whole GPUs and free milli-GPU per node, and the GPU "
      "model.\n"
      "-o json|yaml prints Kubernetes objects (apiVersion, kind, metadata, spec, status).\n"
      "Examples:\n"
      "  gpusim get nodes out/demo --at 2h\n"
      "  gpusim get nodes out/demo --at 2h -l accelerator=nvidia-a100 -o wide\n"
      "  gpusim get pods out/demo --at 30m -n ml-training\n"
      "  gpusim get pods out/demo -l 'app in (fraud-detector)' -o yaml\n"
      "  gpusim get hpa out/serving --at 12h\n"
      "  gpusim get deployments out/demo -n ml-serving -l app=fraud-detector -o json");
  cmd->add_option("kind", a->kind, "nodes, pods, deployments, hpa or quota")->required();
  cmd->add_option("run_dir", a->run_dir, "Run directory")->required();
  cmd->add_option("--at", a->at, "Simulated time, e.g. 90m or 2h30m (default: the end of the run)");
  cmd->add_option("-o,--output", a->format, "table (default), wide, json or yaml");
  cmd->add_option("-l,--selector", a->selector,
                  "Label selector, e.g. accelerator=nvidia-a100,pool!=cpu (nodes, pods, "
                  "deployments, hpa and quota)");
  cmd->add_option("-n,--namespace", a->ns, "Only this namespace (default: all)");
  cmd->callback([a] {
    reports::GetRequest q;
    q.kind = reports::canonical_kind(a->kind);
    if (q.kind.empty()) {
      throw std::invalid_argument("unknown resource type \"" + a->kind +
                                  "\": expected nodes, pods, deployments, hpa or quota");
    }
    q.format = reports::parse_output_format(a->format);
    q.selector = reports::LabelQuery::parse(a->selector);
    q.namespace_ = a->ns;
    const reports::RunDir run = reports::RunDir::load(a->run_dir);
    if (a->at.empty() || a->at == "end") {
      q.at_ms = run.end_ms();
    } else {
      auto ms = parse_duration_ms(a->at);
      if (!ms || *ms < 0)
        throw std::invalid_argument("--at: not a simulated time: \"" + a->at +
                                    "\" (e.g. 90m, 2h30m, end)");
      if (*ms > run.end_ms()) {
        throw std::invalid_argument("--at " + a->at + ": after the end of the run (" +
                                    format_duration(run.end_ms()) + ")");
      }
      q.at_ms = *ms;
    }
    std::cout << reports::get_resources(run, q);
  });
}

}  // namespace gpusim::cli
