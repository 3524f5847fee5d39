// The CPU scorer on random nodes and pods (rapidcheck): one score_batch() call gives the same
// scores and best nodes as evaluating each pod alone through its shape row (scores() and
// place()), for every policy; and every node scored feasible really fits the pod.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <vector>

#include "gpusim/gpu/policies.hpp"
#include "gpusim/gpu/scorer.hpp"

namespace gpusim::gpu {
namespace {

rc::Gen<NodeRec> gen_node_rec() {
  return rc::gen::map(
      rc::gen::tuple(
          rc::gen::inRange(1, 9), rc::gen::inRange(0, 9), rc::gen::inRange(0, 9),
          rc::gen::container<std::vector<int>>(kMaxGpusPerNode, rc::gen::inRange(0, 1001)),
          rc::gen::inRange(0, 4), rc::gen::inRange(0, 4), rc::gen::arbitrary<bool>()),
      [](const auto& t) {
        const auto& [cores8, used8, gpus, free_milli, model, classes, cordoned] = t;
        NodeRec r;
        r.cpu_alloc_milli = cores8 * 8000;
        r.cpu_free_milli = r.cpu_alloc_milli * (8 - std::min(used8, 8)) / 8;
        r.mem_free_bytes = std::int64_t{64} << 30;
        r.pods_free = 110;
        r.gpu_count = gpus;
        for (int g = 0; g < gpus; ++g)
          r.gpu_free_milli[g] = free_milli[static_cast<std::size_t>(g)];
        r.model = static_cast<std::uint32_t>(model);
        r.classes = static_cast<std::uint32_t>(classes);
        r.flags = kNodeLive | (cordoned ? 0u : kNodeSchedulable);
        finalize_node(r);
        return r;
      });
}

rc::Gen<PodReq> gen_pod_req() {
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange(0, 40001), rc::gen::inRange(0, 3), rc::gen::inRange(1, 9),
                     rc::gen::inRange(1, 1000), rc::gen::inRange(0, 4)),
      [](const auto& t) {
        const auto& [cpu, kind, count, milli, model] = t;
        PodReq p;
        p.cpu_milli = cpu;
        p.mem_bytes = std::int64_t{1} << 30;
        if (kind == 1) {
          p.gpu_count = count;
          p.gpu_milli = 1000;
        } else if (kind == 2) {
          p.gpu_count = 1;
          p.gpu_milli = milli;
        }
        if (model > 0) p.model_mask = std::uint64_t{1} << model;
        return p;
      });
}

bool fits_oracle(const NodeRec& n, const PodReq& p) {
  if ((n.flags & kNodeSchedulable) == 0) return false;
  if (n.cpu_free_milli < p.cpu_milli || n.mem_free_bytes < p.mem_bytes) return false;
  if (p.gpu_count == 0) return true;
  if (p.model_mask != 0 && (n.model == 0 || (p.model_mask >> n.model & 1u) == 0)) return false;
  int usable = 0;
  for (int g = 0; g < n.gpu_count; ++g)
    usable += n.gpu_free_milli[g] >= p.gpu_milli ? 1 : 0;
  return usable >= p.gpu_count;
}

RC_GTEST_PROP(ScorerProperties, BatchEqualsPerPodEvaluation, ()) {
  const auto nodes = *rc::gen::nonEmpty(rc::gen::container<std::vector<NodeRec>>(gen_node_rec()));
  const auto pods = *rc::gen::nonEmpty(rc::gen::container<std::vector<PodReq>>(gen_pod_req()));
  const int policy = *rc::gen::inRange(0, kPolicyCount);
  const std::vector<TypicalShape> typical = {
      {4000, 1, 500, 0, 3}, {8000, 1, 1000, 0, 5}, {16000, 0, 0, 0, 2}, {32000, 4, 1000, 0, 1}};
  ScoreParams params;
  params.policy = static_cast<Policy>(policy);
  params.seed = *rc::gen::arbitrary<std::uint64_t>();
  for (const NodeRec& n : nodes) {
    params.max_cpu_milli = std::max(params.max_cpu_milli, n.cpu_alloc_milli);
    params.max_gpu_milli =
        std::max<std::int64_t>(params.max_gpu_milli, std::int64_t{n.gpu_count} * 1000);
  }
  std::vector<std::uint64_t> salts(pods.size());
  for (std::size_t i = 0; i < salts.size(); ++i)
    salts[i] = i * 7919 + 1;

  auto batch = make_cpu_scorer();
  batch->set_params(params, typical);
  batch->set_nodes(nodes);
  std::vector<std::int64_t> scores(pods.size() * nodes.size());
  std::vector<Placement> best(pods.size());
  batch->score_batch(pods, salts, scores, best);

  auto single = make_cpu_scorer();
  single->set_params(params, typical);
  single->set_nodes(nodes);
  std::vector<std::int32_t> all(nodes.size());
  for (std::size_t j = 0; j < nodes.size(); ++j)
    all[j] = static_cast<std::int32_t>(j);
  for (std::size_t i = 0; i < pods.size(); ++i) {
    const std::int32_t shape = single->intern_shape(pods[i]);
    std::vector<std::int64_t> row(nodes.size());
    single->scores(shape, salts[i], all, row);
    for (std::size_t j = 0; j < nodes.size(); ++j) {
      RC_ASSERT(row[j] == scores[i * nodes.size() + j]);
      RC_ASSERT((row[j] != kInfeasible) == fits_oracle(nodes[j], pods[i]));
    }
    const Placement p = single->place(shape, salts[i]);
    RC_ASSERT(p.node == best[i].node);
    RC_ASSERT(p.score == best[i].score);
  }
}

}  // namespace
}  // namespace gpusim::gpu
