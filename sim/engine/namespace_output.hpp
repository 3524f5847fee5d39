#pragma once
// Namespaced fairness: per namespace, how long pods waited to be placed and how many GPU-hours
// they held, in summary.json "namespaces" and namespaces.csv (one row per namespace:
// namespace,pods_created,pods_scheduled,pods_unscheduled,pods_rejected,quota_rejections,
// wait_mean_ms,wait_p50_ms,wait_p95_ms,wait_max_ms,gpu_milli_hours).
// A pod's wait is creation to binding; a pod never bound waits until it is deleted or the run
// ends. When admission refused its owner's pod creations (quota: FailedCreate events of the Job,
// ReplicaSet, ...) before it was created, the wait starts at the first refusal since the owner
// last created a pod (RefusedCreations; pods.csv wait_from_ms, the reports' pod_wait_with_quota):
// the first pod created after refusals carries them, the pods created with it in the same sync
// do not. Creations still refused when
// the run ends are counted in pods_rejected and quota_rejections, not in the waits. GPU use is the
// milli-GPU a bound pod holds times how long it holds it, in milli-GPU-hours (1000 = one GPU for
// one hour), exact integers. Rejections are FailedCreate events of pods (the pod never existed;
// refused Jobs, Deployments, ... are not pods); those whose message says "exceeded quota" are
// quota rejections.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event_loop.hpp"
#include "core/int128.hpp"
#include "engine/refused_creations.hpp"
#include "engine/simulation.hpp"
#include "model/cluster.hpp"

namespace gpusim::engine {

class NamespaceOutput : public OutputContributor, public ClusterObserver {
 public:
  NamespaceOutput(const Cluster& cluster, EventLoop& loop);

  void finish() override;
  void add_summary(nlohmann::ordered_json& summary) const override;
  void write(const StagedDirectory& dir) const override;

  void on_pod_added(PodId id) override;
  void on_pod_bound(PodId id) override;
  void on_pod_released(PodId id, NodeId node) override;
  void on_pod_deleted(PodId id) override;
  void on_event(const ClusterEvent& e) override;

  struct Figures {
    std::int64_t pods_created = 0;
    std::int64_t pods_scheduled = 0;    // bound at least once
    std::int64_t pods_unscheduled = 0;  // never bound (deleted, or still waiting at the end)
    std::int64_t pods_rejected = 0;
    std::int64_t quota_rejections = 0;
    std::vector<TimeMs> waits_ms;
    Int128 gpu_milli_ms = 0;
    std::int64_t gpu_milli_hours() const {
      return static_cast<std::int64_t>(gpu_milli_ms / 3'600'000);
    }
  };
  const std::map<std::string, Figures>& figures() const { return figures_; }

 private:
  struct Open {
    std::string namespace_;
    TimeMs created_ms = 0;
    TimeMs bound_ms = -1;
    std::int64_t gpu_milli = 0;
    bool waited = false;  // the wait was recorded
  };
  void close(Open& o, bool deleted);

  const Cluster& cluster_;
  EventLoop& loop_;
  std::map<std::string, Figures> figures_;
  std::unordered_map<std::uint64_t, Open> open_;  // by pod uid; never iterated into outputs
  RefusedCreations refused_;
  bool finished_ = false;
};

}  // namespace gpusim::engine
