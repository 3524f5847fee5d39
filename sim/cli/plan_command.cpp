// `gpusim plan SCENARIO --vary nodepool/<pool>.count=lo..hi ... -o DIR`: the smallest or
// cheapest cluster meeting every expectation (docs/plan.md). Exit 0: a feasible candidate was
// found; 1: none; 2: bad input.
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/capacity_planner.hpp"
#include "cli/commands.hpp"
#include "reports/plan_report.hpp"

namespace gpusim::cli {
namespace {

std::vector<std::uint64_t> parse_seeds(const std::string& text) {
  std::vector<std::uint64_t> seeds;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    std::size_t used = 0;
    std::uint64_t v = 0;
    try {
      if (item.empty() || item[0] == '-') throw std::invalid_argument("negative");
      v = std::stoull(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size())
      throw std::invalid_argument("--seeds: expected integers such as 1,2,3, got \"" + text + "\"");
    seeds.push_back(v);
  }
  if (seeds.empty()) throw std::invalid_argument("--seeds: no seed given");
  return seeds;
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto o = std::make_shared<PlanOptions>();
  auto seeds = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "Find the smallest or cheapest cluster that meets every expectation of a scenario");
  cmd->footer(
      "One --vary with a range: binary search (more nodes never break an expectation); several:\n"
      "every combination. Candidates run once per seed; DIR/plan.json and DIR/plan.md list each\n"
      "evaluated candidate, its cost and which expectations failed. Exit 0: found, 1: none in\n"
      "range, 2: bad input. docs/plan.md.\n"
      "Examples:\n"
      "  gpusim plan tests/plan/data/steady --vary nodepool/a.count=1..16 -o out/plan\n"
      "  gpusim plan my-scenario/ --vary nodepool/a100.count=4..64 --load-multiplier 1.3 "
      "--seeds 1,2,3 -o out/plan-30pct\n"
      "  gpusim plan sim/ --vary nodepool/a100.count=0..8 --vary nodepool/h100.count=0..8 "
      "--objective min-cost -o out/mix");
  cmd->add_option("scenario", o->inputs, "Scenario files or directories")->required();
  cmd->add_option("--vary", o->vary,
                  "NAME=lo..hi[:step] or NAME=a,b,c; NAME as a sweep axis "
                  "(nodepool/<pool>.count, nodepool/<pool>.gpuModel, quota/..., hpa/...)")
      ->required();
  cmd->add_option("--seeds", *seeds, "Seeds every candidate must pass (default: the scenario's)");
  cmd->add_option("--objective", o->objective, "min-nodes (default) or min-cost")
      ->check(CLI::IsMember({"min-nodes", "min-cost"}));
  cmd->add_option("--load-multiplier", o->load_multiplier,
                  "Scale the scenario's load first (1.3: 30 % more traffic)");
  cmd->add_option("--until", o->until, "Simulated time each run stops at");
  cmd->add_option("-o,--output-dir", o->outdir, "Plan directory (plan.json, plan.md, runs/)")
      ->required();
  cmd->add_option("-j,--jobs", o->jobs, "Threads (default: all cores)");
  cmd->add_flag("--keep-runs", o->keep_runs, "Keep every run file (default: summary.json per run)");
  cmd->add_flag("-q,--quiet", o->quiet, "Print only the answer");
  add_max_memory_option(cmd);
  cmd->callback([o, seeds] {
    if (!seeds->empty()) o->seeds = parse_seeds(*seeds);
    const nlohmann::ordered_json plan = run_plan(*o);
    if (o->quiet) {
      std::cout << reports::plan_table(plan).substr(reports::plan_table(plan).rfind("answer:"));
    } else {
      std::cout << reports::plan_table(plan);
      std::cout << "plan: " << o->outdir << "/plan.json, " << o->outdir << "/plan.md\n";
    }
    if (!plan["result"]["feasible"].get<bool>()) throw ExitCode{1};
  });
}

}  // namespace gpusim::cli
