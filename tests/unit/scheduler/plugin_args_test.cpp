// pluginConfig args: accepted shapes configure the plugins; bad ones fail construction with a
// message naming the plugin and the field.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "scheduler/plugins/image_locality.hpp"
#include "scheduler/plugins/node_resources_fit.hpp"
#include "scheduler_fixture.hpp"

namespace gpusim {
namespace {

using testing_util::SchedulerFixture;

class PluginArgsTest : public SchedulerFixture {
 protected:
  // The message of the std::invalid_argument building a scheduler with these args throws.
  std::string error_for(const std::string& plugin, const nlohmann::json& args) {
    sched::SchedulerConfig config;
    config.profiles[0].plugin_config[plugin] = args;
    try {
      sched::Scheduler s(cluster, loop, config, 1);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(PluginArgsTest, BadArgsNameTheField) {
  add_node({.name = "n1"});
  EXPECT_EQ(error_for("NodeResourcesFit", {{"scoringStrategy", {{"type", "Fastest"}}}}),
            "NodeResourcesFit args: scoringStrategy.type: must be LeastAllocated, MostAllocated or "
            "RequestedToCapacityRatio (got \"Fastest\")");
  EXPECT_EQ(
      error_for("NodeResourcesFit",
                {{"scoringStrategy", {{"resources", {{{"name", "cpu"}, {"weight", 101}}}}}}}),
      "NodeResourcesFit args: scoringStrategy.resources[0].weight: must be an integer in 0..100");
  EXPECT_EQ(error_for("NodeResourcesBalancedAllocation",
                      {{"resources", {{{"name", "cpu"}, {"weight", -1}}}}}),
            "NodeResourcesBalancedAllocation args: resources[0].weight: must be an integer in "
            "0..100");
  EXPECT_EQ(
      error_for("NodeResourcesFit", {{"scoringStrategy", {{"type", "RequestedToCapacityRatio"}}}}),
      "NodeResourcesFit args: scoringStrategy.requestedToCapacityRatio: required for type "
      "RequestedToCapacityRatio");
  EXPECT_EQ(
      error_for(
          "NodeResourcesFit",
          {{"scoringStrategy",
            {{"type", "RequestedToCapacityRatio"},
             {"requestedToCapacityRatio",
              {{"shape",
                {{{"utilization", 50}, {"score", 1}}, {{"utilization", 40}, {"score", 2}}}}}}}}}),
      "NodeResourcesFit args: scoringStrategy.requestedToCapacityRatio.shape[1].utilization: "
      "shape points must have strictly increasing utilization");
  EXPECT_EQ(error_for("NodeResourcesFit", {{"scoringStrategyy", {}}}),
            "NodeResourcesFit args: scoringStrategyy: unknown field (known: scoringStrategy, "
            "ignoredResources, ignoredResourceGroups)");
  EXPECT_EQ(error_for("InterPodAffinity", {{"hardPodAffinityWeight", 101}}),
            "InterPodAffinity args: hardPodAffinityWeight: must be an integer in 0..100");
  EXPECT_EQ(
      error_for(
          "PodTopologySpread",
          {{"defaultConstraints",
            {{{"maxSkew", 1}, {"topologyKey", "zone"}, {"whenUnsatisfiable", "DoNotSchedule"}}}}}),
      "PodTopologySpread args: defaultConstraints: must be empty when defaultingType is System");
  EXPECT_EQ(error_for("NodeAffinity",
                      {{"addedAffinity",
                        {{"requiredDuringSchedulingIgnoredDuringExecution",
                          {{"nodeSelectorTerms",
                            {{{"matchExpressions", {{{"key", "a"}, {"operator", "Like"}}}}}}}}}}}}),
            "NodeAffinity args: addedAffinity.requiredDuringSchedulingIgnoredDuringExecution."
            "nodeSelectorTerms[0].matchExpressions[0].operator: must be one of In, NotIn, Exists, "
            "DoesNotExist, Gt, Lt (got \"Like\")");
  EXPECT_EQ(error_for("TaintToleration", {{"x", 1}}),
            "TaintToleration args: x: unknown field (known: none)");
  // apiVersion/kind, as KubeSchedulerConfiguration files carry them, are fine.
  EXPECT_EQ(error_for("NodeResourcesFit", {{"apiVersion", "kubescheduler.config.k8s.io/v1"},
                                           {"kind", "NodeResourcesFitArgs"}}),
            "");
}

TEST_F(PluginArgsTest, ResourceWeightLeftOutOrZeroIsOne) {
  // Upstream's SetDefaults_NodeResourcesFitArgs and
  // SetDefaults_NodeResourcesBalancedAllocationArgs.
  add_node({.name = "n1"});
  const nlohmann::json resources = {{{"name", "cpu"}},
                                    {{"name", "memory"}, {"weight", 0}},
                                    {{"name", "nvidia.com/gpu"}, {"weight", 3}}};
  EXPECT_EQ(error_for("NodeResourcesFit",
                      {{"scoringStrategy", {{"type", "MostAllocated"}, {"resources", resources}}}}),
            "");
  EXPECT_EQ(error_for("NodeResourcesBalancedAllocation", {{"resources", resources}}), "");
  start();
  const sched::NodeResourcesFitPlugin fit(
      {{"scoringStrategy", {{"type", "MostAllocated"}, {"resources", resources}}}}, *scheduler);
  ASSERT_EQ(fit.resources().size(), 3u);
  EXPECT_EQ(fit.resources()[0].weight, 1);
  EXPECT_EQ(fit.resources()[1].weight, 1);
  EXPECT_EQ(fit.resources()[2].weight, 3);
}

TEST_F(PluginArgsTest, MostAllocatedPacks) {
  add_node({.name = "n1"});
  add_node({.name = "n2"});
  sched::SchedulerConfig config;
  config.profiles[0].plugin_config["NodeResourcesFit"] = {
      {"scoringStrategy", {{"type", "MostAllocated"}}}};
  // Balanced allocation would pull the other way on an empty node; leave Fit alone to decide.
  config.profiles[0].plugins["score"].disabled = {"NodeResourcesBalancedAllocation"};
  start(config);
  std::vector<PodId> pods;
  for (int i = 0; i < 3; ++i) {
    pods.push_back(add_pod({.name = "p" + std::to_string(i), .cpu = "1", .memory = "1Gi"}));
    run();
  }
  for (PodId id : pods)
    EXPECT_EQ(node_of(id), node_of(pods[0]));
}

TEST_F(PluginArgsTest, AddedAffinityIsEnforced) {
  add_node({.name = "n1", .labels = {{"pool", "batch"}}});
  add_node({.name = "n2", .labels = {{"pool", "web"}}});
  sched::SchedulerConfig config;
  config.profiles[0].plugin_config["NodeAffinity"] = {
      {"addedAffinity",
       {{"requiredDuringSchedulingIgnoredDuringExecution",
         {{"nodeSelectorTerms",
           {{{"matchExpressions",
              {{{"key", "pool"}, {"operator", "In"}, {"values", {"batch"}}}}}}}}}}}}};
  start(config);
  const PodId a = add_pod({.name = "a"});
  const PodId b = add_pod({.name = "b", .node_selector = {{"pool", "web"}}});
  run();
  EXPECT_EQ(node_of(a), "n1");
  EXPECT_EQ(node_of(b), "");
  const std::string msg = log.failed("default/b");
  EXPECT_EQ(
      msg.substr(0, msg.find(" preemption:")),
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) "
      "didn't match scheduler-enforced node affinity.");
}

TEST_F(PluginArgsTest, ImageLocalityScoresKnownImages) {
  add_node({.name = "n1", .cpu = "8"});
  const NodeId n2 = add_node({.name = "n2", .cpu = "8"});
  // The image is on the second node: with equal scores the first node would win the tie.
  cluster.node(n2).images.push_back("registry.example/model-server:v1");
  sched::SchedulerConfig config;
  config.profiles[0].plugin_config["ImageLocality"] = {
      {"imageSizes", {{"registry.example/model-server:v1", "2Gi"}}}};
  // Only ImageLocality scores, so the image decides.
  config.profiles[0].plugins["score"].disabled = {"*"};
  config.profiles[0].plugins["score"].enabled = {{"ImageLocality", 1}};
  start(config);
  PodTemplate t = *make({.name = "p"});
  t.spec.containers[0].image = "registry.example/model-server:v1";
  const PodId p = add_pod({.name = "p"}, make_template(std::move(t)));
  const PodId other = add_pod({.name = "other"});  // busybox: size unknown, no preference
  run();
  EXPECT_EQ(node_of(p), "n2");
  EXPECT_EQ(node_of(other), "n1");
  EXPECT_EQ(sched::ImageLocalityPlugin::normalized_image_name("busybox"), "busybox:latest");
  EXPECT_EQ(sched::ImageLocalityPlugin::normalized_image_name("host:5000/img"),
            "host:5000/img:latest");
  EXPECT_EQ(sched::ImageLocalityPlugin::normalized_image_name("img:1.2"), "img:1.2");
  // 2Gi on one of two nodes: 1Gi scaled; one container: (1024-23)/(1000-23) clamps to 100.
  EXPECT_EQ(sched::ImageLocalityPlugin::calculate_priority(1024LL << 20, 1), 100);
  EXPECT_EQ(sched::ImageLocalityPlugin::calculate_priority(23LL << 20, 1), 0);
  EXPECT_EQ(sched::ImageLocalityPlugin::calculate_priority(511LL << 20, 1), 100 * 488 / 977);
}

}  // namespace
}  // namespace gpusim
