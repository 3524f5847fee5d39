#pragma once
// FGD's "typical pods": the distinct request shapes of a workload weighted by how often they
// occur, most popular first, cut (in steps of 10 shapes, as the paper's simulator does) once
// they cover the popularity threshold (95 % in the paper's runs).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpusim/gpu/types.hpp"
#include "model/pod.hpp"

namespace gpusim::sched {

class ArgsReader;
class GpuNodeView;

struct TypicalPod {
  std::int64_t cpu_milli = 0;
  std::int32_t gpu_count = 0;
  std::int32_t gpu_milli = 0;       // per device; 0 for CPU-only shapes
  std::vector<std::string> models;  // allowed GPU models (sorted); empty = any
  std::int64_t weight = 1;          // pods of this shape
  bool operator==(const TypicalPod&) const = default;
};

// The shape of one pod (weight 1).
TypicalPod typical_shape_of(const PodResources& res);

// Counts shapes over `pods` (each entry adds its weight) and keeps the most popular ones.
inline constexpr int kDefaultPopularityThresholdPct = 95;
std::vector<TypicalPod> typical_pods(const std::vector<TypicalPod>& pods,
                                     int threshold_pct = kDefaultPopularityThresholdPct,
                                     int step = 10);

// Plugin args form: [{cpuMilli, gpuCount, gpuMilli, gpuModels: [...], weight}, ...].
nlohmann::json typical_pods_json(const std::vector<TypicalPod>& typical);
std::vector<TypicalPod> read_typical_pods(const ArgsReader& args, std::string_view field);

// The scorer's records; model names resolve against the view's node table.
std::vector<gpu::TypicalShape> typical_shapes(const std::vector<TypicalPod>& typical,
                                              const GpuNodeView& view);

}  // namespace gpusim::sched
