// A Node whose manifest says Ready=False or Unknown is NotReady from the start, as the node
// lifecycle controller would have it: tainted not-ready (False) or unreachable (Unknown) with
// NoSchedule, so the scheduler never places a pod there, and NoExecute, so a pod bound to it by
// nodeName is evicted once the default toleration (300 s, DefaultTolerationSeconds) runs out.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "unit/engine/scenario_run.hpp"

namespace gpusim::engine {
namespace {

constexpr const char* kNotReadyNodes = R"(apiVersion: v1
kind: Node
metadata: {name: broken}
status:
  capacity: {cpu: "8", memory: 8Gi}
  conditions: [{type: Ready, status: "False"}]
---
apiVersion: v1
kind: Node
metadata: {name: lost}
status:
  capacity: {cpu: "8", memory: 8Gi}
  conditions: [{type: Ready, status: Unknown}]
---
apiVersion: v1
kind: Node
metadata: {name: healthy}
status:
  capacity: {cpu: "8", memory: 8Gi}
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Pod
metadata: {name: pinned}
spec:
  nodeName: broken
  containers: [{name: c, image: app, resources: {requests: {cpu: 100m}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: app, resources: {requests: {cpu: 500m}}}]
---
apiVersion: gpusim.io/v1alpha1
kind: Simulation
metadata: {name: s}
spec: {duration: 20m}
)";

bool has_taint(const Node& n, const char* key, TaintEffect effect) {
  return std::any_of(n.taints.begin(), n.taints.end(),
                     [&](const Taint& t) { return t.key == key && t.effect == effect; });
}

TEST(NodeConditions, NotReadyManifestNodesAreTaintedAndAvoided) {
  testing_run::ScenarioRun run(kNotReadyNodes);
  run.run();
  const testing_util::EventLog& log = run.log;

  const Cluster& c = run.sim().cluster();
  const Node& broken = c.node(c.find_node("broken"));
  const Node& lost = c.node(c.find_node("lost"));
  EXPECT_FALSE(broken.ready);
  EXPECT_TRUE(has_taint(broken, kTaintNotReady, TaintEffect::kNoSchedule));
  EXPECT_TRUE(has_taint(broken, kTaintNotReady, TaintEffect::kNoExecute));
  EXPECT_TRUE(has_taint(lost, kTaintUnreachable, TaintEffect::kNoSchedule));
  EXPECT_TRUE(has_taint(lost, kTaintUnreachable, TaintEffect::kNoExecute));
  EXPECT_FALSE(has_taint(lost, kTaintNotReady, TaintEffect::kNoSchedule));

  // Every replica went to the one Ready node.
  const auto scheduled = log.of_type("Scheduled");
  ASSERT_EQ(scheduled.size(), 6u);
  for (const auto& e : scheduled)
    EXPECT_EQ(e.node, "healthy") << e.object;

  // The pod bound by nodeName is evicted when its 300 s toleration of the NoExecute taint ends.
  const auto evicted = log.times("TaintManagerEviction", "default/pinned");
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0], 300'000);
}

}  // namespace
}  // namespace gpusim::engine
