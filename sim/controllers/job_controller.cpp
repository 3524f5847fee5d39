#include "controllers/job_controller.hpp"

#include <algorithm>
#include <vector>

#include "controllers/replica_set_controller.hpp"

namespace gpusim::ctrl {
namespace {

bool has_condition(const Job& job, const char* type) {
  return std::any_of(job.status.conditions.begin(), job.status.conditions.end(),
                     [&](const Condition& c) { return c.type == type && c.status == "True"; });
}

const Condition* true_condition(const Job& job, const char* type) {
  for (const auto& c : job.status.conditions) {
    if (c.type == type && c.status == "True") return &c;
  }
  return nullptr;
}

void set_condition(Job& job, Condition c) {
  for (auto& existing : job.status.conditions) {
    if (existing.type == c.type) {
      if (existing.status != c.status) existing = std::move(c);
      return;
    }
  }
  job.status.conditions.push_back(std::move(c));
}

// When a failed pod finished, for the pod-failure back-off (upstream's getFinishedTime): its
// containers' exit, else the time its Ready condition turned False, else the deletion request
// (upstream's deletionTimestamp - grace period; gpusim records the request itself).
TimeMs finished_time(const Pod& p) {
  if (p.status.finished_ms) return *p.status.finished_ms;
  if (!p.status.ready && p.status.ready_transition_ms) return *p.status.ready_transition_ms;
  if (p.deletion_ms) return *p.deletion_ms;
  return p.creation_ms;
}

TimeMs doubling(TimeMs base, TimeMs cap, std::int32_t steps) {
  TimeMs d = base;
  for (std::int32_t i = 1; i < steps && d < cap; ++i)
    d *= 2;
  return std::min(d, cap);
}

}  // namespace

bool job_finished(const Job& job) {
  return has_condition(job, "Complete") || has_condition(job, "Failed");
}

bool job_succeeded(const Job& job) {
  return has_condition(job, "Complete");
}

void delete_job(Cluster& cluster, const std::string& key) {
  auto it = cluster.jobs.find(key);
  if (it == cluster.jobs.end()) return;
  const std::vector<PodId> pods = cluster.pods_of(it->second.meta.uid);
  for (PodId id : pods)
    cluster.request_deletion(id);
  cluster.jobs.erase(it);
  cluster.object_changed("Job", key);
}

JobController::JobController(Cluster& cluster, EventLoop& loop)
    : cluster_(cluster),
      loop_(loop),
      reconciler_(loop, [this](const std::string& k) { sync(k); }) {}

void JobController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "Job") reconciler_.enqueue(key);
}

void JobController::on_pod_updated(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (p.owner && p.owner->kind == "Job") reconciler_.enqueue(p.namespace_ + "/" + p.owner->name);
}

void JobController::on_pod_deleted(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (!p.owner || p.owner->kind != "Job") return;
  const std::string key = p.namespace_ + "/" + p.owner->name;
  auto it = state_.find(key);
  if (it != state_.end() && !p.terminal() && !it->second.self_deleted.count(p.uid)) {
    // A pod removed before it finished that sync never saw terminating (an unbound pod is
    // removed at once, so is a pod whose node object goes) failed, as the Job controller's
    // finalizer tracking counts it. Pods seen with a deletion request were counted then.
    if (it->second.counted.insert(p.uid).second) {
      auto job = cluster_.jobs.find(key);
      if (job != cluster_.jobs.end() && job->second.meta.uid == p.owner->uid &&
          !job_finished(job->second)) {
        ++job->second.status.failed;
        ++it->second.failures_since_success;
        it->second.last_failure_ms = std::max(it->second.last_failure_ms, loop_.now());
      }
    }
  }
  if (it != state_.end()) it->second.self_deleted.erase(p.uid);
  reconciler_.enqueue(key);
}

void JobController::wake_at(const std::string& key, State& st, TimeMs at, bool background) {
  if (at <= loop_.now()) {
    reconciler_.enqueue(key);
    return;
  }
  const int k = background ? 1 : 0;
  if (loop_.pending(st.timer[k])) {
    if (st.timer_at[k] <= at) return;
    loop_.cancel(st.timer[k]);
  }
  st.timer_at[k] = at;
  auto fn = [this, key, k] {
    auto it = state_.find(key);
    if (it != state_.end()) it->second.timer_at[k] = kForever;
    reconciler_.enqueue(key);
  };
  st.timer[k] = background ? loop_.at_background(at, EventPriority::kController, fn)
                           : loop_.at(at, EventPriority::kController, fn);
}

void JobController::delete_active(Job& job, State& st) {
  for (PodId id : active_pods_of(cluster_, job.meta.uid)) {
    st.self_deleted.insert(cluster_.pod(id).uid);
    cluster_.request_deletion(id);
  }
  job.status.active = 0;
}

void JobController::finish(Job& job, State& st, const std::string& key, bool complete,
                           const std::string& reason, const std::string& message) {
  // Upstream first records the decision (SuccessCriteriaMet or FailureTarget) and deletes the
  // active pods; when the Job fails, every pod not yet terminated counts as failed.
  set_condition(job, Condition{complete ? "SuccessCriteriaMet" : "FailureTarget", "True", reason,
                               message, loop_.now()});
  if (!complete) {
    for (PodId id : active_pods_of(cluster_, job.meta.uid)) {
      if (st.counted.insert(cluster_.pod(id).uid).second) ++job.status.failed;
    }
  }
  delete_active(job, st);
  cluster_.object_changed("JobStatus", key);
  enact_finished(job, st, key, complete, reason, message);
}

void JobController::enact_finished(Job& job, State& st, const std::string& key, bool complete,
                                   const std::string& reason, const std::string& message) {
  // The terminal condition (and its event) waits until no pod is terminating: upstream's
  // enactJobFinished under delayTerminalCondition (JobPodReplacementPolicy, JobManagedBy).
  for (PodId id : cluster_.pods_of(job.meta.uid)) {
    const Pod& p = cluster_.pod(id);
    if (p.deletion_ms && !p.terminal()) return;
  }
  set_condition(job,
                Condition{complete ? "Complete" : "Failed", "True", reason, message, loop_.now()});
  if (complete) job.status.completion_ms = loop_.now();
  cluster_.emit(
      ClusterEvent{0, complete ? "Completed" : reason, "Job", key, {}, message, !complete});
  cluster_.object_changed("JobStatus", key);
  if (job.spec.ttl_seconds_after_finished) {
    wake_at(key, st, loop_.now() + *job.spec.ttl_seconds_after_finished * 1000,
            /*background=*/true);
  }
}

void JobController::sync(const std::string& key) {
  auto it = cluster_.jobs.find(key);
  if (it == cluster_.jobs.end()) {
    state_.erase(key);
    return;
  }
  Job& job = it->second;
  State& st = state_[key];
  const TimeMs now = loop_.now();

  if (job_finished(job)) {
    // ttlSecondsAfterFinished: the TTL controller deletes the Job (and its pods) once expired.
    if (job.spec.ttl_seconds_after_finished) {
      TimeMs finished_at = now;
      for (const auto& c : job.status.conditions) {
        if ((c.type == "Complete" || c.type == "Failed") && c.status == "True") {
          finished_at = c.last_transition_ms;
        }
      }
      const TimeMs expire = finished_at + *job.spec.ttl_seconds_after_finished * 1000;
      if (expire <= now) {
        delete_job(cluster_, key);
        state_.erase(key);
      } else {
        wake_at(key, st, expire, /*background=*/true);
      }
    }
    return;
  }

  // Finishing: the decision was taken in an earlier sync; the terminal condition follows once
  // the pods still terminating are gone (their deletion wakes this sync).
  if (const Condition* c = true_condition(job, "FailureTarget")) {
    const Condition target = *c;
    enact_finished(job, st, key, false, target.reason, target.message);
    return;
  }
  if (const Condition* c = true_condition(job, "SuccessCriteriaMet")) {
    const Condition met = *c;
    enact_finished(job, st, key, true, met.reason, met.message);
    return;
  }

  const JobStatus before = job.status;
  const bool indexed = job.spec.completion_mode == CompletionMode::kIndexed;
  const bool on_failure =
      job.spec.tmpl && job.spec.tmpl->spec.restart_policy == RestartPolicy::kOnFailure;

  // Count pods that finished since the last sync.
  std::vector<PodId> active;
  std::int32_t terminating = 0;  // counted only under podReplacementPolicy Failed
  const bool only_failed = job.spec.pod_replacement_policy == PodReplacementPolicy::kFailed;
  std::int32_t restarts = 0;
  std::vector<char> index_active;
  if (indexed && job.spec.completions) {
    index_active.assign(static_cast<std::size_t>(std::max(0, *job.spec.completions)), 0);
  }
  for (PodId id : cluster_.pods_of(job.meta.uid)) {
    const Pod& p = cluster_.pod(id);
    if (p.terminal()) {
      if (!st.counted.insert(p.uid).second) continue;
      if (p.status.phase == PodPhase::kSucceeded) {
        st.failures_since_success = 0;
        if (indexed) {
          auto& done = job.status.completed_indexes;
          const auto pos = std::lower_bound(done.begin(), done.end(), p.index);
          if (p.index >= 0 && (pos == done.end() || *pos != p.index)) done.insert(pos, p.index);
        } else {
          ++job.status.succeeded;
        }
      } else {
        ++job.status.failed;
        ++st.failures_since_success;
        st.last_failure_ms = std::max(st.last_failure_ms, finished_time(p));
      }
      continue;
    }
    if (p.deletion_ms) {
      // A pod deleted before it finished (drained, evicted, preempted, its node tainted) has
      // failed from now on, though it may take its grace period, or a down node's recovery, to
      // go away: upstream's isPodFailed under podReplacementPolicy TerminatingOrFailed. Pods this
      // controller deleted itself (suspend, scale-down) are not failures: upstream removes their
      // tracking finalizer before deleting them. Under podReplacementPolicy Failed only phase
      // Failed counts: the pod is a failure when it goes (on_pod_deleted), and it holds its
      // place until then.
      if (only_failed) {
        ++terminating;
      } else if (!st.self_deleted.count(p.uid) && st.counted.insert(p.uid).second) {
        ++job.status.failed;
        ++st.failures_since_success;
        st.last_failure_ms = std::max(st.last_failure_ms, finished_time(p));
      }
      continue;
    }
    active.push_back(id);
    if (on_failure) restarts += p.status.restarts;
    if (p.index >= 0 && static_cast<std::size_t>(p.index) < index_active.size()) {
      index_active[static_cast<std::size_t>(p.index)] = 1;
    }
  }
  if (indexed)
    job.status.succeeded = static_cast<std::int32_t>(job.status.completed_indexes.size());
  job.status.active = static_cast<std::int32_t>(active.size());

  // Suspension deletes the active pods; resuming restarts the deadline clock.
  if (job.spec.suspend) {
    if (!st.suspended) {
      st.suspended = true;
      delete_active(job, st);
      set_condition(job, Condition{"Suspended", "True", "JobSuspended", "Job suspended", now});
      cluster_.emit(ClusterEvent{0, "Suspended", "Job", key, {}, "Job suspended", false});
      cluster_.object_changed("JobStatus", key);
    }
    return;
  }
  if (st.suspended) {
    st.suspended = false;
    job.status.start_ms = now;
    set_condition(job, Condition{"Suspended", "False", "JobResumed", "Job resumed", now});
    cluster_.emit(ClusterEvent{0, "Resumed", "Job", key, {}, "Job resumed", false});
  }
  if (!job.status.start_ms) job.status.start_ms = now;

  // Failure conditions, in upstream's order: backoff limit, then the active deadline. Failed
  // pods exceed the limit when more than it; OnFailure restarts of the pods still running reach
  // it when as many as it (any restart with a limit of 0): pastBackoffLimitOnFailure.
  const bool restarts_past_limit =
      on_failure &&
      (job.spec.backoff_limit == 0 ? restarts > 0 : restarts >= job.spec.backoff_limit);
  if (job.status.failed > job.spec.backoff_limit || restarts_past_limit) {
    finish(job, st, key, false, "BackoffLimitExceeded",
           "Job has reached the specified backoff limit");
    return;
  }
  if (job.spec.active_deadline_s) {
    const TimeMs deadline = *job.status.start_ms + *job.spec.active_deadline_s * 1000;
    if (now >= deadline) {
      finish(job, st, key, false, "DeadlineExceeded",
             "Job was active longer than specified deadline");
      return;
    }
    wake_at(key, st, deadline, /*background=*/false);
  }

  // Completion and the number of pods wanted.
  const std::int32_t parallelism = job.spec.parallelism.value_or(1);
  std::int32_t want = 0;
  std::vector<std::int32_t> indexes_to_start;
  if (job.spec.completions) {
    const std::int32_t completions = *job.spec.completions;
    if (job.status.succeeded >= completions) {
      finish(job, st, key, true, "CompletionsReached", "Job completed");
      return;
    }
    want = std::min(parallelism, completions - job.status.succeeded);
    if (indexed) {
      const auto& done = job.status.completed_indexes;
      for (std::int32_t i = 0; i < completions; ++i) {
        if (index_active[static_cast<std::size_t>(i)] ||
            std::binary_search(done.begin(), done.end(), i)) {
          continue;
        }
        indexes_to_start.push_back(i);
      }
    }
  } else {
    // Work-queue Job: done when a pod succeeded and none is left running. After the first
    // success no pod is added, and the running ones are left to finish (upstream's
    // wantActive = active).
    if (job.status.succeeded > 0 && active.empty()) {
      finish(job, st, key, true, "CompletionsReached", "Job completed");
      return;
    }
    want = job.status.succeeded > 0 ? static_cast<std::int32_t>(active.size()) : parallelism;
  }

  const auto have = static_cast<std::int32_t>(active.size());
  if (have > want) {
    // Parallelism was lowered: remove the newest pods.
    std::vector<PodId> extra = active;
    std::sort(extra.begin(), extra.end(), [&](PodId a, PodId b) {
      return cluster_.pod(a).creation_ms > cluster_.pod(b).creation_ms ||
             (cluster_.pod(a).creation_ms == cluster_.pod(b).creation_ms &&
              cluster_.pod(a).uid > cluster_.pod(b).uid);
    });
    for (std::int32_t i = 0; i < have - want; ++i) {
      const PodId id = extra[static_cast<std::size_t>(i)];
      st.self_deleted.insert(cluster_.pod(id).uid);
      cluster_.request_deletion(id);
    }
    job.status.active = want;
  } else if (have + terminating < want) {
    std::int32_t to_create = want - have - terminating;
    if (indexed)
      to_create =
          std::min<std::int32_t>(to_create, static_cast<std::int32_t>(indexes_to_start.size()));
    // Replacements after failures wait out the pod-failure back-off.
    const TimeMs backoff = st.failures_since_success > 0
                               ? doubling(kJobPodFailureBackoffMs, kJobPodFailureBackoffMaxMs,
                                          st.failures_since_success)
                               : 0;
    if (to_create > 0 && backoff > 0 && now < st.last_failure_ms + backoff) {
      wake_at(key, st, st.last_failure_ms + backoff, /*background=*/false);
      to_create = 0;
    }
    std::int32_t batch = 1;
    std::size_t next_index = 0;
    bool failed = false;
    while (to_create > 0 && !failed) {
      const std::int32_t n = std::min(batch, to_create);
      for (std::int32_t i = 0; i < n && !failed; ++i) {
        Pod pod;
        pod.namespace_ = job.meta.namespace_;
        pod.owner = OwnerReference{"Job", job.meta.name, job.meta.uid, true};
        pod.tmpl = job.spec.tmpl;
        std::string prefix = job.meta.name + "-";
        if (indexed) {
          pod.index = indexes_to_start[next_index++];
          prefix += std::to_string(pod.index) + "-";
        }
        pod.name = cluster_.generate_name(pod.namespace_, prefix);
        const std::string name = pod.name;
        CreateResult r = cluster_.create_pod(std::move(pod));
        if (!r.ok()) {
          failed = true;
          cluster_.emit(
              ClusterEvent{0, "FailedCreate", "Job", key, {}, "Error creating: " + r.error, true});
        } else {
          ++job.status.active;
          cluster_.emit(
              ClusterEvent{0, "SuccessfulCreate", "Job", key, {}, "Created pod: " + name, false});
        }
      }
      to_create -= n;
      batch *= 2;
    }
    if (failed) {
      // Nothing new prompts this retry; the quota frees up when other pods finish.
      wake_at(key, st, now + doubling(kJobApiBackoffMs, kJobApiBackoffMaxMs, ++st.create_errors),
              /*background=*/true);
    } else {
      st.create_errors = 0;
    }
  }

  if (job.status.active != before.active || job.status.succeeded != before.succeeded ||
      job.status.failed != before.failed || job.status.start_ms != before.start_ms) {
    cluster_.object_changed("JobStatus", key);
  }
}

}  // namespace gpusim::ctrl
