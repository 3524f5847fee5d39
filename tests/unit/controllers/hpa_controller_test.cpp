// The HPA controller against a Cluster changed by hand: without a metrics pipeline (every metric
// fails, which is enough to see which target a sync reads), and as the follower of one.
#include "controllers/hpa_controller.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "controllers/conditions.hpp"

namespace gpusim::ctrl {
namespace {

// A ReplicaSet default/`name` of `replicas` pods of `tmpl` (not yet in the cluster).
ReplicaSet replica_set(Cluster& cluster, const std::string& name, std::int32_t replicas,
                       std::shared_ptr<const PodTemplate> tmpl) {
  ReplicaSet rs;
  rs.meta.name = name;
  rs.meta.namespace_ = "default";
  rs.meta.uid = cluster.next_uid();
  rs.replicas = replicas;
  rs.tmpl = std::move(tmpl);
  return rs;
}

// Adds `rs` as the API would (the observers hear of it); returns its key.
std::string put(Cluster& cluster, const ReplicaSet& rs) {
  const std::string key = rs.meta.key();
  cluster.replica_sets.emplace(key, rs);
  cluster.object_changed("ReplicaSet", key);
  return key;
}

// Adds HPA default/web on the ReplicaSet `target`; returns its key.
std::string put_hpa(Cluster& cluster, const std::string& target) {
  HorizontalPodAutoscaler h;
  h.meta.name = "web";
  h.meta.namespace_ = "default";
  h.meta.uid = cluster.next_uid();
  h.scale_target_ref.kind = "ReplicaSet";
  h.scale_target_ref.name = target;
  h.max_replicas = 5;
  const std::string key = h.meta.key();
  cluster.hpas.emplace(key, h);
  cluster.object_changed("HorizontalPodAutoscaler", key);
  return key;
}

// An HPA may target a ReplicaSet, and a Deployment deletes its old ReplicaSets past the
// revision history limit: the next sync must see the target gone (FailedGetScale), not read the
// erased object, and must find the target again once a ReplicaSet of that name is back.
TEST(HpaController, RemovedTargetReplicaSetIsFailedGetScale) {
  EventLoop loop;
  Cluster cluster(loop, 1);
  HpaController controller(cluster, loop, HpaSettings{}, nullptr);
  cluster.add_observer(&controller);

  auto tmpl = std::make_shared<PodTemplate>();
  Container app;
  app.name = "app";
  app.resources.requests["cpu"] = *Quantity::parse("500m");
  tmpl->spec.containers.push_back(app);
  ReplicaSet rs = replica_set(cluster, "web-1", 2, tmpl);
  const std::string rs_key = put(cluster, rs);
  const std::string hpa_key = put_hpa(cluster, "web-1");
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
  put(cluster, rs);
  loop.run(50'000);
  EXPECT_EQ(cluster.hpas.at(hpa_key).status.current_replicas, 3);
}

// A ReplicaSet "web-0" under an HPA, with a load model, and the HPA controller as the metrics
// pipeline's follower, wired as a run wires them; returns how many of the syncs up to `until_ms`
// ran inside a scrape.
std::uint64_t syncs_inside(TimeMs scrape_ms, bool follow, TimeMs until_ms) {
  EventLoop loop;
  Cluster cluster(loop, 1);
  MetricsSettings ms;
  ms.scrape_interval_ms = scrape_ms;
  WorkloadLoadSpec load;
  load.kind = "ReplicaSet";
  load.name = "web-0";
  load.rate.base = 10;
  MetricsPipeline pipeline(cluster, loop, ms, {load}, 7);
  HpaSettings hs;
  hs.follow_scrape = follow;
  HpaController controller(cluster, loop, hs, &pipeline);
  pipeline.set_follower(&controller);
  cluster.add_observer(&pipeline);
  cluster.add_observer(&controller);
  put(cluster, replica_set(cluster, "web-0", 2, std::make_shared<PodTemplate>()));
  const std::string hpa_key = put_hpa(cluster, "web-0");

  pipeline.start();  // the run's order: the scrape first, the HPA's first sync a period later
  controller.start();
  loop.run(until_ms);
  // Every sync ran, inside a scrape or not: the HPA saw its target each time.
  EXPECT_EQ(cluster.hpas.at(hpa_key).status.current_replicas, 2);
  return controller.syncs_inside_scrapes();
}

TEST(HpaController, SyncsRunInsideScrapesOfTheSamePeriod) {
  constexpr TimeMs kPeriodMs = 15'000;
  EXPECT_EQ(syncs_inside(kPeriodMs, true, 4 * kPeriodMs), 4U);  // syncs at 15, 30, 45, 60 s
  EXPECT_EQ(syncs_inside(kPeriodMs, false, 4 * kPeriodMs), 0U);
  // With other periods the syncs keep their own steps: where a sync meets a scrape, which of
  // the two runs first depends on when each was queued.
  EXPECT_EQ(syncs_inside(kPeriodMs / 3, true, 4 * kPeriodMs), 0U);
  EXPECT_EQ(syncs_inside(2 * kPeriodMs, true, 4 * kPeriodMs), 0U);
}

}  // namespace
}  // namespace gpusim::ctrl
