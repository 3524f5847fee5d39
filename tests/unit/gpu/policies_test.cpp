// Each policy's choice pinned on small hand-made clusters (node and device inside the node),
// worked out by hand from the formulas in docs/policies.md.
#include "gpusim/gpu/policies.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <vector>

#include "gpusim/gpu/fgd_tables.hpp"

namespace gpusim::gpu {
namespace {

NodeRec node(std::int64_t cpu_free, std::initializer_list<std::int32_t> gpu_free,
             std::uint32_t model = 1, std::uint32_t classes = 0, std::int64_t cpu_alloc = 128000) {
  NodeRec n;
  n.cpu_alloc_milli = cpu_alloc;
  n.cpu_free_milli = cpu_free;
  n.mem_free_bytes = std::int64_t{1} << 40;
  n.pods_free = 110;
  for (auto f : gpu_free)
    n.gpu_free_milli[n.gpu_count++] = f;
  n.model = model;
  n.flags = kNodeSchedulable | kNodeLive;
  n.classes = classes;
  finalize_node(n);
  return n;
}

PodReq pod(std::int64_t cpu, std::int32_t count, std::int32_t milli, std::uint64_t models = 0) {
  PodReq p;
  p.cpu_milli = cpu;
  p.gpu_count = count;
  p.gpu_milli = milli;
  p.model_mask = models;
  return p;
}

struct Choice {
  std::int32_t node = -1;
  std::vector<std::int32_t> devices;
};

Choice choose(Policy policy, const std::vector<NodeRec>& nodes, const PodReq& p,
              const std::vector<TypicalShape>& typical = {}, std::uint64_t salt = 0) {
  ScoreParams sp;
  sp.policy = policy;
  sp.seed = 42;
  sp.max_cpu_milli = 128000;
  sp.max_gpu_milli = 8000;
  const FgdTables tables(typical);
  sp.fgd = tables.view();
  Choice c;
  std::int64_t best = kInfeasible;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::int64_t s = evaluate(nodes[i], static_cast<std::int32_t>(i), p, salt, sp);
    if (s != kInfeasible && s > best) {
      best = s;
      c.node = static_cast<std::int32_t>(i);
    }
  }
  if (c.node >= 0) {
    std::int32_t dev[kMaxGpusPerNode];
    const std::int32_t n =
        select_devices(nodes[static_cast<std::size_t>(c.node)], c.node, p, salt, sp, dev);
    c.devices.assign(dev, dev + n);
  }
  return c;
}

using Devices = std::vector<std::int32_t>;

TEST(Feasibility, ResourcesDevicesModelsAndTags) {
  const NodeRec n = node(8000, {1000, 300});
  EXPECT_TRUE(fits(n, pod(8000, 1, 1000)));
  EXPECT_FALSE(fits(n, pod(8001, 0, 0)));              // cpu
  EXPECT_FALSE(fits(n, pod(1000, 2, 1000)));           // one whole device free
  EXPECT_TRUE(fits(n, pod(1000, 1, 300)));             // a share fits the partly used device
  EXPECT_FALSE(fits(n, pod(1000, 1, 1000, 1u << 2)));  // wrong model
  EXPECT_TRUE(fits(n, pod(1000, 1, 1000, (1u << 2) | (1u << 1))));
  EXPECT_FALSE(fits(n, pod(1000, 1, 1000, 1u)));  // bit 0: a model no node has
  EXPECT_TRUE(fits(n, pod(1000, 0, 0, 1u)));      // model constraints are about GPUs only
  NodeRec cordoned = n;
  cordoned.flags = kNodeLive;
  EXPECT_FALSE(fits(cordoned, pod(0, 0, 0)));
  NodeRec tainted = n;
  tainted.tags = 1;
  PodReq intolerant = pod(0, 0, 0);
  intolerant.tags_forbidden = 1;
  EXPECT_FALSE(fits(tainted, intolerant));
  EXPECT_TRUE(fits(n, intolerant));
  NodeRec full = n;
  full.pods_free = 0;
  EXPECT_FALSE(fits(full, pod(0, 0, 0)));
}

TEST(BestFit, LeastLeftoverCpuPlusGpuWins) {
  // Leftover/maxSpec: A 56000/128000 + 7000/8000 = 1.31; B 8000/128000 + 1000/8000 = 0.19.
  const std::vector<NodeRec> nodes{node(64000, {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}),
                                   node(16000, {1000, 1000})};
  const Choice c = choose(Policy::kBestFit, nodes, pod(8000, 1, 1000));
  EXPECT_EQ(c.node, 1);
  EXPECT_EQ(c.devices, (Devices{0}));
}

TEST(BestFit, SharePodTakesTheTightestDevice) {
  const std::vector<NodeRec> nodes{node(32000, {1000, 600, 400, 900})};
  EXPECT_EQ(choose(Policy::kBestFit, nodes, pod(1000, 1, 350)).devices, (Devices{2}));
  EXPECT_EQ(choose(Policy::kBestFit, nodes, pod(1000, 1, 500)).devices, (Devices{1}));
  EXPECT_EQ(choose(Policy::kBestFit, nodes, pod(1000, 1, 1000)).devices,
            (Devices{0}));  // one whole free
  EXPECT_TRUE(choose(Policy::kBestFit, nodes, pod(1000, 2, 1000)).devices.empty());  // not two
}

TEST(DotProduct, SmallestAlignmentWinsEvenWithMoreCpuFree) {
  // dot/2: A (64000/C * 8000/C + 8000/G * 1000/G) = 0.03125 + 0.125; B 0.046875 + 0.015625.
  const std::vector<NodeRec> nodes{node(64000, {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}),
                                   node(96000, {1000})};
  EXPECT_EQ(choose(Policy::kDotProduct, nodes, pod(8000, 1, 1000)).node, 1);
  // A CPU-only pod aligns on CPU alone: less CPU free scores higher.
  EXPECT_EQ(choose(Policy::kDotProduct, nodes, pod(8000, 0, 0)).node, 0);
}

TEST(GpuPacking, PartlyUsedDeviceThenUsedNodeThenFreeNode) {
  const std::vector<NodeRec> nodes{
      node(64000, {1000, 1000, 1000, 1000}),  // completely free
      node(64000, {500, 1000, 1000, 1000}),   // used, 500 left on dev 0
      node(64000, {1000, 300, 1000, 1000})};  // used, 300 left on dev 1
  // Share of 200: partly used devices first, the least free one (node 2, dev 1).
  const Choice share = choose(Policy::kGpuPacking, nodes, pod(1000, 1, 200));
  EXPECT_EQ(share.node, 2);
  EXPECT_EQ(share.devices, (Devices{1}));
  // Share of 400: only node 1's device 0 is partly used and fits.
  const Choice mid = choose(Policy::kGpuPacking, nodes, pod(1000, 1, 400));
  EXPECT_EQ(mid.node, 1);
  EXPECT_EQ(mid.devices, (Devices{0}));
  // A whole device: free devices on a used node (nodes 1 and 2 tie: the lower index), not node 0.
  const Choice whole = choose(Policy::kGpuPacking, nodes, pod(1000, 1, 1000));
  EXPECT_EQ(whole.node, 1);
  EXPECT_EQ(whole.devices, (Devices{1}));
  // Only a completely free node has 4 whole devices.
  EXPECT_EQ(choose(Policy::kGpuPacking, nodes, pod(1000, 4, 1000)).node, 0);
  // A CPU-only pod scores 0 everywhere: the first feasible node.
  EXPECT_EQ(choose(Policy::kGpuPacking, nodes, pod(1000, 0, 0)).node, 0);
}

TEST(GpuPacking, FreeNodesWithFewerDevicesFirst) {
  const std::vector<NodeRec> nodes{node(64000, {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}),
                                   node(64000, {1000, 1000})};
  EXPECT_EQ(choose(Policy::kGpuPacking, nodes, pod(1000, 1, 1000)).node, 1);
}

TEST(GpuClustering, SameClassThenMixedThenIdleThenOthers) {
  const std::uint32_t share = affinity_class(1, 500);
  const std::uint32_t one = affinity_class(1, 1000);
  const std::uint32_t two = affinity_class(2, 1000);
  ASSERT_EQ(share, 1u);
  ASSERT_EQ(one, 2u);
  ASSERT_EQ(two, 4u);
  const std::vector<NodeRec> nodes{node(64000, {1000, 1000, 1000, 1000}, 1, 0),     // idle
                                   node(64000, {1000, 1000, 1000, 500}, 1, share),  // shares only
                                   node(64000, {1000, 1000, 0, 0}, 1, one),  // 1-GPU pods only
                                   node(64000, {1000, 1000, 0, 500}, 1, share | one)};  // both
  EXPECT_EQ(choose(Policy::kGpuClustering, nodes, pod(1000, 1, 300)).node, 1);
  EXPECT_EQ(choose(Policy::kGpuClustering, nodes, pod(1000, 1, 1000)).node, 2);
  EXPECT_EQ(choose(Policy::kGpuClustering, nodes, pod(1000, 2, 1000)).node,
            0);  // idle beats others
  // Mixed (band 2) beats idle (band 1) for a class it runs when no pure node fits.
  const std::vector<NodeRec> two_nodes{node(64000, {1000, 1000, 1000, 1000}, 1, 0),
                                       node(64000, {1000, 1000, 0, 500}, 1, share | one)};
  EXPECT_EQ(choose(Policy::kGpuClustering, two_nodes, pod(1000, 1, 300)).node, 1);
  // Within a band, less free GPU wins: two idle nodes, the one with fewer free devices.
  const std::vector<NodeRec> idle{node(64000, {1000, 1000, 1000, 1000}), node(64000, {1000, 1000})};
  EXPECT_EQ(choose(Policy::kGpuClustering, idle, pod(1000, 1, 1000)).node, 1);
}

TEST(Fgd, NodeFragmentationFollowsTheDefinition) {
  // Typical shapes: a 500 share (weight 3), one whole device (weight 1), a CPU-only pod (1).
  const std::vector<TypicalShape> typical{
      {1000, 1, 500, 0, 3}, {1000, 1, 1000, 0, 1}, {1000, 0, 0, 0, 1}};
  const FgdTables tables(typical);
  ScoreParams sp;
  sp.fgd = tables.view();
  // Devices [1000, 300]: the share fits (300 is fragment), the whole fits (300 is fragment), the
  // CPU pod counts all 1300 idle: 3*300 + 1*300 + 1*1300.
  EXPECT_EQ(node_fragmentation(node(8000, {1000, 300}), sp), 3 * 300 + 300 + 1300);
  // Short of CPU: every idle milli is fragment for every shape.
  EXPECT_EQ(node_fragmentation(node(500, {1000, 300}), sp), 5 * 1300);
  // Devices [400, 300]: nothing fits any GPU shape.
  EXPECT_EQ(node_fragmentation(node(8000, {400, 300}), sp), 5 * 700);
  // A shape limited to another model sees the whole node as fragment.
  const std::vector<TypicalShape> other{{1000, 1, 500, std::uint64_t{1} << 2, 1}};
  const FgdTables other_tables(other);
  sp.fgd = other_tables.view();
  EXPECT_EQ(node_fragmentation(node(8000, {1000, 1000}, 1), sp), 2000);
  EXPECT_EQ(node_fragmentation(node(8000, {1000, 1000}, 2), sp), 0);
}

TEST(Fgd, PicksTheDeviceAndNodeThatKeepShapesPlaceable) {
  const std::vector<TypicalShape> typical{{1000, 1, 500, 0, 1}};
  // Device choice: [1000, 600] and a 500 share. On device 1 (600 -> 100) 100 milli become
  // unusable; on device 0 (1000 -> 500) nothing does. BestFit's "best" rule would take device 1.
  const std::vector<NodeRec> one{node(8000, {1000, 600})};
  EXPECT_EQ(choose(Policy::kFgd, one, pod(1000, 1, 500), typical).devices, (Devices{0}));
  EXPECT_EQ(choose(Policy::kBestFit, one, pod(1000, 1, 500), typical).devices, (Devices{1}));
  // Node choice: [600] alone (its 100 left is fragment afterwards) vs [1000, 1000] (none is).
  const std::vector<NodeRec> nodes{node(8000, {600}), node(8000, {1000, 1000})};
  const Choice fgd = choose(Policy::kFgd, nodes, pod(1000, 1, 500), typical);
  EXPECT_EQ(fgd.node, 1);
  EXPECT_EQ(fgd.devices, (Devices{0}));
  EXPECT_EQ(choose(Policy::kBestFit, nodes, pod(1000, 1, 500), typical).node, 0);
}

TEST(Fgd, ScoreIsTheFragmentationDecrease) {
  const std::vector<TypicalShape> typical{{4000, 1, 500, 0, 2}, {2000, 2, 1000, 0, 1}};
  ScoreParams sp;
  sp.policy = Policy::kFgd;
  const FgdTables tables(typical);
  sp.fgd = tables.view();
  sp.max_cpu_milli = 128000;
  sp.max_gpu_milli = 8000;
  const NodeRec n = node(16000, {1000, 1000, 700, 200});
  for (const PodReq& p :
       {pod(1000, 1, 300), pod(1000, 1, 1000), pod(13000, 0, 0), pod(1000, 2, 1000)}) {
    std::int32_t dev[kMaxGpusPerNode];
    std::int32_t got = 0;
    const std::int64_t score = fgd_score(n, p, sp, dev, &got);
    NodeRec after = n;
    after.cpu_free_milli -= p.cpu_milli;
    for (std::int32_t j = 0; j < got; ++j)
      after.gpu_free_milli[dev[j]] -= p.gpu_milli;
    finalize_node(after);
    EXPECT_EQ(score, node_fragmentation(n, sp) - node_fragmentation(after, sp))
        << p.cpu_milli << " " << p.gpu_milli;
  }
}

TEST(Random, UniformOverFeasibleNodesAndReproducible) {
  std::vector<NodeRec> nodes;
  for (int i = 0; i < 8; ++i)
    nodes.push_back(node(64000, {1000, 1000}));
  nodes[3] = node(64000, {0, 0});  // cannot host a GPU pod
  std::map<std::int32_t, int> hits;
  for (std::uint64_t salt = 0; salt < 7000; ++salt) {
    const Choice c = choose(Policy::kRandom, nodes, pod(1000, 1, 1000), {}, salt);
    ASSERT_NE(c.node, 3);
    ASSERT_EQ(c.devices.size(), 1u);
    ++hits[c.node];
    // Same seed and salt: same choice.
    ASSERT_EQ(choose(Policy::kRandom, nodes, pod(1000, 1, 1000), {}, salt).node, c.node);
  }
  EXPECT_EQ(hits.size(), 7u);
  for (const auto& [n, k] : hits)
    EXPECT_NEAR(k, 1000, 150) << "node " << n;
}

TEST(Random, PicksAmongFittingDevices) {
  const std::vector<NodeRec> nodes{node(64000, {100, 1000, 200, 1000})};
  std::map<std::int32_t, int> dev;
  for (std::uint64_t salt = 0; salt < 400; ++salt) {
    const Choice c = choose(Policy::kRandom, nodes, pod(1000, 1, 500), {}, salt);
    ASSERT_EQ(c.devices.size(), 1u);
    ++dev[c.devices[0]];
  }
  EXPECT_EQ(dev.size(), 2u);
  EXPECT_GT(dev[1], 100);
  EXPECT_GT(dev[3], 100);
}

// fits() split as plain_request() says: for a request with no extended resources and no tags,
// fits() equals node_open() and the cpu, memory and GPU checks, on nodes at every edge of those
// checks; the other requests are not plain.
TEST(Fits, PlainRequestsSplitIntoNodeOpenAndTheResources) {
  std::uint64_t x = 12345;
  auto next = [&x](std::uint64_t mod) {
    x = mix64(x);
    return static_cast<std::int64_t>(x % mod);
  };
  int plain_fit = 0;
  int plain_not = 0;
  for (int k = 0; k < 20000; ++k) {
    NodeRec n = node(next(4) * 1000, {static_cast<std::int32_t>(next(3) * 500),
                                      static_cast<std::int32_t>(next(3) * 500)});
    n.mem_free_bytes = next(3) * 1000;
    n.pods_free = static_cast<std::int32_t>(next(3)) - 1;
    if (next(4) == 0) n.flags = kNodeLive;
    for (int d = 0; d < kExtDims; ++d)
      n.ext_free[d] = next(8) == 0 ? next(3) - 1 : 0;
    n.tags = static_cast<std::uint64_t>(next(4));
    const std::uint32_t models[] = {0, 1, 2, 63, 64, 100};
    n.model = models[next(6)];
    PodReq p = pod(next(4) * 1000, static_cast<std::int32_t>(next(3)),
                   static_cast<std::int32_t>(1 + next(2)) * 500,
                   next(3) == 0 ? (std::uint64_t{1} << (n.model % 64)) | next(2) : 0);
    p.mem_bytes = next(3) * 1000;
    if (next(4) == 0) p.ext[next(kExtDims)] = next(3) - 1;
    if (next(4) == 0) p.tags_required = static_cast<std::uint64_t>(next(4));
    if (next(4) == 0) p.tags_forbidden = static_cast<std::uint64_t>(next(4));
    const bool any = p.ext[0] != 0 || p.ext[1] != 0 || p.ext[2] != 0 || p.ext[3] != 0 ||
                     p.tags_required != 0 || p.tags_forbidden != 0;
    ASSERT_EQ(plain_request(p), !any) << k;
    if (!plain_request(p)) continue;
    const bool split = node_open(n) && n.cpu_free_milli >= p.cpu_milli &&
                       n.mem_free_bytes >= p.mem_bytes && gpus_fit(n, p);
    ASSERT_EQ(fits(n, p), split) << k;
    ++(split ? plain_fit : plain_not);
  }
  EXPECT_GT(plain_fit, 200);
  EXPECT_GT(plain_not, 1000);
}

}  // namespace
}  // namespace gpusim::gpu
