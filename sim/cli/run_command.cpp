#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "core/duration.hpp"
#include "engine/simulation.hpp"
#include "scenario/loader.hpp"

namespace gpusim::cli {
namespace {

struct RunArgs {
  std::vector<std::string> inputs;
  std::string outdir;
  std::optional<std::uint64_t> seed;
  std::string until;
  std::string policy;
  bool explain = false;
  bool quiet = false;
  bool reproducible = false;
};

std::string percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "0%";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

void print_summary(const engine::Simulation& sim, const nlohmann::ordered_json& s,
                   const std::filesystem::path& out) {
  const auto& p = s["pods"];
  const auto& gpu = s["resources"]["nvidia.com/gpu"];
  const auto& cpu = s["resources"]["cpu"];
  std::cout << "scenario " << s["scenario"].get<std::string>() << ", seed " << s["seed"].get<std::uint64_t>()
            << ": simulated " << format_duration(s["sim_time_ms"].get<std::int64_t>()) << " ("
            << s["events_processed"].get<std::uint64_t>() << " events) in "
            << s["wall_ms"].get<std::int64_t>() << " ms\n";
  std::cout << "  nodes  " << s["nodes"].get<std::int64_t>() << "\n";
  std::cout << "  pods   " << p["created"] << " created, " << p["scheduled"] << " scheduled, " << p["pending"]
            << " pending, " << p["running"] << " running, " << p["succeeded"] << " succeeded, "
            << p["failed"] << " failed, " << p["preempted"] << " preempted\n";
  std::cout << "  cpu    " << percent(cpu["allocated_final"], cpu["capacity"]) << " allocated at the end, "
            << percent(cpu["allocated_mean"], cpu["capacity"]) << " on average\n";
  if (gpu["capacity"].get<std::int64_t>() > 0) {
    std::cout << "  gpu    " << gpu["allocated_final"].get<std::int64_t>() / 1000.0 << " of "
              << gpu["capacity"].get<std::int64_t>() / 1000 << " GPUs allocated at the end ("
              << percent(gpu["allocated_final"], gpu["capacity"]) << "), "
              << percent(gpu["allocated_mean"], gpu["capacity"]) << " on average\n";
  }
  if (sim.hit_limit()) std::cout << "  warning: " << sim.limit_message() << "\n";
  std::cout << "outputs in " << out.string() << "/ (summary.json, events.jsonl, timeseries.csv)\n";
}

int run(const RunArgs& a) {
  engine::Scenario scenario = scenario::load_scenario(a.inputs);
  for (const auto& w : scenario.warnings.items()) std::cerr << w.str() << "\n";
  engine::RunOptions opts;
  opts.seed = a.seed;
  if (!a.until.empty()) {
    auto ms = parse_duration_ms(a.until);
    if (!ms || *ms <= 0) throw std::invalid_argument("--until: not a positive duration: \"" + a.until + "\"");
    opts.until = *ms;
  }
  opts.policy = a.policy;
  opts.explain = a.explain;
  opts.reproducible = a.reproducible || std::getenv("GPUSIM_REPRODUCIBLE") != nullptr;
  const std::filesystem::path out =
      a.outdir.empty() ? std::filesystem::path("out") / scenario.simulation.name : std::filesystem::path(a.outdir);
  engine::Simulation sim(scenario, opts);
  sim.run();
  StagedDirectory dir(out);
  sim.write_outputs(dir);
  dir.commit();
  if (!a.quiet) print_summary(sim, sim.summary(), out);
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a scenario and write its results");
  cmd->footer(
      "Examples:\n"
      "  gpusim run scenarios/demo\n"
      "  gpusim run manifests.yaml simulation.yaml -o out/try1 --seed 7 --until 12h\n"
      "  gpusim run scenarios/openb/default.yaml --policy FGD --seed 42 -o out/fgd");
  cmd->add_option("inputs", a->inputs, "Scenario files or directories (multi-document YAML); - for stdin")
      ->required();
  cmd->add_option("-f,--filename", a->inputs, "Same as the positional inputs (kubectl style)");
  cmd->add_option("-o,--output-dir", a->outdir, "Output directory (default: out/<scenario name>)");
  cmd->add_option("--seed", a->seed, "Random seed (overrides the Simulation's spec.seed)");
  cmd->add_option("--until", a->until, "Simulated time to stop at, e.g. 12h (overrides spec.duration)");
  cmd->add_option("--policy", a->policy,
                  "GPU placement policy: Random, DotProduct, GpuClustering, GpuPacking, BestFit, FGD");
  cmd->add_flag("--explain", a->explain, "Record every scheduling attempt for `gpusim explain`");
  cmd->add_flag("-q,--quiet", a->quiet, "Print nothing on success");
  cmd->add_flag("--reproducible", a->reproducible,
                "Write wall-clock figures as 0 so reruns are byte-identical (also GPUSIM_REPRODUCIBLE=1)");
  cmd->callback([a] {
    const int rc = run(*a);
    if (rc != 0) throw ExitCode{rc};
  });
}

}  // namespace gpusim::cli
