#pragma once
// The training-operator's PyTorchJob controller (kubeflow.org/v1), for gang-scheduled
// distributed training:
// - creates a PodGroup (minMember = runPolicy.schedulingPolicy.minAvailable, else every replica)
//   and the pods <job>-master-0, <job>-worker-<i>, labelled into the group so the Coscheduling
//   plugin binds them all together or not at all;
// - all pods run equally long: a gpusim.io/duration distribution (or the Job default) is
//   drawn once per job from Rng::stream(seed, "pytorchjob-durations"), and a pod created again
//   runs it from its own start;
// - succeeds when the Master succeeds (all Workers when there is no Master) and then deletes
//   the pods still running; a lost pod (drained, evicted, preempted, its node gone) is created
//   again alone once it is gone, as ReconcilePods fills an empty replica index, and counts
//   against nothing; a failed pod of a Never replica fails the job, so does one of an ExitCode
//   replica with a permanent exit code, while a retryable one (130, 137, 138, 143) is deleted
//   and created again alone; the restarts of OnFailure and Always pods count against
//   backoffLimit; activeDeadlineSeconds fails the job too;
// - pod creations the API rejects (quota) are retried with the work queue's back-off (5 ms
//   doubling to 1000 s), stopping at the first error of a round, as the operator does.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "controllers/reconciler.hpp"
#include "core/distribution.hpp"
#include "core/rng.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kTrainingJobNameLabel = "training.kubeflow.org/job-name";
inline constexpr const char* kTrainingReplicaTypeLabel = "training.kubeflow.org/replica-type";

class PyTorchJobController : public ClusterObserver {
 public:
  // `default_duration`: how long training pods run when their template has no
  // gpusim.io/duration (the Simulation's Job default).
  PyTorchJobController(Cluster& cluster, EventLoop& loop, std::uint64_t seed,
                       DurationDistribution default_duration);

  void on_object_changed(std::string_view kind, const std::string& key) override;
  void on_pod_updated(PodId id) override;
  void on_pod_deleted(PodId id) override;

 private:
  struct State {
    // Per replica type (labels, restart policy, the drawn run time).
    std::map<std::string, std::shared_ptr<const PodTemplate>> templates;
    bool templates_built = false;
    std::set<std::uint64_t> counted_failed;  // Failed pods already in status.failed
    std::int32_t create_errors = 0;
    EventLoop::EventId timer{};
    TimeMs timer_at = kForever;
    // A member was lost after the gang formed: the pods created again re-form the collective.
    bool reforming = false;
    std::set<std::uint64_t> rejoined;  // pods whose first start restarted their peers
    std::set<std::uint64_t> lost;      // pods whose loss broke the collective
    TimeMs broken_ms = -1;             // the last break: members joining together break it once
  };

  void sync(const std::string& key);
  void fail(PyTorchJob& job, const std::string& key, const std::string& message, bool warning);
  void ensure_pod_group(const PyTorchJob& job, const std::string& key);
  std::shared_ptr<const PodTemplate> template_for(const PyTorchJob& job, State& st,
                                                  const std::string& type);
  void wake_at(const std::string& key, State& st, TimeMs at);
  // The application side of a broken collective (torch.distributed): every other running member
  // of the job exits with an error and restarts per its restartPolicy (Pod peer_failures).
  void break_collective(const Pod& cause);
  // A member deleted before it finished (drain, eviction, preemption, node failure).
  void lost(const Pod& p, const std::string& key);

  Cluster& cluster_;
  EventLoop& loop_;
  Rng durations_;
  DurationDistribution default_duration_;
  Reconciler reconciler_;
  std::map<std::string, State> state_;
};

bool pytorch_job_finished(const PyTorchJob& job);

}  // namespace gpusim::ctrl
