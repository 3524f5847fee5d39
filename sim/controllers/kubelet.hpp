#pragma once
// The simulated kubelet of every node: after a pod is bound it pulls images (once per image and
// node), runs init containers in order, starts the app containers, marks the pod Ready after its
// readiness probe's initial delay, lets it exit after its run time, and carries out deletions
// within the grace period.
#include <unordered_map>

#include "controllers/timings.hpp"
#include "core/event_loop.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

class Kubelet : public ClusterObserver {
 public:
  Kubelet(Cluster& cluster, EventLoop& loop, TimingDefaults defaults);

  void on_pod_bound(PodId id) override;
  void on_pod_updated(PodId id) override;

 private:
  const PodTimings& timings(const Pod& pod);
  void start_containers(PodRef ref);
  void become_ready(PodRef ref);
  void exit_containers(PodRef ref, bool succeeded);
  void terminate(PodId id);
  void finish_termination(PodRef ref);

  Cluster& cluster_;
  EventLoop& loop_;
  TimingDefaults defaults_;
  Rng durations_;
  std::unordered_map<const PodTemplate*, PodTimings> timing_cache_;
};

}  // namespace gpusim::ctrl
