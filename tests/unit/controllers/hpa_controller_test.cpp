// The HPA controller against a Cluster changed by hand (no metrics pipeline: every metric fails,
// which is enough to see which target a sync reads).
#include "controllers/hpa_controller.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "controllers/conditions.hpp"

namespace gpusim::ctrl {
namespace {

// An HPA may target a ReplicaSet, and a Deployment deletes its old ReplicaSets past the
// revision history limit: the next sync must see the target gone (FailedGetScale), not read the
// erased object, and must find the target again once a ReplicaSet of that name is back.
TEST(HpaController, RemovedTargetReplicaSetIsFailedGetScale) {
  EventLoop loop;
  Cluster cluster(loop, 1);
  HpaController controller(cluster, loop, HpaSettings{}, nullptr);
  cluster.add_observer(&controller);

  ReplicaSet rs;
  rs.meta.name = "web-1";
  rs.meta.namespace_ = "default";
  rs.meta.uid = cluster.next_uid();
  rs.replicas = 2;
  auto tmpl = std::make_shared<PodTemplate>();
  Container app;
  app.name = "app";
  app.resources.requests["cpu"] = *Quantity::parse("500m");
  tmpl->spec.containers.push_back(app);
  rs.tmpl = tmpl;
  const std::string rs_key = rs.meta.key();
  cluster.replica_sets.emplace(rs_key, rs);
  cluster.object_changed("ReplicaSet", rs_key);

  HorizontalPodAutoscaler h;
  h.meta.name = "web";
  h.meta.namespace_ = "default";
  h.meta.uid = cluster.next_uid();
  h.scale_target_ref.kind = "ReplicaSet";
  h.scale_target_ref.name = "web-1";
  h.max_replicas = 5;
  const std::string hpa_key = h.meta.key();
  cluster.hpas.emplace(hpa_key, h);
  cluster.object_changed("HorizontalPodAutoscaler", hpa_key);
  const auto& conds = cluster.hpas.at(hpa_key).status.conditions;

  controller.start();
  loop.run(20'000);  // first sync at 15 s: metrics fail, the target is there
  ASSERT_NE(find_condition(conds, "ScalingActive"), nullptr);
  EXPECT_EQ(find_condition(conds, "AbleToScale"), nullptr);

  cluster.replica_sets.erase(rs_key);
  cluster.object_changed("ReplicaSet", rs_key);
  loop.run(35'000);
  const Condition* able = find_condition(conds, "AbleToScale");
  ASSERT_NE(able, nullptr);
  EXPECT_EQ(able->status, "False");
  EXPECT_EQ(able->reason, "FailedGetScale");

  // Back under the same name (a new object, as a Deployment's rollback recreates one): the next
  // sync reconciles against it.
  rs.meta.uid = cluster.next_uid();
  rs.replicas = 3;
  cluster.replica_sets.emplace(rs_key, rs);
  cluster.object_changed("ReplicaSet", rs_key);
  loop.run(50'000);
  EXPECT_EQ(cluster.hpas.at(hpa_key).status.current_replicas, 3);
}

}  // namespace
}  // namespace gpusim::ctrl
