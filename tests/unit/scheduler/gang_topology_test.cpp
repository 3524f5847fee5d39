// Topology-aware gang placement: the topology graph's hop distances on a hand-drawn cluster, and
// the GangTopology score plugin through the real scheduler (Coscheduling gangs on two racks).
#include "scheduler/plugins/gang_topology.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "scheduler/plugins/topology_graph.hpp"
#include "scheduler_fixture.hpp"

namespace gpusim::sched {
namespace {

using testing_util::NodeSpec;
using testing_util::PodSpecBuilder;

constexpr const char* kZone = "topology.kubernetes.io/zone";

// zone-a: rack r1 {0, 1}, rack r2 {2, 3}, host 6 without a rack; zone-b: rack r1 {4};
// host 5 without labels; slot 7 a removed node.
std::vector<HostPlacement> sample_hosts() {
  return {{true, "zone-a", "r1"}, {true, "zone-a", "r1"}, {true, "zone-a", "r2"},
          {true, "zone-a", "r2"}, {true, "zone-b", "r1"}, {true, "", ""},
          {true, "zone-a", ""},   {false, "zone-a", "r1"}};
}

TEST(TopologyGraph, HopDistancesFollowZoneRackHost) {
  TopologyGraph g(kZone, kDefaultRackLabel);
  g.build(sample_hosts());
  EXPECT_EQ(g.hops(0, 0), 0);
  EXPECT_EQ(g.hops(0, 1), 2);  // host - rack - host
  EXPECT_EQ(g.hops(0, 2), 4);  // through zone-a
  EXPECT_EQ(g.hops(0, 4), 6);  // through the root; r1 of zone-b is another rack
  EXPECT_EQ(g.hops(4, 0), 6);
  EXPECT_EQ(g.hops(0, 6), 3);  // a rackless host hangs from its zone
  EXPECT_EQ(g.hops(0, 5), 4);  // an unlabelled host hangs from the root
  EXPECT_EQ(g.hops(5, 6), 3);
  EXPECT_EQ(g.hops(0, 7), -1);  // removed node
  EXPECT_EQ(g.hops(7, 0), -1);
  EXPECT_EQ(g.rack_count(), 3u);
  EXPECT_EQ(g.zone_count(), 2u);
  EXPECT_EQ(g.rack(0), g.rack(1));
  EXPECT_NE(g.rack(0), g.rack(4));
  EXPECT_EQ(g.rack(6), -1);
  EXPECT_EQ(g.zone(5), -1);
  EXPECT_EQ(g.rack_span(0), 2);
  EXPECT_EQ(g.zone_span(0), 4);
  EXPECT_EQ(g.root_span(0), 6);
  EXPECT_EQ(g.rack_span(6), -1);
  EXPECT_EQ(g.zone_span(6), 2);
  EXPECT_EQ(g.root_span(5), 2);
}

class GangTopologyTest : public testing_util::SchedulerFixture {
 protected:
  // Two racks of two nodes, 8 GPUs and 32 cpu each, in one zone.
  void add_racks() {
    for (int i = 0; i < 4; ++i) {
      NodeSpec n;
      n.name = "gpu-" + std::to_string(i);
      n.cpu = "32";
      n.memory = "256Gi";
      n.gpus = 8;
      n.labels = {{kZone, "zone-a"}, {kDefaultRackLabel, i < 2 ? "r1" : "r2"}};
      add_node(n);
    }
  }

  void add_group(const std::string& name, int min_member) {
    PodGroup g;
    g.meta.name = name;
    g.meta.namespace_ = "default";
    g.min_member = min_member;
    cluster.pod_groups["default/" + name] = g;
  }

  std::vector<PodId> add_gang(const std::string& name, int members, int gpus) {
    add_group(name, members);
    std::vector<PodId> ids;
    for (int i = 0; i < members; ++i) {
      PodSpecBuilder b;
      b.name = name + "-" + std::to_string(i);
      b.cpu = "4";
      b.memory = "16Gi";
      b.gpus = gpus;
      b.labels = {{kPodGroupLabel, name}};
      ids.push_back(add_pod(b));
    }
    return ids;
  }

  static SchedulerConfig with_gang_topology(std::int32_t weight) {
    SchedulerConfig c;
    c.profiles[0].plugins["multiPoint"].enabled.push_back({"GangTopology", weight});
    return c;
  }

  std::set<std::string> racks_of(const std::vector<PodId>& ids) const {
    std::set<std::string> out;
    for (PodId id : ids) {
      const Pod& p = cluster.pod(id);
      EXPECT_TRUE(p.bound()) << p.name;
      if (p.bound()) out.insert(cluster.node(p.status.node).meta.labels.at(kDefaultRackLabel));
    }
    return out;
  }

  // Sum over pairs of members of the hops between their nodes (the plugin's objective).
  std::int64_t hop_spread(const std::vector<PodId>& ids) const {
    TopologyGraph g(kZone, kDefaultRackLabel);
    std::vector<HostPlacement> hosts;
    for (NodeId n = 0; n < cluster.node_slots(); ++n) {
      const auto& l = cluster.node(n).meta.labels;
      hosts.push_back({cluster.node_exists(n), l.at(kZone), l.at(kDefaultRackLabel)});
    }
    g.build(hosts);
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      for (std::size_t j = i + 1; j < ids.size(); ++j)
        sum += g.hops(cluster.pod(ids[i]).status.node, cluster.pod(ids[j]).status.node);
    }
    return sum;
  }
};

// Hand-computed: 4 members x 4 GPUs fit in one rack (2 nodes x 8 GPUs). The default scorers
// (least allocated cpu/memory) put each member on its own node, both racks: 2 same-rack pairs
// x 2 hops + 4 cross-rack pairs x 4 hops = 20. With GangTopology the first member picks a rack
// with room for all four (span 2, every node qualifies), the next ones the nodes nearest to
// those placed: two nodes of one rack, two members each: 4 pairs x 2 hops = 8.
TEST_F(GangTopologyTest, WithoutThePluginAGangSpreadsOverBothRacks) {
  add_racks();
  start();
  const auto gang = add_gang("train", 4, 4);
  run();
  EXPECT_EQ(racks_of(gang).size(), 2u);
  EXPECT_EQ(hop_spread(gang), 20);
}

TEST_F(GangTopologyTest, WithThePluginAGangThatFitsInOneRackLandsInOneRack) {
  add_racks();
  start(with_gang_topology(10));
  const auto gang = add_gang("train", 4, 4);
  run();
  EXPECT_EQ(racks_of(gang).size(), 1u);
  EXPECT_EQ(hop_spread(gang), 8);
}

TEST_F(GangTopologyTest, TheFirstMemberPicksTheRackWithRoomForTheWholeGang) {
  add_racks();
  start(with_gang_topology(10));
  // gpu-0 keeps 2 free GPUs, so rack r1 has room for only 2 of 4 members: r2 is chosen though
  // gpu-1 (empty, in r1) scores as well as r2's nodes on every default plugin.
  PodSpecBuilder big;
  big.name = "big";
  big.cpu = "4";
  big.gpus = 6;
  big.node_selector = {{"kubernetes.io/hostname", "gpu-0"}};
  add_pod(big);
  run();
  const auto gang = add_gang("train", 4, 4);
  run();
  EXPECT_EQ(racks_of(gang), (std::set<std::string>{"r2"}));
  for (PodId id : gang) {
    const std::string node = node_of(id);
    EXPECT_TRUE(node == "gpu-2" || node == "gpu-3") << node;
  }
}

TEST_F(GangTopologyTest, ItsScoresAreExplained) {
  struct Sink : ExplainSink {
    void record(AttemptRecord r) override { records.push_back(std::move(r)); }
    std::vector<AttemptRecord> records;
  } sink;
  add_racks();
  start(with_gang_topology(10));
  scheduler->set_explain(&sink);
  add_gang("train", 2, 4);
  run();
  ASSERT_EQ(sink.records.size(), 2u);
  // The second member: raw = hops to the first member's node (0 there, 2 in its rack, 4 in the
  // other rack), normalised so that the nearest scores 100.
  const AttemptRecord& second = sink.records[1];
  const std::string first_node = sink.records[0].node;
  int seen = 0;
  for (const NodeVerdict& v : second.nodes) {
    for (const PluginScore& s : v.scores) {
      if (s.plugin != "GangTopology") continue;
      ++seen;
      const bool same_rack =
          (v.node < "gpu-2") == (first_node < "gpu-2");  // gpu-0/1 are r1, gpu-2/3 r2
      const std::int64_t want_raw = v.node == first_node ? 0 : same_rack ? 2 : 4;
      EXPECT_EQ(s.raw, want_raw) << v.node;
      EXPECT_EQ(s.normalized, 100 * (4 - want_raw) / 4) << v.node;
      EXPECT_EQ(s.weighted, s.normalized * 10);
    }
  }
  EXPECT_EQ(seen, 4);
  EXPECT_EQ(second.node, first_node);
}

TEST_F(GangTopologyTest, PodsOutsideGangsAreSkipped) {
  add_racks();
  start(with_gang_topology(10));
  PodSpecBuilder b;
  b.name = "solo";
  b.cpu = "1";
  const PodId id = add_pod(b);
  run();
  EXPECT_FALSE(node_of(id).empty());
}

TEST_F(GangTopologyTest, BadArgsAreErrors) {
  add_racks();
  SchedulerConfig c = with_gang_topology(1);
  c.profiles[0].plugin_config["GangTopology"] = {{"rackLabel", ""}};
  EXPECT_THROW(start(c), std::invalid_argument);
  c.profiles[0].plugin_config["GangTopology"] = {{"racks", "x"}};
  EXPECT_THROW(start(c), std::invalid_argument);
}

TEST_F(GangTopologyTest, TheGraphIsRebuiltOnlyWhenTopologyChanges) {
  add_racks();
  start(with_gang_topology(10));
  TopologyGraph g(kZone, kDefaultRackLabel);
  g.sync(scheduler->nodes());
  EXPECT_EQ(g.builds(), 1u);
  const auto gang = add_gang("train", 2, 4);
  run();
  g.sync(scheduler->nodes());  // bindings changed node rows, not the topology
  EXPECT_EQ(g.builds(), 1u);
  EXPECT_EQ(g.hops(0, 3), 4);
  EXPECT_EQ(gang.size(), 2u);
  cluster.node(3).meta.labels[kDefaultRackLabel] = "r1";
  cluster.node_changed(3);
  g.sync(scheduler->nodes());
  EXPECT_EQ(g.builds(), 2u);
  EXPECT_EQ(g.hops(0, 3), 2);
}

}  // namespace
}  // namespace gpusim::sched
