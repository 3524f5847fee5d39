#include "controllers/cron_job_controller.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "controllers/job_controller.hpp"

namespace gpusim::ctrl {
namespace {

// Upstream gives up listing missed start times past 100 (TooManyMissedTimes) and starts the
// most recent one.
constexpr int kMaxMissedTimes = 100;

}  // namespace

CronJobController::CronJobController(Cluster& cluster, EventLoop& loop)
    : cluster_(cluster),
      loop_(loop),
      reconciler_(loop, [this](const std::string& k) { sync(k); }) {}

void CronJobController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "CronJob") {
    reconciler_.enqueue(key);
  } else if (kind == "JobStatus" || kind == "Job") {
    auto it = cluster_.jobs.find(key);
    if (it == cluster_.jobs.end()) return;
    const auto& owner = it->second.meta.owner;
    if (owner && owner->kind == "CronJob") {
      reconciler_.enqueue(it->second.meta.namespace_ + "/" + owner->name);
    }
  }
}

void CronJobController::requeue_at(const std::string& key, State& st, TimeMs at) {
  if (at == kForever) return;
  if (loop_.pending(st.timer)) {
    if (st.timer_at <= at) return;
    loop_.cancel(st.timer);
  }
  st.timer_at = at;
  // Background: a CronJob alone does not keep a run going (give the Simulation a duration).
  st.timer = loop_.at_background(at, EventPriority::kController, [this, key] {
    auto it = state_.find(key);
    if (it != state_.end()) it->second.timer_at = kForever;
    reconciler_.enqueue(key);
  });
}

void CronJobController::sync(const std::string& key) {
  auto it = cluster_.cron_jobs.find(key);
  if (it == cluster_.cron_jobs.end()) {
    state_.erase(key);
    return;
  }
  CronJob& cj = it->second;
  State& st = state_[key];
  const TimeMs now = loop_.now();

  // The Jobs this CronJob owns, oldest first.
  std::vector<std::pair<std::string, Job*>> owned;
  const std::string prefix = cj.meta.namespace_ + "/";
  for (auto j = cluster_.jobs.lower_bound(prefix);
       j != cluster_.jobs.end() && j->first.compare(0, prefix.size(), prefix) == 0; ++j) {
    const auto& owner = j->second.meta.owner;
    if (owner && owner->uid == cj.meta.uid) owned.emplace_back(j->first, &j->second);
  }
  std::stable_sort(owned.begin(), owned.end(), [](const auto& a, const auto& b) {
    return a.second->meta.creation_ms < b.second->meta.creation_ms;
  });
  cj.status.active.clear();
  std::vector<std::string> succeeded, failed;
  for (const auto& [jkey, job] : owned) {
    if (!job_finished(*job)) {
      cj.status.active.push_back(job->meta.name);
      continue;
    }
    const bool ok = job_succeeded(*job);
    (ok ? succeeded : failed).push_back(jkey);
    if (st.seen_finished.insert(jkey).second) {
      if (ok && job->status.completion_ms) cj.status.last_successful_ms = job->status.completion_ms;
      cluster_.emit(ClusterEvent{
          0,
          "SawCompletedJob",
          "CronJob",
          key,
          {},
          "Saw completed job: " + job->meta.name + ", condition: " + (ok ? "Complete" : "Failed"),
          false});
    }
  }
  // History limits: the oldest finished Jobs beyond the limits go.
  auto prune = [&](const std::vector<std::string>& finished, std::int32_t limit) {
    const auto excess = static_cast<std::int64_t>(finished.size()) - std::max(0, limit);
    for (std::int64_t i = 0; i < excess; ++i) {
      const std::string& jkey = finished[static_cast<std::size_t>(i)];
      const std::string name = jkey.substr(prefix.size());
      st.seen_finished.erase(jkey);
      delete_job(cluster_, jkey);
      cluster_.emit(
          ClusterEvent{0, "SuccessfulDelete", "CronJob", key, {}, "Deleted job " + name, false});
    }
  };
  prune(succeeded, cj.successful_jobs_history_limit);
  prune(failed, cj.failed_jobs_history_limit);

  if (cj.suspend) return;
  std::string err;
  const auto sched = CronSchedule::parse(cj.schedule, &err);
  if (!sched) {
    cluster_.emit(ClusterEvent{0,
                               "UnparseableSchedule",
                               "CronJob",
                               key,
                               {},
                               "unparseable schedule: \"" + cj.schedule + "\" : " + err,
                               true});
    return;
  }

  // The most recent schedule time not yet started, looking back no further than the last
  // scheduled run (or creation), nor than startingDeadlineSeconds.
  TimeMs earliest = cj.status.last_schedule_ms.value_or(cj.meta.creation_ms);
  if (cj.starting_deadline_s) earliest = std::max(earliest, now - *cj.starting_deadline_s * 1000);
  std::optional<TimeMs> most_recent;
  int missed = 0;
  for (auto t = sched->next_after_ms(earliest); t && *t <= now; t = sched->next_after_ms(*t)) {
    most_recent = t;
    ++missed;
  }
  if (missed > kMaxMissedTimes) {
    // The count of every missed start time (upstream estimates it from the schedule's period).
    cluster_.emit(ClusterEvent{0,
                               "TooManyMissedTimes",
                               "CronJob",
                               key,
                               {},
                               "too many missed start times: " + std::to_string(missed) +
                                   ". Set or decrease .spec.startingDeadlineSeconds or check "
                                   "clock skew",
                               true});
  }
  const auto next = sched->next_after_ms(now);
  if (!most_recent) {
    if (next) requeue_at(key, st, *next);
    return;
  }
  if (cj.starting_deadline_s && *most_recent + *cj.starting_deadline_s * 1000 < now) {
    cluster_.emit(ClusterEvent{0,
                               "MissSchedule",
                               "CronJob",
                               key,
                               {},
                               "Missed scheduled time to start a job: " +
                                   format_rfc3339(kSimulationEpochUnixS + *most_recent / 1000),
                               true});
    if (next) requeue_at(key, st, *next);
    return;
  }
  if (cj.concurrency_policy == ConcurrencyPolicy::kForbid && !cj.status.active.empty()) {
    // The run stays unmet: once the active Job finishes, its status change brings us back here.
    cluster_.emit(ClusterEvent{0,
                               "JobAlreadyActive",
                               "CronJob",
                               key,
                               {},
                               "Not starting job because prior execution is running and "
                               "concurrency policy is Forbid",
                               false});
    if (next) requeue_at(key, st, *next);
    return;
  }
  if (cj.concurrency_policy == ConcurrencyPolicy::kReplace) {
    for (const auto& name : cj.status.active) {
      delete_job(cluster_, prefix + name);
      cluster_.emit(
          ClusterEvent{0, "SuccessfulDelete", "CronJob", key, {}, "Deleted job " + name, false});
    }
    cj.status.active.clear();
  }

  const std::int64_t scheduled_unix_s = kSimulationEpochUnixS + *most_recent / 1000;
  const std::string name = cj.meta.name + "-" + std::to_string(scheduled_unix_s / 60);
  const std::string jkey = prefix + name;
  if (!cluster_.jobs.count(jkey)) {
    Job job;
    job.meta.name = name;
    job.meta.namespace_ = cj.meta.namespace_;
    job.meta.labels = cj.job_template.labels;
    job.meta.annotations = cj.job_template.annotations;
    job.meta.annotations[kCronJobScheduledTimestampAnnotation] = format_rfc3339(scheduled_unix_s);
    job.meta.owner = OwnerReference{"CronJob", cj.meta.name, cj.meta.uid, true};
    job.meta.uid = cluster_.next_uid();
    job.meta.creation_ms = now;
    job.spec = cj.job_template.spec;
    if (auto refused = cluster_.admit_object("Job", job.meta)) {
      // As an error from upstream's sync: the run stays unstarted (lastScheduleTime unchanged)
      // and the CronJob is retried with the controller's per-item exponential back-off.
      cluster_.emit(ClusterEvent{
          0, "FailedCreate", "CronJob", key, {}, object_refusal_message("Job", *refused), true});
      reconciler_.enqueue_rate_limited(key);
      return;
    }
    reconciler_.forget(key);
    cluster_.jobs[jkey] = std::move(job);
    cluster_.object_changed("Job", jkey);
    cluster_.emit(
        ClusterEvent{0, "SuccessfulCreate", "CronJob", key, {}, "Created job " + name, false});
    cj.status.active.push_back(name);
  }
  cj.status.last_schedule_ms = *most_recent;
  cluster_.object_changed("CronJobStatus", key);
  if (next) requeue_at(key, st, *next);
}

}  // namespace gpusim::ctrl
