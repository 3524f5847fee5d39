// `gpusim explain RUNDIR POD`: why a pod went where it went, or why it waited.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "reports/explain_view.hpp"
#include "reports/run_dir.hpp"

namespace gpusim::cli {

void add_explain_command(CLI::App& app) {
  struct Args {
    std::string run_dir, pod, format;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "explain", "Show every scheduling attempt of a pod: filters, scores, choice");
  cmd->footer(
      "For each attempt: every node's filter verdict (the failing plugin and its reason, e.g.\n"
      "\"Insufficient nvidia.com/gpu\"), each score plugin's normalised score x weight = weighted "
      "score,\n"
      "the total and the chosen node; admission (quota) rejections of the pod too. Needs "
      "explain.jsonl,\n"
      "which `gpusim run` records for clusters of up to 64 nodes, or always with --explain\n"
      "(except on a packing trace replay, whose batch placer keeps no per-node records).\n"
      "Examples:\n"
      "  gpusim explain out/demo ml-training/finetune-llm-z26dp\n"
      "  gpusim explain out/demo ml-training/finetune-llm-z26dp -o wide   # every node, every "
      "feasible node\n"
      "  gpusim explain out/demo ml-serving/fraud-detector-t726jzfxcz-8tsz5 -o json");
  cmd->add_option("run_dir", a->run_dir, "Run directory")->required();
  cmd->add_option("pod", a->pod, "The pod, as namespace/name")->required();
  cmd->add_option("-o,--output", a->format, "table (default), wide, json or yaml");
  cmd->callback([a] {
    const reports::OutputFormat f = reports::parse_output_format(a->format);
    const reports::RunDir run = reports::RunDir::load(a->run_dir);
    const reports::ExplainResult r = reports::explain_pod(run, a->pod, f);
    if (!r.found) {
      std::cerr << "gpusim: error: no pod " << a->pod << " in " << a->run_dir;
      if (!r.hint.empty()) std::cerr << " (" << r.hint << ")";
      std::cerr << "\n";
      throw ExitCode{2};
    }
    std::cout << r.text;
  });
}

}  // namespace gpusim::cli
