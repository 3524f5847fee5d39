#pragma once
// Batch mode of the GPU policies: scores a whole queue of pending pods against every node at once
// (one backend call for all distinct requests), then places the pods one by one in queue order.
// After each bind only the nodes that changed are re-scored, for every request shape, so a
// replay of thousands of pods on thousands of nodes scores each (shape, node) pair about once
// per change. The packing replay of the openb trace is its main user.
//
// The batch path evaluates the filters the scorer covers (cpu, memory, pods, extended
// resources, GPU devices and models, cordons, NoSchedule/NoExecute taints). Pods that need the
// other filters (tolerations, node selectors, affinity, spread, host ports) are rejected with an
// error: schedule those through a scheduler profile with the same policy plugin.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/pod.hpp"
#include "scheduler/plugins/gpu_scoring.hpp"

namespace gpusim::sched {

class GpuBatchPlacer {
 public:
  GpuBatchPlacer(const NodeTable& table, gpu::Policy policy, std::uint64_t seed,
                 gpu::Backend backend, std::vector<TypicalPod> typical);

  struct Choice {
    bool ok = false;
    NodeIndex node = 0;
    std::int64_t score = 0;
    std::vector<std::int32_t> devices;
  };

  // Throws std::invalid_argument for pods the batch path cannot judge (see above).
  static void check_supported(const Pod& pod);

  // Scores every distinct request of the queue against every node in one pass.
  void prime(std::span<const Pod* const> queue);
  // The policy's choice for one pod in the cluster's current state. `salt` varies Random's draw
  // per pod (use the pod's position in the queue).
  Choice choose(const Pod& pod, std::uint64_t salt);

  GpuScoring& scoring() { return scoring_; }

 private:
  GpuScoring scoring_;
};

// By names: `policy` one of the six (case-insensitive), `backend` auto, cpu or cuda. Throws
// std::invalid_argument for unknown names.
std::unique_ptr<GpuBatchPlacer> make_gpu_batch_placer(const NodeTable& table,
                                                      const std::string& policy, std::uint64_t seed,
                                                      const std::string& backend,
                                                      std::vector<TypicalPod> typical);

}  // namespace gpusim::sched
