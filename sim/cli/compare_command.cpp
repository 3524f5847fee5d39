// `gpusim compare`: one scenario as several variants (GPU policies, scheduler configurations,
// Simulation overrides), side by side.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <system_error>

#include "cli/commands.hpp"
#include "cli/compare.hpp"
#include "cli/run_outputs.hpp"
#include "cli/run_stop.hpp"
#include "core/atomic_file.hpp"
#include "core/diagnostics.hpp"
#include "core/output_lock.hpp"
#include "engine/simulation.hpp"
#include "engine/trace_replay.hpp"
#include "reports/format.hpp"
#include "reports/report_model.hpp"
#include "reports/run_dir.hpp"
#include "scenario/loader.hpp"
#include "scenario/openb_trace.hpp"
#include "scenario/sweep_overrides.hpp"
#include "scheduler/config.hpp"
#include "scheduler/plugin_registry.hpp"

namespace gpusim::cli {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kAllPolicies{"Random",     "DotProduct", "GpuClustering",
                                            "GpuPacking", "BestFit",    "FGD"};

std::int64_t get_int(const nlohmann::ordered_json& j, const char* a, const char* b) {
  if (!j.contains(a) || !j[a].contains(b) || !j[a][b].is_number()) return 0;
  return j[a][b].get<std::int64_t>();
}

// One run of the comparison: the scenario as loaded with one change.
struct Variant {
  std::string label;   // what the table and the report call it
  std::string dir;     // its directory name (the label with '/' replaced)
  std::string policy;  // RunOptions::policy; empty: the scenario's own
  engine::Scenario scenario;
};

std::string dir_name(const std::string& label) {
  std::string d = label;
  for (char& c : d) {
    if (c == '/' || c == '\\' || c == ' ' || c == ':') c = '_';
  }
  return d;
}

// A KubeSchedulerConfiguration file as a variant: the base scenario with its scheduler replaced.
Variant scheduler_config_variant(const engine::Scenario& base, const std::string& file) {
  engine::Scenario only;
  Diagnostics d = scenario::validate({file}, only);
  if (d.has_errors()) throw InputError(d.items());
  if (!only.scheduler_configured) {
    throw std::invalid_argument("--scheduler-config " + file +
                                ": no KubeSchedulerConfiguration document in it");
  }
  if (only.simulation_given || !only.nodes.empty() || !only.pods.empty() ||
      !only.deployments.empty() || !only.jobs.empty() || !only.cron_jobs.empty() ||
      !only.pytorch_jobs.empty() || !only.hpas.empty() || !only.quotas.empty() ||
      !only.replica_sets.empty() || !only.pdbs.empty() || !only.namespaces.empty() ||
      !only.priority_classes.empty()) {
    throw std::invalid_argument("--scheduler-config " + file +
                                ": holds other documents besides the KubeSchedulerConfiguration "
                                "(a variant changes the scheduler only)");
  }
  Variant v;
  v.label = "scheduler-config=" + fs::path(file).filename().string();
  v.scenario = base;
  // The Simulation's tieBreak (already in the base's scheduler) is the scenario's, not the
  // configuration's: keep it.
  const std::string tie_break = base.scheduler.tie_break;
  v.scenario.scheduler = only.scheduler;
  v.scenario.scheduler.tie_break = tie_break;
  v.scenario.scheduler_configured = true;
  return v;
}

// "AXIS=v1,v2" as one variant per value, through the Sweep's overrides.
std::vector<Variant> override_variants(const engine::Scenario& base, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw std::invalid_argument("--set " + text +
                                ": expected AXIS=VALUE[,VALUE...], e.g. load.multiplier=1,1.5");
  }
  const std::string axis = text.substr(0, eq);
  std::string why;
  const auto target = scenario::parse_axis_name(axis, &why);
  if (!target) throw std::invalid_argument("--set " + text + ": " + why);
  if (target->kind == scenario::AxisKind::kScenario) {
    throw std::invalid_argument("--set " + text +
                                ": compare runs one scenario; give several to `gpusim sweep`");
  }
  std::vector<Variant> out;
  for (const auto& value : split_policies(text.substr(eq + 1))) {
    const auto canon = scenario::canonical_axis_value(*target, value, &why);
    if (!canon) throw std::invalid_argument("--set " + axis + "=" + value + ": " + why);
    Variant v;
    v.label = axis + "=" + *canon;
    v.scenario = base;
    const std::string err = scenario::apply_override(v.scenario, *target, *canon);
    if (!err.empty()) throw std::invalid_argument("--set " + axis + "=" + value + ": " + err);
    out.push_back(std::move(v));
  }
  return out;
}

// Every variant, checked before the first run: one found bad later would leave the others'
// outputs.
std::vector<Variant> build_variants(const engine::Scenario& base, const CompareOptions& o) {
  std::vector<Variant> out;
  const bool none = o.policies.empty() && o.scheduler_configs.empty() && o.overrides.empty();
  for (const auto& policy : none ? kAllPolicies : o.policies) {
    sched::with_policy(base.scheduler, policy);  // throws for an unknown name
    Variant v;
    v.label = sched::PluginRegistry::builtin().canonical(policy);
    v.policy = policy;
    v.scenario = base;
    out.push_back(std::move(v));
  }
  for (const auto& file : o.scheduler_configs)
    out.push_back(scheduler_config_variant(base, file));
  for (const auto& text : o.overrides) {
    for (auto& v : override_variants(base, text))
      out.push_back(std::move(v));
  }
  std::set<std::string> seen;
  for (auto& v : out) {
    v.dir = dir_name(v.label);
    if (!seen.insert(v.dir).second) {
      throw std::invalid_argument("variant \"" + v.label +
                                  "\" is listed twice: its runs would share one directory");
    }
  }
  return out;
}

// A directory removed when the comparison ends (also when a signal stops it): where the runs of
// a comparison without -o are written, to be read back for the table.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string templ = (fs::temp_directory_path() / "gpusim-compare-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary directory in " +
                               fs::temp_directory_path().string());
    path_ = templ;
  }
  ~ScratchDirectory() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The report's own figures (its Summary table) that say how a variant did, one row a variant.
std::vector<std::vector<std::string>> figures_of(const std::vector<VariantResult>& results) {
  std::vector<reports::RunDir> runs;
  runs.reserve(results.size());
  for (const auto& r : results) {
    runs.push_back(reports::RunDir::load(r.outdir));
    runs.back().set_label(r.label);
  }
  std::vector<const reports::RunDir*> ptrs;
  for (const auto& r : runs)
    ptrs.push_back(&r);
  const reports::ReportModel m = reports::build_report(ptrs);
  const reports::Table* summary = nullptr;
  for (const auto& s : m.sections) {
    for (const auto& t : s.tables) {
      if (t.id == "summary-table") summary = &t;
    }
  }
  const auto row = [&](const std::string& label) -> const reports::TableRow* {
    if (summary == nullptr) return nullptr;
    for (const auto& r : summary->rows) {
      if (r.label == label) return &r;
    }
    return nullptr;
  };
  std::vector<std::vector<std::string>> out(results.size() + 1);
  out[0].push_back("VARIANT");
  for (std::size_t i = 0; i < results.size(); ++i)
    out[i + 1].push_back(results[i].label);
  const reports::TableRow* created = row("pods created");
  const reports::TableRow* scheduled = row("pods scheduled");
  if (created != nullptr && scheduled != nullptr) {
    out[0].push_back("PODS-SCHEDULED");
    for (std::size_t i = 0; i < results.size(); ++i)
      out[i + 1].push_back(scheduled->cells[i].text + "/" + created->cells[i].text);
  }
  const std::pair<const char*, const char*> columns[] = {
      {"scheduling wait p95", "WAIT-P95"},
      {"GPU allocation, time-weighted mean", "GPU-ALLOCATION-MEAN"},
      {"pods pending at the end", "PENDING-AT-END"},
      {"cost", "COST"},
      {"expectations holding", "EXPECTATIONS"}};
  for (const auto& [label, head] : columns) {
    const reports::TableRow* r = row(label);
    if (r == nullptr) continue;
    out[0].push_back(head);
    for (std::size_t i = 0; i < results.size(); ++i)
      out[i + 1].push_back(r->cells[i].text);
  }
  return out;
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
  engine::Scenario base = scenario::load_scenario(options.inputs);
  for (const auto& w : base.warnings.items())
    std::cerr << w.str() << "\n";
  scenario::attach_trace_data(base);
  validate_expectations(base);
  Comparison c;
  c.scenario = base.simulation.name;
  c.trace = base.simulation.trace.has_value();
  c.arrival_pcts = engine::kReportedArrivalPcts;
  const std::vector<Variant> variants = build_variants(base, options);
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
  // Without -o, a non-trace comparison still writes its runs (to a scratch directory) to read
  // the report's figures back.
  std::unique_ptr<ScratchDirectory> scratch;
  if (options.outdir.empty() && !c.trace) scratch = std::make_unique<ScratchDirectory>();
  for (const Variant& v : variants) {
    engine::RunOptions opts;
    opts.seed = options.seed;
    opts.policy = v.policy;
    opts.scorer = options.scorer;
    opts.reproducible = options.reproducible;
    // A signal stops this variant before it writes anything; the variants already written stay.
    opts.progress = stop_hook();
    const auto t0 = std::chrono::steady_clock::now();
    engine::Simulation sim(v.scenario, opts);
    sim.run();
    const auto summary = sim.summary();
    VariantResult r;
    r.label = v.label;
    r.dir = v.dir;
    c.seed = sim.seed();
    if (summary.contains("trace")) {
      for (const auto& [k, val] : summary["trace"]["unallocated_pct_at_arrival"].items()) {
        r.unallocated_pct.push_back(val.is_null() ? std::nan("") : val.get<double>());
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
    RunDirOptions ro;
    ro.report = false;  // the comparison's one report covers every variant
    if (!options.outdir.empty()) {
      const fs::path dir = fs::path(options.outdir) / v.dir;
      claim_output_directory(options.outdir, "report.html");
      if (!c.lock) c.lock = std::make_shared<const OutputLock>(options.outdir);
      StagedDirectory staged(dir);
      write_run_directory(sim, v.scenario, staged, ro);  // commits it
      r.outdir = dir.string();
    } else if (scratch) {
      const fs::path dir = scratch->path() / v.dir;
      StagedDirectory staged(dir);
      write_run_directory(sim, v.scenario, staged, ro);  // commits it
      r.outdir = dir.string();
    }
    r.wall_ms = options.reproducible ? 0
                                     : std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - t0)
                                           .count();
    c.results.push_back(std::move(r));
  }
  if (!c.trace) c.figures = figures_of(c.results);
  if (scratch) {
    for (auto& r : c.results)
      r.outdir.clear();
  }
  return c;
}

std::string format_comparison(const Comparison& c) {
  if (!c.trace) {
    return "scenario " + c.scenario + ", seed " + std::to_string(c.seed) + "\n" +
           reports::table_text(c.figures);
  }
  std::size_t width = 14;
  for (const auto& r : c.results)
    width = std::max(width, r.label.size() + 2);
  const int w = static_cast<int>(width);
  std::string out = "unallocated GPU % at arrival (scenario " + c.scenario + ", seed " +
                    std::to_string(c.seed) + ")\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-*s", w, "variant");
  out += buf;
  for (int a : c.arrival_pcts) {
    std::snprintf(buf, sizeof buf, "%9s", (std::to_string(a) + "%").c_str());
    out += buf;
  }
  out += "   scheduled   frag at end\n";
  for (const auto& r : c.results) {
    std::snprintf(buf, sizeof buf, "%-*s", w, r.label.c_str());
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
      labels.push_back(r.label);
    }
    write_report_files(dirs, labels, std::filesystem::path(options.outdir) / "report.html");
    std::cout << "outputs in " << options.outdir << "/<variant>/, side-by-side report in "
              << options.outdir << "/report.html\n";
  }
  return 0;
}

void add_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  auto policies = std::make_shared<std::string>();
  auto configs = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Run one scenario as several variants (policies, scheduler configs, overrides) and compare");
  cmd->footer(
      "Each variant is the scenario as loaded with one change: a GPU policy (--policy), a\n"
      "KubeSchedulerConfiguration file (--scheduler-config) or one value of a Simulation override\n"
      "(--set, the Sweep's axis names: nodepool/<pool>.count, nodepool/<pool>.gpuModel,\n"
      "load.multiplier, quota/<ns>/<name>.hard.<resource>, hpa/<ns>/<name>.targetUtilization,\n"
      ".minReplicas, .maxReplicas, seed, policy). The options add up: --policy FGD --set\n"
      "load.multiplier=1,2 is three variants; for a grid of every combination use `gpusim sweep`.\n"
      "With none of them, the six GPU policies. Prints unallocated GPU % at arrival 90/100/110/130 "
      "%\n"
      "for a trace replay (the FGD paper's metric), otherwise pods scheduled, wait p95, GPU\n"
      "allocation, cost and expectations per variant; -o also writes each run to DIR/<variant>/\n"
      "and one report with the variants side by side.\n"
      "Examples:\n"
      "  gpusim compare scenarios/openb/default.yaml --seed 42\n"
      "  gpusim compare scenarios/openb/gpushare40.yaml --policy FGD,BestFit -o out/cmp\n"
      "  gpusim compare scenarios/demo --scheduler-config binpack.yaml,spread.yaml -o out/sched\n"
      "  gpusim compare scenarios/autoscaling --set nodepool/a100.count=2,4,8 -o out/pools\n"
      "  gpusim compare scenarios/serving --set load.multiplier=1,1.5 --set "
      "hpa/ml-serving/fraud-detector-hpa.maxReplicas=10,20");
  cmd->add_option("inputs", o->inputs, "Scenario files or directories")->required();
  cmd->add_option("--policy,--policies", *policies,
                  "Comma-separated GPU policies, one variant each (the default when no variant "
                  "is given: Random,DotProduct,GpuClustering,GpuPacking,BestFit,FGD)");
  cmd->add_option("--scheduler-config", *configs,
                  "Comma-separated files, each one KubeSchedulerConfiguration replacing the "
                  "scenario's: one variant each");
  cmd->add_option("--set", o->overrides,
                  "AXIS=V1,V2,...: one variant per value of a Simulation override (repeatable)")
      ->type_name("AXIS=VALUES")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  add_seed_option(cmd, o->seed, "Random seed (overrides the Simulation's spec.seed)");
  cmd->add_option("-o,--output-dir", o->outdir,
                  "Write each run's outputs to DIR/<variant> and the report to DIR/report.html");
  cmd->add_option("--scorer", o->scorer, "GPU scorer backend: auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_flag("--reproducible", o->reproducible, "Write wall-clock figures as 0");
  add_max_memory_option(cmd);
  cmd->callback([o, policies, configs] {
    o->policies = split_policies(*policies);
    o->scheduler_configs = split_policies(*configs);
    const int rc = run_compare(*o);
    if (rc != 0) throw ExitCode{rc};
  });
}

}  // namespace gpusim::cli
