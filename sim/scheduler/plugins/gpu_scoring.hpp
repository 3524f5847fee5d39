#pragma once
// A GPU policy's scoring state on the scheduler side: the node view, the batch scorer (CPU or
// CUDA backend) kept in step with the node table, and the policy parameters. Shared by the score
// plugins (one pod per scheduling cycle) and GpuBatchPlacer (a whole queue, the packing replay).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gpusim/gpu/fgd_tables.hpp"
#include "gpusim/gpu/scorer.hpp"
#include "scheduler/plugins/gpu_node_view.hpp"
#include "scheduler/plugins/gpu_typical_pods.hpp"

namespace gpusim::sched {

// Registered plugin names of the policies, in gpu::Policy order.
const char* policy_name(gpu::Policy p);
// Case-insensitive; false when `name` is not a GPU policy.
bool parse_policy(std::string_view name, gpu::Policy& out);
// The registered spelling of a GPU policy name ("fgd" -> "FGD"); empty when it is none.
std::string canonical_policy(std::string_view name);

class GpuScoring {
 public:
  // `backend` as --scorer says; when it falls back to the CPU, one line goes to stderr (once per
  // process).
  GpuScoring(const NodeTable& table, gpu::Policy policy, std::uint64_t seed, gpu::Backend backend);

  gpu::Policy policy() const { return policy_; }
  // FGD's typical pods; used from the next sync() on.
  void set_typical(std::vector<TypicalPod> typical);
  bool has_typical() const { return typical_set_; }

  // Brings the scorer's nodes (and, when the cluster's shape changed, its parameters) up to
  // date with the node table.
  void sync();

  gpu::PodReq request(const PodResources& res, bool tolerates_nothing) {
    return view_.request(res, tolerates_nothing);
  }
  std::int32_t shape(const gpu::PodReq& req) { return scorer_->intern_shape(req); }
  gpu::Scorer& scorer() { return *scorer_; }
  const GpuNodeView& view() const { return view_; }
  // Parameters with FGD's tables in host memory (for host-side device choice).
  const gpu::ScoreParams& host_params() const { return host_params_; }
  // The policy's device choice on node `n` (current state); number of devices written to out.
  std::int32_t select_devices(const gpu::PodReq& req, NodeIndex n, std::uint64_t salt,
                              std::int32_t* out) const;

 private:
  void reset_params();

  gpu::Policy policy_;
  std::uint64_t seed_;
  GpuNodeView view_;
  std::unique_ptr<gpu::Scorer> scorer_;
  std::vector<TypicalPod> typical_;
  bool typical_set_ = false;
  bool params_stale_ = true;
  std::vector<gpu::TypicalShape> shapes_;
  gpu::FgdTables fgd_;
  gpu::ScoreParams host_params_{};
  std::vector<std::int32_t> changed_;
};

}  // namespace gpusim::sched
