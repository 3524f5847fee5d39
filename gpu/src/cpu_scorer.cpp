// The CPU backend: plain loops over the host records, the reference the CUDA backend must match.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gpusim/gpu/policies.hpp"
#include "scorer_base.hpp"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define GPUSIM_CPU_X86 1
#else
#define GPUSIM_CPU_X86 0
#endif

namespace gpusim::gpu {
namespace detail {
namespace {

// FGD's per-node cache, one block of int64 words per node:
//   [0] fragmentation (fgd_frag_with)   [1] cpu index   [2] number of distinct free amounts
//   [3], [4] the cpu index's range (fgd_cpu_range)
//   [5, 5 + 3 (n_milli + 1))            fgd_node_sums()
//   then kMaxGpusPerNode words          fgd_free_amounts() (FgdFreeAmount is 8 bytes)
//   then n_milli words                  below_r (shape_stats)
//   then n_milli words                  fit_r (shape_stats)
constexpr std::size_t kCacheHead = 5;
constexpr std::size_t cache_stride(std::size_t nm) {
  return kCacheHead + 3 * (nm + 1) + kMaxGpusPerNode + 2 * nm;
}
// Where fgd_free_amounts() starts in a node's block.
constexpr std::size_t amounts_offset(std::int32_t nm) {
  return kCacheHead + 3 * (static_cast<std::size_t>(nm) + 1);
}
static_assert(sizeof(FgdFreeAmount) == sizeof(std::int64_t));

// FGD statistics read from that cache instead of the node's devices.
struct CachedShapeStats {
  static constexpr bool kSums = true;
  const std::int64_t* block;
  std::int32_t nm;
  const std::int64_t* below() const { return block + amounts_offset(nm) + kMaxGpusPerNode; }
  void operator()(std::int32_t i, std::int32_t& f, std::int64_t& b) const {
    b = below()[i];
    f = static_cast<std::int32_t>(below()[nm + i]);
  }
  std::int64_t frag() const { return block[0]; }
  std::int32_t cpu_index() const { return static_cast<std::int32_t>(block[1]); }
  bool same_cpu_index(std::int64_t cpu) const { return cpu >= block[3] && cpu < block[4]; }
  const std::int64_t* sums() const { return block + kCacheHead; }
  const FgdFreeAmount* amounts() const {
    return reinterpret_cast<const FgdFreeAmount*>(block + amounts_offset(nm));
  }
  std::int32_t amount_count() const { return static_cast<std::int32_t>(block[2]); }
};

// What the filter of a plain request (plain_request()) reads, apart from the 160-byte record:
// a pass over many nodes for one pod touches 32 bytes per node, and a node the pod does not fit
// costs no more than that.
struct HotNode {
  std::int64_t cpu_free_milli = 0;
  std::int64_t mem_free_bytes = 0;
  std::int32_t gpu_max_free = 0;
  std::int32_t gpu_full = 0;
  std::uint32_t model = 0;
  std::uint32_t open = 0;  // node_open()
};

HotNode hot_of(const NodeRec& n) {
  return HotNode{n.cpu_free_milli, n.mem_free_bytes, n.gpu_max_free,
                 n.gpu_full,       n.model,          node_open(n) ? 1u : 0u};
}

// A GPU request as FGD's score sees it: on a node's own cpu row the score depends on the pod
// only through its device count and milli per device (fgd_score_with), not its cpu or memory.
struct GpuShape {
  std::int32_t count = 0;
  std::int32_t milli = 0;
  friend bool operator==(const GpuShape&, const GpuShape&) = default;
};

// At most this many GPU shapes get a per-node score (8 bytes a node each).
constexpr std::size_t kMaxCachedShapes = 16;

// The typical shapes' distinct GPU requests, heaviest first (ties by count, then milli): FGD's
// typical shapes are drawn from the workload, so the pods it scores mostly have one of them.
std::vector<GpuShape> cached_shapes_of(std::span<const TypicalShape> typical) {
  std::map<std::pair<std::int32_t, std::int32_t>, std::int64_t> weight;
  for (const TypicalShape& m : typical) {
    if (m.gpu_count > 0) weight[{m.gpu_count, m.gpu_milli}] += m.weight;
  }
  std::vector<std::pair<std::int64_t, GpuShape>> order;
  order.reserve(weight.size());
  for (const auto& [key, w] : weight)
    order.emplace_back(w, GpuShape{key.first, key.second});
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<GpuShape> out;
  for (std::size_t i = 0; i < order.size() && i < kMaxCachedShapes; ++i)
    out.push_back(order[i].second);
  return out;
}

// The filter's per-node fields again, one array per field, for the vector loop (kLanes nodes per
// step). Padded to a multiple of kLanes with nodes no pod fits.
constexpr std::size_t kLanes = 8;
struct HotColumns {
  std::vector<std::int64_t> cpu;  // cpu free; INT64_MIN when !node_open (no cpu request >= 0 fits)
  std::vector<std::int64_t> mem;
  // FGD: the most cpu a pod may ask and leave the node's cpu index as it is (fgd_cpu_range:
  // cpu free - lo, saturated), so that "same row" is one compare.
  std::vector<std::int64_t> row_cpu;
  std::vector<std::int32_t> max_free;
  std::vector<std::int32_t> full;
  std::vector<std::uint64_t> model_bit;  // model_allowed()'s bit of the node's model, or none
  // BestFit: minus the node's part of its score (best_fit_node_term), read as cached scores with
  // the pod's part added (VecPod::row_add); its row_cpu is INT64_MAX, every fit "on the row".
  std::vector<std::int64_t> best_fit;
};

// score_best_fit(n, p) = best_fit_pod_term(p) - best_fit_node_term(n): the same integers, split
// so that the vector loops score BestFit like FGD's cached rows (one add per node).
std::int64_t best_fit_node_term(const NodeRec& n, const ScoreParams& sp) {
  return n.cpu_free_milli * sp.max_gpu_milli + n.gpu_free_total * sp.max_cpu_milli;
}
std::int64_t best_fit_pod_term(const PodReq& p, const ScoreParams& sp) {
  return 2 * sp.max_cpu_milli * sp.max_gpu_milli + p.cpu_milli * sp.max_gpu_milli +
         pod_gpu_total(p) * sp.max_cpu_milli;
}

std::int64_t open_cpu(const NodeRec& n) {
  return node_open(n) ? n.cpu_free_milli : INT64_MIN;
}

// The bit of PodReq::model_mask that allows the node's model: none for model 0 and models above
// 63, which only an empty mask allows (model_allowed()).
std::uint64_t model_bit(std::uint32_t model) {
  return model >= 1 && model <= 63 ? std::uint64_t{1} << model : 0;
}

// A plain request as the vector loop reads it (hot_fits() with its terms broadcast).
struct VecPod {
  std::int64_t cpu = 0;  // >= 0
  std::int64_t mem = 0;
  std::int32_t max_free = INT32_MIN;  // GpuNeed's, INT32_MIN when the pod needs no GPU
  std::int32_t full = INT32_MIN;
  std::uint64_t model_mask = 0;
  bool any_model = true;  // no model test: a CPU-only pod, or an empty mask
  // FGD on a node's own cpu row: a cached score per node (zeros for a CPU-only pod), when
  // `cached`; the other nodes that fit are scored one by one. BestFit: every node that fits,
  // its score row_add + row_scores[i] (HotColumns::best_fit).
  bool cached = false;
  const std::int64_t* row_scores = nullptr;
  std::int64_t row_add = 0;
  // FGD off the node's own cpu row: the pod's slot in the tight cache (TightCache), node 0's
  // entry at cpu index 0, or null when the pod's shape has no slot; the cache's entries per
  // node and per cpu index, and the cpu thresholds (fgd_cpu_index()).
  const std::int64_t* tight = nullptr;
  std::int64_t tight_node = 0;
  std::int64_t tight_index = 0;
  const std::int64_t* cpu_thresholds = nullptr;
  std::int32_t n_cpu = 0;
};

// The columns' addresses, for the loops to hold in locals: their row stores could otherwise
// alias the vectors' own pointers, which the loops would then reload every step.
struct ColumnData {
  const std::int64_t* cpu;
  const std::int64_t* mem;
  const std::int64_t* row_cpu;
  const std::int32_t* max_free;
  const std::int32_t* full;
  const std::uint64_t* model_bit;
};
ColumnData column_data(const HotColumns& h) {
  return ColumnData{h.cpu.data(),      h.mem.data(),  h.row_cpu.data(),
                    h.max_free.data(), h.full.data(), h.model_bit.data()};
}

// FGD's scores of pods that change a node's cpu index. Off the node's own row a score depends on
// the pod only through its GPU shape and the cpu index after (fgd_score_with), and a node has
// few cpu indices (the typical shapes' cpu thresholds + 1), so the batch loops keep one score per
// (node, cpu index after, slot), a slot being CPU-only pods or one of the cached GPU shapes:
// `per_node` entries a node, node i's entry at cpu index k of slot s at
// [(s * indices + k) * nodes + i]. Nodes are innermost because a pod reads one slot across
// consecutive nodes whose indices after take few values: its reads are a few sequential streams
// (with a node's entries together, 1 KiB apart, every node was a cache line and 100,000 nodes a
// TLB miss every four: the 100,000-node rows ran at half the 10,000-node rate). An entry is
// filled by the first evaluation that needs it (most (node, index) pairs are never reached: the
// index after is at most the node's own) and cleared when the node changes. Entries hold
// score ^ kInfeasible, so that 0 is "not computed" and calloc's untouched pages cost nothing
// until a pod needs them; a feasible score is never kInfeasible.
struct FreeDeleter {
  void operator()(std::int64_t* p) const { std::free(p); }
};
struct TightCache {
  std::unique_ptr<std::int64_t[], FreeDeleter> entries;
  std::size_t slots = 0;  // 0: no cache (too many cpu indices for the budget)
  std::size_t indices = 0;
  std::size_t per_node = 0;  // slots * indices
  std::size_t nodes = 0;     // the node count it was allocated for
};
// At most this many entries a node (1 KiB; fewer slots where the cpu indices are many): 100 MB
// of address space at 100,000 nodes, of which a batch touches the pages of the (slot, index)
// pairs its pods reach.
constexpr std::size_t kMaxTightEntries = 128;
// How far ahead, in nodes, the vector loops prefetch each cpu index's stream of the tight cache.
constexpr std::size_t kPrefetchNodes = 64;

// One pod's FGD evaluations of nodes [lo, hi) from the columns: the filter and the same-row test
// without branches, the cached score where it applies; nodes that fit but need more than the
// cache go to `slow(i)` (out of line). Writes the scores to `row` (when not null) and returns
// the best, lowest index on ties.
template <typename Slow>
Placement fgd_tile_scalar(const HotColumns& h, const VecPod& q, std::size_t lo, std::size_t hi,
                          std::int64_t* row, const Slow& slow) {
  const auto [cpu, mem, row_cpu, max_free, full, model_bit] = column_data(h);
  Placement b;
  for (std::size_t i = lo; i < hi; ++i) {
    const bool fit = (cpu[i] >= q.cpu) & (mem[i] >= q.mem) & (max_free[i] >= q.max_free) &
                     (full[i] >= q.full) & (((model_bit[i] & q.model_mask) != 0) | q.any_model);
    const bool cached = fit & q.cached & (row_cpu[i] >= q.cpu);
    std::int64_t s = cached ? q.row_add + q.row_scores[i] : kInfeasible;
    if (fit & !cached) [[unlikely]]
      s = slow(i);
    if (row) row[i] = s;
    if (s > b.score) b = Placement{static_cast<std::int32_t>(i), s};
  }
  return b;
}

#if GPUSIM_CPU_X86
// Each cpu index's stream of the pod's tight cache slot, kPrefetchNodes past node i: the gathers
// jump between the streams, which the hardware prefetcher does not follow (FgdTightCpu at 100k
// nodes: 2.5 times the evaluations a second). Addresses are computed as integers: the last
// stream's may lie past the allocation, which a prefetch may touch but a pointer may not.
inline void prefetch_tight(const VecPod& q, std::size_t i) {
  const auto base = reinterpret_cast<std::uintptr_t>(q.tight) + (i + kPrefetchNodes) * 8;
  const auto stride = static_cast<std::uintptr_t>(q.tight_index) * 8;
  for (std::int32_t k = 0; k <= q.n_cpu; ++k)
    _mm_prefetch(reinterpret_cast<const char*>(base + static_cast<std::uintptr_t>(k) * stride),
                 _MM_HINT_T0);
}

// The vector loops' answer from their lanes: each lane kept its first maximum and where it was;
// across lanes the lowest node index among the maxima.
Placement best_of_lanes(const std::int64_t* score, const std::int64_t* where, std::size_t lanes) {
  Placement b;
  for (std::size_t k = 0; k < lanes; ++k) {
    const auto node = static_cast<std::int32_t>(where[k]);
    if (score[k] > b.score || (score[k] == b.score && score[k] != kInfeasible && node < b.node))
      b = Placement{node, score[k]};
  }
  return b;
}

bool avx512_usable() {
  static const bool usable =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  return usable;
}

// One pod's FGD evaluations of nodes [lo, hi) (lo a multiple of kLanes), eight nodes a step:
// the filter and the same-row test as masks, the cached score by a masked load; nodes that fit
// but need more than the cache (`slow(i)`, out of line) are scored one by one. Writes the
// scores to `row` (when not null, n scores) and returns the best, lowest index on ties.
template <typename Slow>
__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw"))) Placement fgd_tile_avx512(
    const HotColumns& h, const VecPod& q, std::size_t lo, std::size_t hi, std::size_t n,
    std::int64_t* row, const Slow& slow) {
  const __m512i pc = _mm512_set1_epi64(q.cpu);
  const __m512i pm = _mm512_set1_epi64(q.mem);
  const __m256i gmax = _mm256_set1_epi32(q.max_free);
  const __m256i gfull = _mm256_set1_epi32(q.full);
  const __m512i mask = _mm512_set1_epi64(static_cast<long long>(q.model_mask));
  const __mmask8 any_model = q.any_model ? 0xff : 0;
  const __m512i inf = _mm512_set1_epi64(kInfeasible);
  const __m512i row_add = _mm512_set1_epi64(q.row_add);
  const __m512i step = _mm512_set1_epi64(kLanes);
  __m512i best = inf;
  __m512i best_at = _mm512_setzero_si512();
  __m512i at = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(lo)),
                                _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
  const __m512i node_entries = _mm512_set1_epi64(q.tight_node);
  const __m512i index_step = _mm512_set1_epi64(q.tight_index);
  const auto [cpu, mem, row_cpu, max_free, full, model_bit] = column_data(h);
  for (std::size_t i = lo; i < hi; i += kLanes) {
    const __m512i cpu_free = _mm512_loadu_si512(cpu + i);
    __mmask8 fit = _mm512_cmpge_epi64_mask(cpu_free, pc);
    fit &= _mm512_cmpge_epi64_mask(_mm512_loadu_si512(mem + i), pm);
    fit &= _mm256_cmpge_epi32_mask(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(max_free + i)), gmax);
    fit &= _mm256_cmpge_epi32_mask(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(full + i)),
                                   gfull);
    fit &= static_cast<__mmask8>(_mm512_test_epi64_mask(_mm512_loadu_si512(model_bit + i), mask) |
                                 any_model);
    __mmask8 cached = 0;
    __m512i s = inf;
    if (q.cached) {
      cached = fit & _mm512_cmpge_epi64_mask(_mm512_loadu_si512(row_cpu + i), pc);
      s = _mm512_mask_loadu_epi64(inf, cached, q.row_scores + i);
      if (q.row_add != 0) s = _mm512_mask_add_epi64(s, cached, s, row_add);
    }
    __mmask8 rest = fit & static_cast<__mmask8>(~cached);
    if (rest != 0) [[unlikely]] {
      if (q.tight) {
        // Off the node's row: the entry at the cpu index after (fgd_cpu_index() of cpu free -
        // the pod's cpu; the lane fits, so no overflow), where an evaluation has filled it.
        const __m512i after = _mm512_sub_epi64(cpu_free, pc);
        __m512i at_index = _mm512_mullo_epi64(at, node_entries);
        for (std::int32_t k = 0; k < q.n_cpu; ++k) {
          const __mmask8 le =
              _mm512_cmpge_epi64_mask(after, _mm512_set1_epi64(q.cpu_thresholds[k]));
          at_index = _mm512_mask_add_epi64(at_index, le, at_index, index_step);
        }
        prefetch_tight(q, i);
        const __m512i e =
            _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), rest, at_index, q.tight, 8);
        const __mmask8 known = _mm512_mask_test_epi64_mask(rest, e, e);
        s = _mm512_mask_xor_epi64(s, known, e, inf);
        rest &= static_cast<__mmask8>(~known);
      }
      if (rest != 0) {
        alignas(64) std::int64_t lane[kLanes];
        _mm512_store_si512(lane, s);
        for (unsigned b = rest; b != 0; b &= b - 1) {
          const auto k = static_cast<std::size_t>(__builtin_ctz(b));
          lane[k] = slow(i + k);
        }
        s = _mm512_load_si512(lane);
      }
    }
    if (row) {
      const std::size_t left = n - i;
      const __mmask8 valid = left >= kLanes ? 0xff : static_cast<__mmask8>((1u << left) - 1);
      _mm512_mask_storeu_epi64(row + i, valid, s);
    }
    const __mmask8 gt = _mm512_cmpgt_epi64_mask(s, best);
    best = _mm512_mask_mov_epi64(best, gt, s);
    best_at = _mm512_mask_mov_epi64(best_at, gt, at);
    at = _mm512_add_epi64(at, step);
  }
  alignas(64) std::int64_t score[kLanes];
  alignas(64) std::int64_t where[kLanes];
  _mm512_store_si512(score, best);
  _mm512_store_si512(where, best_at);
  return best_of_lanes(score, where, kLanes);
}

bool avx2_usable() {
  static const bool usable = __builtin_cpu_supports("avx2");
  return usable;
}

__attribute__((target("avx2"))) inline __m256i load4(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// fgd_tile_avx512() for AVX2 machines, four nodes a step: compares give all-ones lanes instead
// of mask bits (AVX2 has only "greater than": a >= b is not b > a).
template <typename Slow>
__attribute__((target("avx2"))) Placement fgd_tile_avx2(const HotColumns& h, const VecPod& q,
                                                        std::size_t lo, std::size_t hi,
                                                        std::size_t n, std::int64_t* row,
                                                        const Slow& slow) {
  constexpr std::size_t kStep = 4;
  const __m256i pc = _mm256_set1_epi64x(q.cpu);
  const __m256i pm = _mm256_set1_epi64x(q.mem);
  const __m128i gmax = _mm_set1_epi32(q.max_free);
  const __m128i gfull = _mm_set1_epi32(q.full);
  const __m256i mask = _mm256_set1_epi64x(static_cast<long long>(q.model_mask));
  const __m256i any_model = _mm256_set1_epi64x(q.any_model ? -1 : 0);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i all_ones = _mm256_set1_epi64x(-1);
  const __m256i inf = _mm256_set1_epi64x(kInfeasible);
  const __m256i row_add = _mm256_set1_epi64x(q.row_add);
  const __m256i step = _mm256_set1_epi64x(kStep);
  __m256i best = inf;
  __m256i best_at = zero;
  __m256i at = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(lo)),
                                _mm256_set_epi64x(3, 2, 1, 0));
  const __m256i node_entries = _mm256_set1_epi64x(q.tight_node);
  const __m256i index_step = _mm256_set1_epi64x(q.tight_index);
  const __m256i last_index = _mm256_set1_epi64x(q.n_cpu * q.tight_index);
  const auto [cpu, mem, row_cpu, max_free, full, model_bit] = column_data(h);
  for (std::size_t i = lo; i < hi; i += kStep) {
    const __m256i cpu_free = load4(cpu + i);
    // Lanes that fail: pod asks more cpu or memory than free, more than the devices have.
    __m256i fail =
        _mm256_or_si256(_mm256_cmpgt_epi64(pc, cpu_free), _mm256_cmpgt_epi64(pm, load4(mem + i)));
    const __m128i gpu_fail = _mm_or_si128(
        _mm_cmpgt_epi32(gmax, _mm_loadu_si128(reinterpret_cast<const __m128i*>(max_free + i))),
        _mm_cmpgt_epi32(gfull, _mm_loadu_si128(reinterpret_cast<const __m128i*>(full + i))));
    fail = _mm256_or_si256(fail, _mm256_cvtepi32_epi64(gpu_fail));
    const __m256i no_model = _mm256_andnot_si256(
        any_model, _mm256_cmpeq_epi64(_mm256_and_si256(load4(model_bit + i), mask), zero));
    const __m256i fit_lanes = _mm256_andnot_si256(_mm256_or_si256(fail, no_model), all_ones);
    __m256i cached = zero;
    __m256i s = inf;
    if (q.cached) {
      cached = _mm256_andnot_si256(_mm256_cmpgt_epi64(pc, load4(row_cpu + i)), fit_lanes);
      __m256i got =
          _mm256_maskload_epi64(reinterpret_cast<const long long*>(q.row_scores + i), cached);
      if (q.row_add != 0) got = _mm256_add_epi64(got, row_add);
      s = _mm256_blendv_epi8(inf, got, cached);
    }
    __m256i rest_lanes = _mm256_andnot_si256(cached, fit_lanes);
    int rest = _mm256_movemask_pd(_mm256_castsi256_pd(rest_lanes));
    if (rest != 0) [[unlikely]] {
      if (q.tight) {
        // fgd_tile_avx512()'s lookup, from the last cpu index down (AVX2 has "greater than" only);
        // node indices and entries per node are below 2^32, so the 32-bit multiply is exact.
        const __m256i after = _mm256_sub_epi64(cpu_free, pc);
        __m256i at_index = _mm256_add_epi64(_mm256_mul_epu32(at, node_entries), last_index);
        for (std::int32_t k = 0; k < q.n_cpu; ++k) {
          const __m256i above = _mm256_cmpgt_epi64(_mm256_set1_epi64x(q.cpu_thresholds[k]), after);
          at_index = _mm256_sub_epi64(at_index, _mm256_and_si256(above, index_step));
        }
        if (((i - lo) & 7) == 0) prefetch_tight(q, i);  // a line of a stream every 8 nodes
        const __m256i e = _mm256_mask_i64gather_epi64(
            zero, reinterpret_cast<const long long*>(q.tight), at_index, rest_lanes, 8);
        const __m256i known = _mm256_andnot_si256(_mm256_cmpeq_epi64(e, zero), rest_lanes);
        s = _mm256_blendv_epi8(s, _mm256_xor_si256(e, inf), known);
        rest_lanes = _mm256_andnot_si256(known, rest_lanes);
        rest = _mm256_movemask_pd(_mm256_castsi256_pd(rest_lanes));
      }
      if (rest != 0) {
        alignas(32) std::int64_t lane[kStep];
        _mm256_store_si256(reinterpret_cast<__m256i*>(lane), s);
        for (unsigned b = static_cast<unsigned>(rest); b != 0; b &= b - 1) {
          const auto k = static_cast<std::size_t>(__builtin_ctz(b));
          lane[k] = slow(i + k);
        }
        s = _mm256_load_si256(reinterpret_cast<const __m256i*>(lane));
      }
    }
    if (row) {
      if (n - i >= kStep) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + i), s);
      } else {
        const __m256i valid = _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(n)), at);
        _mm256_maskstore_epi64(reinterpret_cast<long long*>(row + i), valid, s);
      }
    }
    const __m256i gt = _mm256_cmpgt_epi64(s, best);
    best = _mm256_blendv_epi8(best, s, gt);
    best_at = _mm256_blendv_epi8(best_at, at, gt);
    at = _mm256_add_epi64(at, step);
  }
  alignas(32) std::int64_t score[kStep];
  alignas(32) std::int64_t where[kStep];
  _mm256_store_si256(reinterpret_cast<__m256i*>(score), best);
  _mm256_store_si256(reinterpret_cast<__m256i*>(where), best_at);
  return best_of_lanes(score, where, kStep);
}
#endif

// f.template operator()<P>() for the run-time policy: a loop over nodes compiled once per
// policy, so that the policy is picked once per loop rather than once per node.
template <typename F>
void with_policy(Policy policy, F&& f) {
  switch (policy) {
    case Policy::kRandom:
      return f.template operator()<Policy::kRandom>();
    case Policy::kDotProduct:
      return f.template operator()<Policy::kDotProduct>();
    case Policy::kGpuClustering:
      return f.template operator()<Policy::kGpuClustering>();
    case Policy::kGpuPacking:
      return f.template operator()<Policy::kGpuPacking>();
    case Policy::kBestFit:
      return f.template operator()<Policy::kBestFit>();
    case Policy::kFgd:
      return f.template operator()<Policy::kFgd>();
  }
}

// fits() for a plain request, from the node's HotNode; `g` is gpu_need(p).
bool hot_fits(const HotNode& h, const PodReq& p, const GpuNeed& g) {
  return h.open != 0 && h.cpu_free_milli >= p.cpu_milli && h.mem_free_bytes >= p.mem_bytes &&
         gpus_fit_need(g, h.model, h.gpu_max_free, h.gpu_full);
}

class CpuScorer final : public ScorerBase {
 public:
  explicit CpuScorer(CpuIsa isa) : isa_(resolved(isa)) {}
  Backend backend() const override { return Backend::kCpu; }

  void set_params(const ScoreParams& params, std::span<const TypicalShape> typical) override {
    // upload_params() (inside) fills the per-node scores of the new shapes.
    std::vector<GpuShape> shapes = cached_shapes_of(typical);
    std::swap(cached_shapes_, shapes);
    try {
      ScorerBase::set_params(params, typical);
    } catch (...) {
      std::swap(cached_shapes_, shapes);
      throw;
    }
  }

  void score_batch(std::span<const PodReq> pods, std::span<const std::uint64_t> salts,
                   std::span<std::int64_t> scores, std::span<Placement> best) override {
    const std::size_t n = nodes_.size();
    if (salts.size() != pods.size() || best.size() != pods.size() ||
        (!scores.empty() && scores.size() != pods.size() * n)) {
      throw std::invalid_argument("score_batch: span sizes do not match");
    }
    with_policy(params_.policy, [&]<Policy P>() { score_batch_as<P>(pods, salts, scores, best); });
  }

 protected:
  void upload_params() override { refresh_all_stats(); }
  void upload_nodes() override {
    hot_.resize(nodes_.size());
    padded_ = (nodes_.size() + kLanes - 1) / kLanes * kLanes;
    // Padding nodes fit no pod (cpu INT64_MIN); their other fields are never decisive.
    cols_.cpu.assign(padded_, INT64_MIN);
    cols_.mem.assign(padded_, 0);
    cols_.row_cpu.assign(padded_, 0);
    cols_.max_free.assign(padded_, 0);
    cols_.full.assign(padded_, 0);
    cols_.model_bit.assign(padded_, 0);
    cols_.best_fit.assign(padded_, 0);
    zeros_.assign(padded_, 0);
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      refresh_hot(i);
    refresh_all_stats();
  }
  void upload_node(std::int32_t index) override {
    const auto i = static_cast<std::size_t>(index);
    refresh_hot(i);
    if (!cache_.empty()) {
      refresh_stats(i);
      // The shape scores wait for the next batch: a replay that binds pod by pod re-scores one
      // node per row and reads little of them.
      if (!shapes_stale_[i]) stale_nodes_.push_back(static_cast<std::int32_t>(i));
      shapes_stale_[i] = 1;
      if (tight_.entries) {
        for (std::size_t e = 0; e < tight_.per_node; ++e)
          tight_.entries[e * tight_.nodes + i] = 0;
      }
    }
  }
  void ensure_rows(std::size_t count) override {
    if (score_rows_.size() < count) score_rows_.resize(count);
  }
  void drop_rows() override { score_rows_.clear(); }

  void compute_row(std::int32_t shape, std::span<const std::int32_t> nodes, bool all) override {
    with_policy(params_.policy, [&]<Policy P>() { compute_row_as<P>(shape, nodes, all); });
  }

  void compute_rows_all(std::span<const std::int32_t> shapes) override {
    for (auto s : shapes)
      compute_row(s, {}, true);
  }

  Placement argmax_row(std::int32_t shape) override {
    const std::vector<std::int64_t>& row = score_rows_[static_cast<std::size_t>(shape)];
    Placement b;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (row[i] != kInfeasible && row[i] > b.score)
        b = Placement{static_cast<std::int32_t>(i), row[i]};
    }
    return b;
  }

  void gather_row(std::int32_t shape, std::span<const std::int32_t> nodes,
                  std::span<std::int64_t> out) override {
    const std::vector<std::int64_t>& row = score_rows_[static_cast<std::size_t>(shape)];
    for (std::size_t i = 0; i < nodes.size(); ++i)
      out[i] = row[static_cast<std::size_t>(nodes[i])];
  }

  Placement place_random(std::int32_t shape, std::uint64_t salt) override {
    // Feasibility from the shape's row, kept in step with the node changes like every other
    // policy's, instead of the full filter on every node for every pod; then one mix per
    // feasible node (evaluate()'s score, its seed-and-salt part hoisted).
    refresh(shape);
    const std::vector<std::int64_t>& row = score_rows_[static_cast<std::size_t>(shape)];
    const std::uint64_t key = hash_key(params_.seed, salt);
    Placement b;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (row[i] == kInfeasible) continue;
      const auto idx = static_cast<std::int32_t>(i);
      const std::int64_t s = random_score(key, idx);
      if (s > b.score) b = Placement{idx, s};
    }
    return b;
  }

  Placement place_uncached(const PodReq& pod, std::uint64_t salt) override {
    const ScoreParams sp = host_params();
    Placement b;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const std::int64_t s =
          evaluate_with(nodes_[i], static_cast<std::int32_t>(i), pod, salt, sp, stats_of(i));
      if (s != kInfeasible && s > b.score) b = Placement{static_cast<std::int32_t>(i), s};
    }
    return b;
  }

 private:
  // What the evaluations of one pod share, derived once per pod instead of once per node.
  struct PodPlan {
    PodReq pod;
    bool plain = false;  // plain_request()
    GpuNeed need;        // gpu_need()
    FgdPod fgd;          // fgd_pod(), FGD only
    // FGD: the pod's GPU shape in shape_scores_ (its first node), null when not cached.
    const std::int64_t* shape_scores = nullptr;
    bool vec = false;  // the vector loop takes it: a plain request asking cpu >= 0
    VecPod v;
  };
  // Once per pod and loop, out of line: inlined into each policy's batch and row loops it used up
  // GCC's inlining budget for this file, and fits() was then left out of line in the row loops.
  GPUSIM_NOINLINE PodPlan plan_of(const PodReq& pod) const {
    PodPlan q{pod, plain_request(pod), gpu_need(pod), {}, nullptr, false, {}};
    if (params_.policy == Policy::kFgd) {
      q.fgd = fgd_pod(pod, table_);
      const GpuShape g{pod.gpu_count, pod.gpu_milli};
      for (std::size_t s = 0; s < cached_shapes_.size(); ++s) {
        if (cached_shapes_[s] == g) q.shape_scores = shape_scores_.data() + s * padded_;
      }
    }
    q.vec = q.plain && pod.cpu_milli >= 0;
    q.v.cpu = pod.cpu_milli;
    q.v.mem = pod.mem_bytes;
    if (q.need.any) {
      q.v.max_free = q.need.max_free;
      q.v.full = q.need.full;
      q.v.model_mask = q.need.model_mask;
      q.v.any_model = q.need.model_mask == 0;
    }
    q.v.cached = q.shape_scores || q.fgd.cpu_only;
    q.v.row_scores = q.fgd.cpu_only ? zeros_.data() : q.shape_scores;
    if (params_.policy == Policy::kBestFit) {
      q.v.cached = true;
      q.v.row_scores = cols_.best_fit.data();
      q.v.row_add = best_fit_pod_term(pod, params_);
    }
    if (tight_.entries) set_tight_slot(q);
    return q;
  }

  // The pod's slot in the tight cache, where it has one: slot 0 takes the CPU-only pods, slot
  // s + 1 the cached shape s.
  void set_tight_slot(PodPlan& q) const {
    std::size_t slot = tight_.slots;
    if (q.fgd.cpu_only) {
      slot = 0;
    } else if (q.shape_scores) {
      slot = static_cast<std::size_t>(q.shape_scores - shape_scores_.data()) / padded_ + 1;
    }
    if (slot < tight_.slots) {
      q.v.tight = tight_.entries.get() + slot * tight_.indices * tight_.nodes;
      q.v.tight_node = 1;
      q.v.tight_index = static_cast<std::int64_t>(tight_.nodes);
      q.v.cpu_thresholds = table_.data + table_.n_milli;
      q.v.n_cpu = table_.n_cpu;
    }
  }

  // evaluate_with() for policy P: plain requests filtered on the HotNode (the same verdict as
  // fits(), see plain_request()), every other request by fits() on the record.
  template <Policy P>
  std::int64_t evaluate_as(std::size_t i, const PodPlan& q, std::uint64_t salt,
                           const ScoreParams& sp) const {
    if (q.plain ? !hot_fits(hot_[i], q.pod, q.need) : !fits(nodes_[i], q.pod)) return kInfeasible;
    if constexpr (P == Policy::kFgd) {
      // policy_score_as<kFgd>(), with fgd_pod() from the plan.
      // FGD always has its cache (refresh_all_stats), so no emptiness test per node.
      const CachedShapeStats stats{cache_.data() + i * stride_, table_.n_milli};
      // On the node's own cpu row a cached shape's score was computed with the node's state.
      if (q.shape_scores && !shapes_stale_[i] &&
          stats.same_cpu_index(hot_[i].cpu_free_milli - q.pod.cpu_milli))
        return q.shape_scores[i];
      return fgd_score_with(nodes_[i], q.pod, q.fgd, sp, stats, nullptr, nullptr);
    } else {
      return policy_score_as<P>(nodes_[i], static_cast<std::int32_t>(i), q.pod, salt, sp,
                                stats_of(i));
    }
  }

  template <Policy P>
  void score_batch_as(std::span<const PodReq> pods, std::span<const std::uint64_t> salts,
                      std::span<std::int64_t> scores, std::span<Placement> best) {
    const std::size_t n = nodes_.size();
    const ScoreParams sp = host_params();
    // Tiles of nodes that stay in L1 while every pod of the batch is scored against them (a
    // pod-by-pod sweep streams every node's bytes from memory once per pod past ~10k nodes, and
    // from L2 below that). The budget counts every byte a node has, a few times what one
    // evaluation touches. Tiles go in node order and a pod's best only moves on a strictly
    // greater score, so the lowest index still wins ties.
    const std::size_t node_bytes =
        sizeof(HotNode) + sizeof(NodeRec) + stride_ * sizeof(std::int64_t);
    const std::size_t kTileNodes =
        std::clamp<std::size_t>((std::size_t{40} << 10) / node_bytes, 32, 2048);
    if constexpr (P == Policy::kFgd) ensure_tight();
    plans_.clear();
    for (std::size_t p = 0; p < pods.size(); ++p) {
      best[p] = Placement{};
      plans_.push_back(plan_of(pods[p]));
    }
    if constexpr (P == Policy::kFgd) {
      refresh_stale_shape_scores();  // the column loops read every node's
      return fgd_batch(pods, scores, best, sp);
    }
    if constexpr (P == Policy::kBestFit) return best_fit_batch(pods, salts, scores, best, sp);
    for (std::size_t lo = 0; lo < n; lo += kTileNodes) {
      const std::size_t hi = std::min(n, lo + kTileNodes);
      for (std::size_t p = 0; p < pods.size(); ++p) {
        // A copy: the row stores below could alias the vector's element, the copy they cannot.
        const PodPlan plan = plans_[p];
        const std::uint64_t salt = salts[p];
        Placement b = best[p];
        std::int64_t* row = scores.empty() ? nullptr : scores.data() + p * n;
        for (std::size_t i = lo; i < hi; ++i) {
          const std::int64_t s = evaluate_as<P>(i, plan, salt, sp);
          if (row) row[i] = s;
          // s > b.score >= kInfeasible: s is feasible.
          if (s > b.score) b = Placement{static_cast<std::int32_t>(i), s};
        }
        best[p] = b;
      }
    }
    evaluations_ += pods.size() * n;
  }

  // score_batch_as<kFgd>() (plans_ made) by the column loops for the pods they take, the vector
  // one where the machine runs it. Tiles of kColumnTileNodes nodes: the columns and the cached
  // scores the batch reads stay in L1/L2 while every pod passes over them.
  void fgd_batch(std::span<const PodReq> pods, std::span<std::int64_t> scores,
                 std::span<Placement> best, const ScoreParams& sp) {
    const std::size_t n = nodes_.size();
    const auto slow_of = [&](const PodPlan& plan) {
      return [this, &plan, &sp](std::size_t i) { return fgd_after_filter(i, plan, sp); };
    };
    plan_batch_shapes();
    plan_tight_rows();
    for (std::size_t lo = 0; lo < n; lo += kColumnTileNodes) {
      const std::size_t hi = std::min(n, lo + kColumnTileNodes);
      for (std::size_t k = 0; k < batch_shapes_.size(); ++k) {
        // Only where the devices can take the shape (no pod of it fits elsewhere).
        PodReq shape_pod;
        shape_pod.gpu_count = batch_shapes_[k].count;
        shape_pod.gpu_milli = batch_shapes_[k].milli;
        const GpuNeed need = gpu_need(shape_pod);
        std::int64_t* out = batch_scores_.data() + k * padded_;
        for (std::size_t i = lo; i < hi; ++i) {
          if (cols_.max_free[i] >= need.max_free && cols_.full[i] >= need.full)
            out[i] = shape_score(i, shape_pod);
        }
      }
      for (std::size_t p = 0; p < pods.size(); ++p) {
        const PodPlan& plan = plans_[p];
        tile_pass(plan, lo, hi, scores.empty() ? nullptr : scores.data() + p * n, best[p],
                  slow_of(plan),
                  [&](std::size_t i) { return evaluate_as<Policy::kFgd>(i, plan, 0, sp); });
      }
    }
    evaluations_ += pods.size() * n;
  }
  static constexpr std::size_t kColumnTileNodes = 512;

  // One pod's scores of nodes [lo, hi) into `row` (when not null) and its best so far `b`: the
  // column loop (fgd_tile) for a vector-loop pod, `each(i)` node by node for the others.
  template <typename Slow, typename Each>
  void tile_pass(const PodPlan& plan, std::size_t lo, std::size_t hi, std::int64_t* row,
                 Placement& b, const Slow& slow, const Each& each) const {
    if (plan.vec) {
      // The tile's best has higher indices than the earlier tiles': strictly greater wins.
      const Placement t = fgd_tile(plan, lo, hi, row, slow);
      if (t.score > b.score) b = t;
      return;
    }
    for (std::size_t i = lo; i < hi; ++i) {
      const std::int64_t s = each(i);
      if (row) row[i] = s;
      if (s > b.score) b = Placement{static_cast<std::int32_t>(i), s};
    }
  }

  // score_batch_as<kBestFit>() (plans_ made): the vector-loop pods by fgd_tile() on the
  // best_fit column (each fit read as a cached score, nothing left for `slow`), the others node
  // by node.
  void best_fit_batch(std::span<const PodReq> pods, std::span<const std::uint64_t> salts,
                      std::span<std::int64_t> scores, std::span<Placement> best,
                      const ScoreParams& sp) {
    const std::size_t n = nodes_.size();
    for (std::size_t lo = 0; lo < n; lo += kColumnTileNodes) {
      const std::size_t hi = std::min(n, lo + kColumnTileNodes);
      for (std::size_t p = 0; p < pods.size(); ++p) {
        const PodPlan& plan = plans_[p];
        const auto each = [&](std::size_t i) {
          return evaluate_as<Policy::kBestFit>(i, plan, salts[p], sp);
        };
        tile_pass(plan, lo, hi, scores.empty() ? nullptr : scores.data() + p * n, best[p], each,
                  each);
      }
    }
    evaluations_ += pods.size() * n;
  }

  // One pod's FGD scores of nodes [lo, hi) by the column loop of the scorer's instruction set
  // (BestFit's too: best_fit_batch).
  template <typename Slow>
  Placement fgd_tile(const PodPlan& plan, std::size_t lo, std::size_t hi, std::int64_t* row,
                     const Slow& slow) const {
#if GPUSIM_CPU_X86
    if (isa_ == CpuIsa::kAvx512)
      return fgd_tile_avx512(cols_, plan.v, lo, hi, nodes_.size(), row, slow);
    if (isa_ == CpuIsa::kAvx2)
      return fgd_tile_avx2(cols_, plan.v, lo, hi, nodes_.size(), row, slow);
#endif
    return fgd_tile_scalar(cols_, plan.v, lo, hi, row, slow);
  }
  // The instruction set a CpuIsa asks for, where the machine runs it; the scalar loops otherwise.
  static CpuIsa resolved(CpuIsa isa) {
    if (isa == CpuIsa::kBest) {
      if (cpu_isa_usable(CpuIsa::kAvx512)) return CpuIsa::kAvx512;
      if (cpu_isa_usable(CpuIsa::kAvx2)) return CpuIsa::kAvx2;
      return CpuIsa::kScalar;
    }
    return cpu_isa_usable(isa) ? isa : CpuIsa::kScalar;
  }

  // GPU shapes the cache lacks that more than one vector-loop pod of the batch asks: their
  // same-row score is computed once per node for the batch (batch_scores_, a tile at a time)
  // and read like a cached shape's, instead of once per pod and node.
  void plan_batch_shapes() {
    batch_shapes_.clear();
    std::vector<std::int32_t> askers;
    for (const PodPlan& q : plans_) {
      if (!q.vec || q.v.cached || q.pod.gpu_count <= 0) continue;
      const GpuShape g{q.pod.gpu_count, q.pod.gpu_milli};
      const auto at = std::find(batch_shapes_.begin(), batch_shapes_.end(), g);
      if (at == batch_shapes_.end()) {
        batch_shapes_.push_back(g);
        askers.push_back(1);
      } else {
        ++askers[static_cast<std::size_t>(at - batch_shapes_.begin())];
      }
    }
    std::vector<GpuShape> shared;
    for (std::size_t k = 0; k < batch_shapes_.size(); ++k) {
      if (askers[k] > 1) shared.push_back(batch_shapes_[k]);
    }
    batch_shapes_ = std::move(shared);
    if (batch_shapes_.empty()) return;
    batch_scores_.assign(batch_shapes_.size() * padded_, kInfeasible);
    for (PodPlan& q : plans_) {
      if (!q.vec || q.v.cached || q.pod.gpu_count <= 0) continue;
      const GpuShape g{q.pod.gpu_count, q.pod.gpu_milli};
      const auto at = std::find(batch_shapes_.begin(), batch_shapes_.end(), g);
      if (at == batch_shapes_.end()) continue;
      q.v.cached = true;
      q.v.row_scores =
          batch_scores_.data() + static_cast<std::size_t>(at - batch_shapes_.begin()) * padded_;
    }
  }

  // FGD's score on node i of `pod`, a GPU shape asking no cpu (the node's own cpu row): what the
  // cached shapes hold.
  GPUSIM_NOINLINE std::int64_t shape_score(std::size_t i, const PodReq& pod) const {
    ScoreParams sp;
    sp.fgd = table_;
    const CachedShapeStats stats{cache_.data() + i * stride_, table_.n_milli};
    return fgd_score_with(nodes_[i], pod, fgd_pod(pod, table_), sp, stats, nullptr, nullptr);
  }

  // FGD's score of a node the pod fits (evaluate_as<kFgd> after its filter), out of line for
  // the vector loop's rare lanes; fills the pod's tight cache entry where it has one.
  GPUSIM_NOINLINE std::int64_t fgd_after_filter(std::size_t i, const PodPlan& q,
                                                const ScoreParams& sp) {
    const CachedShapeStats stats{cache_.data() + i * stride_, table_.n_milli};
    const std::int64_t cpu_after = hot_[i].cpu_free_milli - q.pod.cpu_milli;
    const bool same_row = stats.same_cpu_index(cpu_after);
    if (same_row && q.shape_scores && !shapes_stale_[i]) return q.shape_scores[i];
    if (!same_row && q.v.tight) {
      // Node i's entry at the index after, of slot 0; a slot's entry is `line` + its offset.
      std::int64_t* line =
          tight_.entries.get() +
          static_cast<std::size_t>(fgd_cpu_index(table_, cpu_after)) * tight_.nodes + i;
      std::int64_t& e = line[q.v.tight - tight_.entries.get()];
      if (e == 0 && fgd_row_shares(q.fgd, table_)) fill_tight_row(i, cpu_after, line);
      if (e == 0)
        e = fgd_score_with(nodes_[i], q.pod, q.fgd, sp, stats, nullptr, nullptr) ^ kInfeasible;
      return e ^ kInfeasible;
    }
    return fgd_score_with(nodes_[i], q.pod, q.fgd, sp, stats, nullptr, nullptr);
  }

  // The tight cache slots that fgd_scores_off_row() takes among the batch's vector-loop pods.
  void plan_tight_rows() {
    row_slots_.clear();
    row_pods_.clear();
    row_fgd_.clear();
    for (const PodPlan& q : plans_) {
      if (!q.vec || !q.v.tight || !fgd_row_shares(q.fgd, table_)) continue;
      const auto slot = static_cast<std::size_t>(q.v.tight - tight_.entries.get());
      if (std::find(row_slots_.begin(), row_slots_.end(), slot) != row_slots_.end()) continue;
      row_slots_.push_back(slot);
      row_pods_.push_back(q.pod);
      row_fgd_.push_back(q.fgd);
    }
    row_scores_.resize(row_slots_.size());
  }

  // Node i's tight cache entries at the cpu index of `cpu_after` (off its row) for every slot
  // of plan_tight_rows(): a pod that misses one mostly has pods of the batch behind it that
  // reach the same node and index with other shapes, and the row's sums serve them all (the
  // bench's first batch: 161 instructions an evaluation against 296 filling one entry at a
  // time). Slots whose shape takes FGD's general path are filled one entry at a time, where a
  // pod asks.
  void fill_tight_row(std::size_t i, std::int64_t cpu_after, std::int64_t* line) {
    const CachedShapeStats stats{cache_.data() + i * stride_, table_.n_milli};
    fgd_scores_off_row(nodes_[i], row_pods_.data(), row_fgd_.data(),
                       static_cast<std::int32_t>(row_slots_.size()), table_, stats, cpu_after,
                       row_scores_.data());
    for (std::size_t c = 0; c < row_slots_.size(); ++c)
      line[row_slots_[c]] = row_scores_[c] ^ kInfeasible;
  }

  // The tight cache's storage, for the batch about to run (its pods' plans point into it).
  void ensure_tight() {
    if (tight_.entries || tight_.slots == 0 || nodes_.empty()) return;
    void* p = std::calloc(nodes_.size() * tight_.per_node, sizeof(std::int64_t));
    if (!p) throw std::bad_alloc();
    tight_.entries.reset(static_cast<std::int64_t*>(p));
    tight_.nodes = nodes_.size();
  }

  void refresh_hot(std::size_t i) {
    const NodeRec& n = nodes_[i];
    hot_[i] = hot_of(n);
    cols_.cpu[i] = open_cpu(n);
    cols_.mem[i] = n.mem_free_bytes;
    cols_.max_free[i] = n.gpu_max_free;
    cols_.full[i] = n.gpu_full;
    cols_.model_bit[i] = model_bit(n.model);
    if (params_.policy == Policy::kBestFit) cols_.best_fit[i] = -best_fit_node_term(n, params_);
  }

  template <Policy P>
  void compute_row_as(std::int32_t shape, std::span<const std::int32_t> nodes, bool all) {
    std::vector<std::int64_t>& row = score_rows_[static_cast<std::size_t>(shape)];
    const ScoreParams sp = host_params();
    const PodPlan plan = plan_of(this->shape(shape));
    if (all) {
      row.resize(nodes_.size());
      for (std::size_t i = 0; i < nodes_.size(); ++i)
        row[i] = evaluate_as<P>(i, plan, 0, sp);
      return;
    }
    for (auto i : nodes) {
      const auto k = static_cast<std::size_t>(i);
      row[k] = evaluate_as<P>(k, plan, 0, sp);
    }
  }

  // FGD's cache of every node (the layout above), refreshed when a node changes: the "before"
  // side of every evaluation on that node, computed once per node state rather than once per pod.
  void refresh_all_stats() {
    cache_.clear();
    shape_scores_.clear();
    stride_ = 0;
    tight_ = TightCache{};
    if (params_.policy == Policy::kBestFit) {
      // The parameters weigh the node terms; every fit is read from them (VecPod).
      cols_.row_cpu.assign(padded_, INT64_MAX);
      for (std::size_t i = 0; i < nodes_.size(); ++i)
        cols_.best_fit[i] = -best_fit_node_term(nodes_[i], params_);
    }
    if (params_.policy != Policy::kFgd) return;
    table_ = fgd_.view();
    stride_ = cache_stride(static_cast<std::size_t>(table_.n_milli));
    cache_.assign(nodes_.size() * stride_, 0);
    shape_scores_.assign(cached_shapes_.size() * padded_, 0);
    shapes_stale_.assign(nodes_.size(), 0);
    stale_nodes_.clear();
    const auto indices = static_cast<std::size_t>(table_.n_cpu) + 1;
    tight_.slots = std::min(cached_shapes_.size() + 1, kMaxTightEntries / indices);
    tight_.indices = indices;
    tight_.per_node = tight_.slots * indices;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      refresh_stats(i);
      refresh_shape_scores(i);
    }
  }
  void refresh_stale_shape_scores() {
    for (auto i : stale_nodes_) {
      refresh_shape_scores(static_cast<std::size_t>(i));
      shapes_stale_[static_cast<std::size_t>(i)] = 0;
    }
    stale_nodes_.clear();
  }
  void refresh_stats(std::size_t node) {
    const NodeRec& n = nodes_[node];
    const std::int32_t nm = table_.n_milli;
    std::int64_t* block = cache_.data() + node * stride_;
    const CachedShapeStats cached{block, nm};
    auto* below = const_cast<std::int64_t*>(cached.below());
    for (std::int32_t i = 0; i < nm; ++i) {
      std::int32_t fit = 0;
      shape_stats(n, fgd_milli(table_, i), fit, below[i]);
      below[nm + i] = fit;
    }
    block[0] = fgd_frag_with(n, table_, cached);
    block[1] = fgd_cpu_index(table_, n.cpu_free_milli);
    fgd_cpu_range(table_, static_cast<std::int32_t>(block[1]), block[3], block[4]);
    // cpu free - lo >= 0 (lo <= cpu free); past INT64_MAX any cpu request keeps the row.
    std::int64_t row_cpu = INT64_MAX;
    if (__builtin_sub_overflow(n.cpu_free_milli, block[3], &row_cpu)) row_cpu = INT64_MAX;
    cols_.row_cpu[node] = row_cpu;
    fgd_node_sums(n, table_, cached, static_cast<std::int32_t>(block[1]), block + kCacheHead);
    block[2] =
        fgd_free_amounts(n, table_, reinterpret_cast<FgdFreeAmount*>(block + amounts_offset(nm)));
  }
  // Each cached shape's score on the node's own cpu row (a pod asking no cpu keeps the row), by
  // the same fgd_score_with() an evaluation runs; after refresh_stats().
  void refresh_shape_scores(std::size_t node) {
    const NodeRec& n = nodes_[node];
    const CachedShapeStats cached{cache_.data() + node * stride_, table_.n_milli};
    ScoreParams sp;
    sp.fgd = table_;
    for (std::size_t s = 0; s < cached_shapes_.size(); ++s) {
      PodReq pod;
      pod.gpu_count = cached_shapes_[s].count;
      pod.gpu_milli = cached_shapes_[s].milli;
      shape_scores_[s * padded_ + node] =
          fgd_score_with(n, pod, fgd_pod(pod, table_), sp, cached, nullptr, nullptr);
    }
  }
  CachedShapeStats stats_of(std::size_t node) const {
    if (cache_.empty()) return CachedShapeStats{nullptr, 0};
    return CachedShapeStats{cache_.data() + node * stride_, table_.n_milli};
  }

  std::vector<HotNode> hot_;         // hot_of() of every node
  HotColumns cols_;                  // the same as columns, padded_ long
  std::size_t padded_ = 0;           // nodes_.size() rounded up to kLanes
  std::vector<std::int64_t> zeros_;  // a CPU-only pod's cached scores
  CpuIsa isa_ = CpuIsa::kScalar;     // resolved(): never kBest

  std::vector<std::vector<std::int64_t>> score_rows_;
  FgdTable table_{};
  std::size_t stride_ = 0;
  std::vector<std::int64_t> cache_;
  // FGD: cached_shapes_ x nodes, each shape's score on each node's own cpu row.
  std::vector<GpuShape> cached_shapes_;
  std::vector<std::int64_t> shape_scores_;
  std::vector<char> shapes_stale_;          // per node: its shape scores predate its last change
  std::vector<std::int32_t> stale_nodes_;   // the nodes marked so
  std::vector<PodPlan> plans_;              // score_batch's scratch
  std::vector<GpuShape> batch_shapes_;      // plan_batch_shapes()
  std::vector<std::int64_t> batch_scores_;  // batch_shapes_ x padded_
  TightCache tight_;                        // allocated by the first FGD batch
  std::vector<std::size_t> row_slots_;      // plan_tight_rows(): each slot's offset
  std::vector<PodReq> row_pods_;            // a pod of each of those slots
  std::vector<FgdPod> row_fgd_;             // its fgd_pod()
  std::vector<std::int64_t> row_scores_;    // fill_tight_row()'s scratch
};

}  // namespace
}  // namespace detail

std::unique_ptr<Scorer> make_cpu_scorer(CpuIsa isa) {
  return std::make_unique<detail::CpuScorer>(isa);
}

std::unique_ptr<Scorer> make_cpu_scorer() {
  return make_cpu_scorer(CpuIsa::kBest);
}

bool cpu_isa_usable(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kBest:
    case CpuIsa::kScalar:
      return true;
    case CpuIsa::kAvx512:
#if GPUSIM_CPU_X86
      return detail::avx512_usable();
#else
      return false;
#endif
    case CpuIsa::kAvx2:
#if GPUSIM_CPU_X86
      return detail::avx2_usable();
#else
      return false;
#endif
  }
  return false;
}

}  // namespace gpusim::gpu
