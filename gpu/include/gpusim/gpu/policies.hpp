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

// The GPU part of fits() as the pod's needs: most milli free on one device and fully free devices
// at least these, on an allowed model. A backend filtering many nodes for one pod derives them
// once, not per node.
struct GpuNeed {
  bool any = false;  // a GPU pod; the rest is unread otherwise
  std::int32_t max_free = 0;
  std::int32_t full = 0;
  std::uint64_t model_mask = 0;
};

GPUSIM_HD inline GpuNeed gpu_need(const PodReq& p) {
  GpuNeed g;
  g.any = p.gpu_count > 0;
  g.max_free = shares_device(p) ? p.gpu_milli : INT32_MIN;
  g.full = shares_device(p) ? INT32_MIN : p.gpu_count;
  g.model_mask = p.model_mask;
  return g;
}

// The GPU part of fits() from the node's summary fields (model, most milli free on one device,
// fully free devices), so a backend can keep those apart from the record.
GPUSIM_HD inline bool gpus_fit_need(const GpuNeed& g, std::uint32_t model, std::int32_t max_free,
                                    std::int32_t full) {
  if (!g.any) return true;
  return model_allowed(g.model_mask, model) && max_free >= g.max_free && full >= g.full;
}

GPUSIM_HD inline bool gpus_fit_with(std::uint32_t model, std::int32_t max_free, std::int32_t full,
                                    const PodReq& p) {
  return gpus_fit_need(gpu_need(p), model, max_free, full);
}

GPUSIM_HD inline bool gpus_fit(const NodeRec& n, const PodReq& p) {
  return gpus_fit_with(n.model, n.gpu_max_free, n.gpu_full, p);
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

// fits() in two parts, for a backend that filters many nodes per pod: for a pod that asks for no
// extended resources and has no tag constraints (a plain request), fits() is exactly
//   node_open(n) && cpu fits && memory fits && gpus_fit(n, p),
// since its extended-resource checks reduce to "none below zero" and its tag checks pass.
GPUSIM_HD inline bool plain_request(const PodReq& p) {
  std::int64_t ext = 0;
  for (int d = 0; d < kExtDims; ++d)
    ext |= p.ext[d];
  return ext == 0 && p.tags_required == 0 && p.tags_forbidden == 0;
}

GPUSIM_HD inline bool node_open(const NodeRec& n) {
  if ((n.flags & kNodeSchedulable) == 0 || n.pods_free < 1) return false;
  for (int d = 0; d < kExtDims; ++d) {
    if (n.ext_free[d] < 0) return false;
  }
  return true;
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

// hash3's part that depends on the seed and the salt only: a loop over nodes computes it once.
GPUSIM_HD inline std::uint64_t hash_key(std::uint64_t seed, std::uint64_t salt) {
  return mix64(mix64(seed) ^ salt);
}

GPUSIM_HD inline std::uint64_t hash3(std::uint64_t seed, std::uint64_t salt, std::uint64_t item) {
  return mix64(hash_key(seed, salt) ^ item);
}

// Random's node score from hash_key(seed, salt): non-negative, so above kInfeasible.
GPUSIM_HD inline std::int64_t random_score(std::uint64_t key, std::int32_t node_index) {
  return static_cast<std::int64_t>(mix64(key ^ static_cast<std::uint64_t>(node_index)) >> 33);
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
//
// A node's fragmentation (docs/policies.md) is the popularity-weighted sum over the typical
// shapes m of F_n(m): the idle milli on devices with less than m's per-device milli free when
// the node can host m (model allowed, enough such devices, enough cpu), all idle milli otherwise
// (CPU-only shapes always). With W the total weight and, for each distinct per-device milli r,
//   fit_r   devices with >= r free,   below_r   milli free on the other devices,
//   H_r     weight of the shapes with milli r the node can host (a FgdTable lookup),
// the sum is   W * idle + sum over r of H_r * (below_r - idle)   (weight x milli): one term per
// distinct r instead of one per shape. It is an integer sum, so it equals the per-shape sum
// exactly.

// How many of v[0..n) (ascending) are <= x. Branch-free: the trip count depends on n only.
GPUSIM_HD inline std::int32_t fgd_count_le(const std::int64_t* v, std::int32_t n, std::int64_t x) {
  if (n == 0) return 0;
  std::int32_t pos = 0;
  while (n > 1) {
    const std::int32_t half = n / 2;
    pos += v[pos + half - 1] <= x ? half : 0;
    n -= half;
  }
  return pos + (v[pos] <= x ? 1 : 0);
}

// How many of the table's cpu thresholds are <= cpu.
GPUSIM_HD inline std::int32_t fgd_cpu_index(const FgdTable& t, std::int64_t cpu) {
  return fgd_count_le(t.data + t.n_milli, t.n_cpu, cpu);
}

// The cpu values with cpu index k: [lo, hi) (open-ended at either end as int64 allows).
GPUSIM_HD inline void fgd_cpu_range(const FgdTable& t, std::int32_t k, std::int64_t& lo,
                                    std::int64_t& hi) {
  const std::int64_t* c = t.data + t.n_milli;
  lo = k > 0 ? c[k - 1] : INT64_MIN;
  hi = k < t.n_cpu ? c[k] : INT64_MAX;
}

// The i-th distinct per-device milli, ascending.
GPUSIM_HD inline std::int32_t fgd_milli(const FgdTable& t, std::int32_t i) {
  return static_cast<std::int32_t>(t.data[i]);
}

// The weights (n_milli x n_fit) for a node of this GPU model at cpu index k.
GPUSIM_HD inline const std::int64_t* fgd_weights(const FgdTable& t, std::uint32_t model,
                                                 std::int32_t k) {
  const std::int64_t* classes = t.data + t.n_milli + t.n_cpu;
  const std::int64_t c = classes[model <= 63 ? model : 0];
  return classes + 64 + (c * (t.n_cpu + 1) + k) * t.n_milli * t.n_fit;
}

// #(milli <= x) over the table's distinct milli, by lookup where the table has one.
GPUSIM_HD inline std::int32_t fgd_milli_index(const FgdTable& t, std::int64_t x) {
  if (t.n_lookup == 0) return fgd_count_le(t.data, t.n_milli, x);
  if (x < 0) return 0;  // every milli is positive
  if (x >= t.n_lookup) return t.n_milli;
  return static_cast<std::int32_t>(t.data[t.lookup + x]);
}

// H_r from fgd_weights()'s row: milli index i, fit devices with >= r free.
GPUSIM_HD inline std::int64_t fgd_hostable(const FgdTable& t, const std::int64_t* w, std::int32_t i,
                                           std::int32_t fit) {
  return w[i * t.n_fit + (fit < t.n_fit ? fit : t.n_fit - 1)];
}

// Device statistics of a node for per-device milli r: the devices with at least `milli` free and
// the milli on the others. They depend on the node only, so a backend may compute them once per
// node state and reuse them for every pod it scores there.
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

// The fragmentation sum above for the node as it is. `stats(i, fit, below)` gives shape_stats()
// of the node for the table's i-th milli.
template <typename Stats>
GPUSIM_HD inline std::int64_t fgd_frag_with(const NodeRec& n, const FgdTable& t,
                                            const Stats& stats) {
  const std::int64_t idle = n.gpu_free_total;
  std::int64_t sum = t.total_weight * idle;
  if (t.n_milli == 0) return sum;
  const std::int64_t* w = fgd_weights(t, n.model, fgd_cpu_index(t, n.cpu_free_milli));
  for (std::int32_t i = 0; i < t.n_milli; ++i) {
    std::int32_t fit = 0;
    std::int64_t below = 0;
    stats(i, fit, below);
    sum += fgd_hostable(t, w, i, fit) * (below - idle);
  }
  return sum;
}

// The single-device shortcut. When the pod's cpu request leaves the node's cpu index unchanged
// (the weight row is the same before and after) and the pod takes one device, free f -> f - m,
// the score of that device is, with j = #(r <= f), j2 = #(r <= f - m) and the node's sums
//   P[j]  = sum over i < j of H_i,            H_i  = weight row at fit_i,
//   Wm[j] = sum over i < j of H'_i,           H'_i = weight row at fit_i - 1 (0 when fit_i == 0),
//   Wd[j] = sum over i < j of (H'_i - H_i) * (below_i - idle):
//   W * m - m * P[j2] - f * (Wm[j] - Wm[j2]) - (Wd[j] - Wd[j2]).
// (Milli r <= f - m: the device still fits r, below_i unchanged, idle drops by m. r > f: the
// device counted in below_i before and after, so below_i - idle is unchanged. Between: the device
// leaves fit_i.) It is fgd_score_with()'s general loop regrouped, exactly equal in integers.
// When the pod's cpu index after differs from the node's, the same regrouping holds with the
// weight row of the index after and W * m replaced by frag - W * (idle - m) - S, S the sum over
// all i of H_i * (below_i - idle) in that row (both are frag before minus the sum after with the
// device untouched).
// `sums` gets P, Wm, Wd (n_milli + 1 entries each) for the weight row at cpu index k; returns S.
template <typename Stats>
GPUSIM_HD inline std::int64_t fgd_node_sums(const NodeRec& n, const FgdTable& t, const Stats& stats,
                                            std::int32_t k, std::int64_t* sums) {
  const std::int32_t nm = t.n_milli;
  std::int64_t* p = sums;
  std::int64_t* wm = sums + nm + 1;
  std::int64_t* wd = wm + nm + 1;
  p[0] = 0;
  wm[0] = 0;
  wd[0] = 0;
  if (nm == 0) return 0;
  const std::int64_t idle = n.gpu_free_total;
  const std::int64_t* w = fgd_weights(t, n.model, k);
  std::int64_t total = 0;
  for (std::int32_t i = 0; i < nm; ++i) {
    std::int32_t fit = 0;
    std::int64_t below = 0;
    stats(i, fit, below);
    const std::int64_t h = fgd_hostable(t, w, i, fit);
    const std::int64_t h1 = fit > 0 ? fgd_hostable(t, w, i, fit - 1) : 0;
    p[i + 1] = p[i] + h;
    wm[i + 1] = wm[i] + h1;
    wd[i + 1] = wd[i] + (h1 - h) * (below - idle);
    total += h * (below - idle);
  }
  return total;
}

// A node's distinct free amounts, in the order of their first device: the sharing pod's
// candidates (fgd_score_with), with that device and #(table milli <= free).
struct FgdFreeAmount {
  std::int32_t free = 0;
  std::int16_t device = 0;
  std::int16_t index = 0;
};

GPUSIM_HD inline std::int32_t fgd_free_amounts(const NodeRec& n, const FgdTable& t,
                                               FgdFreeAmount* out) {
  std::int32_t count = 0;
  for (std::int32_t i = 0; i < n.gpu_count; ++i) {
    const std::int32_t f = n.gpu_free_milli[i];
    bool seen = false;
    for (std::int32_t c = 0; c < count; ++c)
      seen = seen || out[c].free == f;
    if (seen) continue;
    out[count].free = f;
    out[count].device = static_cast<std::int16_t>(i);
    out[count].index = static_cast<std::int16_t>(fgd_milli_index(t, f));
    ++count;
  }
  return count;
}

// FGD's statistics source that reads the node's devices each time (what the CUDA kernels use).
// frag() is fgd_frag_with() of the node, cpu_index() its cpu index and same_cpu_index() compares
// with it; a backend that caches the statistics caches those too. A source with kSums also offers
// fgd_node_sums() (sums()) and fgd_free_amounts() (amounts(), amount_count()) for the single-device
// shortcut.
struct DeviceShapeStats {
  static constexpr bool kSums = false;
  const NodeRec& node;
  const FgdTable& table;
  GPUSIM_HD void operator()(std::int32_t i, std::int32_t& fit, std::int64_t& below) const {
    shape_stats(node, fgd_milli(table, i), fit, below);
  }
  GPUSIM_HD std::int64_t frag() const { return fgd_frag_with(node, table, *this); }
  GPUSIM_HD std::int32_t cpu_index() const { return fgd_cpu_index(table, node.cpu_free_milli); }
  // Whether cpu free `cpu` has the node's cpu index (the same weight row).
  GPUSIM_HD bool same_cpu_index(std::int64_t cpu) const {
    return fgd_cpu_index(table, cpu) == cpu_index();
  }
};

// The node's fragmentation in weight x milli (divide by the total weight for milli-GPU).
GPUSIM_HD inline std::int64_t node_fragmentation(const NodeRec& n, const ScoreParams& sp) {
  if (n.gpu_free_total == 0) return 0;
  return DeviceShapeStats{n, sp.fgd}.frag();
}

// What fgd_score_with() derives from the pod alone; a backend scoring many nodes for one pod
// derives it once (fgd_pod()) instead of once per node.
struct FgdPod {
  bool share = false;     // shares_device()
  bool cpu_only = false;  // no devices, no milli: on the node's own row nothing measured changes
  bool single = false;    // one device: the single-device shortcut applies
  std::int32_t need = 0;  // free milli a candidate device needs
  std::int64_t wm = 0;    // total weight x milli
};

GPUSIM_HD inline FgdPod fgd_pod(const PodReq& p, const FgdTable& t) {
  FgdPod q;
  q.share = shares_device(p);
  q.cpu_only = p.gpu_count <= 0 && pod_gpu_total(p) == 0;
  q.single = p.gpu_count == 1 && p.gpu_milli >= 0;
  q.need = q.share ? p.gpu_milli : kMilliPerGpu;
  q.wm = t.total_weight * p.gpu_milli;
  return q;
}

// fgd_score_with() for a one-device pod by the single-device shortcut: O(1) per candidate
// device, given fgd_node_sums() of the row after (`sums`) and `base` (W * m for the node's own
// row, frag - W * (idle - m) - S otherwise).
template <typename Stats>
GPUSIM_HD inline std::int64_t fgd_single_device_score(const PodReq& p, const FgdPod& q,
                                                      const FgdTable& t, const Stats& stats,
                                                      const std::int64_t* sums, std::int64_t base,
                                                      std::int32_t* out, std::int32_t* got) {
  const std::int32_t nm = t.n_milli;
  const std::int64_t* sum_p = sums;
  const std::int64_t* sum_wm = sum_p + nm + 1;
  const std::int64_t* sum_wd = sum_wm + nm + 1;
  const std::int64_t m = p.gpu_milli;
  const std::int64_t wm = base;
  const bool share = q.share;
  const std::int32_t need = q.need;
  const FgdFreeAmount* a = stats.amounts();
  const std::int32_t na = stats.amount_count();
  std::int64_t best = kInfeasible;
  std::int32_t best_dev = -1;
  for (std::int32_t d = 0; d < na; ++d) {
    const std::int32_t f = a[d].free;
    if (f < need) continue;
    const std::int32_t j = a[d].index;
    const std::int32_t j2 = fgd_milli_index(t, f - m);
    const std::int64_t delta =
        wm - m * sum_p[j2] - f * (sum_wm[j] - sum_wm[j2]) - (sum_wd[j] - sum_wd[j2]);
    if (best_dev < 0 || delta > best) {  // strict: the lowest device index wins ties
      best = delta;
      best_dev = a[d].device;
    }
    if (!share) break;  // a whole device: select_best's, the first one fully free
  }
  if (best_dev < 0) {
    if (got) *got = 0;
    return kInfeasible;
  }
  if (out) out[0] = best_dev;
  if (got) *got = 1;
  return best;
}

// fgd_single_device_score()'s `base` off the node's own row without the pod's W * m:
// frag - W * idle - S, with the sums of the row of `cpu_after` written to `sums`.
template <typename Stats>
GPUSIM_HD inline std::int64_t fgd_row_base(const NodeRec& n, const FgdTable& t, const Stats& stats,
                                           std::int64_t cpu_after, std::int64_t* sums) {
  const std::int64_t s = fgd_node_sums(n, t, stats, fgd_cpu_index(t, cpu_after), sums);
  return stats.frag() - t.total_weight * n.gpu_free_total - s;
}

// The single-device shortcut when the pod changes the node's cpu index: the sums of the weight
// row after, on the stack (room for kFgdStackMilli distinct milli). Kept out of line so that its
// stack does not weigh on fgd_score_with()'s other paths.
inline constexpr std::int32_t kFgdStackMilli = 32;
template <typename Stats>
GPUSIM_HD GPUSIM_NOINLINE std::int64_t fgd_single_device_score_after(
    const NodeRec& n, const PodReq& p, const FgdTable& t, const Stats& stats,
    std::int64_t cpu_after, std::int32_t* out, std::int32_t* got) {
  std::int64_t sums[3 * (kFgdStackMilli + 1)];
  const std::int64_t row = fgd_row_base(n, t, stats, cpu_after, sums);
  const FgdPod q = fgd_pod(p, t);
  return fgd_single_device_score(p, q, t, stats, sums, row + q.wm, out, got);
}

// What `times` devices going from f to f2 milli free change in milli r's statistics: how many
// devices can host r, and the idle milli below r.
GPUSIM_HD inline void fgd_device_change(std::int32_t f, std::int32_t f2, std::int32_t r,
                                        std::int32_t times, std::int32_t& fit,
                                        std::int64_t& below) {
  fit += times * ((f2 >= r ? 1 : 0) - (f >= r ? 1 : 0));
  below += times * ((f2 < r ? f2 : 0) - (f < r ? f : 0));
}

// fgd_score_with()'s general path: every candidate's fragmentation after, one term per distinct
// milli of the table. `cpu_after` is the node's cpu free after the pod.
template <typename Stats>
GPUSIM_HD inline std::int64_t fgd_score_general(const NodeRec& n, const PodReq& p,
                                                const FgdTable& t, const Stats& stats,
                                                std::int64_t cpu_after, std::int32_t* out,
                                                std::int32_t* got) {
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

  // Fragmentation after placing on candidate c: W * idle_after + after[c].
  const std::int64_t idle_after = n.gpu_free_total - pod_gpu_total(p);
  std::int64_t after[kMaxGpusPerNode];
  for (std::int32_t c = 0; c < ncand; ++c)
    after[c] = 0;
  // Devices with the same free amount (whole devices, as a rule) change the statistics by the
  // same term each: one term, counted `times` times.
  std::int32_t nd = share ? 1 : nmulti;
  std::int32_t times = 1;
  if (!share && nmulti > 1) {
    bool equal = true;
    for (std::int32_t j = 1; j < nmulti; ++j)
      equal = equal && n.gpu_free_milli[multi[j]] == n.gpu_free_milli[multi[0]];
    if (equal) {
      nd = 1;
      times = nmulti;
    }
  }
  if (t.n_milli > 0) {
    const std::int64_t* w = fgd_weights(t, n.model, fgd_cpu_index(t, cpu_after));
    if (ncand == 1 && nd == 1) {
      // One candidate, its devices of one free amount (the usual whole-device pod): the loop
      // below without its candidate and device loops.
      const std::int32_t f = n.gpu_free_milli[share ? cand_dev[0] : multi[0]];
      const std::int32_t f2 = f - p.gpu_milli;
      std::int64_t sum = 0;
      for (std::int32_t i = 0; i < t.n_milli; ++i) {
        const std::int32_t r = fgd_milli(t, i);
        std::int32_t fit = 0;
        std::int64_t below = 0;
        stats(i, fit, below);
        fgd_device_change(f, f2, r, times, fit, below);
        sum += fgd_hostable(t, w, i, fit) * (below - idle_after);
      }
      after[0] = sum;
    } else {
      for (std::int32_t i = 0; i < t.n_milli; ++i) {
        const std::int32_t r = fgd_milli(t, i);
        std::int32_t fit = 0;
        std::int64_t below = 0;
        stats(i, fit, below);
        for (std::int32_t c = 0; c < ncand; ++c) {
          std::int32_t fit2 = fit;
          std::int64_t below2 = below;
          for (std::int32_t j = 0; j < nd; ++j) {
            const std::int32_t dev = share ? cand_dev[c] : multi[j];
            const std::int32_t f = n.gpu_free_milli[dev];
            const std::int32_t f2 = f - p.gpu_milli;
            fgd_device_change(f, f2, r, times, fit2, below2);
          }
          after[c] += fgd_hostable(t, w, i, fit2) * (below2 - idle_after);
        }
      }
    }
  }
  const std::int64_t before = stats.frag();
  const std::int64_t base_after = t.total_weight * idle_after;
  std::int32_t best = 0;
  std::int64_t best_delta = before - (base_after + after[0]);
  for (std::int32_t c = 1; c < ncand; ++c) {
    const std::int64_t d = before - (base_after + after[c]);
    if (d > best_delta) {  // strict: the lowest device index wins ties
      best = c;
      best_delta = d;
    }
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
  return best_delta;
}

// The same out of line, for a caller whose shortcuts take most pods: the general path's stack
// (three arrays of kMaxGpusPerNode) and saved registers then stay off the shortcuts' path.
template <typename Stats>
GPUSIM_HD GPUSIM_NOINLINE std::int64_t fgd_score_general_outline(
    const NodeRec& n, const PodReq& p, const FgdTable& t, const Stats& stats,
    std::int64_t cpu_after, std::int32_t* out, std::int32_t* got) {
  return fgd_score_general(n, p, t, stats, cpu_after, out, got);
}

// FGD's score: the decrease of the node's fragmentation if the pod is placed there (frag before
// minus frag after, weight x milli), maximised over the pod's device choices. A sharing pod tries
// every distinct free amount that fits (lowest device index for each); other pods take the "best"
// devices. Writes the chosen devices to `out` (when not null) and their number to `*got`.
// `stats` is a statistics source as fgd_frag_with()'s, with frag() the node's fragmentation.
// `q` is fgd_pod(p, sp.fgd).
template <typename Stats>
GPUSIM_HD inline std::int64_t fgd_score_with(const NodeRec& n, const PodReq& p, const FgdPod& q,
                                             const ScoreParams& sp, const Stats& stats,
                                             std::int32_t* out, std::int32_t* got) {
  const FgdTable& t = sp.fgd;
  const std::int64_t cpu_after = n.cpu_free_milli - p.cpu_milli;
  const bool same_row = stats.same_cpu_index(cpu_after);
  if (same_row && q.cpu_only) {
    // Nothing the measure looks at changes: the same sum before and after.
    if (got) *got = 0;
    return 0;
  }
  if constexpr (Stats::kSums) {
    if (q.single) {
      if (same_row) return fgd_single_device_score(p, q, t, stats, stats.sums(), q.wm, out, got);
      if (t.n_milli <= kFgdStackMilli) {
        return fgd_single_device_score_after(n, p, t, stats, cpu_after, out, got);
      }
    }
    return fgd_score_general_outline(n, p, t, stats, cpu_after, out, got);
  } else {
    return fgd_score_general(n, p, t, stats, cpu_after, out, got);
  }
}

template <typename Stats>
GPUSIM_HD inline std::int64_t fgd_score_with(const NodeRec& n, const PodReq& p,
                                             const ScoreParams& sp, const Stats& stats,
                                             std::int32_t* out, std::int32_t* got) {
  return fgd_score_with(n, p, fgd_pod(p, sp.fgd), sp, stats, out, got);
}

// Whether fgd_scores_off_row() takes the pod: one device by the shortcut, or CPU-only.
GPUSIM_HD inline bool fgd_row_shares(const FgdPod& q, const FgdTable& t) {
  return t.n_milli <= kFgdStackMilli && (q.single || q.cpu_only);
}

// fgd_score_with() of `count` pods that leave the node with `cpu_after` free, off its own cpu
// row (!stats.same_cpu_index(cpu_after); the pods' own cpu is not read), each one that
// fgd_row_shares() (`q[c]` its fgd_pod()), for a backend that keeps scores per cpu index after:
// the row's sums made once for all of them. A CPU-only pod moves no device, so the general
// path's sum after is the row's S and its score the row base.
template <typename Stats>
GPUSIM_HD inline void fgd_scores_off_row(const NodeRec& n, const PodReq* p, const FgdPod* q,
                                         std::int32_t count, const FgdTable& t, const Stats& stats,
                                         std::int64_t cpu_after, std::int64_t* scores) {
  static_assert(Stats::kSums);
  std::int64_t sums[3 * (kFgdStackMilli + 1)];
  const std::int64_t row = fgd_row_base(n, t, stats, cpu_after, sums);
  for (std::int32_t c = 0; c < count; ++c) {
    scores[c] = q[c].cpu_only ? row
                              : fgd_single_device_score(p[c], q[c], t, stats, sums, row + q[c].wm,
                                                        nullptr, nullptr);
  }
}

GPUSIM_HD inline std::int64_t fgd_score(const NodeRec& n, const PodReq& p, const ScoreParams& sp,
                                        std::int32_t* out, std::int32_t* got) {
  return fgd_score_with(n, p, sp, DeviceShapeStats{n, sp.fgd}, out, got);
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

// The score of policy P on a feasible node (no feasibility check); `stats` as fgd_score_with's.
// A backend looping over nodes can pick P once per loop instead of once per node.
template <Policy P, typename Stats>
GPUSIM_HD inline std::int64_t policy_score_as(const NodeRec& n, std::int32_t node_index,
                                              const PodReq& p, std::uint64_t salt,
                                              const ScoreParams& sp, const Stats& stats) {
  if constexpr (P == Policy::kRandom) {
    return random_score(hash_key(sp.seed, salt), node_index);
  } else if constexpr (P == Policy::kDotProduct) {
    return score_dot_product(n, p, sp);
  } else if constexpr (P == Policy::kGpuClustering) {
    return score_gpu_clustering(n, p, sp);
  } else if constexpr (P == Policy::kGpuPacking) {
    return score_gpu_packing(n, p);
  } else if constexpr (P == Policy::kBestFit) {
    return score_best_fit(n, p, sp);
  } else {
    static_assert(P == Policy::kFgd);
    return fgd_score_with(n, p, sp, stats, nullptr, nullptr);
  }
}

// The policy's score of a feasible node (no feasibility check); `stats` as fgd_score_with's.
template <typename Stats>
GPUSIM_HD inline std::int64_t policy_score_with(const NodeRec& n, std::int32_t node_index,
                                                const PodReq& p, std::uint64_t salt,
                                                const ScoreParams& sp, const Stats& stats) {
  switch (sp.policy) {
    case Policy::kRandom:
      return policy_score_as<Policy::kRandom>(n, node_index, p, salt, sp, stats);
    case Policy::kDotProduct:
      return policy_score_as<Policy::kDotProduct>(n, node_index, p, salt, sp, stats);
    case Policy::kGpuClustering:
      return policy_score_as<Policy::kGpuClustering>(n, node_index, p, salt, sp, stats);
    case Policy::kGpuPacking:
      return policy_score_as<Policy::kGpuPacking>(n, node_index, p, salt, sp, stats);
    case Policy::kBestFit:
      return policy_score_as<Policy::kBestFit>(n, node_index, p, salt, sp, stats);
    case Policy::kFgd:
      return policy_score_as<Policy::kFgd>(n, node_index, p, salt, sp, stats);
  }
  return 0;
}

GPUSIM_HD inline std::int64_t policy_score(const NodeRec& n, std::int32_t node_index,
                                           const PodReq& p, std::uint64_t salt,
                                           const ScoreParams& sp) {
  return policy_score_with(n, node_index, p, salt, sp, DeviceShapeStats{n, sp.fgd});
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
  return evaluate_with(n, node_index, p, salt, sp, DeviceShapeStats{n, sp.fgd});
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
