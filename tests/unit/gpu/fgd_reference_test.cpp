// FGD's grouped evaluation (FgdTable: one term per distinct per-device milli) against the
// straightforward per-shape formula it replaced, kept here as the reference: node fragmentation,
// score, device choice, and the CPU scorer's cached path, on random nodes, pods and typical
// shapes (model masks, CPU-only shapes, equal cpu_milli, zero weights, multi-GPU pods).
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gpusim/gpu/fgd_tables.hpp"
#include "gpusim/gpu/policies.hpp"
#include "gpusim/gpu/scorer.hpp"

namespace gpusim::gpu {
namespace {

// ---- the reference: one term per typical shape ------------------------------------------------

std::int64_t ref_frag_of_shape(const TypicalShape& m, std::uint32_t node_model,
                               std::int64_t cpu_free, std::int32_t fit_devices, std::int64_t below,
                               std::int64_t idle) {
  if (m.gpu_count <= 0 || m.gpu_milli <= 0) return idle;  // a CPU-only shape uses no GPU
  if (!model_allowed(m.model_mask, node_model)) return idle;
  if (fit_devices >= m.gpu_count && cpu_free >= m.cpu_milli) return below;
  return idle;
}

std::int64_t ref_node_fragmentation(const NodeRec& n, const std::vector<TypicalShape>& typical) {
  const std::int64_t idle = n.gpu_free_total;
  if (idle == 0) return 0;
  std::int64_t sum = 0;
  for (const TypicalShape& m : typical) {
    std::int32_t fit = 0;
    std::int64_t below = 0;
    shape_stats(n, m.gpu_milli, fit, below);
    sum += m.weight * ref_frag_of_shape(m, n.model, n.cpu_free_milli, fit, below, idle);
  }
  return sum;
}

std::int64_t ref_fgd_score(const NodeRec& n, const PodReq& p,
                           const std::vector<TypicalShape>& typical, std::int32_t* out,
                           std::int32_t* got) {
  std::int32_t cand_dev[kMaxGpusPerNode];
  std::int32_t ncand = 0;
  std::int32_t multi[kMaxGpusPerNode];
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
      *got = 0;
      return kInfeasible;
    }
  } else {
    nmulti = select_best(n, p, multi);
    if (nmulti < (p.gpu_count > 0 ? p.gpu_count : 0)) {
      *got = 0;
      return kInfeasible;
    }
    ncand = 1;
  }
  std::int64_t delta[kMaxGpusPerNode] = {};
  const std::int64_t idle = n.gpu_free_total;
  const std::int64_t cpu_after = n.cpu_free_milli - p.cpu_milli;
  const std::int64_t idle_after = idle - pod_gpu_total(p);
  for (const TypicalShape& m : typical) {
    const std::int32_t r = m.gpu_milli;
    std::int32_t fit = 0;
    std::int64_t below = 0;
    shape_stats(n, r, fit, below);
    const std::int64_t before = ref_frag_of_shape(m, n.model, n.cpu_free_milli, fit, below, idle);
    for (std::int32_t c = 0; c < ncand; ++c) {
      std::int32_t fit2 = fit;
      std::int64_t below2 = below;
      const std::int32_t nd = share ? 1 : nmulti;
      for (std::int32_t j = 0; j < nd; ++j) {
        const std::int32_t f = n.gpu_free_milli[share ? cand_dev[c] : multi[j]];
        const std::int32_t f2 = f - p.gpu_milli;
        fit2 += (f2 >= r ? 1 : 0) - (f >= r ? 1 : 0);
        below2 += (f2 < r ? f2 : 0) - (f < r ? f : 0);
      }
      const std::int64_t after = ref_frag_of_shape(m, n.model, cpu_after, fit2, below2, idle_after);
      delta[c] += m.weight * (before - after);
    }
  }
  std::int32_t best = 0;
  for (std::int32_t c = 1; c < ncand; ++c) {
    if (delta[c] > delta[best]) best = c;
  }
  if (share) {
    out[0] = cand_dev[best];
  } else {
    for (std::int32_t j = 0; j < nmulti; ++j)
      out[j] = multi[j];
  }
  *got = share ? 1 : nmulti;
  return delta[best];
}

// ---- random cases -----------------------------------------------------------------------------

struct Rng {
  std::mt19937_64 g;
  std::int64_t in(std::int64_t lo, std::int64_t hi) {  // inclusive
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(g);
  }
  template <typename T, std::size_t N>
  T pick(const T (&v)[N]) {
    return v[static_cast<std::size_t>(in(0, N - 1))];
  }
  template <typename T>
  const T& any(const std::vector<T>& v) {  // v not empty
    return v[static_cast<std::size_t>(in(0, static_cast<std::int64_t>(v.size()) - 1))];
  }
};

constexpr std::int64_t kCpus[] = {0, 1000, 2000, 2000, 4000, 6000, 8000, 16000, 32000};
constexpr std::int32_t kMillis[] = {0, 100, 250, 300, 470, 500, 810, 999, 1000, 1000};

std::uint64_t random_mask(Rng& r) {
  switch (r.in(0, 4)) {
    case 0:
    case 1:
      return 0;
    case 2:
      return std::uint64_t{1} << r.in(0, 5);  // bit 0: no node matches
    case 3:
      return (std::uint64_t{1} << r.in(1, 5)) | (std::uint64_t{1} << r.in(1, 5));
    default:
      return std::uint64_t{1} << 63;
  }
}

std::vector<TypicalShape> random_shapes(Rng& r) {
  std::vector<TypicalShape> t(static_cast<std::size_t>(r.in(0, 40)));
  for (auto& m : t) {
    m.cpu_milli = r.pick(kCpus) + (r.in(0, 5) == 0 ? r.in(0, 999) : 0);
    const auto kind = r.in(0, 9);
    if (kind == 0) {  // CPU-only
      m.gpu_count = 0;
      m.gpu_milli = 0;
    } else if (kind == 1) {  // odd: a count without milli, or milli without a count
      m.gpu_count = static_cast<std::int32_t>(r.in(0, 1));
      m.gpu_milli = m.gpu_count == 0 ? r.pick(kMillis) : 0;
    } else if (kind == 2 && r.in(0, 3) == 0) {  // more milli than a device has: no lookup
      m.gpu_count = 1;
      m.gpu_milli = 5000;
    } else if (kind <= 5) {  // a share
      m.gpu_count = 1;
      m.gpu_milli = r.in(0, 3) == 0 ? static_cast<std::int32_t>(r.in(1, 999)) : r.pick(kMillis);
      if (m.gpu_milli == 0) m.gpu_milli = 500;
    } else {  // whole devices, sometimes more than a node can have
      m.gpu_count = static_cast<std::int32_t>(r.in(0, 9) == 0 ? r.in(9, 20) : r.in(1, 8));
      m.gpu_milli = 1000;
    }
    m.model_mask = random_mask(r);
    m.weight = r.in(0, 3) == 0 ? 0 : r.in(1, 1000);
  }
  return t;
}

NodeRec random_node(Rng& r) {
  NodeRec n;
  n.cpu_alloc_milli = 64000;
  n.cpu_free_milli = r.pick(kCpus) + (r.in(0, 2) == 0 ? r.in(0, 999) : 0);
  n.mem_free_bytes = std::int64_t{1} << 40;
  n.pods_free = 100;
  n.gpu_count = static_cast<std::int32_t>(r.in(0, 4) == 0 ? r.in(0, kMaxGpusPerNode) : r.in(1, 8));
  for (std::int32_t i = 0; i < n.gpu_count; ++i) {
    n.gpu_free_milli[i] =
        r.in(0, 2) == 0 ? static_cast<std::int32_t>(r.in(0, 1000)) : 1000 - r.pick(kMillis);
    if (r.in(0, 30) == 0) n.gpu_free_milli[i] = 1200;  // more than a device: unequal whole ones
  }
  const auto m = r.in(0, 9);
  n.model = m == 0 ? 64 + static_cast<std::uint32_t>(r.in(0, 3))
                   : static_cast<std::uint32_t>(m == 1 ? 63 : r.in(0, 5));
  n.flags = kNodeSchedulable | kNodeLive;
  finalize_node(n);
  return n;
}

PodReq random_pod(Rng& r) {
  PodReq p;
  p.cpu_milli = r.pick(kCpus) + (r.in(0, 2) == 0 ? r.in(0, 999) : 0);
  p.mem_bytes = 1;
  const auto kind = r.in(0, 3);
  if (kind == 1) {
    p.gpu_count = 1;
    p.gpu_milli = r.in(0, 1) == 0 ? static_cast<std::int32_t>(r.in(1, 999)) : r.pick(kMillis);
    if (p.gpu_milli == 0) p.gpu_milli = 1;
  } else if (kind >= 2) {
    p.gpu_count = static_cast<std::int32_t>(r.in(1, 8));
    p.gpu_milli = 1000;
  }
  p.model_mask = random_mask(r) & ~std::uint64_t{1};
  return p;
}

// Every pod's score on every node and its best node, with the score rows and without, against
// the per-shape reference.
void expect_batch_equals_reference(Scorer& scorer, const std::vector<NodeRec>& nodes,
                                   const std::vector<PodReq>& pods,
                                   const std::vector<TypicalShape>& typical,
                                   const std::string& what) {
  std::vector<std::uint64_t> salts(pods.size(), 0);
  std::vector<std::int64_t> scores(pods.size() * nodes.size());
  std::vector<Placement> best(pods.size());
  std::vector<Placement> best_only(pods.size());
  scorer.score_batch(pods, salts, scores, best);
  scorer.score_batch(pods, salts, {}, best_only);  // the loop without the row stores
  for (std::size_t k = 0; k < pods.size(); ++k) {
    Placement want;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      std::int32_t dev[kMaxGpusPerNode];
      std::int32_t got = 0;
      const std::int64_t ref = fits(nodes[i], pods[k])
                                   ? ref_fgd_score(nodes[i], pods[k], typical, dev, &got)
                                   : kInfeasible;
      ASSERT_EQ(scores[k * nodes.size() + i], ref) << what << " pod " << k << " node " << i;
      if (ref != kInfeasible && ref > want.score)
        want = Placement{static_cast<std::int32_t>(i), ref};
    }
    ASSERT_EQ(best[k].node, want.node) << what << " pod " << k;
    ASSERT_EQ(best[k].score, want.score) << what << " pod " << k;
    ASSERT_EQ(best_only[k].node, want.node) << what << " pod " << k;
    ASSERT_EQ(best_only[k].score, want.score) << what << " pod " << k;
  }
}

TEST(FgdReference, GroupedTablesEqualThePerShapeFormula) {
  Rng r{std::mt19937_64(20261129)};
  std::int64_t feasible = 0;
  for (int round = 0; round < 400; ++round) {
    const auto typical = random_shapes(r);
    const FgdTables tables(typical);
    ScoreParams sp;
    sp.policy = Policy::kFgd;
    sp.max_cpu_milli = 64000;
    sp.max_gpu_milli = 16000;
    sp.fgd = tables.view();
    std::vector<NodeRec> nodes(24);
    for (auto& n : nodes)
      n = random_node(r);
    std::vector<PodReq> pods(24);
    for (auto& p : pods)
      p = random_pod(r);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const NodeRec& n = nodes[i];
      ASSERT_EQ(node_fragmentation(n, sp), ref_node_fragmentation(n, typical))
          << "round " << round << " node " << i;
      for (const PodReq& p : pods) {
        std::int32_t dev[kMaxGpusPerNode];
        std::int32_t got = 0;
        std::int32_t ref_dev[kMaxGpusPerNode];
        std::int32_t ref_got = 0;
        const std::int64_t s = fgd_score(n, p, sp, dev, &got);
        const std::int64_t ref = ref_fgd_score(n, p, typical, ref_dev, &ref_got);
        ASSERT_EQ(s, ref) << "round " << round << " node " << i;
        ASSERT_EQ(got, ref_got);
        for (std::int32_t j = 0; j < got; ++j)
          ASSERT_EQ(dev[j], ref_dev[j]);
        feasible += s != kInfeasible ? 1 : 0;
      }
    }

    // The CPU scorer (cached per-node statistics) against the reference, scores and best node.
    auto scorer = make_cpu_scorer();
    scorer->set_params(sp, typical);
    scorer->set_nodes(nodes);
    expect_batch_equals_reference(*scorer, nodes, pods, typical, "round " + std::to_string(round));
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(feasible, 50000);  // the comparison saw plenty of real scores
}

// A few distinct nodes, repeated: equal scores in many lanes and tiles (ties); `many` gives 1,000
// or so nodes, across the vector loop's tiles, else up to 70; a count off the lanes leaves a
// partial step.
std::vector<NodeRec> repeated(Rng& r, const std::vector<NodeRec>& distinct, bool many) {
  std::vector<NodeRec> nodes(static_cast<std::size_t>(many ? r.in(1000, 1100) : r.in(1, 70)));
  for (auto& n : nodes)
    n = r.any(distinct);
  return nodes;
}

// Pod k takes an earlier pod's devices (typical or not): a GPU shape several pods of the batch ask.
void devices_of_an_earlier_pod(Rng& r, std::vector<PodReq>& pods, std::size_t k) {
  const PodReq& other = pods[static_cast<std::size_t>(r.in(0, static_cast<std::int64_t>(k) - 1))];
  pods[k].gpu_count = other.gpu_count;
  pods[k].gpu_milli = other.gpu_milli;
}

// The CPU scorer's own paths against the reference, for every instruction set the machine runs:
// per-node scores of the typical GPU shapes (a pod of such a shape on a node whose cpu index it
// leaves as it is), the column loops (their filter, the same-row compare, nodes left to the
// general code, ties across lanes and tiles, a node count that is no multiple of the lanes), GPU
// shapes off the typical ones that several pods of a batch ask (scored once per node for the
// batch), batches and shape rows, and all of it after nodes change.
PodReq pod_like(Rng& r, const std::vector<TypicalShape>& typical) {
  PodReq p = random_pod(r);
  if (!typical.empty() && r.in(0, 2) != 0) {  // mostly a typical GPU shape: the cached scores
    const TypicalShape& m = r.any(typical);
    p.gpu_count = m.gpu_count;
    p.gpu_milli = m.gpu_milli;
  }
  switch (r.in(0, 9)) {  // what only the filter or the scalar lanes see
    case 0:
      p.cpu_milli = -r.in(0, 1000);  // negative: the scalar loop
      break;
    case 1:
      p.ext[r.in(0, kExtDims - 1)] = r.in(0, 2);  // not a plain request (when not 0)
      break;
    case 2:
      p.mem_bytes = (std::int64_t{1} << 40) + r.in(-1, 1);  // at the nodes' memory
      break;
    case 3:
      p.gpu_count = 0;  // CPU-only
      p.gpu_milli = 0;
      break;
    default:
      break;
  }
  return p;
}

// The instruction sets whose loops the CPU scorer runs on this machine.
std::vector<CpuIsa> usable_isas() {
  std::vector<CpuIsa> isas;
  for (CpuIsa isa : {CpuIsa::kScalar, CpuIsa::kAvx2, CpuIsa::kAvx512}) {
    if (cpu_isa_usable(isa)) {
      isas.push_back(isa);
    } else {
      std::cout << "this machine lacks " << (isa == CpuIsa::kAvx2 ? "AVX2" : "AVX-512")
                << ": its loops are not compared\n";
    }
  }
  return isas;
}

std::unique_ptr<Scorer> scorer_on(CpuIsa isa, const ScoreParams& sp,
                                  const std::vector<TypicalShape>& typical,
                                  const std::vector<NodeRec>& nodes) {
  auto scorer = make_cpu_scorer(isa);
  scorer->set_params(sp, typical);
  scorer->set_nodes(nodes);
  return scorer;
}

const char* isa_name(CpuIsa isa) {
  return isa == CpuIsa::kScalar ? "scalar" : isa == CpuIsa::kAvx2 ? "avx2" : "avx512";
}

TEST(FgdReference, CpuScorerPathsEqualThePerShapeFormula) {
  const std::vector<CpuIsa> isas = usable_isas();
  Rng r{std::mt19937_64(20261130)};
  for (int round = 0; round < 60; ++round) {
    const auto typical = random_shapes(r);
    ScoreParams sp;
    sp.policy = Policy::kFgd;
    sp.max_cpu_milli = 64000;
    sp.max_gpu_milli = 16000;
    std::vector<NodeRec> distinct(static_cast<std::size_t>(r.in(1, 12)));
    for (auto& n : distinct) {
      n = random_node(r);
      switch (r.in(0, 7)) {
        case 0:
          n.flags = kNodeLive;  // cordoned
          break;
        case 1:
          n.pods_free = 0;
          break;
        case 2:
          n.ext_free[r.in(0, kExtDims - 1)] = r.in(-1, 1);
          break;
        default:
          break;
      }
    }
    const std::vector<NodeRec> nodes = repeated(r, distinct, round % 3 == 0);
    std::vector<PodReq> pods(16);
    for (std::size_t k = 0; k < pods.size(); ++k) {
      PodReq& p = pods[k];
      p = pod_like(r, typical);
      const NodeRec& edge = r.any(distinct);
      if (r.in(0, 3) == 0 && edge.gpu_max_free > 0 && edge.gpu_max_free < kMilliPerGpu) {
        p.gpu_count = 1;  // a share of just what a node's freest device has
        p.gpu_milli = edge.gpu_max_free;
      }
      if (k > 0 && r.in(0, 2) == 0) devices_of_an_earlier_pod(r, pods, k);
      if (!typical.empty() && r.in(0, 2) == 0) {
        // At a cpu index's edge: the pod leaves one of the nodes just at, or just below, a
        // typical shape's cpu (the cached score applies at the one and not the other).
        const NodeRec& n = r.any(distinct);
        const TypicalShape& m = r.any(typical);
        p.cpu_milli = n.cpu_free_milli - m.cpu_milli + r.in(-1, 1);
      }
    }
    for (CpuIsa isa : isas) {
      const std::string what = std::string(isa_name(isa)) + " round " + std::to_string(round);
      const auto scorer = scorer_on(isa, sp, typical, nodes);
      expect_batch_equals_reference(*scorer, nodes, pods, typical, what);
      // A node is added (every node's cache rebuilt), then nodes change (the columns follow
      // update_node, the cached scores wait for the next batch).
      std::vector<NodeRec> changed = nodes;
      changed.push_back(random_node(r));
      scorer->update_node(static_cast<std::int32_t>(changed.size() - 1), changed.back());
      for (int c = 0; c < 8; ++c) {
        const auto i = static_cast<std::size_t>(r.in(0, changed.size() - 1));
        changed[i] = random_node(r);
        scorer->update_node(static_cast<std::int32_t>(i), changed[i]);
      }
      // The shape rows (the scheduler's path): the changed nodes' cached scores are stale until
      // the next batch.
      for (const PodReq& p : pods) {
        const std::int32_t id = scorer->intern_shape(p);
        const Placement got = scorer->place(id, 0);
        Placement want;
        for (std::size_t i = 0; i < changed.size(); ++i) {
          std::int32_t dev[kMaxGpusPerNode];
          std::int32_t g = 0;
          const std::int64_t ref =
              fits(changed[i], p) ? ref_fgd_score(changed[i], p, typical, dev, &g) : kInfeasible;
          if (ref != kInfeasible && ref > want.score)
            want = Placement{static_cast<std::int32_t>(i), ref};
        }
        ASSERT_EQ(got.node, want.node) << what;
        ASSERT_EQ(got.score, want.score) << what;
      }
      expect_batch_equals_reference(*scorer, changed, pods, typical, what + " changed");
    }
  }
}

// Pods that change the nodes' cpu index, the CPU scorer's cache of scores per (node, cpu index
// after, GPU shape): nodes with little cpu free, so most pods leave less than some typical shape
// needs. Each batch runs twice (the first fills entries, the second reads them), then nodes
// change their devices but not their cpu (the same entries, other scores), then the parameters
// change (other shapes and indices), then a node is added.
TEST(FgdReference, CpuScorerTightCpuEqualsThePerShapeFormula) {
  const std::vector<CpuIsa> isas = usable_isas();
  Rng r{std::mt19937_64(20261201)};
  for (int round = 0; round < 40; ++round) {
    auto typical = random_shapes(r);
    while (typical.empty())
      typical = random_shapes(r);
    ScoreParams sp;
    sp.policy = Policy::kFgd;
    sp.max_cpu_milli = 64000;
    sp.max_gpu_milli = 16000;
    // Each node's cpu just above some typical shape's: pods asking a little cpu drop it below.
    const auto tight_node = [&] {
      NodeRec n = random_node(r);
      if (!typical.empty()) {
        const TypicalShape& m = r.any(typical);
        n.cpu_free_milli = m.cpu_milli + r.in(0, 3000);
      }
      return n;
    };
    std::vector<NodeRec> distinct(static_cast<std::size_t>(r.in(1, 12)));
    for (auto& n : distinct)
      n = tight_node();
    const std::vector<NodeRec> nodes = repeated(r, distinct, round % 4 == 0);
    std::vector<PodReq> pods(24);
    for (std::size_t k = 0; k < pods.size(); ++k) {
      PodReq& p = pods[k];
      p = pod_like(r, typical);
      if (k > 0 && r.in(0, 1) == 0) devices_of_an_earlier_pod(r, pods, k);  // other indices
      const NodeRec& n = r.any(distinct);
      if (r.in(0, 1) == 0) {
        const TypicalShape& m = r.any(typical);
        p.cpu_milli = n.cpu_free_milli - m.cpu_milli + r.in(-1, 1);  // at an index's edge
      } else if (p.cpu_milli >= 0) {
        p.cpu_milli = r.in(0, std::max<std::int64_t>(n.cpu_free_milli, 0));
      }
    }
    for (CpuIsa isa : isas) {
      const std::string what = std::string(isa_name(isa)) + " tight round " + std::to_string(round);
      const auto scorer = scorer_on(isa, sp, typical, nodes);
      expect_batch_equals_reference(*scorer, nodes, pods, typical, what);
      expect_batch_equals_reference(*scorer, nodes, pods, typical, what + " again");
      std::vector<NodeRec> changed = nodes;
      for (int c = 0; c < 8; ++c) {
        const auto i = static_cast<std::size_t>(r.in(0, changed.size() - 1));
        NodeRec n = random_node(r);
        n.cpu_free_milli = changed[i].cpu_free_milli;
        changed[i] = n;
        scorer->update_node(static_cast<std::int32_t>(i), changed[i]);
      }
      expect_batch_equals_reference(*scorer, changed, pods, typical, what + " changed");
      const auto other = random_shapes(r);
      scorer->set_params(sp, other);
      expect_batch_equals_reference(*scorer, changed, pods, other, what + " other shapes");
      changed.push_back(tight_node());
      scorer->update_node(static_cast<std::int32_t>(changed.size() - 1), changed.back());
      expect_batch_equals_reference(*scorer, changed, pods, other, what + " added");
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace gpusim::gpu
