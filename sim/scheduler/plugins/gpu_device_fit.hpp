#pragma once
// GpuDeviceFit (gpusim): the nvidia device plugin's admission, checked at scheduling time so the
// scheduler never binds a pod the kubelet would reject. Whole-GPU pods need gpu.count devices
// that are entirely free; a sharing pod (one device, milli < 1000) needs one device with at
// least its share free; pods naming GPU models (gpusim.io/gpu-model) need the node's model to
// be one of them. The nvidia.com/gpu count itself is NodeResourcesFit's job.
#include <cstdint>
#include <vector>

#include "scheduler/plugin.hpp"

namespace gpusim::sched {

class GpuDeviceFitPlugin : public PreFilterPlugin, public FilterPlugin {
 public:
  static constexpr std::string_view kName = "GpuDeviceFit";
  explicit GpuDeviceFitPlugin(FrameworkHandle& handle);
  std::string_view name() const override { return kName; }

  Status pre_filter(CycleState& state, const PodInfo& pod) override;
  void filter(CycleState& state, const PodInfo& pod, std::vector<NodeIndex>& nodes,
              Rejections& out) override;

  // Whether devices with these free milli values can host the request (DefaultPreemption's
  // what-if check uses the same rule).
  static bool devices_fit(const GpuRequest& gpu, const std::int32_t* free_milli,
                          std::int32_t count);

 private:
  FrameworkHandle& handle_;
  ReasonId insufficient_, insufficient_unresolvable_, wrong_model_;
};

}  // namespace gpusim::sched
