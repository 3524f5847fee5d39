// The scheduler actor with the default profile, end to end on small clusters: filters, scores,
// GPU device assignment and the FitError message.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "scheduler_fixture.hpp"

namespace gpusim {
namespace {

using testing_util::NodeSpec;
using testing_util::PodSpecBuilder;
using testing_util::SchedulerFixture;
using testing_util::taint;
using testing_util::toleration;

using KubePluginsTest = SchedulerFixture;

TEST_F(KubePluginsTest, PodsLandOnNodesThatFit) {
  add_node({.name = "small", .cpu = "2"});
  add_node({.name = "big", .cpu = "8"});
  start();
  const PodId fits_big_only = add_pod({.name = "a", .cpu = "3"});
  const PodId too_big = add_pod({.name = "b", .cpu = "9"});
  run();
  EXPECT_EQ(node_of(fits_big_only), "big");
  EXPECT_EQ(node_of(too_big), "");
  // 9 cpu exceed both nodes' whole allocatable: preemption cannot help anywhere.
  EXPECT_EQ(log.failed("default/b"),
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 "
            "Preemption is not helpful for scheduling.");
  for (NodeId n = 0; n < cluster.node_slots(); ++n) {
    const Node& node = cluster.node(n);
    EXPECT_LE(node.requested.get("cpu"), node.allocatable_units.get("cpu")) << node.name();
  }
}

TEST_F(KubePluginsTest, LeastAllocatedSpreadsEqualPods) {
  add_node({.name = "n1"});
  add_node({.name = "n2"});
  start();
  const PodId a = add_pod({.name = "a", .cpu = "1", .memory = "1Gi"});
  run();
  const PodId b = add_pod({.name = "b", .cpu = "1", .memory = "1Gi"});
  run();
  ASSERT_NE(node_of(a), "");
  ASSERT_NE(node_of(b), "");
  EXPECT_NE(node_of(a), node_of(b));
}

TEST_F(KubePluginsTest, FitErrorCountsSortAsStrings) {
  // 10 nodes short of memory and 2 short of cpu: "10 ..." sorts before "2 ...".
  for (int i = 0; i < 10; ++i)
    add_node({.name = "m" + std::to_string(i), .cpu = "8", .memory = "1Gi"});
  for (int i = 0; i < 2; ++i)
    add_node({.name = "c" + std::to_string(i), .cpu = "1", .memory = "64Gi"});
  start();
  add_pod({.name = "p", .cpu = "2", .memory = "2Gi"});
  run();
  const std::string msg = log.failed("default/p");
  EXPECT_EQ(msg.substr(0, msg.find(" preemption:")),
            "0/12 nodes are available: 10 Insufficient memory, 2 Insufficient cpu.");
}

TEST_F(KubePluginsTest, TooManyPods) {
  add_node({.name = "n1", .pods = "1"});
  start();
  const PodId a = add_pod({.name = "a"});
  const PodId b = add_pod({.name = "b"});
  run();
  EXPECT_EQ(node_of(a), "n1");
  EXPECT_EQ(node_of(b), "");
  const std::string msg = log.failed("default/b");
  EXPECT_EQ(msg.substr(0, msg.find(" preemption:")), "0/1 nodes are available: 1 Too many pods.");
}

TEST_F(KubePluginsTest, TaintsAndTolerations) {
  add_node({.name = "gpu-pool",
            .taints = {taint("nvidia.com/gpu", "present", TaintEffect::kNoSchedule)}});
  add_node({.name = "general", .cpu = "1"});
  start();
  // Does not tolerate the taint: only "general" is possible even though it is smaller.
  const PodId plain = add_pod({.name = "plain", .cpu = "500m"});
  // Tolerates it: LeastAllocated prefers the bigger, empty tainted node.
  const PodId tolerant =
      add_pod({.name = "tolerant",
               .cpu = "500m",
               .tolerations = {toleration("nvidia.com/gpu", "present", TaintEffect::kNoSchedule)}});
  const PodId stuck = add_pod({.name = "stuck", .cpu = "800m"});
  run();
  EXPECT_EQ(node_of(plain), "general");
  EXPECT_EQ(node_of(tolerant), "gpu-pool");
  EXPECT_EQ(node_of(stuck), "");
  const std::string msg = log.failed("default/stuck");
  EXPECT_EQ(msg.substr(0, msg.find(" preemption:")),
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint(s).");
}

TEST_F(KubePluginsTest, PreferNoScheduleOnlySteers) {
  add_node({.name = "avoid",
            .cpu = "8",
            .taints = {taint("spot", "true", TaintEffect::kPreferNoSchedule)}});
  add_node({.name = "plain", .cpu = "2"});
  start();
  // LeastAllocated prefers the bigger node; TaintToleration (weight 3) outweighs it.
  const PodId p = add_pod({.name = "p", .cpu = "100m"});
  run();
  EXPECT_EQ(node_of(p), "plain");
}

TEST_F(KubePluginsTest, ScorePluginListedWithoutWeightScoresAtOne) {
  // Upstream's mergePluginSet puts the user's multiPoint entry (no weight) in place of the
  // default one (TaintToleration 3), and getScoreWeights takes score.enabled first (NodeAffinity,
  // default 2) and turns a missing weight into 1.
  add_node({.name = "n1",
            .cpu = "8",
            .memory = "16Gi",
            .labels = {{"disk", "ssd"}},
            .taints = {taint("k", "v", TaintEffect::kPreferNoSchedule)}});
  add_node({.name = "n2", .cpu = "4", .memory = "8Gi"});
  sched::SchedulerConfig config;
  config.profiles[0].plugins["multiPoint"].enabled = {{"TaintToleration", std::nullopt}};
  config.profiles[0].plugins["score"].enabled = {{"NodeAffinity", std::nullopt}};
  start(config);
  std::map<std::string, std::int32_t> weights;
  for (const auto& [name, w] : scheduler->profile("default-scheduler")->score_names())
    weights[name] = w;
  EXPECT_EQ(weights["TaintToleration"], 1);
  EXPECT_EQ(weights["NodeAffinity"], 1);
  EXPECT_EQ(weights["PodTopologySpread"], 2);  // not re-listed: its default
  Affinity aff;
  aff.node_affinity.emplace();
  aff.node_affinity->preferred.push_back(
      {10, NodeSelectorTerm{{SelectorRequirement{"disk", SelectorOperator::kIn, {"ssd"}}}, {}}});
  // n1: taint 0 + affinity 100 + fit 90 + balanced 96 = 286; n2: 100 + 0 + 81 + 93 = 274. With
  // the default weights kept (3 and 2) n2 would win, 474 to 386.
  const PodId p = add_pod({.name = "p", .cpu = "1", .memory = "1Gi", .affinity = aff});
  run();
  EXPECT_EQ(node_of(p), "n1");
}

TEST_F(KubePluginsTest, ScoreEntryWeightWinsOverMultiPoint) {
  add_node({.name = "n1"});
  sched::SchedulerConfig config;
  config.profiles[0].plugins["multiPoint"].enabled = {{"NodeAffinity", 7}};
  config.profiles[0].plugins["score"].enabled = {{"NodeAffinity", 0}, {"ImageLocality", 4}};
  start(config);
  std::map<std::string, std::int32_t> weights;
  for (const auto& [name, w] : scheduler->profile("default-scheduler")->score_names())
    weights[name] = w;
  EXPECT_EQ(weights["NodeAffinity"], 1);  // 0 is 1, and the score point's entry wins
  EXPECT_EQ(weights["ImageLocality"], 4);
  EXPECT_EQ(weights["TaintToleration"], 3);
}

// ImageLocality alone in the score phase, each attempt recorded: the plugin's raw score per node.
class ImageLocalityTest : public SchedulerFixture {
 protected:
  void start_image_locality_only() {
    sched::SchedulerConfig config;
    config.profiles[0].plugins["score"].disabled = {"*"};
    config.profiles[0].plugins["score"].enabled = {{"ImageLocality", 1}};
    start(config);
    scheduler->set_explain(&sink_);
  }
  std::shared_ptr<const PodTemplate> with_image(const std::string& image) {
    PodTemplate t = *make({.name = "p"});
    t.spec.containers[0].image = image;
    return make_template(std::move(t));
  }
  // Adds a pod, schedules it and returns the ImageLocality scores of its attempt by node.
  std::map<std::string, std::int64_t> scores_of_next_pod(
      const std::string& name, const std::shared_ptr<const PodTemplate>& tmpl,
      PodId* id = nullptr) {
    const PodId p = add_pod({.name = name}, tmpl);
    if (id != nullptr) *id = p;
    run();
    std::map<std::string, std::int64_t> out;
    for (const auto& v : sink_.all.back().nodes) {
      for (const auto& sc : v.scores) {
        if (sc.plugin == "ImageLocality") out[v.node] = sc.raw;
      }
    }
    return out;
  }
  std::size_t attempts() const { return sink_.all.size(); }

 private:
  struct Records : sched::ExplainSink {
    void record(sched::AttemptRecord r) override { all.push_back(std::move(r)); }
    std::vector<sched::AttemptRecord> all;
  } sink_;
};

TEST_F(ImageLocalityTest, WeighsNodeImageSizes) {
  // The default profile, no plugin args: the size comes from the node's status.images, as
  // upstream's sumImageScores reads it. The image is on the second node; the first would win the
  // tie. 500Mi on 1 of 2 nodes scales to 250Mi: (250 - 23) * 100 / (1000 - 23) = 23.
  add_node({.name = "n1", .cpu = "8"});
  const NodeId n2 = add_node({.name = "n2", .cpu = "8"});
  Node& node = cluster.node(n2);
  node.images = {"docker.io/library/nginx:1.27", "nginx:1.27"};
  for (const auto& name : node.images)
    node.image_size_bytes[name] = 500LL << 20;
  start_image_locality_only();
  PodId p = 0;
  auto image_scores = scores_of_next_pod("p", with_image("nginx:1.27"), &p);
  EXPECT_EQ(node_of(p), "n2");
  ASSERT_EQ(attempts(), 1u);
  EXPECT_EQ(image_scores["n1"], 0);
  EXPECT_EQ(image_scores["n2"], 23);
}

TEST_F(ImageLocalityTest, SeesImagesPulledAndNodesAddedDuringTheRun) {
  // The plugin keeps per-image node counts between cycles; a pull on another node, and a node
  // joining, must reach the next pod's scores.
  add_node({.name = "n1", .cpu = "8"});
  const NodeId n2 = add_node({.name = "n2", .cpu = "8"});
  Node& node = cluster.node(n2);
  node.images = {"nginx:1.27"};
  node.image_size_bytes["nginx:1.27"] = 500LL << 20;
  start_image_locality_only();
  const auto tmpl = with_image("nginx:1.27");
  // 500Mi on 1 of 2 nodes: 250Mi -> 23.
  EXPECT_EQ(scores_of_next_pod("a", tmpl),
            (std::map<std::string, std::int64_t>{{"n1", 0}, {"n2", 23}}));
  // The kubelet pulls it on n1 (no size there): 2 of 2 nodes, 500Mi -> (500 - 23) * 100 / 977.
  ASSERT_TRUE(cluster.add_pulled_image(cluster.find_node("n1"), "nginx:1.27"));
  EXPECT_FALSE(cluster.add_pulled_image(cluster.find_node("n1"), "nginx:1.27"));
  EXPECT_EQ(scores_of_next_pod("b", tmpl),
            (std::map<std::string, std::int64_t>{{"n1", 48}, {"n2", 48}}));
  // A third node without it: 2 of 3 nodes, 333Mi -> (333 - 23) * 100 / 977 = 31.
  add_node({.name = "n3", .cpu = "8"});
  EXPECT_EQ(scores_of_next_pod("c", tmpl),
            (std::map<std::string, std::int64_t>{{"n1", 31}, {"n2", 31}, {"n3", 0}}));
  // Pulled there under its short name: 3 of 3.
  ASSERT_TRUE(cluster.add_pulled_image(cluster.find_node("n3"), "nginx:1.27"));
  EXPECT_EQ(scores_of_next_pod("d", tmpl),
            (std::map<std::string, std::int64_t>{{"n1", 48}, {"n2", 48}, {"n3", 48}}));
}

TEST_F(ImageLocalityTest, WeighsByTheSizeAPullReported) {
  // No node lists the image at first: the plugin skips (0 everywhere). Then n1's kubelet pulls it
  // and reports 600Mi: on 1 of 2 nodes, 300Mi -> (300 - 23) * 100 / 977 = 28.
  add_node({.name = "n1", .cpu = "8"});
  add_node({.name = "n2", .cpu = "8"});
  start_image_locality_only();
  const auto tmpl = with_image("vllm/vllm-openai:v0.6.3");
  EXPECT_EQ(scores_of_next_pod("a", tmpl),
            (std::map<std::string, std::int64_t>{{"n1", 0}, {"n2", 0}}));
  ASSERT_TRUE(
      cluster.add_pulled_image(cluster.find_node("n1"), "vllm/vllm-openai:v0.6.3", 600LL << 20));
  EXPECT_EQ(scores_of_next_pod("b", tmpl),
            (std::map<std::string, std::int64_t>{{"n1", 28}, {"n2", 0}}));
}

// A pod asking for cpu and for one example.com/foo, which no node advertises.
std::shared_ptr<const PodTemplate> with_foo(std::shared_ptr<const PodTemplate> base) {
  PodTemplate t = *base;
  t.spec.containers[0].resources.requests["example.com/foo"] = Quantity::from_int(1);
  t.spec.containers[0].resources.limits["example.com/foo"] = Quantity::from_int(1);
  return make_template(std::move(t));
}

TEST_F(KubePluginsTest, ResourceNoNodeHasFailsFitOnEveryNode) {
  add_node({.name = "n1"});
  add_node({.name = "n2", .taints = {taint("k", "v", TaintEffect::kNoSchedule)}});
  start();
  add_pod({.name = "p"}, with_foo(make({.name = "p", .cpu = "1"})));
  run();
  // NodeResourcesFit reports it, after the filters before it (the tainted node stops at
  // TaintToleration); allocatable 0 everywhere, so preemption cannot help.
  EXPECT_EQ(log.failed("default/p"),
            "0/2 nodes are available: 1 Insufficient example.com/foo, 1 node(s) had untolerated "
            "taint(s). preemption: 0/2 nodes are available: 2 Preemption is not helpful for "
            "scheduling.");
}

TEST_F(KubePluginsTest, IgnoredResourceNoNodeHasIsNotChecked) {
  // Upstream's fitsRequest skips ignored extended resources whether or not a node has them.
  add_node({.name = "n1"});
  sched::SchedulerConfig config;
  config.profiles[0].plugin_config["NodeResourcesFit"] = {
      {"ignoredResources", nlohmann::json::array({"example.com/foo"})}};
  start(config);
  const PodId p = add_pod({.name = "p"}, with_foo(make({.name = "p", .cpu = "1"})));
  run();
  EXPECT_EQ(node_of(p), "n1");
}

TEST_F(KubePluginsTest, IgnoredResourceGroupNoNodeHasIsNotChecked) {
  add_node({.name = "n1"});
  sched::SchedulerConfig config;
  config.profiles[0].plugin_config["NodeResourcesFit"] = {
      {"ignoredResourceGroups", nlohmann::json::array({"example.com"})}};
  start(config);
  const PodId p = add_pod({.name = "p"}, with_foo(make({.name = "p", .cpu = "1"})));
  run();
  EXPECT_EQ(node_of(p), "n1");
}

TEST_F(KubePluginsTest, CordonedNodesTakeOnlyTolerantPods) {
  add_node({.name = "cordoned", .cpu = "8", .unschedulable = true});
  add_node({.name = "open", .cpu = "1"});
  start();
  const PodId a = add_pod({.name = "a", .cpu = "100m"});
  Toleration t;
  t.key = kTaintUnschedulable;
  t.op = TolerationOperator::kExists;
  t.effect = TaintEffect::kNoSchedule;
  const PodId b = add_pod({.name = "b", .cpu = "2", .tolerations = {t}});
  const PodId c = add_pod({.name = "c", .cpu = "2"});
  run();
  EXPECT_EQ(node_of(a), "open");
  EXPECT_EQ(node_of(b), "cordoned");
  EXPECT_EQ(node_of(c), "");
  const std::string msg = log.failed("default/c");
  EXPECT_EQ(msg.substr(0, msg.find(" preemption:")),
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable.");
}

TEST_F(KubePluginsTest, NodeSelectorAndRequiredAffinity) {
  add_node({.name = "a100", .labels = {{"gpu", "a100"}, {"zone", "z1"}}});
  add_node({.name = "h100", .labels = {{"gpu", "h100"}, {"zone", "z2"}}});
  start();
  const PodId sel = add_pod({.name = "sel", .node_selector = {{"gpu", "h100"}}});
  Affinity aff;
  aff.node_affinity.emplace();
  aff.node_affinity->required = std::vector<NodeSelectorTerm>{
      NodeSelectorTerm{{SelectorRequirement{"zone", SelectorOperator::kIn, {"z1"}}}, {}}};
  const PodId req = add_pod({.name = "req", .affinity = aff});
  const PodId none = add_pod({.name = "none", .node_selector = {{"gpu", "v100"}}});
  run();
  EXPECT_EQ(node_of(sel), "h100");
  EXPECT_EQ(node_of(req), "a100");
  EXPECT_EQ(node_of(none), "");
  const std::string msg = log.failed("default/none");
  EXPECT_EQ(msg,
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
            "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
}

TEST_F(KubePluginsTest, PreferredNodeAffinityWins) {
  add_node({.name = "big", .cpu = "16"});
  add_node({.name = "wanted", .cpu = "2", .labels = {{"disk", "ssd"}}});
  start();
  Affinity aff;
  aff.node_affinity.emplace();
  aff.node_affinity->preferred.push_back(
      {100, NodeSelectorTerm{{SelectorRequirement{"disk", SelectorOperator::kIn, {"ssd"}}}, {}}});
  const PodId p = add_pod({.name = "p", .cpu = "100m", .affinity = aff});
  run();
  EXPECT_EQ(node_of(p), "wanted");
}

TEST_F(KubePluginsTest, NodeLabelChangesReachTheAffinityCache) {
  const NodeId n1 = add_node({.name = "n1"});
  add_node({.name = "n2"});
  start();
  const PodId p = add_pod({.name = "p", .node_selector = {{"ready", "yes"}}});
  run();
  EXPECT_EQ(node_of(p), "");
  cluster.node(n1).meta.labels["ready"] = "yes";
  cluster.node_changed(n1);
  run();
  EXPECT_EQ(node_of(p), "n1");
}

TEST_F(KubePluginsTest, HostPortsConflict) {
  add_node({.name = "n1"});
  start();
  const PodId a = add_pod({.name = "a", .host_ports = {8080}});
  const PodId b = add_pod({.name = "b", .host_ports = {8080}});
  const PodId c = add_pod({.name = "c", .host_ports = {9090}});
  run();
  EXPECT_EQ(node_of(a), "n1");
  EXPECT_EQ(node_of(b), "");
  EXPECT_EQ(node_of(c), "n1");
  const std::string msg = log.failed("default/b");
  EXPECT_EQ(
      msg.substr(0, msg.find(" preemption:")),
      "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.");
}

TEST_F(KubePluginsTest, HostPortsConflictPerProtocolAndHostIp) {
  // Upstream's HostPortInfo.CheckConflict, one node per case.
  add_node({.name = "n1"});
  start();
  auto port = [](std::int32_t n, const char* protocol, const char* ip) {
    return ContainerPort{.host_port = n, .protocol = protocol, .host_ip = ip};
  };
  const PodId udp = add_pod({.name = "udp", .ports = {port(53, "UDP", "")}});
  run();
  const PodId tcp = add_pod({.name = "tcp", .ports = {port(53, "TCP", "")}});
  run();
  const PodId tcp_again = add_pod({.name = "tcp-again", .ports = {port(53, "TCP", "10.0.0.1")}});
  run();
  const PodId ip1 = add_pod({.name = "ip1", .ports = {port(80, "TCP", "10.0.0.1")}});
  run();
  const PodId ip2 = add_pod({.name = "ip2", .ports = {port(80, "TCP", "10.0.0.2")}});
  run();
  const PodId ip1_again = add_pod({.name = "ip1-again", .ports = {port(80, "TCP", "10.0.0.1")}});
  run();
  const PodId all = add_pod({.name = "all", .ports = {port(80, "TCP", "0.0.0.0")}});
  run();
  EXPECT_EQ(node_of(udp), "n1");
  EXPECT_EQ(node_of(tcp), "n1");      // UDP 53 leaves TCP 53 free
  EXPECT_EQ(node_of(tcp_again), "");  // TCP 53 on every address covers 10.0.0.1
  EXPECT_EQ(node_of(ip1), "n1");
  EXPECT_EQ(node_of(ip2), "n1");      // another address
  EXPECT_EQ(node_of(ip1_again), "");  // the same address
  EXPECT_EQ(node_of(all), "");        // every address meets 10.0.0.1 and 10.0.0.2
}

TEST_F(KubePluginsTest, WholeGpusAreAssignedByIndex) {
  add_node({.name = "g", .cpu = "32", .gpus = 4, .gpu_model = "A100"});
  start();
  const PodId two = add_pod({.name = "two", .gpus = 2});
  run();
  const PodId one = add_pod({.name = "one", .gpus = 1});
  run();
  const PodId three = add_pod({.name = "three", .gpus = 3});
  run();
  EXPECT_EQ(cluster.pod(two).status.gpu_devices, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(cluster.pod(one).status.gpu_devices, (std::vector<std::int32_t>{2}));
  EXPECT_EQ(node_of(three), "");
  const std::string msg = log.failed("default/three");
  EXPECT_EQ(msg.substr(0, msg.find(" preemption:")),
            "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.");
}

TEST_F(KubePluginsTest, SharedGpusNeedAFreeShareAndBlockWholeGpuPods) {
  add_node({.name = "g", .cpu = "32", .gpus = 2, .gpu_model = "A100"});
  start();
  const PodId s1 = add_pod({.name = "s1", .gpu_milli = 600});
  run();
  const PodId s2 = add_pod({.name = "s2", .gpu_milli = 300});
  run();
  const PodId s3 = add_pod({.name = "s3", .gpu_milli = 500});
  run();
  // Sharing pods take the device with the least free milli that still fits.
  EXPECT_EQ(cluster.pod(s1).status.gpu_devices, (std::vector<std::int32_t>{0}));
  EXPECT_EQ(cluster.pod(s2).status.gpu_devices, (std::vector<std::int32_t>{0}));
  EXPECT_EQ(cluster.pod(s3).status.gpu_devices, (std::vector<std::int32_t>{1}));
  // Both devices are partly used: a whole-GPU pod passes the count (shares do not count) but
  // not the device check.
  const PodId whole = add_pod({.name = "whole", .gpus = 1});
  const PodId big_share = add_pod({.name = "big-share", .gpu_milli = 600});
  run();
  EXPECT_EQ(node_of(whole), "");
  EXPECT_EQ(node_of(big_share), "");
  for (const auto& dev : cluster.node(0).gpus)
    EXPECT_LE(dev.used_milli, 1000);
  const std::string msg = log.failed("default/whole");
  EXPECT_EQ(msg.substr(0, msg.find(" preemption:")),
            "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.");
}

TEST_F(KubePluginsTest, GpuModelMustMatch) {
  add_node({.name = "a", .cpu = "16", .gpus = 8, .gpu_model = "A100"});
  add_node({.name = "h", .cpu = "16", .gpus = 8, .gpu_model = "H100"});
  add_node({.name = "cpu", .cpu = "16"});
  start();
  const PodId want_h = add_pod({.name = "want-h", .gpus = 1, .gpu_model = "H100"});
  const PodId want_v = add_pod({.name = "want-v", .gpus = 1, .gpu_model = "V100|T4"});
  run();
  EXPECT_EQ(node_of(want_h), "h");
  EXPECT_EQ(node_of(want_v), "");
  const std::string msg = log.failed("default/want-v");
  EXPECT_EQ(msg.substr(0, msg.find(" preemption:")),
            "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match the "
            "requested GPU model.");
}

TEST_F(KubePluginsTest, RequiredPodAntiAffinitySpreadsAndBlocks) {
  add_node({.name = "n1"});
  add_node({.name = "n2"});
  start();
  Affinity anti;
  anti.pod_anti_affinity.emplace();
  anti.pod_anti_affinity->required.push_back(
      PodAffinityTerm{testing_util::selector({{"app", "db"}}), {}, {}, "kubernetes.io/hostname"});
  std::vector<PodId> pods;
  for (int i = 0; i < 3; ++i) {
    pods.push_back(
        add_pod({.name = "db-" + std::to_string(i), .labels = {{"app", "db"}}, .affinity = anti}));
  }
  run();
  EXPECT_NE(node_of(pods[0]), "");
  EXPECT_NE(node_of(pods[1]), "");
  EXPECT_NE(node_of(pods[0]), node_of(pods[1]));
  EXPECT_EQ(node_of(pods[2]), "");
  // A pod without terms but matching the existing pods' anti-affinity is kept away too.
  const PodId plain = add_pod({.name = "plain-db", .labels = {{"app", "db"}}});
  run();
  EXPECT_EQ(node_of(plain), "");
  const std::string msg = log.failed("default/plain-db");
  EXPECT_EQ(msg.substr(0, msg.find(" preemption:")),
            "0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules.");
}

TEST_F(KubePluginsTest, RequiredPodAffinityFollowsTheGroup) {
  add_node({.name = "n1", .cpu = "8", .labels = {{"zone", "a"}}});
  add_node({.name = "n2", .cpu = "8", .labels = {{"zone", "b"}}});
  add_node({.name = "n3", .cpu = "8", .labels = {{"zone", "b"}}});
  start();
  // The cache is in zone b (n2 preferred by no one in particular, so pin it there).
  const PodId cache = add_pod({.name = "cache",
                               .cpu = "1",
                               .labels = {{"app", "cache"}},
                               .node_selector = {{"kubernetes.io/hostname", "n2"}}});
  run();
  ASSERT_EQ(node_of(cache), "n2");
  Affinity aff;
  aff.pod_affinity.emplace();
  aff.pod_affinity->required.push_back(
      PodAffinityTerm{testing_util::selector({{"app", "cache"}}), {}, {}, "zone"});
  std::vector<PodId> web;
  for (int i = 0; i < 4; ++i)
    web.push_back(add_pod({.name = "web-" + std::to_string(i), .cpu = "1", .affinity = aff}));
  run();
  for (PodId id : web)
    EXPECT_TRUE(node_of(id) == "n2" || node_of(id) == "n3") << node_of(id);
  // No pod matches: the first pod of a self-affine group may go anywhere.
  Affinity self;
  self.pod_affinity.emplace();
  self.pod_affinity->required.push_back(
      PodAffinityTerm{testing_util::selector({{"app", "group"}}), {}, {}, "zone"});
  const PodId first = add_pod({.name = "first", .labels = {{"app", "group"}}, .affinity = self});
  // Neither does any pod match this one's term, nor does it match the term itself.
  Affinity lonely;
  lonely.pod_affinity.emplace();
  lonely.pod_affinity->required.push_back(
      PodAffinityTerm{testing_util::selector({{"app", "nobody"}}), {}, {}, "zone"});
  const PodId orphan =
      add_pod({.name = "orphan", .labels = {{"app", "other"}}, .affinity = lonely});
  run();
  EXPECT_NE(node_of(first), "");
  EXPECT_EQ(node_of(orphan), "");
}

TEST_F(KubePluginsTest, HardTopologySpreadAlternatesZones) {
  add_node({.name = "a1", .cpu = "16", .labels = {{"topology.kubernetes.io/zone", "a"}}});
  add_node({.name = "a2", .cpu = "16", .labels = {{"topology.kubernetes.io/zone", "a"}}});
  add_node({.name = "b1", .cpu = "1", .labels = {{"topology.kubernetes.io/zone", "b"}}});
  add_node({.name = "nolabel", .cpu = "16"});
  start();
  TopologySpreadConstraint c;
  c.max_skew = 1;
  c.topology_key = "topology.kubernetes.io/zone";
  c.label_selector = testing_util::selector({{"app", "web"}});
  std::vector<PodId> pods;
  for (int i = 0; i < 5; ++i) {
    pods.push_back(add_pod({.name = "w" + std::to_string(i),
                            .cpu = "400m",
                            .labels = {{"app", "web"}},
                            .spread = {c}}));
    run();
  }
  int in_a = 0, in_b = 0;
  for (PodId id : pods) {
    const std::string n = node_of(id);
    in_a += n == "a1" || n == "a2";
    in_b += n == "b1";
    EXPECT_NE(n, "nolabel");
  }
  // Zone a takes a pod whenever the skew allows; b1 takes the others (1 cpu: two 400m pods).
  EXPECT_EQ(in_a, 3);
  EXPECT_EQ(in_b, 2);
  // Zone a is one ahead and b1 is full: nothing may go anywhere.
  const PodId sixth =
      add_pod({.name = "w5", .cpu = "400m", .labels = {{"app", "web"}}, .spread = {c}});
  run();
  EXPECT_EQ(node_of(sixth), "");
  const std::string msg = log.failed("default/w5");
  EXPECT_EQ(
      msg.substr(0, msg.find(" preemption:")),
      "0/4 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod topology spread "
      "constraints (missing required label), 2 node(s) didn't match pod topology spread "
      "constraints.");
}

TEST_F(KubePluginsTest, SystemDefaultSpreadingForReplicaSetPods) {
  // Identical nodes except that n1 is much bigger: LeastAllocated alone would stack every
  // replica there; the default hostname spreading (weight 2) pulls replicas apart.
  add_node({.name = "n1", .cpu = "64", .memory = "256Gi"});
  add_node({.name = "n2", .cpu = "8", .memory = "32Gi"});
  const OwnerReference owner = add_replica_set("web-abc", {{"app", "web"}});
  start();
  std::vector<PodId> pods;
  for (int i = 0; i < 6; ++i) {
    pods.push_back(add_pod({.name = "web-" + std::to_string(i),
                            .cpu = "100m",
                            .memory = "128Mi",
                            .labels = {{"app", "web"}},
                            .owner = owner}));
    run();
  }
  int on_n2 = 0;
  for (PodId id : pods)
    on_n2 += node_of(id) == "n2";
  EXPECT_GE(on_n2, 2);
  // The same pods without an owner pile onto the big node.
  std::vector<PodId> bare;
  for (int i = 0; i < 6; ++i) {
    bare.push_back(add_pod({.name = "bare-" + std::to_string(i),
                            .cpu = "100m",
                            .memory = "128Mi",
                            .labels = {{"app", "bare"}}}));
    run();
  }
  for (PodId id : bare)
    EXPECT_EQ(node_of(id), "n1");
}

}  // namespace
}  // namespace gpusim
