#pragma once
// The cluster at a simulated time, rebuilt from pods.csv and nodes.csv: which pods exist, in
// which phase, on which node, and what each node and GPU device has allocated. Used by
// `gpusim get` and by the per-pool/per-model GPU series of reports and expectations.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "reports/run_dir.hpp"

namespace gpusim::reports {

struct NodeState {
  const NodeRecord* node = nullptr;
  std::int64_t cpu_milli = 0, memory_bytes = 0, gpu_milli = 0, pods = 0;  // allocated
  std::vector<std::int64_t> device_milli;  // allocated milli-GPU per device
  std::int64_t gpu_free_milli() const { return node->gpus * 1000 - gpu_milli; }
  // Devices with nothing allocated (what a whole-GPU pod can still use).
  std::int64_t gpus_free_whole() const;
};

struct PodState {
  const PodRecord* pod = nullptr;
  std::string phase;  // Pending, Running, Succeeded, Failed
  std::string
      status;  // kubectl's STATUS column: Pending, ContainerCreating, Running, Completed, ...
  bool holds_node = false;
};

class ClusterState {
 public:
  static ClusterState at(const RunDir& run, TimeMs t_ms);
  TimeMs t_ms() const { return t_ms_; }
  const std::vector<NodeState>& nodes() const { return nodes_; }
  const std::vector<PodState>& pods() const { return pods_; }

 private:
  TimeMs t_ms_ = 0;
  std::vector<NodeState> nodes_;
  std::vector<PodState> pods_;
};

// GPU figures of one group of nodes (a pool, a GPU model or the whole cluster) at each time.
struct GpuGroupPoint {
  TimeMs t_ms = 0;
  std::int64_t capacity_milli = 0;
  std::int64_t allocated_milli = 0;
  // Free milli-GPU on devices that are partly allocated: capacity that whole-GPU requests cannot
  // use (docs/reports.md "Fragmentation").
  std::int64_t fragmented_milli = 0;
  std::int64_t nodes = 0;
};

enum class GroupBy { kCluster, kPool, kGpuModel, kPoolAndModel };

// The series per group at the given (sorted) times; groups without GPU nodes are left out
// unless `include_cpu_only`. Group names: pool, model, "pool/model", or "cluster".
std::map<std::string, std::vector<GpuGroupPoint>> gpu_groups(const RunDir& run, GroupBy by,
                                                             const std::vector<TimeMs>& times,
                                                             bool include_cpu_only = false);

// The sample times of timeseries.csv (t_ms column), or 0 and the end when it has none.
std::vector<TimeMs> sample_times(const RunDir& run);

}  // namespace gpusim::reports
