#pragma once
// Deployments as upstream's deployment controller runs them: one ReplicaSet per pod template
// (named <deployment>-<pod-template-hash>, found again by template content), RollingUpdate with
// maxSurge/maxUnavailable or Recreate, proportional scaling when replicas change mid-rollout,
// minReadySeconds (through the ReplicaSets), progressDeadlineSeconds (Progressing=False,
// ProgressDeadlineExceeded), revision annotations and revisionHistoryLimit. Every number comes
// from the pure functions in rollout.hpp.
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "controllers/reconciler.hpp"
#include "controllers/rollout.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr const char* kDesiredReplicasAnnotation =
    "deployment.kubernetes.io/desired-replicas";
inline constexpr const char* kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
inline constexpr const char* kPodTemplateHashLabel = "pod-template-hash";

// Whether two pod templates are the same for the purposes of finding a Deployment's ReplicaSet
// (upstream compares the whole template ignoring the hash label).
bool equal_templates(const PodTemplate& a, const PodTemplate& b);

class DeploymentController : public ClusterObserver {
 public:
  DeploymentController(Cluster& cluster, EventLoop& loop);

  void on_object_changed(std::string_view kind, const std::string& key) override;

 private:
  struct Tracking {
    TimeMs progress_update_ms = 0;  // Progressing condition's lastUpdateTime
    TimeMs requeue_at_ms = -1;
    const PodTemplate* matched_template = nullptr;  // cache: d.tmpl -> its ReplicaSet
    ReplicaSet* matched = nullptr;
  };

  void sync(const std::string& key);
  std::vector<ReplicaSet*> owned(const Deployment& d);
  ReplicaSet* find_new(Deployment& d, Tracking& t, const std::vector<ReplicaSet*>& sets);
  ReplicaSet* create_new(Deployment& d, Tracking& t, const std::vector<ReplicaSet*>& old_sets);
  void sync_revision(Deployment& d, Tracking& t, ReplicaSet* new_rs,
                     const std::vector<ReplicaSet*>& old_sets);
  bool scale_rs(ReplicaSet& rs, std::int32_t replicas, Deployment& d);
  void scale(Deployment& d, ReplicaSet* new_rs, const std::vector<ReplicaSet*>& old_sets);
  void rollout_rolling(Deployment& d, Tracking& t, ReplicaSet* new_rs,
                       std::vector<ReplicaSet*> old_sets);
  void rollout_recreate(Deployment& d, Tracking& t, ReplicaSet* new_rs,
                        std::vector<ReplicaSet*> old_sets);
  void cleanup(Deployment& d, const std::vector<ReplicaSet*>& old_sets);
  void sync_status(Deployment& d, Tracking& t, ReplicaSet* new_rs,
                   const std::vector<ReplicaSet*>& old_sets, bool rollout);
  DeploymentStatus calculate_status(const Deployment& d, ReplicaSet* new_rs,
                                    const std::vector<ReplicaSet*>& old_sets) const;
  RsView view(const ReplicaSet& rs) const;

  Cluster& cluster_;
  EventLoop& loop_;
  Reconciler reconciler_;
  std::map<std::string, Tracking> tracking_;
  // ReplicaSets by owner uid, kept from ReplicaSet adds/removals (map nodes are stable until
  // erased, and every erase is announced through object_changed).
  std::unordered_map<std::uint64_t, std::vector<ReplicaSet*>> by_owner_;
  std::map<std::string, std::uint64_t, std::less<>> owner_of_;
};

}  // namespace gpusim::ctrl
