// The batch scorer's backends: the shape rows re-score exactly the nodes that changed, the
// batch and the incremental paths agree, and (where a CUDA device exists) CPU and CUDA agree.
#include "gpusim/gpu/scorer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gpusim/gpu/fgd_tables.hpp"
#include "gpusim/gpu/policies.hpp"

namespace gpusim::gpu {
namespace {

// A deterministic mixed cluster: 1, 2, 4 and 8 GPU nodes, partly used.
std::vector<NodeRec> make_cluster(int n, std::uint64_t seed) {
  std::vector<NodeRec> nodes;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t h = hash3(seed, 1, static_cast<std::uint64_t>(i));
    NodeRec r;
    const int sizes[] = {1, 2, 4, 8};
    r.gpu_count = sizes[h % 4];
    r.cpu_alloc_milli = 32000 * (1 + static_cast<std::int64_t>((h >> 8) % 4));
    r.cpu_free_milli = r.cpu_alloc_milli - static_cast<std::int64_t>((h >> 16) % 16) * 1000;
    r.mem_free_bytes = std::int64_t{256} << 30;
    r.pods_free = 100;
    for (int g = 0; g < r.gpu_count; ++g) {
      const std::uint64_t hg = hash3(seed, 2, static_cast<std::uint64_t>(i * 16 + g));
      const std::int32_t used[] = {0, 0, 0, 250, 500, 810, 1000, 470};
      r.gpu_free_milli[g] = 1000 - used[hg % 8];
    }
    r.model = 1 + static_cast<std::uint32_t>((h >> 24) % 3);
    r.flags = kNodeSchedulable | kNodeLive;
    r.classes = static_cast<std::uint32_t>((h >> 32) % 4);
    finalize_node(r);
    nodes.push_back(r);
  }
  return nodes;
}

std::vector<PodReq> make_pods() {
  std::vector<PodReq> pods;
  const std::int32_t counts[] = {0, 1, 1, 1, 2, 4, 8};
  const std::int32_t millis[] = {0, 1000, 470, 810, 1000, 1000, 1000};
  for (int i = 0; i < 7; ++i) {
    PodReq p;
    p.cpu_milli = 4000 + 2000 * i;
    p.mem_bytes = std::int64_t{8} << 30;
    p.gpu_count = counts[i];
    p.gpu_milli = millis[i];
    pods.push_back(p);
  }
  PodReq constrained = pods[2];
  constrained.model_mask = std::uint64_t{1} << 2;  // model 2 only
  pods.push_back(constrained);
  return pods;
}

std::vector<TypicalShape> make_typical() {
  return {{4000, 1, 470, 0, 30},
          {8000, 1, 1000, 0, 50},
          {12000, 0, 0, 0, 10},
          {32000, 8, 1000, 0, 5},
          {2000, 1, 810, std::uint64_t{1} << 1, 20}};
}

ScoreParams params(Policy p) {
  ScoreParams sp;
  sp.policy = p;
  sp.seed = 42;
  sp.max_cpu_milli = 128000;
  sp.max_gpu_milli = 8000;
  return sp;
}

// A CPU scorer for `policy` over `nodes`, and the parameters evaluate() needs to score as the
// scorer does (FGD's tables viewed from `tables`).
struct CpuRig {
  CpuRig(Policy policy, const std::vector<NodeRec>& nodes, const std::vector<TypicalShape>& typical)
      : scorer(make_cpu_scorer()), sp(params(policy)), tables(typical) {
    scorer->set_params(sp, typical);
    scorer->set_nodes(nodes);
    sp.fgd = tables.view();
  }
  std::unique_ptr<Scorer> scorer;
  ScoreParams sp;
  const FgdTables tables;
};

// Reference: evaluate() over every node, lowest index on ties.
Placement reference_best(const std::vector<NodeRec>& nodes, const PodReq& pod, std::uint64_t salt,
                         const ScoreParams& sp) {
  Placement b;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::int64_t s = evaluate(nodes[i], static_cast<std::int32_t>(i), pod, salt, sp);
    if (s != kInfeasible && s > b.score) b = Placement{static_cast<std::int32_t>(i), s};
  }
  return b;
}

class ScorerPolicies : public ::testing::TestWithParam<int> {};

TEST_P(ScorerPolicies, IncrementalRowsMatchFullRecomputeAfterEveryBind) {
  const auto policy = static_cast<Policy>(GetParam());
  auto nodes = make_cluster(300, 7);
  const auto typical = make_typical();
  CpuRig rig(policy, nodes, typical);
  auto& scorer = rig.scorer;
  const ScoreParams& sp = rig.sp;
  const auto pods = make_pods();
  std::vector<std::int32_t> shapes;
  for (const auto& p : pods)
    shapes.push_back(scorer->intern_shape(p));
  scorer->prime(shapes);
  // Place 200 pods round-robin over the shapes, binding each on the host mirror.
  for (int k = 0; k < 200; ++k) {
    const std::size_t s = static_cast<std::size_t>(k) % pods.size();
    const std::uint64_t salt = static_cast<std::uint64_t>(k);
    const Placement got = scorer->place(shapes[s], salt);
    const Placement want = reference_best(nodes, pods[s], salt, sp);
    ASSERT_EQ(got.node, want.node) << "pod " << k;
    ASSERT_EQ(got.score, want.score) << "pod " << k;
    if (got.node < 0) continue;
    NodeRec& n = nodes[static_cast<std::size_t>(got.node)];
    std::int32_t dev[kMaxGpusPerNode];
    const std::int32_t nd = select_devices(n, got.node, pods[s], salt, sp, dev);
    ASSERT_EQ(nd, pods[s].gpu_count);
    for (std::int32_t j = 0; j < nd; ++j)
      n.gpu_free_milli[dev[j]] -= pods[s].gpu_milli;
    n.cpu_free_milli -= pods[s].cpu_milli;
    n.mem_free_bytes -= pods[s].mem_bytes;
    n.pods_free -= 1;
    n.classes |= affinity_class(pods[s].gpu_count, pods[s].gpu_milli);
    finalize_node(n);
    scorer->update_node(got.node, n);
  }
}

TEST_P(ScorerPolicies, BatchMatchesPerPodEvaluation) {
  const auto policy = static_cast<Policy>(GetParam());
  // More nodes than one of the CPU backend's 2048-node tiles, and not a multiple of it.
  const auto nodes = make_cluster(4099, 3);
  const auto typical = make_typical();
  CpuRig rig(policy, nodes, typical);
  auto& scorer = rig.scorer;
  const ScoreParams& sp = rig.sp;
  const auto pods = make_pods();
  std::vector<std::uint64_t> salts(pods.size());
  for (std::size_t i = 0; i < salts.size(); ++i)
    salts[i] = 1000 + i;
  std::vector<std::int64_t> scores(pods.size() * nodes.size());
  std::vector<Placement> best(pods.size());
  scorer->score_batch(pods, salts, scores, best);
  for (std::size_t p = 0; p < pods.size(); ++p) {
    for (std::size_t n = 0; n < nodes.size(); ++n) {
      ASSERT_EQ(scores[p * nodes.size() + n],
                evaluate(nodes[n], static_cast<std::int32_t>(n), pods[p], salts[p], sp));
    }
    const Placement want = reference_best(nodes, pods[p], salts[p], sp);
    EXPECT_EQ(best[p].node, want.node);
    EXPECT_EQ(best[p].score, want.score);
  }
}

// Nodes at the edges of the CPU backend's filter: cordoned, no pod slot, an extended resource
// below zero or short, tags, cpu and memory exactly used up.
std::vector<NodeRec> edge_nodes(int count, std::uint64_t seed) {
  auto nodes = make_cluster(count, seed);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    NodeRec& n = nodes[i];
    const int d = static_cast<int>(i % kExtDims);
    switch (i % 9) {
      case 0:
        n.flags &= ~kNodeSchedulable;
        break;
      case 1:
        n.pods_free = 0;
        break;
      case 2:
        n.ext_free[d] = -1;
        break;
      case 3:
        n.ext_free[d] = 2;
        break;
      case 4:
        n.tags = 0b101;
        break;
      case 5:
        n.cpu_free_milli = 8000;
        break;
      case 6:
        n.mem_free_bytes = std::int64_t{8} << 30;
        break;
      case 7:
        n.pods_free = 1;
        break;
      default:
        break;
    }
  }
  return nodes;
}

// make_pods() and, for each, the same with an extended resource, a required tag, a forbidden
// tag and a negative extended request (none of them a plain request).
std::vector<PodReq> edge_pods() {
  std::vector<PodReq> pods = make_pods();
  const std::size_t plain = pods.size();
  for (std::size_t i = 0; i < plain; ++i) {
    PodReq p = pods[i];
    p.ext[i % kExtDims] = 1 + static_cast<std::int64_t>(i % 3);
    pods.push_back(p);
    p = pods[i];
    p.tags_required = 0b1;
    pods.push_back(p);
    p = pods[i];
    p.tags_forbidden = 0b100;
    pods.push_back(p);
    p = pods[i];
    p.ext[i % kExtDims] = -1;  // a negative request is not a plain one either
    pods.push_back(p);
  }
  return pods;
}

// Edge nodes and pods with and without extended resources and tags: the batch and the rows
// give evaluate()'s verdicts node by node, whether the backend filters a request on its summary
// fields or on the whole record.
TEST_P(ScorerPolicies, FilterEdgesMatchEvaluate) {
  const auto policy = static_cast<Policy>(GetParam());
  const auto nodes = edge_nodes(500, 13);
  const auto pods = edge_pods();
  const auto typical = make_typical();
  CpuRig rig(policy, nodes, typical);
  auto& scorer = rig.scorer;
  const ScoreParams& sp = rig.sp;
  std::vector<std::uint64_t> salts(pods.size(), 77);
  std::vector<std::int64_t> scores(pods.size() * nodes.size());
  std::vector<Placement> best(pods.size());
  scorer->score_batch(pods, salts, scores, best);
  std::vector<std::int32_t> all(nodes.size());
  for (std::size_t n = 0; n < nodes.size(); ++n)
    all[n] = static_cast<std::int32_t>(n);
  std::vector<std::int64_t> row(nodes.size());
  std::size_t feasible = 0;
  std::size_t infeasible = 0;
  for (std::size_t p = 0; p < pods.size(); ++p) {
    scorer->scores(scorer->intern_shape(pods[p]), salts[p], all, row);
    for (std::size_t n = 0; n < nodes.size(); ++n) {
      const std::int64_t want =
          evaluate(nodes[n], static_cast<std::int32_t>(n), pods[p], salts[p], sp);
      ASSERT_EQ(scores[p * nodes.size() + n], want) << "pod " << p << " node " << n;
      ASSERT_EQ(row[n], want) << "pod " << p << " node " << n;
      ++(want == kInfeasible ? infeasible : feasible);
    }
  }
  EXPECT_GT(feasible, 0u);
  EXPECT_GT(infeasible, 0u);
}

// BestFit's column loops (each instruction set this machine runs): the batch equals evaluate()
// node by node and picks the lowest index among equal scores (the cluster repeats node
// states), on edge nodes and pods, after nodes change, and after the parameters that weigh
// the node terms change.
TEST(Scorer, BestFitColumnLoopsMatchEvaluateOnEveryIsa) {
  auto nodes = edge_nodes(1037, 21);
  const auto pods = edge_pods();
  const std::vector<std::uint64_t> salts(pods.size(), 5);
  auto expect_batch = [&](Scorer& scorer, const ScoreParams& sp, const std::string& what) {
    std::vector<std::int64_t> scores(pods.size() * nodes.size());
    std::vector<Placement> best(pods.size());
    scorer.score_batch(pods, salts, scores, best);
    for (std::size_t p = 0; p < pods.size(); ++p) {
      for (std::size_t n = 0; n < nodes.size(); ++n) {
        ASSERT_EQ(scores[p * nodes.size() + n],
                  evaluate(nodes[n], static_cast<std::int32_t>(n), pods[p], salts[p], sp))
            << what << " pod " << p << " node " << n;
      }
      const Placement want = reference_best(nodes, pods[p], salts[p], sp);
      ASSERT_EQ(best[p].node, want.node) << what << " pod " << p;
      ASSERT_EQ(best[p].score, want.score) << what << " pod " << p;
    }
  };
  int compared = 0;
  for (CpuIsa isa : {CpuIsa::kScalar, CpuIsa::kAvx2, CpuIsa::kAvx512}) {
    if (!cpu_isa_usable(isa)) continue;
    const std::string what = "isa " + std::to_string(static_cast<int>(isa));
    auto scorer = make_cpu_scorer(isa);
    ScoreParams sp = params(Policy::kBestFit);
    scorer->set_params(sp, {});
    scorer->set_nodes(nodes);
    expect_batch(*scorer, sp, what);
    for (std::size_t i = 3; i < nodes.size(); i += 97) {
      nodes[i].cpu_free_milli -= 1000;
      nodes[i].gpu_free_milli[0] = 0;
      finalize_node(nodes[i]);
      scorer->update_node(static_cast<std::int32_t>(i), nodes[i]);
    }
    expect_batch(*scorer, sp, what + " after node changes");
    sp.max_cpu_milli = 64000;
    sp.max_gpu_milli = 16000;
    scorer->set_params(sp, {});
    expect_batch(*scorer, sp, what + " after new parameters");
    nodes = edge_nodes(1037, 21);
    ++compared;
  }
  EXPECT_GE(compared, 1);
}

std::string policy_test_name(const ::testing::TestParamInfo<int>& info) {
  static constexpr const char* kNames[] = {"Random",     "DotProduct", "GpuClustering",
                                           "GpuPacking", "BestFit",    "FGD"};
  return kNames[info.param];
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, ScorerPolicies, ::testing::Range(0, kPolicyCount),
                         policy_test_name);

TEST(Scorer, OnlyChangedNodesAreRescored) {
  auto nodes = make_cluster(1000, 11);
  auto scorer = make_cpu_scorer();
  scorer->set_params(params(Policy::kBestFit), {});
  scorer->set_nodes(nodes);
  PodReq pod;
  pod.cpu_milli = 1000;
  pod.gpu_count = 1;
  pod.gpu_milli = 500;
  const std::int32_t shape = scorer->intern_shape(pod);
  scorer->place(shape, 0);
  EXPECT_EQ(scorer->evaluations(), 1000u);  // the first use scores the row once
  scorer->place(shape, 0);
  EXPECT_EQ(scorer->evaluations(), 1000u);  // nothing changed: nothing re-scored
  nodes[5].cpu_free_milli -= 1000;
  scorer->update_node(5, nodes[5]);
  nodes[9].cpu_free_milli -= 1000;
  scorer->update_node(9, nodes[9]);
  scorer->update_node(5, nodes[5]);
  scorer->place(shape, 0);
  EXPECT_EQ(scorer->evaluations(), 1002u);  // nodes 5 and 9, once each
  EXPECT_EQ(scorer->intern_shape(pod), shape);
}

TEST(Scorer, ParamsChangeInvalidatesRows) {
  const auto nodes = make_cluster(100, 5);
  auto scorer = make_cpu_scorer();
  scorer->set_params(params(Policy::kBestFit), {});
  scorer->set_nodes(nodes);
  PodReq pod;
  pod.cpu_milli = 2000;
  pod.gpu_count = 1;
  pod.gpu_milli = 1000;
  const std::int32_t shape = scorer->intern_shape(pod);
  const Placement a = scorer->place(shape, 0);
  scorer->set_params(params(Policy::kGpuPacking), {});
  const Placement b = scorer->place(shape, 0);
  ScoreParams sp = params(Policy::kGpuPacking);
  EXPECT_EQ(b.score, evaluate(nodes[static_cast<std::size_t>(b.node)], b.node, pod, 0, sp));
  EXPECT_EQ(scorer->evaluations(), 200u);
  (void)a;
}

TEST(Scorer, NoFeasibleNodeGivesMinusOne) {
  auto nodes = make_cluster(10, 1);
  auto scorer = make_cpu_scorer();
  scorer->set_params(params(Policy::kFgd), make_typical());
  scorer->set_nodes(nodes);
  PodReq pod;
  pod.gpu_count = 16;
  pod.gpu_milli = 1000;
  const Placement p = scorer->place(scorer->intern_shape(pod), 0);
  EXPECT_EQ(p.node, -1);
  EXPECT_EQ(p.score, kInfeasible);
}

TEST(Scorer, BackendNames) {
  EXPECT_EQ(parse_backend("auto"), Backend::kAuto);
  EXPECT_EQ(parse_backend("cpu"), Backend::kCpu);
  EXPECT_EQ(parse_backend("cuda"), Backend::kCuda);
  EXPECT_FALSE(parse_backend("gpu").has_value());
  EXPECT_STREQ(to_string(Backend::kCuda), "cuda");
}

TEST(Scorer, FallsBackToCpuWithOneReasonWhenNoDevice) {
  std::string why;
  if (cuda_devices(&why) > 0)
    GTEST_SKIP() << "a CUDA device is present; the fallback is not exercised";
  std::string note;
  auto s = make_scorer(Backend::kCuda, &note);
  EXPECT_EQ(s->backend(), Backend::kCpu);
  EXPECT_NE(note.find("using the CPU scorer"), std::string::npos) << note;
  EXPECT_EQ(note.find('\n'), std::string::npos);  // one line
  std::string none;
  auto c = make_scorer(Backend::kCpu, &none);
  EXPECT_EQ(c->backend(), Backend::kCpu);
  EXPECT_TRUE(none.empty());
}

// CPU/CUDA parity: both backends, every policy, batch and incremental paths, identical
// decisions. Skipped (with the reason) where no device is usable.
TEST(ScorerParity, CudaMatchesCpuOnEveryPolicy) {
  std::string why;
  if (cuda_devices(&why) == 0) GTEST_SKIP() << "no CUDA device: " << why;
  const auto typical = make_typical();
  const auto pods = make_pods();
  for (int pi = 0; pi < kPolicyCount; ++pi) {
    SCOPED_TRACE(pi);
    auto nodes = make_cluster(5000, 17 + pi);
    auto cpu = make_cpu_scorer();
    auto cuda = make_scorer(Backend::kCuda);
    ASSERT_EQ(cuda->backend(), Backend::kCuda);
    for (Scorer* s : {cpu.get(), cuda.get()}) {
      s->set_params(params(static_cast<Policy>(pi)), typical);
      s->set_nodes(nodes);
    }
    std::vector<std::uint64_t> salts(pods.size(), 9);
    std::vector<std::int64_t> a(pods.size() * nodes.size()), b(a.size());
    std::vector<Placement> ba(pods.size()), bb(pods.size());
    cpu->score_batch(pods, salts, a, ba);
    cuda->score_batch(pods, salts, b, bb);
    ASSERT_EQ(a, b);
    for (std::size_t i = 0; i < pods.size(); ++i) {
      EXPECT_EQ(ba[i].node, bb[i].node);
      EXPECT_EQ(ba[i].score, bb[i].score);
    }
    std::vector<std::int32_t> sa, sb;
    for (const auto& p : pods) {
      sa.push_back(cpu->intern_shape(p));
      sb.push_back(cuda->intern_shape(p));
    }
    cpu->prime(sa);
    cuda->prime(sb);
    ScoreParams sp = params(static_cast<Policy>(pi));
    const FgdTables tables(typical);
    sp.fgd = tables.view();
    for (int k = 0; k < 300; ++k) {
      const std::size_t s = static_cast<std::size_t>(k) % pods.size();
      const Placement x = cpu->place(sa[s], static_cast<std::uint64_t>(k));
      const Placement y = cuda->place(sb[s], static_cast<std::uint64_t>(k));
      ASSERT_EQ(x.node, y.node) << "pod " << k;
      ASSERT_EQ(x.score, y.score) << "pod " << k;
      if (x.node < 0) continue;
      NodeRec& n = nodes[static_cast<std::size_t>(x.node)];
      std::int32_t dev[kMaxGpusPerNode];
      const std::int32_t nd =
          select_devices(n, x.node, pods[s], static_cast<std::uint64_t>(k), sp, dev);
      for (std::int32_t j = 0; j < nd; ++j)
        n.gpu_free_milli[dev[j]] -= pods[s].gpu_milli;
      n.cpu_free_milli -= pods[s].cpu_milli;
      finalize_node(n);
      cpu->update_node(x.node, n);
      cuda->update_node(x.node, n);
    }
  }
}

}  // namespace
}  // namespace gpusim::gpu
