#pragma once
// The CronJob controller (batch/v1), after upstream's cronjob_controllerv2: at each schedule time
// it creates a Job named <cronjob>-<scheduled minutes since the Unix epoch> from the job
// template, honouring suspend, startingDeadlineSeconds (a start later than that after its
// scheduled time is skipped as MissSchedule) and concurrencyPolicy (Allow runs Jobs side by
// side; Forbid does not start while one is active and starts the missed run once it finishes,
// if still within the starting deadline; Replace deletes the active Jobs first). Finished Jobs
// beyond successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted, oldest first. A Job
// that admission refuses (count/jobs.batch) is a FailedCreate event and a retry with back-off.
// Simulated time 0 is kSimulationEpochUnixS (cron_schedule.hpp); schedules are UTC.
#include <map>
#include <set>
#include <string>

#include "controllers/cron_schedule.hpp"
#include "controllers/reconciler.hpp"
#include "model/cluster.hpp"

namespace gpusim::ctrl {

inline constexpr const char* kCronJobScheduledTimestampAnnotation =
    "batch.kubernetes.io/cronjob-scheduled-timestamp";

class CronJobController : public ClusterObserver {
 public:
  CronJobController(Cluster& cluster, EventLoop& loop);

  void on_object_changed(std::string_view kind, const std::string& key) override;

 private:
  struct State {
    EventLoop::EventId timer{};
    TimeMs timer_at = kForever;
    std::set<std::string> seen_finished;  // Jobs already reported as completed
  };
  void sync(const std::string& key);
  void requeue_at(const std::string& key, State& st, TimeMs at);

  Cluster& cluster_;
  EventLoop& loop_;
  Reconciler reconciler_;
  std::map<std::string, State> state_;
};

}  // namespace gpusim::ctrl
