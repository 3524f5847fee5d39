#pragma once
// Deployments: one ReplicaSet per pod template revision, named <deployment>-<pod-template-hash>,
// scaled toward spec.replicas; status aggregated from the ReplicaSets.
#include <string>
#include <vector>

#include "controllers/reconciler.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr const char* kDesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
inline constexpr const char* kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
inline constexpr const char* kPodTemplateHashLabel = "pod-template-hash";

class DeploymentController : public ClusterObserver {
 public:
  DeploymentController(Cluster& cluster, EventLoop& loop);

  void on_object_changed(std::string_view kind, const std::string& key) override;

 private:
  void sync(const std::string& key);
  std::vector<ReplicaSet*> owned_replica_sets(const Deployment& d);
  ReplicaSet& create_replica_set(Deployment& d, std::int32_t replicas, std::int64_t revision);
  void scale(ReplicaSet& rs, std::int32_t replicas, const std::string& deployment_key);

  Cluster& cluster_;
  EventLoop& loop_;
  Reconciler reconciler_;
};

}  // namespace gpusim::ctrl
