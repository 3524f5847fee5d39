#pragma once
// `gpusim sweep` and `gpusim merge`: every point of a Sweep runs on its own copy of the base
// scenario, on a pool of threads, and lands in DIR/points/<id>/ atomically (point.json last in
// the staging directory, then one rename), so a killed sweep rerun with the same DIR runs only the
// points that are missing. DIR/sweep.json records the plan; results.csv and the report are
// rebuilt from the point directories alone, which is what lets shards merge into exactly what
// one run would have written.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace gpusim::cli {

struct SweepRunOptions {
  std::string sweep_file;
  std::string outdir;
  unsigned jobs = 0;  // 0: std::thread::hardware_concurrency()
  std::size_t shard = 0;
  std::size_t shards = 1;
  std::string scorer = "cpu";
  bool quiet = false;
  bool report = true;
};

struct SweepRunStats {
  std::size_t planned = 0;  // points in this shard
  std::size_t skipped = 0;  // already finished by an earlier run
  std::size_t ran = 0;
  std::size_t failed = 0;
  std::size_t input_failed = 0;  // of those, failed on their input (a rerun fails them again)
  std::size_t stopped = 0;       // points a signal or the memory cap stopped (none written)
};

// Runs the sweep; throws InputError on a bad Sweep or scenario (before anything runs). On SIGINT,
// SIGTERM or the memory cap (run_stop.hpp) the running points stop unwritten, no new point
// starts, results.csv and the report are written from the finished points, and RunStopped is
// thrown (exit 130/143/4); a rerun resumes with the missing points.
SweepRunStats run_sweep(const SweepRunOptions& options);

// What run_sweep checks before it writes or runs anything: the Sweep document, every base
// scenario and every axis value applied to each base. Throws InputError; returns the plan's
// number of points and of base scenarios.
struct SweepCheck {
  std::string name;
  std::size_t points = 0;
  std::size_t bases = 0;
};
SweepCheck check_sweep(const std::string& sweep_file);

// Combines shard directories (each written by `gpusim sweep --shard`) into `out`: every point
// copied once, results.csv and the report rebuilt. Throws when the directories hold different
// sweeps or a point is in none of them.
void merge_sweeps(const std::vector<std::string>& dirs, const std::string& out, bool report);

}  // namespace gpusim::cli
