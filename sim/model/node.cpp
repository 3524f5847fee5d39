#include "model/node.hpp"

#include <algorithm>

namespace gpusim {

std::int64_t Node::gpu_free_milli() const {
  std::int64_t free = 0;
  for (const auto& g : gpus)
    free += g.free_milli();
  return free;
}

std::int32_t Node::gpu_fully_free() const {
  return static_cast<std::int32_t>(std::count_if(
      gpus.begin(), gpus.end(), [](const GpuDevice& g) { return g.used_milli == 0; }));
}

}  // namespace gpusim
