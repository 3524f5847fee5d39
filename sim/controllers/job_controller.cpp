#include "controllers/job_controller.hpp"

#include <algorithm>

#include "controllers/replica_set_controller.hpp"

namespace gpusim::ctrl {

bool job_finished(const Job& job) {
  return std::any_of(job.status.conditions.begin(), job.status.conditions.end(), [](const Condition& c) {
    return (c.type == "Complete" || c.type == "Failed") && c.status == "True";
  });
}

JobController::JobController(Cluster& cluster, EventLoop& loop)
    : cluster_(cluster), loop_(loop), reconciler_(loop, [this](const std::string& k) { sync(k); }) {}

void JobController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "Job") reconciler_.enqueue(key);
}

void JobController::on_pod_updated(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (p.owner && p.owner->kind == "Job") reconciler_.enqueue(p.namespace_ + "/" + p.owner->name);
}

void JobController::on_pod_deleted(PodId id) { on_pod_updated(id); }

void JobController::finish(Job& job, const std::string& key, bool complete, const std::string& reason,
                           const std::string& message) {
  job.status.conditions.push_back(
      Condition{complete ? "Complete" : "Failed", "True", reason, message, loop_.now()});
  job.status.completion_ms = loop_.now();
  for (PodId id : active_pods_of(cluster_, job.meta.uid)) cluster_.request_deletion(id);
  job.status.active = 0;
  cluster_.emit(ClusterEvent{0, complete ? "Completed" : "BackoffLimitExceeded", "Job", key, {},
                             message, !complete});
  cluster_.object_changed("JobStatus", key);
}

void JobController::sync(const std::string& key) {
  auto it = cluster_.jobs.find(key);
  if (it == cluster_.jobs.end()) return;
  Job& job = it->second;
  if (job_finished(job) || job.spec.suspend) return;
  if (!job.status.start_ms) job.status.start_ms = loop_.now();

  for (PodId id : cluster_.pods_of(job.meta.uid)) {
    const Pod& p = cluster_.pod(id);
    if (!p.terminal() || counted_.count(p.uid)) continue;
    counted_.insert(p.uid);
    if (p.status.phase == PodPhase::kSucceeded) {
      ++job.status.succeeded;
    } else {
      ++job.status.failed;
    }
  }
  const std::vector<PodId> active = active_pods_of(cluster_, job.meta.uid);
  job.status.active = static_cast<std::int32_t>(active.size());

  if (job.status.failed > job.spec.backoff_limit) {
    finish(job, key, false, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
    return;
  }
  const std::int32_t parallelism = job.spec.parallelism.value_or(1);
  std::int32_t want = 0;
  if (job.spec.completions) {
    if (job.status.succeeded >= *job.spec.completions) {
      finish(job, key, true, "Completed", "Job completed");
      return;
    }
    want = std::min(parallelism, *job.spec.completions - job.status.succeeded);
  } else {
    // Work-queue Job: done when a pod succeeded and none is left running.
    if (job.status.succeeded > 0 && active.empty()) {
      finish(job, key, true, "Completed", "Job completed");
      return;
    }
    want = job.status.succeeded > 0 ? 0 : parallelism;
  }
  for (std::int32_t i = job.status.active; i < want; ++i) {
    Pod pod;
    pod.namespace_ = job.meta.namespace_;
    pod.name = cluster_.generate_name(pod.namespace_, job.meta.name + "-");
    pod.owner = OwnerReference{"Job", job.meta.name, job.meta.uid, true};
    pod.tmpl = job.spec.tmpl;
    const std::string name = pod.name;
    CreateResult r = cluster_.create_pod(std::move(pod));
    if (!r.ok()) {
      cluster_.emit(ClusterEvent{0, "FailedCreate", "Job", key, {}, "Error creating: " + r.error, true});
      reconciler_.enqueue_after(key, 10'000);
      break;
    }
    ++job.status.active;
    cluster_.emit(ClusterEvent{0, "SuccessfulCreate", "Job", key, {}, "Created pod: " + name, false});
  }
}

}  // namespace gpusim::ctrl
