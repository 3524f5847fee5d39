// `gpusim compare`: several GPU policies on one scenario, side by side.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "cli/commands.hpp"
#include "cli/compare.hpp"
#include "cli/run_outputs.hpp"
#include "cli/run_stop.hpp"
#include "core/atomic_file.hpp"
#include "core/output_lock.hpp"
#include "engine/simulation.hpp"
#include "engine/trace_replay.hpp"
#include "scenario/loader.hpp"
#include "scenario/openb_trace.hpp"
#include "scheduler/config.hpp"
#include "scheduler/plugin_registry.hpp"

namespace gpusim::cli {
namespace {

const std::vector<std::string> kAllPolicies{"Random",     "DotProduct", "GpuClustering",
                                            "GpuPacking", "BestFit",    "FGD"};

std::int64_t get_int(const nlohmann::ordered_json& j, const char* a, const char* b) {
  if (!j.contains(a) || !j[a].contains(b) || !j[a][b].is_number()) return 0;
  return j[a][b].get<std::int64_t>();
}

}  // namespace

std::vector<std::string> split_policies(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string p = list.substr(start, comma - start);
    const auto b = p.find_first_not_of(" \t");
    const auto e = p.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(p.substr(b, e - b + 1));
    start = comma + 1;
  }
  return out;
}

Comparison run_comparison(const CompareOptions& options) {
  engine::Scenario scenario = scenario::load_scenario(options.inputs);
  for (const auto& w : scenario.warnings.items())
    std::cerr << w.str() << "\n";
  scenario::attach_trace_data(scenario);
  Comparison c;
  c.scenario = scenario.simulation.name;
  c.arrival_pcts = engine::kReportedArrivalPcts;
  const std::vector<std::string>& policies =
      options.policies.empty() ? kAllPolicies : options.policies;
  // Every name before the first run: one found bad later would leave the others' outputs.
  std::set<std::string> seen;
  for (const auto& policy : policies) {
    sched::with_policy(scenario.scheduler, policy);  // throws for an unknown name
    if (!seen.insert(sched::PluginRegistry::builtin().canonical(policy)).second) {
      throw std::invalid_argument("policy \"" + policy +
                                  "\" is listed twice: its runs would share one directory");
    }
  }
  if (!options.outdir.empty()) {
    check_claimable(options.outdir, "report.html");
    // An existing directory is locked now, so a second compare on it fails before it runs; a new
    // one at the first write (a run stopped before then leaves no directory behind).
    std::error_code ec;
    if (std::filesystem::is_directory(options.outdir, ec)) {
      claim_output_directory(options.outdir, "report.html");
      c.lock = std::make_shared<const OutputLock>(options.outdir);
    }
  }
  for (const auto& policy : policies) {
    engine::RunOptions opts;
    opts.seed = options.seed;
    opts.policy = policy;
    opts.scorer = options.scorer;
    opts.reproducible = options.reproducible;
    // A signal stops this variant before it writes anything; the variants already written stay.
    opts.progress = stop_hook();
    const auto t0 = std::chrono::steady_clock::now();
    engine::Simulation sim(scenario, opts);
    sim.run();
    const auto summary = sim.summary();
    PolicyResult r;
    r.policy = summary.contains("trace") ? summary["trace"]["policy"].get<std::string>() : policy;
    c.seed = sim.seed();
    if (summary.contains("trace")) {
      for (const auto& [k, v] : summary["trace"]["unallocated_pct_at_arrival"].items()) {
        r.unallocated_pct.push_back(v.is_null() ? std::nan("") : v.get<double>());
      }
      r.pods = summary["trace"]["pods"].get<std::int64_t>();
      r.scheduled = summary["trace"]["scheduled"].get<std::int64_t>();
    } else {
      // Not a trace replay: no arrival curve; pods placed out of pods created.
      r.unallocated_pct.assign(c.arrival_pcts.size(), std::nan(""));
      r.pods = get_int(summary, "pods", "created");
      r.scheduled = get_int(summary, "pods", "scheduled");
    }
    r.frag_milli_final = get_int(summary, "gpu", "frag_milli_final");
    r.capacity_milli = get_int(summary, "gpu", "capacity_milli");
    if (!options.outdir.empty()) {
      const std::filesystem::path dir = std::filesystem::path(options.outdir) / r.policy;
      claim_output_directory(options.outdir, "report.html");
      if (!c.lock) c.lock = std::make_shared<const OutputLock>(options.outdir);
      StagedDirectory staged(dir);
      sim.write_outputs(staged);
      staged.commit();
      r.outdir = dir.string();
    }
    r.wall_ms = options.reproducible ? 0
                                     : std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - t0)
                                           .count();
    c.results.push_back(std::move(r));
  }
  return c;
}

std::string format_comparison(const Comparison& c) {
  std::string out = "unallocated GPU % at arrival (scenario " + c.scenario + ", seed " +
                    std::to_string(c.seed) + ")\n";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%-14s", "policy");
  out += buf;
  for (int a : c.arrival_pcts) {
    std::snprintf(buf, sizeof buf, "%9s", (std::to_string(a) + "%").c_str());
    out += buf;
  }
  out += "   scheduled   frag at end\n";
  for (const auto& r : c.results) {
    std::snprintf(buf, sizeof buf, "%-14s", r.policy.c_str());
    out += buf;
    for (double v : r.unallocated_pct) {
      if (std::isnan(v)) {
        std::snprintf(buf, sizeof buf, "%9s", "-");
      } else {
        std::snprintf(buf, sizeof buf, "%9.2f", v);
      }
      out += buf;
    }
    const double frag_pct = r.capacity_milli > 0 ? 100.0 * static_cast<double>(r.frag_milli_final) /
                                                       static_cast<double>(r.capacity_milli)
                                                 : 0.0;
    std::snprintf(buf, sizeof buf, "   %5lld/%-5lld %10.2f%%\n",
                  static_cast<long long>(r.scheduled), static_cast<long long>(r.pods), frag_pct);
    out += buf;
  }
  return out;
}

int run_compare(const CompareOptions& options) {
  const Comparison c = run_comparison(options);
  std::cout << format_comparison(c);
  if (!options.outdir.empty()) {
    // One report with the variants side by side, built from the run directories just written.
    std::vector<std::filesystem::path> dirs;
    std::vector<std::string> labels;
    for (const auto& r : c.results) {
      dirs.emplace_back(r.outdir);
      labels.push_back(r.policy);
    }
    write_report_files(dirs, labels, std::filesystem::path(options.outdir) / "report.html");
    std::cout << "outputs in " << options.outdir << "/<policy>/, side-by-side report in "
              << options.outdir << "/report.html\n";
  }
  return 0;
}

void add_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  auto policies = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("compare", "Run one scenario with several GPU policies and compare them");
  cmd->footer(
      "Prints unallocated GPU % at arrival 90/100/110/130 % per policy (the FGD paper's metric).\n"
      "Examples:\n"
      "  gpusim compare scenarios/openb/default.yaml --seed 42\n"
      "  gpusim compare scenarios/openb/gpushare40.yaml --policy FGD,BestFit -o out/cmp");
  cmd->add_option("inputs", o->inputs, "Scenario files or directories")->required();
  cmd->add_option("--policy,--policies", *policies,
                  "Comma-separated GPU policies (default: "
                  "Random,DotProduct,GpuClustering,GpuPacking,BestFit,FGD)");
  add_seed_option(cmd, o->seed, "Random seed (overrides the Simulation's spec.seed)");
  cmd->add_option("-o,--output-dir", o->outdir, "Write each run's outputs to DIR/<policy>");
  cmd->add_option("--scorer", o->scorer, "GPU scorer backend: auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_flag("--reproducible", o->reproducible, "Write wall-clock figures as 0");
  add_max_memory_option(cmd);
  cmd->callback([o, policies] {
    o->policies = split_policies(*policies);
    const int rc = run_compare(*o);
    if (rc != 0) throw ExitCode{rc};
  });
}

}  // namespace gpusim::cli
