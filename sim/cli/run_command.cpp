#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/compare.hpp"
#include "cli/progress.hpp"
#include "cli/run_outputs.hpp"
#include "core/atomic_file.hpp"
#include "core/duration.hpp"
#include "engine/invariants.hpp"
#include "engine/simulation.hpp"
#include "scenario/loader.hpp"
#include "scenario/openb_trace.hpp"

namespace gpusim::cli {
namespace {

struct RunArgs {
  std::vector<std::string> inputs;
  std::string outdir;
  std::optional<std::uint64_t> seed;
  std::string until;
  std::string policy;
  std::string scorer = "auto";
  bool explain = false;
  bool no_explain = false;
  bool no_report = false;
  bool quiet = false;
  bool reproducible = false;
  bool check_invariants = false;
  unsigned threads = 0;
};

std::string percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "0%";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

void print_summary(const engine::Simulation& sim, const nlohmann::ordered_json& s,
                   const std::filesystem::path& out) {
  const auto& p = s["pods"];
  const auto& gpu = s["resources"]["nvidia.com/gpu"];
  const auto& cpu = s["resources"]["cpu"];
  std::cout << "scenario " << s["scenario"].get<std::string>() << ", seed "
            << s["seed"].get<std::uint64_t>() << ": simulated "
            << format_duration(s["sim_time_ms"].get<std::int64_t>()) << " ("
            << s["events_processed"].get<std::uint64_t>() << " events) in "
            << s["wall_ms"].get<std::int64_t>() << " ms\n";
  std::cout << "  nodes  " << s["nodes"].get<std::int64_t>() << "\n";
  std::cout << "  pods   " << p["created"] << " created, " << p["scheduled"] << " scheduled, "
            << p["pending"] << " pending, " << p["running"] << " running, " << p["succeeded"]
            << " succeeded, " << p["failed"] << " failed, " << p["preempted"] << " preempted\n";
  // "On average" is time-weighted allocated over time-weighted capacity: pools grow and shrink,
  // so the mean allocation over the final capacity could exceed 100 %.
  std::cout << "  cpu    " << percent(cpu["allocated_final"], cpu["capacity"])
            << " allocated at the end, " << percent(cpu["allocated_mean"], cpu["capacity_mean"])
            << " on average\n";
  if (gpu["capacity"].get<std::int64_t>() > 0 || gpu["capacity_mean"].get<std::int64_t>() > 0) {
    std::cout << "  gpu    " << gpu["allocated_final"].get<std::int64_t>() / 1000.0 << " of "
              << gpu["capacity"].get<std::int64_t>() / 1000 << " GPUs allocated at the end ("
              << percent(gpu["allocated_final"], gpu["capacity"]) << "), "
              << percent(gpu["allocated_mean"], gpu["capacity_mean"])
              << " of the time-weighted capacity on average\n";
  }
  if (sim.hit_limit()) std::cout << "  warning: " << sim.limit_message() << "\n";
  std::cout << "outputs in " << out.string()
            << "/ (summary.json, events.jsonl, timeseries.csv, report.html, ...)\n";
}

int run(const RunArgs& a) {
  if (a.policy.find(',') != std::string::npos) {
    // Several policies: run each, outputs in <outdir>/<policy>, and print them side by side.
    CompareOptions c;
    c.inputs = a.inputs;
    c.policies = split_policies(a.policy);
    c.seed = a.seed;
    c.outdir = a.outdir;
    c.scorer = a.scorer;
    c.reproducible = a.reproducible || std::getenv("GPUSIM_REPRODUCIBLE") != nullptr;
    return run_compare(c);
  }
  engine::Scenario scenario = scenario::load_scenario(a.inputs);
  for (const auto& w : scenario.warnings.items())
    std::cerr << w.str() << "\n";
  scenario::attach_trace_data(scenario);
  engine::RunOptions opts;
  opts.seed = a.seed;
  if (!a.until.empty()) {
    auto ms = parse_duration_ms(a.until);
    if (!ms || *ms <= 0)
      throw std::invalid_argument("--until: not a positive duration: \"" + a.until + "\"");
    opts.until = *ms;
  }
  opts.policy = a.policy;
  opts.scorer = a.scorer;
  opts.explain = a.explain || (!a.no_explain && explain_by_default(scenario));
  if (opts.explain && !explain_recordable(scenario)) {
    // Said, not silently ignored: an empty explain.jsonl would read as "no attempt recorded".
    std::cerr << "gpusim: warning: --explain records nothing on a packing trace replay "
                 "(trace.mode: packing): its pods are placed once each by the batch GPU placer, "
                 "not by the scheduler's filters and scores, so no explain.jsonl is written "
                 "(`gpusim explain` shows each pod's placement events; trace.mode: timed "
                 "records every attempt)\n";
    opts.explain = false;
  }
  opts.reproducible = a.reproducible || std::getenv("GPUSIM_REPRODUCIBLE") != nullptr;
  opts.check_invariants = a.check_invariants;
  opts.threads = run_threads(a.threads);
  validate_expectations(scenario);
  const std::filesystem::path out = a.outdir.empty()
                                        ? std::filesystem::path("out") / scenario.simulation.name
                                        : std::filesystem::path(a.outdir);
  ProgressMeter meter(ProgressMeter::wanted(a.quiet), planned_end(scenario, opts));
  opts.progress = [&meter](TimeMs t, std::uint64_t events) { meter.update(t, events); };
  engine::Simulation sim(scenario, opts);
  StagedDirectory staged(out);
  sim.stream_outputs(staged);
  sim.run();
  meter.done();
  RunDirOptions ro;
  ro.report = !a.no_report;
  const WrittenRun w = write_run_directory(sim, scenario, staged, ro);
  if (!a.quiet) print_summary(sim, sim.summary(), out);
  if (!w.expectations.empty() && (!a.quiet || !w.all_passed())) {
    std::cout << "expectations:\n";
    print_expectations(std::cout, w.expectations);
  }
  if (const engine::InvariantChecker* inv = sim.invariants(); inv && inv->violation_count() > 0) {
    std::cerr << "error: " << inv->violation_count() << " invariant violation(s) in "
              << inv->events_checked() << " checked events; the first:\n";
    std::size_t shown = 0;
    for (const auto& v : inv->violations()) {
      if (++shown > 10) break;
      std::cerr << "  at " << format_duration(v.t_ms) << " (" << v.t_ms << " ms) " << v.invariant
                << ": " << v.detail << "\n";
    }
    std::cerr << "(all kept violations are in " << (out / "summary.json").string()
              << " under \"invariants\")\n";
    return 1;
  }
  return w.all_passed() ? 0 : 1;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a scenario and write its results");
  cmd->footer(
      "Examples:\n"
      "  gpusim run scenarios/demo\n"
      "  gpusim run manifests.yaml simulation.yaml -o out/try1 --seed 7 --until 12h\n"
      "  gpusim run scenarios/openb/default.yaml --policy FGD --seed 42 -o out/fgd\n"
      "The output directory gets report.html and report.md (see `gpusim report`); when the "
      "Simulation\n"
      "has expectations they are evaluated (summary.json `expectations`) and a failing one exits "
      "1.");
  cmd->add_option("inputs", a->inputs,
                  "Scenario files or directories (multi-document YAML); - for stdin")
      ->required();
  cmd->add_option("-f,--filename", a->inputs, "Same as the positional inputs (kubectl style)");
  cmd->add_option("-o,--output-dir", a->outdir, "Output directory (default: out/<scenario name>)");
  add_seed_option(cmd, a->seed, "Random seed (overrides the Simulation's spec.seed)");
  cmd->add_option("--until", a->until,
                  "Simulated time to stop at, e.g. 12h (overrides spec.duration)");
  cmd->add_option(
      "--policy", a->policy,
      "GPU placement policy: Random, DotProduct, GpuClustering, GpuPacking, BestFit, FGD; "
      "several (a,b,c) run one after another and are compared");
  cmd->add_option(
         "--scorer", a->scorer,
         "GPU scorer backend for the GPU policies: auto (CUDA when a device is usable), cpu, cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  CLI::Option* explain = cmd->add_flag(
      "--explain", a->explain,
      "Record every scheduling attempt for `gpusim explain` (the default for clusters of "
      "up to 64 nodes)");
  cmd->add_flag("--no-explain", a->no_explain,
                "Do not record explain.jsonl, even for a small cluster")
      ->excludes(explain);
  cmd->add_flag("--no-report", a->no_report,
                "Do not write report.html and report.md into the output directory");
  cmd->add_flag("-q,--quiet", a->quiet,
                "No progress, summary or report paths (warnings and errors still go to stderr)");
  add_max_memory_option(cmd);
  add_threads_option(cmd, a->threads);
  cmd->add_flag(
      "--check-invariants", a->check_invariants,
      "Check node capacity, GPU devices, quotas and gangs after every event; any violation "
      "fails the run (exit 1) and summary.json gets an \"invariants\" section");
  cmd->add_flag(
      "--reproducible", a->reproducible,
      "Write wall-clock figures as 0 so reruns are byte-identical (also GPUSIM_REPRODUCIBLE=1)");
  cmd->callback([a] {
    const int rc = run(*a);
    if (rc != 0) throw ExitCode{rc};
  });
}

}  // namespace gpusim::cli
