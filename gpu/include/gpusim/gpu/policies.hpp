#pragma once
// The one scoring definition: feasibility, the six GPU policies' node scores and their device
// choice inside a node. Inline GPUSIM_HD functions over the plain records of types.hpp, so the
// CPU backend, the CUDA backend and the scheduler's policy plugins all run exactly this code.
//
// Scores are integers, higher is better. They keep the order of the paper's formulas
// (docs/policies.md) without rounding them to 0..100, so the only ties are real ones; ties go to
// the lowest node index (and the lowest device index inside a node).
#include <cstdint>

#include "gpusim/gpu/hd.hpp"
#include "gpusim/gpu/types.hpp"

namespace gpusim::gpu {

// ---- node summary ----------------------------------------------------------------------------

// Recomputes the derived GPU fields of a node from its per-device free milli.
GPUSIM_HD inline void finalize_node(NodeRec& n) {
  std::int32_t full = 0;
  std::int32_t max_free = 0;
  std::int32_t total = 0;
  for (std::int32_t i = 0; i < n.gpu_count; ++i) {
    const std::int32_t f = n.gpu_free_milli[i];
    full += f >= kMilliPerGpu ? 1 : 0;
    max_free = f > max_free ? f : max_free;
    total += f;
  }
  n.gpu_full = full;
  n.gpu_max_free = max_free;
  n.gpu_free_total = total;
}

GPUSIM_HD inline bool model_allowed(std::uint64_t mask, std::uint32_t model) {
  if (mask == 0) return true;
  if (model == 0 || model > 63) return false;
  return ((mask >> model) & 1u) != 0;
}

// A pod that shares one device (milli < 1000); every other GPU pod takes whole devices.
GPUSIM_HD inline bool shares_device(const PodReq& p) {
  return p.gpu_count == 1 && p.gpu_milli < kMilliPerGpu;
}

GPUSIM_HD inline bool gpus_fit(const NodeRec& n, const PodReq& p) {
  if (p.gpu_count <= 0) return true;
  if (!model_allowed(p.model_mask, n.model)) return false;
  if (shares_device(p)) return n.gpu_max_free >= p.gpu_milli;
  return n.gpu_full >= p.gpu_count;
}

// Whether the pod fits the node: the resource part of kube-scheduler's Filter (NodeResourcesFit
// for cpu, memory, pods and extended resources) plus the GPU device plugin's check, and the
// caller's tag constraints (taints, selectors reduced to bits).
GPUSIM_HD inline bool fits(const NodeRec& n, const PodReq& p) {
  if ((n.flags & kNodeSchedulable) == 0) return false;
  if (n.cpu_free_milli < p.cpu_milli || n.mem_free_bytes < p.mem_bytes || n.pods_free < 1)
    return false;
  for (int d = 0; d < kExtDims; ++d) {
    if (n.ext_free[d] < p.ext[d]) return false;
  }
  if ((n.tags & p.tags_required) != p.tags_required || (n.tags & p.tags_forbidden) != 0)
    return false;
  return gpus_fit(n, p);
}

GPUSIM_HD inline std::int64_t pod_gpu_total(const PodReq& p) {
  return static_cast<std::int64_t>(p.gpu_count) * p.gpu_milli;
}

// GpuClustering's affinity class of a pod: bit 0 for a GPU share, bit k for k whole GPUs
// (bit 31 for 31 or more), none for CPU-only pods.
GPUSIM_HD inline std::uint32_t affinity_class(std::int32_t gpu_count, std::int32_t gpu_milli) {
  if (gpu_count <= 0) return 0;
  if (gpu_milli < kMilliPerGpu) return 1u;
  return 1u << (gpu_count < 31 ? gpu_count : 31);
}

// ---- seeded hashing (Random) -----------------------------------------------------------------

GPUSIM_HD inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

GPUSIM_HD inline std::uint64_t hash3(std::uint64_t seed, std::uint64_t salt, std::uint64_t item) {
  return mix64(mix64(mix64(seed) ^ salt) ^ item);
}

// ---- device choice inside a node --------------------------------------------------------------

// "best" (the simulator's default): whole-GPU pods take fully free devices, lowest index first;
// a pod sharing a device takes the one with the least free milli that still fits (lowest index
// on ties). Returns how many devices were chosen (== gpu_count on success).
GPUSIM_HD inline std::int32_t select_best(const NodeRec& n, const PodReq& p, std::int32_t* out) {
  const std::int32_t k = p.gpu_count;
  if (k <= 0) return 0;
  if (shares_device(p)) {
    std::int32_t best = -1;
    for (std::int32_t i = 0; i < n.gpu_count; ++i) {
      if (n.gpu_free_milli[i] < p.gpu_milli) continue;
      if (best < 0 || n.gpu_free_milli[i] < n.gpu_free_milli[best]) best = i;
    }
    if (best < 0) return 0;
    out[0] = best;
    return 1;
  }
  std::int32_t got = 0;
  for (std::int32_t i = 0; i < n.gpu_count && got < k; ++i) {
    if (n.gpu_free_milli[i] >= kMilliPerGpu) out[got++] = i;
  }
  return got;
}

// Random's choice: a seeded random run of the devices that fit.
GPUSIM_HD inline std::int32_t select_random(const NodeRec& n, std::int32_t node_index,
                                            const PodReq& p, std::uint64_t seed, std::uint64_t salt,
                                            std::int32_t* out) {
  const std::int32_t k = p.gpu_count;
  if (k <= 0) return 0;
  const std::int32_t need = shares_device(p) ? p.gpu_milli : kMilliPerGpu;
  std::int32_t fit[kMaxGpusPerNode];
  std::int32_t nfit = 0;
  for (std::int32_t i = 0; i < n.gpu_count; ++i) {
    if (n.gpu_free_milli[i] >= need) fit[nfit++] = i;
  }
  if (nfit < k) return 0;
  const auto start = static_cast<std::int32_t>(
      hash3(seed ^ 0x5eed5eedULL, salt, static_cast<std::uint64_t>(node_index)) %
      static_cast<std::uint64_t>(nfit));
  std::int32_t got = 0;
  for (std::int32_t j = 0; j < k; ++j)
    out[got++] = fit[(start + j) % nfit];
  for (std::int32_t a = 1; a < got; ++a) {
    for (std::int32_t b = a; b > 0 && out[b - 1] > out[b]; --b) {
      const std::int32_t t = out[b];
      out[b] = out[b - 1];
      out[b - 1] = t;
    }
  }
  return got;
}

// ---- FGD: fragmentation measure and gradient ---------------------------------------------------

// F_n(m) from per-shape statistics of the node: idle milli the typical shape m cannot use.
//   fit_devices: devices with >= m.gpu_milli free; below: milli on devices with less than that.
GPUSIM_HD inline std::int64_t frag_of_shape(const TypicalShape& m, std::uint32_t node_model,
                                            std::int64_t cpu_free, std::int32_t fit_devices,
                                            std::int64_t below, std::int64_t idle) {
  if (m.gpu_count <= 0 || m.gpu_milli <= 0) return idle;  // a CPU-only shape uses no GPU
  if (!model_allowed(m.model_mask, node_model)) return idle;
  if (fit_devices >= m.gpu_count && cpu_free >= m.cpu_milli) return below;
  return idle;
}

// Per-shape device statistics of a node, the "before" side of FGD: the devices with at least
// `milli` free and the milli on the others. They depend on the node only, so a backend may
// compute them once per node state and reuse them for every pod it scores there.
GPUSIM_HD inline void shape_stats(const NodeRec& n, std::int32_t milli, std::int32_t& fit,
                                  std::int64_t& below) {
  fit = 0;
  below = 0;
  for (std::int32_t i = 0; i < n.gpu_count; ++i) {
    const std::int32_t f = n.gpu_free_milli[i];
    if (f >= milli) {
      ++fit;
    } else {
      below += f;
    }
  }
}

// FGD's statistics source that reads the node's devices each time (what the CUDA kernels use).
struct DeviceShapeStats {
  const NodeRec& node;
  GPUSIM_HD void operator()(std::int32_t /*shape*/, std::int32_t milli, std::int32_t& fit,
                            std::int64_t& below) const {
    shape_stats(node, milli, fit, below);
  }
};

// The node's fragmentation: popularity-weighted sum of F_n(m) over the typical shapes, in
// weight x milli (divide by the total weight for milli-GPU).
GPUSIM_HD inline std::int64_t node_fragmentation(const NodeRec& n, const ScoreParams& sp) {
  const std::int64_t idle = n.gpu_free_total;
  if (idle == 0) return 0;
  std::int64_t sum = 0;
  for (std::int32_t s = 0; s < sp.typical_count; ++s) {
    const TypicalShape& m = sp.typical[s];
    if (m.gpu_count <= 0 || m.gpu_milli <= 0 || !model_allowed(m.model_mask, n.model)) {
      sum += m.weight * idle;  // frag_of_shape's answer without looking at the devices
      continue;
    }
    std::int32_t fit = 0;
    std::int64_t below = 0;
    shape_stats(n, m.gpu_milli, fit, below);
    sum += m.weight * frag_of_shape(m, n.model, n.cpu_free_milli, fit, below, idle);
  }
  return sum;
}

// FGD's score: the decrease of the node's fragmentation if the pod is placed there (frag before
// minus frag after, weight x milli), maximised over the pod's device choices. A sharing pod tries
// every distinct free amount that fits (lowest device index for each); other pods take the "best"
// devices. Writes the chosen devices to `out` (when not null) and their number to `*got`.
// `stats(shape, milli, fit, below)` gives shape_stats() of the node for typical shape `shape`.
template <typename Stats>
GPUSIM_HD inline std::int64_t fgd_score_with(const NodeRec& n, const PodReq& p,
                                             const ScoreParams& sp, const Stats& stats,
                                             std::int32_t* out, std::int32_t* got) {
  // Candidate placements: for each, the devices it touches (old free -> old free - milli).
  std::int32_t cand_dev[kMaxGpusPerNode];  // sharing pods: one device per candidate
  std::int32_t ncand = 0;
  std::int32_t multi[kMaxGpusPerNode];  // other pods: one candidate, these devices
  std::int32_t nmulti = 0;
  const bool share = shares_device(p);
  if (share) {
    for (std::int32_t i = 0; i < n.gpu_count; ++i) {
      const std::int32_t f = n.gpu_free_milli[i];
      if (f < p.gpu_milli) continue;
      bool seen = false;
      for (std::int32_t c = 0; c < ncand; ++c)
        seen = seen || n.gpu_free_milli[cand_dev[c]] == f;
      if (!seen) cand_dev[ncand++] = i;
    }
    if (ncand == 0) {
      if (got) *got = 0;
      return kInfeasible;
    }
  } else {
    nmulti = select_best(n, p, multi);
    if (nmulti < (p.gpu_count > 0 ? p.gpu_count : 0)) {
      if (got) *got = 0;
      return kInfeasible;
    }
    ncand = 1;
  }
  std::int64_t delta[kMaxGpusPerNode];
  for (std::int32_t c = 0; c < ncand; ++c)
    delta[c] = 0;

  const std::int64_t idle = n.gpu_free_total;
  const std::int64_t cpu_after = n.cpu_free_milli - p.cpu_milli;
  const std::int64_t idle_after = idle - pod_gpu_total(p);
  std::int32_t stats_milli = -1;  // the milli the statistics below are for
  std::int32_t fit = 0;
  std::int64_t below = 0;
  std::int32_t fit2[kMaxGpusPerNode];  // per candidate, after placing the pod
  std::int64_t below2[kMaxGpusPerNode];
  for (std::int32_t s = 0; s < sp.typical_count; ++s) {
    const TypicalShape& m = sp.typical[s];
    if (m.gpu_count <= 0 || m.gpu_milli <= 0 || !model_allowed(m.model_mask, n.model)) {
      // All idle milli is fragment before and after, whatever the devices: frag_of_shape's
      // answer without the device loops (CPU-only shapes are a seventh of openb's).
      const std::int64_t d = m.weight * (idle - idle_after);
      for (std::int32_t c = 0; c < ncand; ++c)
        delta[c] += d;
      continue;
    }
    const std::int32_t r = m.gpu_milli;
    if (r != stats_milli) {
      // The device statistics depend on the shape's milli only; shapes sorted by milli (as the
      // scorer keeps them) reuse them.
      stats_milli = r;
      stats(s, r, fit, below);
      for (std::int32_t c = 0; c < ncand; ++c) {
        fit2[c] = fit;
        below2[c] = below;
        const std::int32_t nd = share ? 1 : nmulti;
        for (std::int32_t j = 0; j < nd; ++j) {
          const std::int32_t dev = share ? cand_dev[c] : multi[j];
          const std::int32_t f = n.gpu_free_milli[dev];
          const std::int32_t f2 = f - p.gpu_milli;
          fit2[c] += (f2 >= r ? 1 : 0) - (f >= r ? 1 : 0);
          below2[c] += (f2 < r ? f2 : 0) - (f < r ? f : 0);
        }
      }
    }
    const std::int64_t before = frag_of_shape(m, n.model, n.cpu_free_milli, fit, below, idle);
    for (std::int32_t c = 0; c < ncand; ++c) {
      const std::int64_t after =
          frag_of_shape(m, n.model, cpu_after, fit2[c], below2[c], idle_after);
      delta[c] += m.weight * (before - after);
    }
  }
  std::int32_t best = 0;
  for (std::int32_t c = 1; c < ncand; ++c) {
    if (delta[c] > delta[best]) best = c;  // strict: the lowest device index wins ties
  }
  if (out) {
    if (share) {
      out[0] = cand_dev[best];
    } else {
      for (std::int32_t j = 0; j < nmulti; ++j)
        out[j] = multi[j];
    }
  }
  if (got) *got = share ? 1 : nmulti;
  return delta[best];
}

GPUSIM_HD inline std::int64_t fgd_score(const NodeRec& n, const PodReq& p, const ScoreParams& sp,
                                        std::int32_t* out, std::int32_t* got) {
  return fgd_score_with(n, p, sp, DeviceShapeStats{n}, out, got);
}

// ---- the six policies --------------------------------------------------------------------------

inline constexpr std::int64_t kFixedOne = std::int64_t{1} << 20;  // DotProduct's fixed-point 1.0
inline constexpr std::int64_t kPackingBand = std::int64_t{1} << 24;

GPUSIM_HD inline std::int64_t score_dot_product(const NodeRec& n, const PodReq& p,
                                                const ScoreParams& sp) {
  // Tetris alignment of free [cpu, gpu] and requested [cpu, gpu], both over the max spec; the
  // smaller the product, the higher the score.
  const std::int64_t cf = n.cpu_free_milli * kFixedOne / sp.max_cpu_milli;
  const std::int64_t cr = p.cpu_milli * kFixedOne / sp.max_cpu_milli;
  const std::int64_t gf =
      static_cast<std::int64_t>(n.gpu_free_total) * kFixedOne / sp.max_gpu_milli;
  const std::int64_t gr = pod_gpu_total(p) * kFixedOne / sp.max_gpu_milli;
  return 2 * kFixedOne * kFixedOne - (cf * cr + gf * gr);
}

GPUSIM_HD inline std::int64_t score_best_fit(const NodeRec& n, const PodReq& p,
                                             const ScoreParams& sp) {
  // 1 - sum over (cpu, gpu) of 0.5 * (free - request) / maxSpec, scaled by 2 * maxCpu * maxGpu.
  const std::int64_t left_cpu = n.cpu_free_milli - p.cpu_milli;
  const std::int64_t left_gpu = n.gpu_free_total - pod_gpu_total(p);
  return 2 * sp.max_cpu_milli * sp.max_gpu_milli -
         (left_cpu * sp.max_gpu_milli + left_gpu * sp.max_cpu_milli);
}

GPUSIM_HD inline std::int64_t score_gpu_clustering(const NodeRec& n, const PodReq& p,
                                                   const ScoreParams& sp) {
  const std::uint32_t c = affinity_class(p.gpu_count, p.gpu_milli);
  if (c == 0) return 0;
  std::int64_t band = 0;
  if (n.classes == c) {
    band = 3;  // runs only this class
  } else if ((n.classes & c) != 0) {
    band = 2;  // runs this class among others
  } else if (n.classes == 0) {
    band = 1;  // runs no GPU pod
  }
  return band * (sp.max_gpu_milli + 1) + (sp.max_gpu_milli - n.gpu_free_total);
}

GPUSIM_HD inline std::int64_t score_gpu_packing(const NodeRec& n, const PodReq& p) {
  if (p.gpu_count <= 0 || p.gpu_milli <= 0) return 0;
  if (n.gpu_full == n.gpu_count) return kPackingBand - 1 - n.gpu_count;  // a completely free node
  std::int32_t dev[kMaxGpusPerNode];
  const std::int32_t k = select_best(n, p, dev);
  std::int32_t fresh = 0;
  std::int64_t left_on_used = 0;
  for (std::int32_t j = 0; j < k; ++j) {
    const std::int32_t f = n.gpu_free_milli[dev[j]];
    fresh += f >= kMilliPerGpu ? 1 : 0;
    left_on_used += f;
  }
  if (fresh > 0) return 2 * kPackingBand - 1 - fresh;  // fully free devices of a used node
  return 3 * kPackingBand - 1 - left_on_used;          // partly used devices, least free first
}

// The policy's score of a feasible node (no feasibility check); `stats` as fgd_score_with's.
template <typename Stats>
GPUSIM_HD inline std::int64_t policy_score_with(const NodeRec& n, std::int32_t node_index,
                                                const PodReq& p, std::uint64_t salt,
                                                const ScoreParams& sp, const Stats& stats) {
  switch (sp.policy) {
    case Policy::kRandom:
      return static_cast<std::int64_t>(
          hash3(sp.seed, salt, static_cast<std::uint64_t>(node_index)) >> 33);
    case Policy::kDotProduct:
      return score_dot_product(n, p, sp);
    case Policy::kGpuClustering:
      return score_gpu_clustering(n, p, sp);
    case Policy::kGpuPacking:
      return score_gpu_packing(n, p);
    case Policy::kBestFit:
      return score_best_fit(n, p, sp);
    case Policy::kFgd:
      return fgd_score_with(n, p, sp, stats, nullptr, nullptr);
  }
  return 0;
}

GPUSIM_HD inline std::int64_t policy_score(const NodeRec& n, std::int32_t node_index,
                                           const PodReq& p, std::uint64_t salt,
                                           const ScoreParams& sp) {
  return policy_score_with(n, node_index, p, salt, sp, DeviceShapeStats{n});
}

// Feasibility and score in one: kInfeasible when the pod does not fit.
template <typename Stats>
GPUSIM_HD inline std::int64_t evaluate_with(const NodeRec& n, std::int32_t node_index,
                                            const PodReq& p, std::uint64_t salt,
                                            const ScoreParams& sp, const Stats& stats) {
  if (!fits(n, p)) return kInfeasible;
  return policy_score_with(n, node_index, p, salt, sp, stats);
}

GPUSIM_HD inline std::int64_t evaluate(const NodeRec& n, std::int32_t node_index, const PodReq& p,
                                       std::uint64_t salt, const ScoreParams& sp) {
  return evaluate_with(n, node_index, p, salt, sp, DeviceShapeStats{n});
}

// The policy's device choice on a node that fits; returns the number of devices written.
GPUSIM_HD inline std::int32_t select_devices(const NodeRec& n, std::int32_t node_index,
                                             const PodReq& p, std::uint64_t salt,
                                             const ScoreParams& sp, std::int32_t* out) {
  if (p.gpu_count <= 0) return 0;
  switch (sp.policy) {
    case Policy::kRandom:
      return select_random(n, node_index, p, sp.seed, salt, out);
    case Policy::kFgd: {
      std::int32_t got = 0;
      fgd_score(n, p, sp, out, &got);
      return got;
    }
    default:
      return select_best(n, p, out);
  }
}

// Argmax with the fixed tie-break: higher score, then lower node index.
GPUSIM_HD inline bool better(std::int64_t score, std::int32_t node, std::int64_t best_score,
                             std::int32_t best_node) {
  if (score != best_score) return score > best_score;
  return best_node < 0 || (node >= 0 && node < best_node);
}

}  // namespace gpusim::gpu
