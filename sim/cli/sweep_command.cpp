// `gpusim sweep` (run a Sweep, or emit the Indexed Job that runs it in shards) and `gpusim merge`.
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/indexed_job.hpp"
#include "cli/sweep_runner.hpp"
#include "core/atomic_file.hpp"
#include "core/quantity.hpp"
#include "scenario/sweep_parser.hpp"
#include "scenario/sweep_plan.hpp"

namespace gpusim::cli {
namespace {

struct SweepArgs {
  SweepRunOptions run;
  std::string shard;
  bool emit_job = false;
  IndexedJobOptions job;
  std::string job_file;
};

int sweep(SweepArgs& a) {
  if (!a.shard.empty() && !scenario::parse_shard(a.shard, a.run.shard, a.run.shards)) {
    throw std::invalid_argument("--shard: expected I/N with 0 <= I < N, got \"" + a.shard + "\"");
  }
  if (a.emit_job) {
    const scenario::SweepSpec spec = scenario::load_sweep(a.run.sweep_file);
    const std::size_t points = scenario::plan_sweep(spec).size();
    if (a.job.shards > points) {
      std::cerr << "gpusim: warning: --shards " << a.job.shards << " is more than the sweep's "
                << points << " point(s): " << a.job.shards - points
                << " pod(s) will have nothing to run; --shards " << points
                << " does the same work\n";
    }
    a.job.sweep_name = spec.name;
    if (a.job.sweep_path.empty()) a.job.sweep_path = a.run.sweep_file;
    const std::string yaml = indexed_job_yaml(a.job);
    if (a.job_file.empty()) {
      std::cout << yaml;
    } else {
      write_file_atomic(a.job_file, yaml);
    }
    return 0;
  }
  if (a.run.outdir.empty())
    throw std::invalid_argument("sweep: -o DIR is required (where the points go)");
  const auto t0 = std::chrono::steady_clock::now();
  const SweepRunStats s = run_sweep(a.run);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  if (!a.run.quiet) {
    std::cout << "sweep: " << s.planned << " points (" << s.skipped << " already done, " << s.ran
              << " run, " << s.failed << " failed) in " << ms << " ms; results in " << a.run.outdir
              << "/results.csv\n";
  }
  if (s.failed > 0) {
    // Only failures a rerun may not repeat get the retry hint.
    const std::size_t other = s.failed - s.input_failed;
    std::cerr << "gpusim: error: " << s.failed << " point(s) failed";
    if (s.input_failed > 0) {
      std::cerr << "; " << s.input_failed
                << " on their input (see above), which a rerun fails the same way: fix the "
                   "sweep or its scenario";
    }
    if (other > 0) std::cerr << "; rerun to retry the other " << other;
    std::cerr << "\n";
    return 3;
  }
  return 0;
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Run every point of a Sweep in parallel (or emit an Indexed Job)");
  cmd->footer(
      "Each point lands in DIR/points/<id>/ atomically; a rerun skips finished points, so an "
      "interrupted\n"
      "sweep resumes. DIR/results.csv has one row per point; report.html and report.md aggregate "
      "seeds.\n"
      "Examples:\n"
      "  gpusim sweep scenarios/sweeps/fgd-matrix.yaml -o out/fgd -j 2\n"
      "  gpusim sweep sweep.yaml -o out/s1 --shard 1/4\n"
      "  gpusim sweep sweep.yaml --emit-indexed-job --image registry/gpusim:0.1 --shards 8 > "
      "job.yaml");
  cmd->add_option("sweep", a->run.sweep_file, "The Sweep document (kind: Sweep)")->required();
  cmd->add_option("-o,--output-dir", a->run.outdir,
                  "Sweep directory (points/, results.csv, report)");
  cmd->add_option("-j,--jobs", a->run.jobs, "Threads (default: all cores)");
  cmd->add_option("--shard", a->shard,
                  "Run only shard I of N (I/N, 0-based): points whose index % N == I");
  cmd->add_option("--scorer", a->run.scorer, "GPU scorer backend: auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_flag(
      "--no-report", [a](std::int64_t) { a->run.report = false; },
      "Do not write report.html/report.md");
  cmd->add_flag("-q,--quiet", a->run.quiet, "Print nothing on success");
  add_max_memory_option(cmd);
  cmd->add_flag("--emit-indexed-job", a->emit_job,
                "Print a batch/v1 Indexed Job that runs the sweep in shards");
  cmd->add_option("--image", a->job.image,
                  "Container image holding gpusim (with --emit-indexed-job)");
  cmd->add_option("--shards", a->job.shards,
                  "Shards = completions (with --emit-indexed-job; default 4)");
  cmd->add_option("--parallelism", a->job.parallelism, "Pods at once (default: all shards)");
  cmd->add_option("--cpus", a->job.cpus, "CPUs per pod: requests, limits and -j (default 2)");
  cmd->add_option("--memory", a->job.memory, "Memory per pod (default: 1Gi per CPU)")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            // Written into the Job as is: a value kubectl would reject must not get there.
            const auto q = Quantity::parse(text);
            return q && q->sign() > 0
                       ? std::string()
                       : "expected a positive quantity such as 4Gi, got \"" + text + "\"";
          },
          "QUANTITY"));
  cmd->add_option("--results-claim", a->job.results_claim,
                  "PersistentVolumeClaim mounted at /results");
  cmd->add_option("--workdir", a->job.workdir,
                  "Container working directory holding the sweep (default /gpusim)");
  cmd->add_option("--sweep-path", a->job.sweep_path,
                  "The sweep's path in the container (default: as given)");
  cmd->add_option("--job-file", a->job_file,
                  "Write the Job to this file instead of standard output");
  cmd->callback([a] {
    const int rc = sweep(*a);
    if (rc != 0) throw ExitCode{rc};
  });
}

void add_merge_command(CLI::App& app) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto no_report = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "merge", "Combine sweep shard directories into one results.csv and report");
  cmd->footer("Example:\n  gpusim merge out/shard-0 out/shard-1 out/shard-2 -o out/merged");
  cmd->add_option("dirs", *dirs, "Sweep directories written by `gpusim sweep --shard`")->required();
  cmd->add_option("-o,--output-dir", *out, "The merged sweep directory")->required();
  cmd->add_flag("--no-report", *no_report, "Do not write report.html/report.md");
  cmd->add_flag("-q,--quiet", *quiet, "Print nothing on success");
  cmd->callback([dirs, out, no_report, quiet] {
    merge_sweeps(*dirs, *out, !*no_report);
    if (*quiet) return;
    std::cout << "merged " << dirs->size() << " director" << (dirs->size() == 1 ? "y" : "ies")
              << " into " << *out << "/results.csv\n";
  });
}

}  // namespace gpusim::cli
