#pragma once
// Keeps each ReplicaSet's pod count at spec.replicas: creates missing pods in slow-start batches
// (1, 2, 4, ...; a failed create ends the batch and retries with back-off, as upstream does when
// quota rejects a pod), deletes surplus pods in upstream's deletion order, and maintains
// status.replicas/readyReplicas/availableReplicas (available = ready for minReadySeconds).
#include <map>
#include <string>
#include <vector>

#include "controllers/reconciler.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

class ReplicaSetController : public ClusterObserver {
 public:
  ReplicaSetController(Cluster& cluster, EventLoop& loop);

  void on_object_changed(std::string_view kind, const std::string& key) override;
  void on_pod_added(PodId id) override { pod_event(id); }
  void on_pod_updated(PodId id) override { pod_event(id); }
  void on_pod_deleted(PodId id) override { pod_event(id); }

  // Upstream's ReplicaSet scale-down order (k8s-semantics.md 7.6): the first pods are deleted
  // first.
  static void rank_for_deletion(const Cluster& cluster, std::vector<PodId>& pods);

 private:
  void pod_event(PodId id);
  void sync(const std::string& key);

  Cluster& cluster_;
  EventLoop& loop_;
  Reconciler reconciler_;
  std::map<std::string, int> create_failures_;  // per ReplicaSet, for back-off
};

// Whether a pod counts toward its owner's replicas: not terminal, not being deleted.
inline bool is_active(const Pod& p) {
  return !p.terminal() && !p.deletion_ms;
}
// The active pods an owner controls.
std::vector<PodId> active_pods_of(const Cluster& cluster, std::uint64_t owner_uid);

}  // namespace gpusim::ctrl
