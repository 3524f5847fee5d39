// PodTopologySpread's Score and NormalizeScore for soft constraints, checked node by node
// against the formula of k8s-semantics (upstream's scoring.go): per constraint, the matching
// pods of the node's domain times log(domains + 2), plus maxSkew - 1, rounded; then normalised
// so that the fewest matching pods score 100. The counts come from wherever the scheduler put
// the earlier pods, so the reference does not depend on placement.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "scheduler_fixture.hpp"

namespace gpusim {
namespace {

using testing_util::PodSpecBuilder;
using testing_util::SchedulerFixture;

constexpr const char* kZone = "topology.kubernetes.io/zone";

struct Sink : sched::ExplainSink {
  void record(sched::AttemptRecord r) override { records.push_back(std::move(r)); }
  std::vector<sched::AttemptRecord> records;
};

struct SoftConstraint {
  std::string key;  // kubernetes.io/hostname or a label key
  std::int32_t max_skew = 1;
};

class TopologySpreadScoreTest : public SchedulerFixture {
 protected:
  void add_nodes(const std::vector<std::pair<std::string, std::string>>& name_zone) {
    for (const auto& [name, zone] : name_zone) {
      Labels labels;
      if (!zone.empty()) labels[kZone] = zone;
      add_node({.name = name, .cpu = "64", .memory = "256Gi", .labels = labels});
      zone_of[name] = zone;
    }
  }

  // The last attempt's PodTopologySpread raw and normalised score per node, checked against the
  // reference. `require_all`: nodes without every key are left out (constraints from the spec).
  void expect_scores(const std::vector<SoftConstraint>& soft, bool require_all,
                     const std::map<std::string, std::int64_t>& matching_per_node) {
    ASSERT_FALSE(sink.records.empty());
    const sched::AttemptRecord& r = sink.records.back();
    auto label = [&](const std::string& node, const std::string& key) -> std::string {
      if (key == "kubernetes.io/hostname") return node;
      return zone_of.at(node);
    };
    std::vector<std::string> scored;
    for (const sched::NodeVerdict& v : r.nodes) {
      if (v.feasible && v.evaluated) scored.push_back(v.node);
    }
    ASSERT_FALSE(scored.empty());
    auto ignored = [&](const std::string& node) {
      if (!require_all) return false;
      for (const SoftConstraint& c : soft) {
        if (label(node, c.key).empty()) return true;
      }
      return false;
    };
    std::map<std::string, std::int64_t> raw;
    std::vector<double> weight;
    for (const SoftConstraint& c : soft) {
      std::set<std::string> domains;  // "" stands for the nodes without the key
      for (const std::string& n : scored) {
        if (!ignored(n)) domains.insert(label(n, c.key));
      }
      weight.push_back(std::log(static_cast<double>(domains.size()) + 2));
    }
    for (const std::string& n : scored) {
      if (ignored(n)) continue;
      double total = 0;
      for (std::size_t k = 0; k < soft.size(); ++k) {
        const std::string d = label(n, soft[k].key);
        if (d.empty()) continue;
        std::int64_t count = 0;
        for (const auto& [node, pods] : matching_per_node) {
          if (label(node, soft[k].key) == d) count += pods;
        }
        total += static_cast<double>(count) * weight[k] + static_cast<double>(soft[k].max_skew - 1);
      }
      raw[n] = static_cast<std::int64_t>(std::round(total));
    }
    std::int64_t min = std::numeric_limits<std::int64_t>::max();
    std::int64_t max = 0;
    for (const auto& [n, v] : raw) {
      min = std::min(min, v);
      max = std::max(max, v);
    }
    int checked = 0;
    for (const sched::NodeVerdict& v : r.nodes) {
      if (!v.feasible || !v.evaluated) continue;
      const sched::PluginScore* s = nullptr;
      for (const sched::PluginScore& p : v.scores) {
        if (p.plugin == "PodTopologySpread") s = &p;
      }
      ASSERT_NE(s, nullptr) << v.node;
      if (ignored(v.node)) {
        EXPECT_EQ(s->normalized, 0) << v.node;
        ++checked;
        continue;
      }
      const std::int64_t want = raw.at(v.node);
      EXPECT_EQ(s->raw, want) << v.node;
      const std::int64_t norm = max == 0 ? 100 : 100 * (max + min - want) / max;
      EXPECT_EQ(s->normalized, norm) << v.node;
      ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(scored.size()));
  }

  // Places `n` pods labelled app=web (owned by `owner` when given), one at a time.
  std::vector<PodId> place(int n, const std::string& prefix,
                           const std::optional<OwnerReference>& owner,
                           const std::vector<TopologySpreadConstraint>& spread = {}) {
    std::vector<PodId> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(add_pod({.name = prefix + std::to_string(i),
                             .cpu = "100m",
                             .memory = "128Mi",
                             .labels = {{"app", "web"}},
                             .spread = spread,
                             .owner = owner}));
      run();
    }
    return ids;
  }

  std::map<std::string, std::int64_t> per_node(const std::vector<PodId>& ids) const {
    std::map<std::string, std::int64_t> out;
    for (PodId id : ids)
      ++out[node_of(id)];
    return out;
  }

  std::map<std::string, std::string> zone_of;
  Sink sink;
};

TEST_F(TopologySpreadScoreTest, SystemDefaultsWithoutZoneLabels) {
  // No node has a zone: only hostname spreading counts, and every node sits in the one slot of
  // nodes without the zone key.
  add_nodes({{"n1", ""}, {"n2", ""}, {"n3", ""}, {"n4", ""}});
  const OwnerReference owner = add_replica_set("web-abc", {{"app", "web"}});
  start();
  scheduler->set_explain(&sink);
  const auto ids = place(7, "web-", owner);
  place(1, "probe-", owner);
  expect_scores({{"kubernetes.io/hostname", 3}, {kZone, 5}}, false, per_node(ids));
}

TEST_F(TopologySpreadScoreTest, SystemDefaultsWithSomeZones) {
  add_nodes({{"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"x1", ""}, {"x2", ""}});
  const OwnerReference owner = add_replica_set("web-abc", {{"app", "web"}});
  start();
  scheduler->set_explain(&sink);
  const auto ids = place(9, "web-", owner);
  place(1, "probe-", owner);
  expect_scores({{"kubernetes.io/hostname", 3}, {kZone, 5}}, false, per_node(ids));
}

TEST_F(TopologySpreadScoreTest, SpecConstraintsLeaveOutNodesWithoutTheKey) {
  add_nodes({{"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"c1", "c"}, {"x1", ""}});
  start();
  scheduler->set_explain(&sink);
  TopologySpreadConstraint zone;
  zone.max_skew = 2;
  zone.topology_key = kZone;
  zone.when_unsatisfiable = UnsatisfiableConstraintAction::kScheduleAnyway;
  zone.label_selector = testing_util::selector({{"app", "web"}});
  TopologySpreadConstraint host = zone;
  host.max_skew = 1;
  host.topology_key = "kubernetes.io/hostname";
  const auto ids = place(8, "web-", std::nullopt, {zone, host});
  place(1, "probe-", std::nullopt, {zone, host});
  expect_scores({{kZone, 2}, {"kubernetes.io/hostname", 1}}, true, per_node(ids));
}

TEST_F(TopologySpreadScoreTest, ANodeRelabelledBetweenBindsCountsInItsNewZone) {
  // The zones are read again only when a node itself changes (NodeTable::meta_version), not on
  // each bind: a2 moves from zone a to b and x1 joins a new zone c after pods were placed, and
  // binds follow before and after the probe.
  add_nodes({{"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"x1", ""}});
  const OwnerReference owner = add_replica_set("web-abc", {{"app", "web"}});
  start();
  scheduler->set_explain(&sink);
  auto ids = place(6, "web-", owner);
  for (const auto& [name, zone] : {std::pair<std::string, std::string>{"a2", "b"}, {"x1", "c"}}) {
    const NodeId id = cluster.find_node(name);
    cluster.node(id).meta.labels[kZone] = zone;
    zone_of[name] = zone;
    cluster.node_changed(id);
  }
  const auto more = place(5, "more-", owner);
  ids.insert(ids.end(), more.begin(), more.end());
  place(1, "probe-", owner);
  expect_scores({{"kubernetes.io/hostname", 3}, {kZone, 5}}, false, per_node(ids));
}

TEST_F(TopologySpreadScoreTest, CountsStayExactUnderChurnOfManyWorkloads) {
  // Eighty workloads, each one pod template as a ReplicaSet's (more templates than the 64 bits
  // that filter the replay of node changes), then thousands of pods deleted and replaced among
  // all but the first: enough changes for the change logs to compact, so that the first
  // workload's counts, untouched since, are rebuilt, while another's replay the changes since
  // its last pod. That one (w30, whose bit no other template shares) loses all but one of its
  // pods before its probe: nodes it left must count zero.
  add_nodes({{"n1", "a"}, {"n2", "a"}, {"n3", "b"}, {"n4", "b"}, {"n5", ""}});
  constexpr int kWorkloads = 80;
  std::vector<OwnerReference> owners;
  std::vector<PodSpecBuilder> specs;
  std::vector<std::shared_ptr<const PodTemplate>> templates;
  for (int w = 0; w < kWorkloads; ++w) {
    const std::string app = "w" + std::to_string(w);
    owners.push_back(add_replica_set("rs-" + std::to_string(w), {{"app", app}}));
    specs.push_back(
        {.cpu = "100m", .memory = "128Mi", .labels = {{"app", app}}, .owner = owners[w]});
    templates.push_back(make(specs.back()));
  }
  start();
  scheduler->set_explain(&sink);
  std::vector<std::vector<PodId>> pods(kWorkloads);
  int created = 0;
  auto add = [&](int w) {
    PodSpecBuilder b = specs[w];
    b.name = "p" + std::to_string(created++);
    pods[w].push_back(add_pod(b, templates[w]));
    run();
  };
  auto remove = [&](int w) {
    cluster.delete_pod(pods[w].front());
    pods[w].erase(pods[w].begin());
  };
  for (int round = 0; round < 3; ++round) {
    for (int w = 0; w < kWorkloads; ++w)
      add(w);
  }
  for (int i = 0; i < 1500; ++i) {
    const int w = 1 + i % (kWorkloads - 1);
    remove(w);
    add(w);
  }
  while (pods[30].size() > 1)
    remove(30);
  for (int w : {0, 30}) {
    std::map<std::string, std::int64_t> matching;
    for (PodId id : pods[w])
      ++matching[node_of(id)];
    add(w);
    expect_scores({{"kubernetes.io/hostname", 3}, {kZone, 5}}, false, matching);
  }
}

}  // namespace
}  // namespace gpusim
