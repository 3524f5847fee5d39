#include "scheduler/plugins/gpu_device_fit.hpp"

#include <algorithm>

#include "scheduler/plugins/filter_helpers.hpp"

namespace gpusim::sched {
namespace {

struct GpuDeviceFitState : PluginState {
  std::vector<std::uint32_t> models;  // interned model ids the pod accepts; empty = any
  bool any_model = true;
};

}  // namespace

GpuDeviceFitPlugin::GpuDeviceFitPlugin(FrameworkHandle& handle)
    : handle_(handle),
      insufficient_(handle.reasons().intern("Insufficient nvidia.com/gpu", false)),
      insufficient_unresolvable_(handle.reasons().intern("Insufficient nvidia.com/gpu", true)),
      wrong_model_(handle.reasons().intern("node(s) didn't match the requested GPU model", true)) {}

bool GpuDeviceFitPlugin::devices_fit(const GpuRequest& gpu, const std::int32_t* free_milli,
                                     std::int32_t count) {
  if (gpu.count <= 0) return true;
  if (gpu.shared()) {
    for (std::int32_t d = 0; d < count; ++d) {
      if (free_milli[d] >= gpu.milli_per_gpu) return true;
    }
    return false;
  }
  std::int32_t whole = 0;
  for (std::int32_t d = 0; d < count; ++d)
    whole += free_milli[d] == 1000 ? 1 : 0;
  return whole >= gpu.count;
}

Status GpuDeviceFitPlugin::pre_filter(CycleState& state, const PodInfo& pod) {
  const GpuRequest& gpu = pod.res->gpu;
  if (gpu.count <= 0) return Status::skip();
  GpuDeviceFitState& s = cycle_slot<GpuDeviceFitState>(state, *this);
  s.models.clear();
  s.any_model = gpu.models.empty();
  for (const auto& m : gpu.models) {
    // A model no node has interns to 0 and matches nothing.
    const std::uint32_t id = handle_.nodes().gpu_model_id(m);
    if (id != 0) s.models.push_back(id);
  }
  return Status::ok();
}

void GpuDeviceFitPlugin::filter(CycleState& state, const PodInfo& pod,
                                std::vector<NodeIndex>& nodes, Rejections& out) {
  const GpuRequest& gpu = pod.res->gpu;
  if (gpu.count <= 0) return;
  const GpuDeviceFitState& s = cycle_slot<GpuDeviceFitState>(state, *this);
  const NodeTable& t = handle_.nodes();
  const std::int32_t need = gpu.shared() ? 1 : gpu.count;
  filter_nodes(nodes, out, [&](NodeIndex n) {
    if (!s.any_model &&
        std::find(s.models.begin(), s.models.end(), t.gpu_model(n)) == s.models.end()) {
      return wrong_model_;
    }
    const std::int32_t count = t.gpu_count(n);
    if (devices_fit(gpu, t.gpu_free(n), count)) return kFits;
    // Too few devices altogether: no preemption frees enough.
    return count < need ? insufficient_unresolvable_ : insufficient_;
  });
}

}  // namespace gpusim::sched
