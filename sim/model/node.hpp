#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/object_meta.hpp"
#include "model/pod.hpp"
#include "model/resources.hpp"
#include "model/taint.hpp"

namespace gpusim {

// Labels that name a node's GPU model; the first present wins unless the Simulation sets a key.
inline constexpr const char* kGpuProductLabel = "nvidia.com/gpu.product";

struct GpuDevice {
  std::int32_t used_milli = 0;  // 0..1000
  std::vector<PodId> holders;   // pods using this device (one unless shared)
  std::int32_t free_milli() const { return 1000 - used_milli; }
};

struct Node {
  ObjectMeta meta;
  ResourceQuantities capacity;
  ResourceQuantities allocatable;
  std::vector<Taint> taints;
  bool unschedulable = false;
  bool ready = true;
  // Ready=Unknown as loaded: the node controller lost contact (unreachable rather than not-ready).
  bool ready_unknown = false;
  std::optional<TimeMs> ready_transition_ms;
  std::string pool;       // node pool from the Simulation document; empty for manifest nodes
  std::string gpu_model;  // from the GPU model label; empty when the node has no GPUs
  std::vector<std::string> images;  // images already pulled (image locality, pull cache)
  // status.images[].sizeBytes under each of the image's names. Images pulled during the run have
  // no entry (ImageLocality then falls back to its args).
  std::map<std::string, std::int64_t> image_size_bytes;

  // Runtime accounting, maintained by Cluster::bind/unbind.
  ResourceAmounts allocatable_units;  // allocatable in integer units (cpu milli, bytes, counts)
  ResourceAmounts requested;          // sum of effective requests of pods holding the node
  std::int64_t nonzero_cpu_milli = 0;
  std::int64_t nonzero_memory_bytes = 0;
  std::vector<PodId> pods;      // pods bound to the node and not yet terminated
  std::vector<GpuDevice> gpus;  // one per nvidia.com/gpu device

  std::int64_t gpu_free_milli() const;
  std::int32_t gpu_fully_free() const;
  const std::string& name() const { return meta.name; }
};

}  // namespace gpusim
