// `gpusim check SCENARIO... [--junit FILE]`: run scenarios and gate on their expectations.
// Exit 0: every expectation holds; 1: one fails (or cannot be evaluated); 2: bad input.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/run_outputs.hpp"
#include "core/atomic_file.hpp"
#include "core/diagnostics.hpp"
#include "core/duration.hpp"
#include "reports/explain_view.hpp"
#include "reports/format.hpp"
#include "reports/junit_writer.hpp"
#include "reports/run_dir.hpp"
#include "scenario/loader.hpp"

namespace gpusim::cli {

namespace fs = std::filesystem;

namespace {

struct CheckArgs {
  std::vector<std::string> scenarios;
  std::vector<std::string> files;
  std::string junit, outdir, until, policy, format;
  std::optional<std::uint64_t> seed;
  bool quiet = false, no_report = false;
  unsigned threads = 0;
};

struct Job {
  std::string input;  // what the user named
  std::vector<std::string> inputs;
  bool saved_run = false;
  engine::Scenario scenario;
  std::vector<reports::ExpectationInput> expectations;
};

bool is_run_dir(const std::string& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && fs::exists(fs::path(p) / "summary.json", ec);
}

int check(const CheckArgs& a) {
  const reports::OutputFormat format = reports::parse_output_format(a.format, "--format");
  std::vector<Job> jobs;
  for (const auto& s : a.scenarios)
    jobs.push_back(Job{s, {s}, is_run_dir(s), {}, {}});
  if (!a.files.empty()) {
    std::string name;
    for (const auto& f : a.files)
      name += (name.empty() ? "" : " ") + f;
    jobs.push_back(Job{name, a.files, false, {}, {}});
  }
  if (jobs.empty())
    throw std::invalid_argument(
        "nothing to check: name scenario files or directories (or -f FILE)");
  // A saved run is evaluated as recorded: options that shape a run do not apply to it.
  if (a.seed || !a.policy.empty() || !a.until.empty() || !a.outdir.empty()) {
    for (const auto& j : jobs) {
      if (j.saved_run) {
        std::cerr << "warning: " << j.input
                  << " is a saved run, checked as recorded: --seed, --policy, --until and -o "
                     "apply only to the scenarios\n";
      }
    }
  }
  engine::RunOptions base;
  base.seed = a.seed;
  base.policy = a.policy;
  base.reproducible = std::getenv("GPUSIM_REPRODUCIBLE") != nullptr;
  base.threads = run_threads(a.threads);
  if (!a.until.empty()) {
    auto ms = parse_duration_ms(a.until);
    if (!ms || *ms <= 0)
      throw std::invalid_argument("--until: not a positive duration: \"" + a.until + "\"");
    base.until = *ms;
  }

  // Load and validate everything before running anything: bad input is reported as a whole.
  std::vector<Diagnostic> problems;
  for (auto& j : jobs) {
    try {
      if (j.saved_run) {
        const reports::RunDir run = reports::RunDir::load(j.input);
        j.expectations = reports::expectations_from_summary(run.summary());
        for (auto& e : j.expectations)
          e.expr_location.file = (fs::path(j.input) / "summary.json").string();
      } else {
        j.scenario = scenario::load_scenario(j.inputs);
        for (const auto& w : j.scenario.warnings.items())
          std::cerr << w.str() << "\n";
        j.expectations = expectation_inputs(j.scenario);
      }
      const Diagnostics d = reports::check_expectations(j.expectations);
      for (const auto& item : d.items())
        problems.push_back(item);
    } catch (const InputError& e) {
      for (const auto& item : e.diagnostics())
        problems.push_back(item);
    }
  }
  if (!problems.empty()) throw InputError(problems);
  // Each run gets its own directory: two scenarios of one name would overwrite each other.
  const auto run_dir_of = [&](const Job& j) {
    if (a.outdir.empty()) return fs::path("out") / j.scenario.simulation.name;
    return jobs.size() == 1 ? fs::path(a.outdir) : fs::path(a.outdir) / j.scenario.simulation.name;
  };
  std::map<fs::path, const Job*> dirs;
  for (const auto& j : jobs) {
    if (j.saved_run) continue;
    const auto [at, fresh] = dirs.emplace(run_dir_of(j), &j);
    if (!fresh) {
      throw std::invalid_argument("scenarios \"" + at->second->input + "\" and \"" + j.input +
                                  "\" are both named \"" + j.scenario.simulation.name +
                                  "\": their runs would share " + at->first.string() +
                                  " (give them different metadata.name)");
    }
  }

  std::vector<reports::SuiteResult> suites;
  bool all_passed = true;
  for (auto& j : jobs) {
    reports::SuiteResult suite;
    const auto t0 = std::chrono::steady_clock::now();
    if (j.saved_run) {
      const reports::RunDir run = reports::RunDir::load(j.input);
      suite.name = run.scenario();
      suite.seed = run.seed();
      suite.run_dir = j.input;
      suite.results = reports::evaluate_expectations(run, j.expectations);
    } else {
      engine::RunOptions opts = base;
      opts.explain = explain_by_default(j.scenario);
      ProgressMeter meter(ProgressMeter::wanted(a.quiet || format != reports::OutputFormat::kTable),
                          planned_end(j.scenario, opts));
      opts.progress = [&meter](TimeMs t, std::uint64_t ev) { meter.update(t, ev); };
      engine::Simulation sim(j.scenario, opts);
      const fs::path out = run_dir_of(j);
      StagedDirectory staged(out);
      sim.stream_outputs(staged);
      sim.run();
      meter.done();
      RunDirOptions ro;
      ro.report = !a.no_report;
      WrittenRun w = write_run_directory(sim, j.scenario, staged, ro);
      suite.name = j.scenario.simulation.name;
      suite.seed = sim.seed();
      suite.run_dir = out.string();
      suite.results = std::move(w.expectations);
      if (sim.hit_limit())
        std::cerr << "warning: " << suite.name << ": " << sim.limit_message() << "\n";
    }
    suite.time_s =
        base.reproducible
            ? 0
            : std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& r : suite.results)
      all_passed = all_passed && r.passed;
    if (suite.results.empty())
      std::cerr << "warning: " << j.input
                << ": the scenario has no expectations (spec.expectations)\n";
    suites.push_back(std::move(suite));
  }

  if (!a.junit.empty()) write_file_atomic(a.junit, reports::junit_xml(suites));
  if (format == reports::OutputFormat::kTable || format == reports::OutputFormat::kWide) {
    if (!a.quiet || !all_passed) {
      for (const auto& s : suites) {
        std::size_t failed = 0;
        for (const auto& r : s.results)
          failed += r.passed ? 0 : 1;
        if (a.quiet && failed == 0) continue;  // -q: only failures
        std::cout << s.name << " (seed " << s.seed << ", " << s.run_dir << "): " << s.results.size()
                  << " expectation(s), " << failed << " failed\n";
        print_expectations(std::cout, s.results, a.quiet);
      }
      if (!a.junit.empty() && !a.quiet) std::cout << "JUnit: " << a.junit << "\n";
    }
  } else {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& s : suites) {
      bool ok = true;
      for (const auto& r : s.results)
        ok = ok && r.passed;
      j.push_back({{"scenario", s.name},
                   {"seed", s.seed},
                   {"run_dir", s.run_dir},
                   {"passed", ok},
                   {"expectations", reports::expectations_json(s.results)}});
    }
    nlohmann::ordered_json doc{{"passed", all_passed}, {"scenarios", j}};
    std::cout << (format == reports::OutputFormat::kJson ? doc.dump(2) + "\n"
                                                         : reports::to_yaml(doc));
  }
  return all_passed ? 0 : 1;
}

}  // namespace

void add_check_command(CLI::App& app) {
  auto a = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Run scenarios and check their expectations (exit 0 pass, 1 fail, 2 bad input)");
  cmd->footer(
      "Each argument is one scenario (a file or a directory of YAML files); -f FILE... together "
      "form\n"
      "one more scenario, - reads standard input. A saved run directory is re-checked without "
      "running\n"
      "(its expectations come from its summary.json). Every run directory gets the results in\n"
      "summary.json and a report.html. Expressions: docs/scenario.md \"Expectations\"; CI: "
      "docs/ci.md.\n"
      "Examples:\n"
      "  gpusim check scenarios/demo\n"
      "  gpusim check scenarios/demo scenarios/quota-ci --junit results.xml -o out/ci\n"
      "  gpusim check out/demo                     # re-check a saved run\n"
      "  gpusim check -f manifests.yaml -f sim.yaml --format json");
  cmd->add_option("scenarios", a->scenarios,
                  "Scenarios (files or directories) or saved run directories");
  cmd->add_option("-f,--filename", a->files,
                  "Files or directories that together form one scenario; - for stdin");
  cmd->add_option("--junit", a->junit, "Write JUnit XML (one testcase per expectation) to FILE");
  cmd->add_option(
      "-o,--output-dir", a->outdir,
      "Run directories: DIR (one scenario) or DIR/<scenario> (default: out/<scenario>)");
  add_seed_option(cmd, a->seed, "Random seed (overrides each Simulation's spec.seed)");
  cmd->add_option("--until", a->until, "Simulated time to stop at (overrides spec.duration)");
  cmd->add_option("--policy", a->policy, "GPU placement policy for every scenario");
  cmd->add_option("--format", a->format, "Printed results: table (default), json or yaml");
  cmd->add_flag("--no-report", a->no_report,
                "Do not write report.html/report.md into the run directories");
  cmd->add_flag("-q,--quiet", a->quiet, "Print only failures");
  add_max_memory_option(cmd);
  add_threads_option(cmd, a->threads);
  cmd->callback([a] {
    const int rc = check(*a);
    if (rc != 0) throw ExitCode{rc};
  });
}

}  // namespace gpusim::cli
