#pragma once
// The cluster's GPU fragmentation as FGD defines it: per node, the idle GPU milli that typical
// pods cannot use, weighted by the shapes' popularity; summed over nodes. Kept incrementally
// (only nodes whose table version moved are re-measured).
#include <cstdint>
#include <vector>

#include "gpusim/gpu/fgd_tables.hpp"
#include "scheduler/plugins/gpu_node_view.hpp"
#include "scheduler/plugins/gpu_typical_pods.hpp"

namespace gpusim::sched {

class GpuFragmentationMeter {
 public:
  GpuFragmentationMeter(const NodeTable& table, std::vector<TypicalPod> typical);

  // Cluster fragmentation in milli-GPU (sum over nodes of the weighted mean of F_n(m)).
  std::int64_t frag_milli();
  // Idle GPU milli over live nodes.
  std::int64_t idle_milli();

 private:
  void sync();

  GpuNodeView view_;
  std::vector<TypicalPod> typical_;
  std::vector<gpu::TypicalShape> shapes_;
  gpu::FgdTables fgd_;
  std::int64_t total_weight_ = 0;
  std::vector<std::int64_t> node_frag_;  // weight x milli
  std::vector<std::int64_t> node_idle_;
  std::int64_t frag_sum_ = 0;
  std::int64_t idle_sum_ = 0;
  std::vector<std::int32_t> changed_;
};

}  // namespace gpusim::sched
