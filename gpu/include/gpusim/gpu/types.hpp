#pragma once
// Plain data the batch placement scorer works on. Nothing here knows about Kubernetes objects:
// the scheduler reduces nodes and pods to these fixed-size records (resources as integers,
// GPU model as a small id, labels/taints as bitsets), so the same bytes can be copied to a GPU.
#include <cstdint>

namespace gpusim::gpu {

inline constexpr int kMaxGpusPerNode = 16;  // devices per node the scorer models
inline constexpr int kExtDims = 4;          // extended resources (MIG profiles, ...) it checks
inline constexpr std::int32_t kMilliPerGpu = 1000;
// Score of a pod on a node it cannot use. Every feasible score is far above it.
inline constexpr std::int64_t kInfeasible = INT64_MIN;

// The GPU policies of Weng et al. (ATC'23), see docs/policies.md.
enum class Policy : std::int32_t {
  kRandom = 0,
  kDotProduct = 1,
  kGpuClustering = 2,
  kGpuPacking = 3,
  kBestFit = 4,
  kFgd = 5,
};
inline constexpr int kPolicyCount = 6;

// NodeRec::flags
inline constexpr std::uint32_t kNodeSchedulable = 1u;  // live and not cordoned
inline constexpr std::uint32_t kNodeLive = 2u;         // exists (cordoned or not)

struct NodeRec {
  std::int64_t cpu_alloc_milli = 0;
  std::int64_t cpu_free_milli = 0;
  std::int64_t mem_free_bytes = 0;
  std::int64_t ext_free[kExtDims] = {};
  std::int32_t pods_free = 0;
  std::int32_t gpu_count = 0;
  std::int32_t gpu_free_milli[kMaxGpusPerNode] = {};
  // Derived from gpu_free_milli by finalize_node(); kept so feasibility is O(1).
  std::int32_t gpu_full = 0;        // devices with 1000 milli free
  std::int32_t gpu_max_free = 0;    // most milli free on one device
  std::int32_t gpu_free_total = 0;  // milli free over all devices
  std::uint32_t model = 0;          // GPU model id 1..63 (bit in PodReq::model_mask); 0 = none
  std::uint32_t flags = 0;
  std::uint32_t classes = 0;  // GpuClustering: affinity classes of the GPU pods it runs (bits)
  std::uint64_t tags = 0;     // labels/taints reduced to bits by the caller
};

struct PodReq {
  std::int64_t cpu_milli = 0;
  std::int64_t mem_bytes = 0;
  std::int64_t ext[kExtDims] = {};
  std::int32_t gpu_count = 0;  // devices
  std::int32_t gpu_milli = 0;  // milli per device: 1..999 shares one device, 1000 whole devices
  // Allowed GPU models as bits of NodeRec::model; 0 = any. Bit 0 never matches a node, so a pod
  // whose models are all unknown to the cluster can say "none" with it.
  std::uint64_t model_mask = 0;
  std::uint64_t tags_required = 0;   // node must have all of these bits
  std::uint64_t tags_forbidden = 0;  // node must have none of these bits
};

// One "typical pod" shape of the FGD fragmentation measure, weighted by its popularity (a pod
// count, so sums stay exact integers).
struct TypicalShape {
  std::int64_t cpu_milli = 0;
  std::int32_t gpu_count = 0;
  std::int32_t gpu_milli = 0;
  std::uint64_t model_mask = 0;
  std::int64_t weight = 0;
};

// FGD's typical shapes folded into weight tables (built on the host by FgdTables, see
// fgd_tables.hpp; policies.hpp reads them). A shape's share of a node's fragmentation depends on
// its weight, its per-device milli r, its device count, its cpu and its models only through
//   "can the node host it" = model allowed && devices with >= r free >= count && cpu free >= cpu,
// so for each distinct r the tables hold the weight of the shapes the node can host, indexed by
// the node's model class, its cpu index (thresholds <= cpu free) and its devices with >= r free.
// `data` (host or device memory, as the backend needs) holds, as int64:
//   milli[n_milli]            distinct gpu_milli of the GPU shapes, ascending
//   cpu[n_cpu]                distinct cpu_milli of the GPU shapes, ascending
//   model_class[64]           class of node model m (models above 63 use class 0's entry)
//   weight[n_class][n_cpu + 1][n_milli][n_fit]
//   milli_index[n_lookup]     at data[lookup]: #(milli <= x) for x in [0, n_lookup); only when
//                             the largest milli is small enough (n_lookup == 0 otherwise)
// weight[c][k][i][f]: total weight of the GPU shapes with milli[i], allowed on class c, cpu_milli
// <= cpu[k - 1] (none when k == 0) and device count <= f (f == n_fit - 1 stands for "or more").
struct FgdTable {
  const std::int64_t* data = nullptr;
  std::int64_t total_weight = 0;  // every shape's weight (CPU-only and excluded ones too)
  std::int32_t n_milli = 0;
  std::int32_t n_cpu = 0;
  std::int32_t n_fit = 1;
  std::int32_t n_class = 1;
  std::int32_t lookup = 0;
  std::int32_t n_lookup = 0;
};

// Everything a score depends on besides the node and the pod.
struct ScoreParams {
  Policy policy = Policy::kBestFit;
  std::uint64_t seed = 0;          // Random
  std::int64_t max_cpu_milli = 1;  // normalisation ("max spec"): largest node cpu allocatable
  std::int64_t max_gpu_milli = 1;  // largest node GPU milli (devices x 1000)
  FgdTable fgd{};                  // FGD's typical shapes; no shapes when data is null
};

// A pod's best node; node -1 when no node is feasible.
struct Placement {
  std::int32_t node = -1;
  std::int64_t score = kInfeasible;
};

}  // namespace gpusim::gpu
