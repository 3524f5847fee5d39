#pragma once
// The Job controller (batch/v1), after upstream's pkg/controller/job:
// - keeps min(parallelism, remaining completions) pods active; Indexed Jobs give each pod a
//   completion index and complete when every index in [0, completions) has succeeded;
// - counts failed pods (and, for restartPolicy OnFailure, container restarts) against
//   backoffLimit, and delays replacements after failures by 10 s doubling to 10 min;
// - fails the Job past activeDeadlineSeconds, deletes it ttlSecondsAfterFinished after it
//   finished, and deletes its pods when suspended;
// - records the outcome first (FailureTarget, SuccessCriteriaMet) and sets Failed or Complete
//   once none of its pods is terminating; a failing Job's pods still running count as failed;
// - retries pod creations that the API rejected (quota) with its API back-off, 1 s doubling to
//   60 s, creating pods in slow-start batches (1, 2, 4, ...) that stop at the first error.
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "controllers/reconciler.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

inline constexpr TimeMs kJobPodFailureBackoffMs = 10'000;
inline constexpr TimeMs kJobPodFailureBackoffMaxMs = 10 * 60'000;
inline constexpr TimeMs kJobApiBackoffMs = 1'000;
inline constexpr TimeMs kJobApiBackoffMaxMs = 60'000;

class JobController : public ClusterObserver {
 public:
  JobController(Cluster& cluster, EventLoop& loop);

  void on_object_changed(std::string_view kind, const std::string& key) override;
  void on_pod_updated(PodId id) override;
  void on_pod_deleted(PodId id) override;

 private:
  struct State {
    std::set<std::uint64_t> counted;       // terminal (or vanished) pods already counted
    std::set<std::uint64_t> self_deleted;  // pods this controller deleted (not failures)
    std::int32_t failures_since_success = 0;
    TimeMs last_failure_ms = 0;
    std::int32_t create_errors = 0;
    bool suspended = false;
    // Wake-ups: [0] foreground (deadlines, failure back-off), [1] background (TTL, API retries).
    EventLoop::EventId timer[2]{};
    TimeMs timer_at[2]{kForever, kForever};
  };

  void sync(const std::string& key);
  // The Job is done: SuccessCriteriaMet or FailureTarget now, its active pods deleted, and
  // Complete or Failed by enact_finished once none of its pods is terminating.
  void finish(Job& job, State& st, const std::string& key, bool complete, const std::string& reason,
              const std::string& message);
  void enact_finished(Job& job, State& st, const std::string& key, bool complete,
                      const std::string& reason, const std::string& message);
  void delete_active(Job& job, State& st);
  // Wakes the Job's sync at `at` (the earliest of the requested times is kept).
  void wake_at(const std::string& key, State& st, TimeMs at, bool background);

  Cluster& cluster_;
  EventLoop& loop_;
  Reconciler reconciler_;
  std::map<std::string, State> state_;
};

bool job_finished(const Job& job);
bool job_succeeded(const Job& job);
// Deletes a Job and, as the garbage collector does, its pods.
void delete_job(Cluster& cluster, const std::string& key);

}  // namespace gpusim::ctrl
