// The expanders as upstream's filters: least-waste's blended waste, most-pods, price per pod,
// priority's regular expressions (unlisted groups unused), chains that stop at one option, and a
// seeded random pick among ties.
#include "controllers/node_group_expander.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace gpusim::ctrl {
namespace {

ExpansionOption option(const std::string& group, std::int32_t nodes, std::size_t pods,
                       std::int64_t pods_cpu, std::int64_t node_cpu, std::int64_t cost = 0) {
  ExpansionOption o;
  o.group = group;
  o.node_count = nodes;
  for (std::size_t i = 0; i < pods; ++i)
    o.pods.push_back(static_cast<PodId>(i));
  o.pods_cpu_milli = pods_cpu;
  o.node_cpu_milli = node_cpu;
  o.pods_memory_bytes = pods_cpu;  // the same fractions for memory
  o.node_memory_bytes = node_cpu;
  o.node_cost_per_hour_micros = cost;
  return o;
}

std::string choose(const std::vector<ExpansionOption>& options,
                   const std::vector<std::string>& chain, const ExpanderPriorities* prio = nullptr,
                   std::uint64_t seed = 1) {
  Rng rng(seed);
  ExpanderContext ctx;
  ctx.priorities = prio;
  ctx.rng = &rng;
  const std::int64_t i = choose_expansion(options, chain, ctx);
  return i < 0 ? "none" : options[static_cast<std::size_t>(i)].group;
}

TEST(NodeGroupExpander, LeastWasteTakesTheSmallestBlendedWaste) {
  // 30 CPU of pods: six 8-CPU nodes waste 18/48 (0.375 x 2), two 16-CPU nodes 2/32 (0.0625 x 2).
  const std::vector<ExpansionOption> options{option("small", 6, 6, 30'000, 8'000, 400'000),
                                             option("medium", 2, 6, 30'000, 16'000, 770'000)};
  EXPECT_EQ(choose(options, {"least-waste"}), "medium");
  EXPECT_EQ(choose(options, {"price"}), "medium");  // 1.54 per hour for six pods beats 2.40
  // most-pods ties, so the random pick decides; every seed picks one of the two.
  std::set<std::string> picked;
  for (std::uint64_t seed = 1; seed <= 20; ++seed)
    picked.insert(choose(options, {"most-pods"}, nullptr, seed));
  EXPECT_EQ(picked, (std::set<std::string>{"small", "medium"}));
}

TEST(NodeGroupExpander, MostPodsAndPriceAndChains) {
  const std::vector<ExpansionOption> options{option("a", 1, 2, 2'000, 8'000, 100'000),
                                             option("b", 2, 5, 10'000, 8'000, 100'000),
                                             option("c", 3, 5, 12'000, 8'000, 50'000)};
  // Waste per resource: a 6/8, b 6/16, c 12/24. Price per pod: a 0.05, b 0.04, c 0.03.
  EXPECT_EQ(choose(options, {"least-waste"}), "b");
  EXPECT_EQ(choose(options, {"price"}), "c");
  // most-pods leaves b and c (five pods each): alone, a random one of them; chained, the next
  // filter decides.
  const std::string most = choose(options, {"most-pods"});
  EXPECT_TRUE(most == "b" || most == "c") << most;
  EXPECT_EQ(choose(options, {"most-pods", "least-waste"}), "b");
  EXPECT_EQ(choose(options, {"most-pods", "price"}), "c");
}

TEST(NodeGroupExpander, PriorityUsesTheHighestMatchAndDropsUnlistedGroups) {
  const std::vector<ExpansionOption> options{option("spot-a100", 1, 1, 1'000, 8'000),
                                             option("ondemand-a100", 1, 1, 1'000, 8'000),
                                             option("cpu", 1, 1, 1'000, 8'000)};
  const ExpanderPriorities prio{{10, {".*"}}, {50, {"^spot-"}}};
  EXPECT_EQ(choose(options, {"priority"}, &prio), "spot-a100");
  const ExpanderPriorities only_ondemand{{10, {"ondemand"}}};
  EXPECT_EQ(choose(options, {"priority"}, &only_ondemand), "ondemand-a100");
  const ExpanderPriorities none{{10, {"^gpu-"}}};
  EXPECT_EQ(choose(options, {"priority", "least-waste"}, &none), "none");
}

TEST(NodeGroupExpander, RegisteredByName) {
  EXPECT_EQ(expander_names(),
            (std::vector<std::string>{"least-waste", "most-pods", "price", "priority", "random"}));
  EXPECT_NE(find_expander("least-waste"), nullptr);
  EXPECT_EQ(find_expander("grpc"), nullptr);
}

}  // namespace
}  // namespace gpusim::ctrl
