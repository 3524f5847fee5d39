// Fused filters. The framework runs NodeUnschedulable, TaintToleration and NodeResourcesFit as
// one pass of column checks (FusedFilter) and remembers which nodes passed per node version:
// the verdicts and reasons must be exactly what the plugins' own filter() gives, node by node,
// and a remembered pass must not outlive a change to the node (a bind, a cordon, new taints).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scheduler/plugin_registry.hpp"
#include "scheduler_fixture.hpp"

namespace gpusim {
namespace {

using testing_util::NodeSpec;
using testing_util::PodSpecBuilder;
using testing_util::SchedulerFixture;
using testing_util::taint;
using testing_util::toleration;

struct Verdict {
  bool feasible = false;
  std::string plugin;
  std::vector<std::string> reasons;
  bool operator==(const Verdict&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Verdict& v) {
  os << (v.feasible ? "feasible" : v.plugin);
  for (const auto& r : v.reasons)
    os << " [" << r << "]";
  return os;
}

class FusedFilterTest : public SchedulerFixture {
 protected:
  // Each node's verdict from one scheduling cycle of the profile (explain records it).
  std::vector<Verdict> fused(PodId pod) {
    sched::Framework* fw = scheduler->profile("default-scheduler");
    sched::AttemptRecord record;
    fw->schedule(fw->pod_info(pod), &record);
    std::vector<Verdict> out;
    for (const auto& v : record.nodes) {
      EXPECT_TRUE(v.evaluated) << v.node;
      out.push_back({v.feasible, v.feasible ? "" : v.failed_plugin, v.reasons});
    }
    return out;
  }

  // The same from fresh plugin instances, each node on its own through every filter() in the
  // profile's order, stopping at the first plugin that rejects it.
  std::vector<Verdict> separate(PodId pod) {
    sched::Framework* fw = scheduler->profile("default-scheduler");
    const sched::PodInfo info = fw->pod_info(pod);
    std::vector<std::unique_ptr<sched::Plugin>> plugins;
    std::vector<sched::FilterPlugin*> filters;
    sched::CycleState state(64);
    for (const auto& name : fw->filter_names()) {
      plugins.push_back(
          sched::PluginRegistry::builtin().create(name, nlohmann::json::object(), *scheduler));
      plugins.back()->set_slot(plugins.size() - 1);
      auto* pre = dynamic_cast<sched::PreFilterPlugin*>(plugins.back().get());
      if (pre && pre->pre_filter(state, info).code == sched::Code::kSkip) continue;
      filters.push_back(dynamic_cast<sched::FilterPlugin*>(plugins.back().get()));
    }
    std::vector<Verdict> out;
    for (sched::NodeIndex n = 0; n < scheduler->nodes().size(); ++n) {
      if (!scheduler->nodes().live(n)) continue;
      Verdict v{true, "", {}};
      for (auto* f : filters) {
        std::vector<sched::NodeIndex> nodes{n};
        sched::Rejections rejections;
        f->filter(state, info, nodes, rejections);
        if (!nodes.empty()) continue;
        v.feasible = false;
        v.plugin = std::string(f->name());
        // With explain's detail, as the framework adds it (which taint).
        for (const auto& r : rejections.items()) {
          std::string reason(scheduler->reasons().text(r.reason));
          const std::string detail = f->explain_rejection(info, n);
          if (!detail.empty()) reason += " " + detail;
          v.reasons.push_back(std::move(reason));
        }
        break;
      }
      out.push_back(v);
    }
    return out;
  }

  void expect_same(PodId pod) { EXPECT_EQ(fused(pod), separate(pod)) << cluster.pod(pod).name; }

  void add_nodes() {
    add_node({.name = "plain", .cpu = "8", .memory = "32Gi"});
    add_node({.name = "cordoned", .cpu = "8", .memory = "32Gi", .unschedulable = true});
    add_node({.name = "tainted",
              .cpu = "8",
              .memory = "32Gi",
              .taints = {taint("dedicated", "infra", TaintEffect::kNoSchedule)}});
    add_node({.name = "prefer",
              .cpu = "8",
              .memory = "32Gi",
              .taints = {taint("spot", "yes", TaintEffect::kPreferNoSchedule)}});
    add_node({.name = "one-pod", .cpu = "8", .memory = "32Gi", .pods = "1"});
    add_node({.name = "small", .cpu = "1", .memory = "2Gi"});
    add_node({.name = "cordoned-small", .cpu = "1", .memory = "2Gi", .unschedulable = true});
  }
};

TEST_F(FusedFilterTest, SameVerdictsAndReasonsAsThePluginsFilters) {
  add_nodes();
  start();
  // A pod on one-pod fills its pod count; one on plain leaves 5 of 8 cpus.
  const PodId filler = add_pod({.name = "filler", .cpu = "100m", .memory = "1Gi"});
  cluster.bind(filler, 4, {});
  const PodId half = add_pod({.name = "half", .cpu = "3", .memory = "1Gi"});
  cluster.bind(half, 0, {});

  const PodId bare = add_pod({.name = "bare", .cpu = "500m", .memory = "1Gi"});
  const PodId big = add_pod({.name = "big", .cpu = "6", .memory = "4Gi"});  // > small's whole cpu
  const PodId huge = add_pod({.name = "huge", .cpu = "16", .memory = "64Gi"});
  const PodId tolerant =
      add_pod({.name = "tolerant",
               .cpu = "500m",
               .memory = "1Gi",
               .tolerations = {
                   toleration("dedicated", "infra", TaintEffect::kNoSchedule),
                   toleration(std::string(kTaintUnschedulable), "", TaintEffect::kNoSchedule)}});
  const PodId empty = add_pod({.name = "empty"});
  for (int round = 0; round < 2; ++round) {  // the second round meets remembered passes
    for (PodId p : {bare, big, huge, tolerant, empty, bare, bare})
      expect_same(p);
  }
  // The first round's expectations, spelled out for one pod.
  const std::vector<Verdict> v = fused(big);
  EXPECT_EQ(v[0], (Verdict{false, "NodeResourcesFit", {"Insufficient cpu"}}));
  EXPECT_EQ(v[1], (Verdict{false, "NodeUnschedulable", {"node(s) were unschedulable"}}));
  EXPECT_EQ(v[2], (Verdict{false,
                           "TaintToleration",
                           {"node(s) had untolerated taint(s) {dedicated=infra:NoSchedule}"}}));
  EXPECT_TRUE(v[3].feasible);
  EXPECT_EQ(v[4], (Verdict{false, "NodeResourcesFit", {"Too many pods"}}));
  EXPECT_EQ(v[5],
            (Verdict{false, "NodeResourcesFit", {"Insufficient cpu", "Insufficient memory"}}));
}

TEST_F(FusedFilterTest, RememberedPassesFollowNodeChanges) {
  add_nodes();
  start();
  const PodId first = add_pod({.name = "first", .cpu = "4", .memory = "1Gi"});
  const PodId second = add_pod({.name = "second", .cpu = "4", .memory = "1Gi"});
  ASSERT_TRUE(fused(first)[0].feasible);
  ASSERT_TRUE(fused(second)[0].feasible);  // plain's pass is remembered now

  // A bind that leaves plain too little cpu for another pod like them.
  const PodId filler = add_pod({.name = "filler", .cpu = "5", .memory = "1Gi"});
  cluster.bind(filler, 0, {});
  EXPECT_EQ(fused(second)[0], (Verdict{false, "NodeResourcesFit", {"Insufficient cpu"}}));
  expect_same(second);

  // Released again, then cordoned: the pass comes back, then goes for another reason.
  cluster.release(filler);
  ASSERT_TRUE(fused(second)[0].feasible);
  ASSERT_TRUE(fused(second)[0].feasible);
  Node& plain = cluster.node(0);
  plain.unschedulable = true;
  cluster.node_changed(0);
  EXPECT_EQ(fused(second)[0],
            (Verdict{false, "NodeUnschedulable", {"node(s) were unschedulable"}}));

  // Uncordoned but tainted.
  plain.unschedulable = false;
  plain.taints = {taint("dedicated", "infra", TaintEffect::kNoExecute)};
  cluster.node_changed(0);
  EXPECT_EQ(fused(second)[0],
            (Verdict{false,
                     "TaintToleration",
                     {"node(s) had untolerated taint(s) {dedicated=infra:NoExecute}"}}));
  expect_same(second);

  // A pod with other requests does not reuse passes remembered for these.
  plain.taints.clear();
  cluster.node_changed(0);
  ASSERT_TRUE(fused(second)[0].feasible);
  const PodId bigger = add_pod({.name = "bigger", .cpu = "9", .memory = "1Gi"});
  EXPECT_EQ(fused(bigger)[0], (Verdict{false, "NodeResourcesFit", {"Insufficient cpu"}}));
  ASSERT_TRUE(fused(second)[0].feasible);

  // Nor one that tolerates what this one does not (the per-taint-set verdicts differ).
  const PodId tolerant =
      add_pod({.name = "tolerant",
               .cpu = "4",
               .memory = "1Gi",
               .tolerations = {toleration("dedicated", "infra", TaintEffect::kNoSchedule)}});
  EXPECT_TRUE(fused(tolerant)[2].feasible);
  EXPECT_FALSE(fused(second)[2].feasible);
}

}  // namespace
}  // namespace gpusim
