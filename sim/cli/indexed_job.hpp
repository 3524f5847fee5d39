#pragma once
// A Kubernetes batch/v1 Indexed Job that runs a sweep across N pods: pod I runs
// `gpusim sweep SWEEP --shard I/N` into its own directory on a shared results volume, and
// `gpusim merge` combines the shard directories afterwards. A pod that fails restarts in place
// (restartPolicy OnFailure) and resumes its shard from the points already on the volume.
#include <cstddef>
#include <string>

namespace gpusim::cli {

struct IndexedJobOptions {
  std::string sweep_name;  // metadata.name of the Sweep (the Job is gpusim-sweep-<name>)
  std::string sweep_path;  // the Sweep file as the container sees it (relative to workdir)
  std::string image;
  std::size_t shards = 4;                              // completions
  std::size_t parallelism = 0;                         // 0: all shards at once
  unsigned cpus = 2;                                   // per pod: requests, limits and -j
  std::string memory;                                  // per pod; empty: 1Gi per CPU
  std::string results_claim = "gpusim-sweep-results";  // PersistentVolumeClaim for /results
  std::string workdir = "/gpusim";                     // where the image holds the sweep
};

// The manifest (one YAML document). Throws std::invalid_argument on unusable options.
std::string indexed_job_yaml(const IndexedJobOptions& o);

}  // namespace gpusim::cli
