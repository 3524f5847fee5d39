#pragma once
// The scheduler's node table reduced to the GPU scorer's plain records (gpu::NodeRec), kept in
// step incrementally: sync() rebuilds only nodes whose table version moved. Also maps pod
// requests to gpu::PodReq, GPU model names to model bits and extended resources (MIG profiles)
// to the scorer's few extended dimensions.
#include <cstdint>
#include <string>
#include <vector>

#include "gpusim/gpu/types.hpp"
#include "model/pod.hpp"
#include "scheduler/node_table.hpp"

namespace gpusim::sched {

// Tag bits of gpu::NodeRec::tags this view sets.
inline constexpr std::uint64_t kTagNoScheduleTaint = 1u;  // a NoSchedule/NoExecute taint

class GpuNodeView {
 public:
  explicit GpuNodeView(const NodeTable& table);

  struct SyncResult {
    bool resized = false;        // nodes were added: every record may be new
    bool specs_changed = false;  // max cpu/gpu spec or the set of GPU models changed
  };
  // Rebuilds the records of nodes whose version moved since the last call; appends their
  // indexes to `changed` (when given).
  SyncResult sync(std::vector<std::int32_t>* changed = nullptr);

  const std::vector<gpu::NodeRec>& records() const { return records_; }
  const gpu::NodeRec& record(NodeIndex n) const { return records_[n]; }
  std::int64_t max_cpu_milli() const { return max_cpu_; }
  std::int64_t max_gpu_milli() const { return max_gpu_; }

  // A pod's request. Extended resources get one of the scorer's dimensions on first sight (the
  // records are then rebuilt on the next sync). `tolerates_nothing`: the pod has no tolerations,
  // so nodes with NoSchedule/NoExecute taints are not feasible (the batch path's taint filter).
  gpu::PodReq request(const PodResources& res, bool tolerates_nothing);
  // GPU model names -> mask of model bits; 0 for an empty list; bit 0 alone when none is known.
  std::uint64_t model_mask(const std::vector<std::string>& models) const;

 private:
  void rebuild(NodeIndex n);

  const NodeTable& table_;
  std::vector<gpu::NodeRec> records_;
  std::vector<std::uint64_t> seen_;  // table version per node at the last rebuild
  std::uint64_t log_seq_ = 0;        // the table's change_seq() at the last sync
  std::vector<std::int32_t> touched_;
  std::uint64_t generation_ = ~std::uint64_t{0};
  std::int64_t max_cpu_ = 1;
  std::int64_t max_gpu_ = 1;
  std::uint32_t max_model_ = 0;
  std::vector<int> ext_dims_;  // node-table dimension of each scorer extended dimension
  bool ext_changed_ = false;
};

}  // namespace gpusim::sched
