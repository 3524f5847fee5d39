#include "controllers/pytorch_job_controller.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/duration.hpp"

namespace gpusim::ctrl {
namespace {

constexpr const char* kDurationAnnotation = "gpusim.io/duration";

bool has_condition(const JobStatus& s, const char* type) {
  return std::any_of(s.conditions.begin(), s.conditions.end(),
                     [&](const Condition& c) { return c.type == type && c.status == "True"; });
}

void set_condition(JobStatus& s, Condition c) {
  // The training operator keeps one condition per type; a new Running/Restarting/Succeeded/
  // Failed condition turns the others' status False.
  for (auto& existing : s.conditions) {
    if (existing.type == c.type) {
      existing = c;
    } else if (c.status == "True" && existing.type != "Created") {
      existing.status = "False";
    }
  }
  if (std::none_of(s.conditions.begin(), s.conditions.end(),
                   [&](const Condition& e) { return e.type == c.type; })) {
    s.conditions.push_back(std::move(c));
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The replica spec a pod was made from (its replica-type label), or nullptr.
const ReplicaSpec* replica_spec_of(const PyTorchJob& job, const Pod& p) {
  auto t = p.labels().find(kTrainingReplicaTypeLabel);
  if (t == p.labels().end()) return nullptr;
  for (const auto& [type, spec] : job.replica_specs) {
    if (lower(type) == t->second) return &spec;
  }
  return nullptr;
}

// The replica type (the spec's key, "Master" or "Worker") a pod was made from, or nullptr.
const std::string* replica_type_of(const PyTorchJob& job, const Pod& p) {
  auto t = p.labels().find(kTrainingReplicaTypeLabel);
  if (t == p.labels().end()) return nullptr;
  for (const auto& [type, spec] : job.replica_specs) {
    if (lower(type) == t->second) return &type;
  }
  return nullptr;
}

// The training operator's IsRetryableExitCode (pkg/util/train/train_util.go): signals that
// usually mean a transient cause (SIGINT 130, SIGKILL 137, SIGTERM 143) and SIGUSR1 (138, for
// users' own retryable errors) are retried; every other code is permanent (1, 2, 126, 127, 128,
// 139 by name). A pod without an exit code of its container (the operator's 0xbeef) is too.
bool retryable_exit_code(std::optional<std::int32_t> code) {
  if (!code) return false;
  return *code == 130 || *code == 137 || *code == 138 || *code == 143;
}

}  // namespace

bool pytorch_job_finished(const PyTorchJob& job) {
  return has_condition(job.status, "Succeeded") || has_condition(job.status, "Failed");
}

PyTorchJobController::PyTorchJobController(Cluster& cluster, EventLoop& loop, std::uint64_t seed,
                                           DurationDistribution default_duration)
    : cluster_(cluster),
      loop_(loop),
      durations_(Rng::stream(seed, "pytorchjob-durations")),
      default_duration_(default_duration),
      reconciler_(loop, [this](const std::string& k) { sync(k); }) {}

void PyTorchJobController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "PyTorchJob") reconciler_.enqueue(key);
}

void PyTorchJobController::on_pod_updated(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (!p.owner || p.owner->kind != "PyTorchJob") return;
  const std::string key = p.namespace_ + "/" + p.owner->name;
  reconciler_.enqueue(key);
  if (p.deletion_ms && *p.deletion_ms == loop_.now()) {
    lost(p, key);
    return;
  }
  // A member created again after a loss starts: the collective re-forms, and the members that
  // kept running start their run over with it (they could not train without it).
  auto st = state_.find(key);
  if (st != state_.end() && st->second.reforming && p.status.started_ms == loop_.now() &&
      p.status.restarts == 0 && st->second.rejoined.insert(p.uid).second) {
    break_collective(p);
  }
}

void PyTorchJobController::on_pod_deleted(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (!p.owner || p.owner->kind != "PyTorchJob") return;
  const std::string key = p.namespace_ + "/" + p.owner->name;
  // A pod lost before it finished (drained, evicted, preempted, its node gone) is no failure:
  // the next sync finds its index empty and creates it again (ReconcilePods -> createNewPod).
  lost(p, key);
  reconciler_.enqueue(key);
}

void PyTorchJobController::lost(const Pod& p, const std::string& key) {
  // Its peers' processes lose the collective when it is killed (or, deleted at once, gone).
  auto job = cluster_.pytorch_jobs.find(key);
  if (!p.status.started_ms || p.terminal() || job == cluster_.pytorch_jobs.end() ||
      pytorch_job_finished(job->second)) {
    return;
  }
  State& st = state_[key];
  if (!st.lost.insert(p.uid).second) return;
  st.reforming = true;
  break_collective(p);
}

void PyTorchJobController::break_collective(const Pod& cause) {
  State& st = state_[cause.namespace_ + "/" + cause.owner->name];
  if (st.broken_ms == loop_.now()) return;
  st.broken_ms = loop_.now();
  // A copy: a peer's restart may change the job's pod list.
  const std::vector<PodId> members = cluster_.pods_of(cause.owner->uid);
  for (PodId id : members) {
    Pod& peer = cluster_.pod(id);
    if (peer.uid == cause.uid || peer.deletion_ms || peer.terminal() ||
        peer.status.stage != PodStage::kRunning) {
      continue;
    }
    ++peer.status.peer_failures;
    cluster_.pod_changed(id);
  }
}

void PyTorchJobController::wake_at(const std::string& key, State& st, TimeMs at) {
  if (loop_.pending(st.timer)) {
    if (st.timer_at <= at) return;
    loop_.cancel(st.timer);
  }
  st.timer_at = at;
  st.timer = loop_.at_background(at, EventPriority::kController, [this, key] {
    auto it = state_.find(key);
    if (it != state_.end()) it->second.timer_at = kForever;
    reconciler_.enqueue(key);
  });
}

void PyTorchJobController::ensure_pod_group(const PyTorchJob& job, const std::string& key) {
  if (cluster_.pod_groups.count(key)) return;
  std::int32_t total = 0;
  for (const auto& [type, spec] : job.replica_specs)
    total += spec.replicas;
  PodGroup g;
  g.meta.name = job.meta.name;
  g.meta.namespace_ = job.meta.namespace_;
  g.meta.uid = cluster_.next_uid();
  g.meta.creation_ms = loop_.now();
  g.meta.owner = OwnerReference{"PyTorchJob", job.meta.name, job.meta.uid, true};
  g.min_member = job.min_available.value_or(total);
  g.schedule_timeout_s = job.schedule_timeout_s;
  cluster_.pod_groups[key] = std::move(g);
  cluster_.object_changed("PodGroup", key);
}

std::shared_ptr<const PodTemplate> PyTorchJobController::template_for(const PyTorchJob& job,
                                                                      State& st,
                                                                      const std::string& type) {
  if (!st.templates_built) {
    st.templates_built = true;
    // One run time, shared by every replica: the gang trains together. A pod created again runs
    // it from its own start.
    std::optional<DurationDistribution> dist;
    for (const auto& [t, s] : job.replica_specs) {
      if (!s.tmpl) continue;
      if (auto a = s.tmpl->annotations.find(kDurationAnnotation); a != s.tmpl->annotations.end()) {
        dist = DurationDistribution::parse(a->second);
        if (dist) break;
      }
    }
    const TimeMs run = (dist ? *dist : default_duration_).sample(durations_);
    for (const auto& [t, s] : job.replica_specs) {
      if (!s.tmpl) continue;
      PodTemplate pt = *s.tmpl;
      pt.labels[kTrainingJobNameLabel] = job.meta.name;
      pt.labels[kTrainingReplicaTypeLabel] = lower(t);
      pt.labels[kPodGroupLabel] = job.meta.name;
      pt.spec.restart_policy = s.exit_code ? RestartPolicy::kNever : s.restart_policy;
      if (pt.spec.priority_class_name.empty())
        pt.spec.priority_class_name = job.priority_class_name;
      pt.annotations[kDurationAnnotation] = format_duration(run);
      st.templates[t] = make_template(std::move(pt));
    }
  }
  auto it = st.templates.find(type);
  return it == st.templates.end() ? nullptr : it->second;
}

void PyTorchJobController::fail(PyTorchJob& job, const std::string& key, const std::string& message,
                                bool warning) {
  // Every failure has the reason PyTorchJobFailed (NewReason(kind, JobFailedReason)).
  const std::string reason = "PyTorchJobFailed";
  set_condition(job.status, Condition{"Failed", "True", reason, message, loop_.now()});
  job.status.completion_ms = loop_.now();
  // Running pods are cleaned up; finished ones stay for inspection.
  for (PodId id : std::vector<PodId>(cluster_.pods_of(job.meta.uid))) {
    const Pod& p = cluster_.pod(id);
    if (p.terminal() || p.deletion_ms) continue;
    cluster_.request_deletion(id);
  }
  cluster_.emit(ClusterEvent{0, reason, "PyTorchJob", key, {}, message, warning});
  cluster_.object_changed("PyTorchJobStatus", key);
}

void PyTorchJobController::sync(const std::string& key) {
  auto it = cluster_.pytorch_jobs.find(key);
  if (it == cluster_.pytorch_jobs.end()) {
    state_.erase(key);
    return;
  }
  PyTorchJob& job = it->second;
  State& st = state_[key];
  if (pytorch_job_finished(job)) return;
  const TimeMs now = loop_.now();
  const std::string who = "PyTorchJob " + job.meta.name;
  if (!job.status.start_ms) {
    job.status.start_ms = now;
    set_condition(job.status,
                  Condition{"Created", "True", "PyTorchJobCreated", who + " is created.", now});
  }
  ensure_pod_group(job, key);

  const std::vector<PodId> pods = cluster_.pods_of(job.meta.uid);
  std::map<std::string, const Pod*> by_name;
  std::int32_t active = 0, succeeded = 0, new_failures = 0;
  for (PodId id : pods) {
    const Pod& p = cluster_.pod(id);
    by_name[p.name] = &p;
    if (p.status.phase == PodPhase::kFailed) {
      if (st.counted_failed.insert(p.uid).second) ++new_failures;
    } else if (p.status.phase == PodPhase::kSucceeded) {
      ++succeeded;
    } else if (!p.deletion_ms) {
      ++active;
    }
  }
  job.status.active = active;
  job.status.succeeded = succeeded;
  job.status.failed += new_failures;

  // backoffLimit, only when set (the operator defaults none: restarts never fail the job):
  // reached by the restarts of the running pods of OnFailure and Always replicas
  // (PastBackoffLimit: as many as the limit, any with a limit of 0), or, with a limit of 0, by a
  // new Failed pod while not every replica is active (exceedsBackoffLimit: NumRequeues + 1 >
  // limit, and the operator's work queue counts no requeues).
  if (job.backoff_limit) {
    const std::int32_t limit = *job.backoff_limit;
    std::int32_t restarts = 0, total = 0;
    for (const auto& [type, spec] : job.replica_specs)
      total += spec.replicas;
    for (PodId id : pods) {
      const Pod& p = cluster_.pod(id);
      const ReplicaSpec* spec = replica_spec_of(job, p);
      // Running pods only, as PastBackoffLimit counts them (a pod waiting to restart is
      // Running too; one Pending again after a re-creation starts from zero anyway).
      if (spec != nullptr && p.status.phase == PodPhase::kRunning && !p.deletion_ms &&
          (spec->restart_policy == RestartPolicy::kOnFailure ||
           spec->restart_policy == RestartPolicy::kAlways)) {
        restarts += p.status.restarts;
      }
    }
    const bool exceeds = new_failures > 0 && active != total && limit == 0;
    const bool past = limit == 0 ? restarts > 0 : restarts >= limit;
    if (exceeds || past) {
      fail(
          job, key,
          "Job " + job.meta.name + " has failed because it has reached the specified backoff limit",
          /*warning=*/false);
      return;
    }
  }
  // Then activeDeadlineSeconds (ReconcileJobs' order; both fail the job with PyTorchJobFailed,
  // a Normal event).
  if (job.active_deadline_s) {
    const TimeMs deadline = *job.status.start_ms + *job.active_deadline_s * 1000;
    if (now >= deadline) {
      fail(job, key,
           "Job " + job.meta.name +
               " has failed because it was active longer than specified deadline",
           /*warning=*/false);
      return;
    }
    if (!loop_.pending(st.timer) || st.timer_at > deadline) {
      if (loop_.pending(st.timer)) loop_.cancel(st.timer);
      st.timer_at = deadline;
      st.timer = loop_.at(deadline, EventPriority::kController, [this, key] {
        auto s = state_.find(key);
        if (s != state_.end()) s->second.timer_at = kForever;
        reconciler_.enqueue(key);
      });
    }
  }

  // ReconcilePods, per failed pod: a Never replica's fails the job; an ExitCode replica's
  // fails it too unless the exit code is retryable (IsRetryableExitCode); any other (a
  // retryable ExitCode pod, an OnFailure or Always pod the kubelet failed) is deleted and
  // created again alone, the Restarting condition set.
  std::map<std::string, std::int32_t> failed_of;  // replica type -> failed pods
  std::string permanent;                          // the replica type of a permanent failure
  bool never_failed = false;
  std::vector<PodId> retry;
  for (PodId id : pods) {
    const Pod& p = cluster_.pod(id);
    if (p.status.phase != PodPhase::kFailed) continue;
    const auto* type = replica_type_of(job, p);
    if (type == nullptr) continue;
    const ReplicaSpec& spec = job.replica_specs.at(*type);
    ++failed_of[*type];
    if (!spec.exit_code && spec.restart_policy == RestartPolicy::kNever) {
      never_failed = true;
    } else if (spec.exit_code && !retryable_exit_code(p.status.exit_code)) {
      if (permanent.empty()) permanent = *type;
    } else if (!p.deletion_ms) {
      retry.push_back(id);
    }
  }
  if (never_failed) {
    // UpdateJobStatus' message and its Normal event.
    std::string why;
    for (const auto& [type, n] : failed_of) {
      const ReplicaSpec& spec = job.replica_specs.at(type);
      if (spec.exit_code || spec.restart_policy != RestartPolicy::kNever) continue;
      why = std::to_string(n) + " " + type + " replica(s) failed.";
    }
    fail(job, key, who + " is failed because " + why, /*warning=*/false);
    return;
  }
  if (!permanent.empty()) {
    // ReconcilePods' message and its Warning event.
    fail(
        job, key,
        "job \"" + job.meta.name + "\" is failing because \"" + permanent + "\" replica(s) failed.",
        /*warning=*/true);
    return;
  }
  if (!retry.empty()) {
    for (PodId id : retry) {
      const std::string type = *replica_type_of(job, cluster_.pod(id));
      const std::string msg = who + " is restarting because " + std::to_string(failed_of[type]) +
                              " " + type + " replica(s) failed.";
      set_condition(job.status, Condition{"Restarting", "True", "PyTorchJobRestarting", msg, now});
      cluster_.emit(ClusterEvent{0, "PyTorchJobRestarting", "PyTorchJob", key, {}, msg, true});
      // Terminal: removed at once; its on_pod_deleted wakes the sync that creates it again.
      cluster_.request_deletion(id);
    }
    cluster_.object_changed("PyTorchJobStatus", key);
    return;
  }

  // Success: the Master finished (or, without a Master, every Worker).
  const auto master = job.replica_specs.find("Master");
  bool done = false;
  if (master != job.replica_specs.end()) {
    auto m = by_name.find(job.meta.name + "-master-0");
    done = m != by_name.end() && m->second->status.phase == PodPhase::kSucceeded;
  } else {
    std::int32_t want = 0;
    for (const auto& [type, spec] : job.replica_specs)
      want += spec.replicas;
    done = want > 0 && succeeded >= want;
  }
  if (done) {
    set_condition(job.status, Condition{"Succeeded", "True", "PyTorchJobSucceeded",
                                        who + " is successfully completed.", now});
    job.status.completion_ms = now;
    for (PodId id : pods) {
      const Pod& p = cluster_.pod(id);
      if (p.terminal() || p.deletion_ms) continue;
      cluster_.request_deletion(id);
    }
    cluster_.emit(ClusterEvent{
        0,
        "PyTorchJobSucceeded",
        "PyTorchJob",
        key,
        {},
        "PyTorchJob " + job.meta.namespace_ + "/" + job.meta.name + " successfully completed.",
        false});
    cluster_.object_changed("PyTorchJobStatus", key);
    return;
  }

  // Create the missing replicas, Master first; the first rejected create ends the round.
  bool created_all = true;
  for (const auto& [type, spec] : job.replica_specs) {
    for (std::int32_t i = 0; i < spec.replicas && created_all; ++i) {
      const std::string name = job.meta.name + "-" + lower(type) + "-" + std::to_string(i);
      if (by_name.count(name)) continue;
      Pod pod;
      pod.name = name;
      pod.namespace_ = job.meta.namespace_;
      pod.owner = OwnerReference{"PyTorchJob", job.meta.name, job.meta.uid, true};
      pod.index = i;
      pod.tmpl = template_for(job, st, type);
      if (!pod.tmpl) continue;
      CreateResult r = cluster_.create_pod(std::move(pod));
      if (!r.ok()) {
        created_all = false;
        cluster_.emit(ClusterEvent{
            0, "FailedCreatePod", "PyTorchJob", key, {}, "Error creating: " + r.error, true});
      } else {
        ++job.status.active;
        cluster_.emit(ClusterEvent{
            0, "SuccessfulCreatePod", "PyTorchJob", key, {}, "Created pod: " + name, false});
      }
    }
  }
  if (!created_all) {
    // The work queue's rate limiter: 5 ms doubling per failure, at most 1000 s.
    const int f = st.create_errors++;
    wake_at(key, st, now + std::min<TimeMs>(1'000'000, TimeMs{5} << std::min(f, 20)));
  } else {
    st.create_errors = 0;
  }

  // Running once every replica runs.
  std::int32_t want = 0;
  for (const auto& [type, spec] : job.replica_specs)
    want += spec.replicas;
  std::int32_t running = 0;
  for (PodId id : cluster_.pods_of(job.meta.uid)) {
    running += cluster_.pod(id).status.phase == PodPhase::kRunning ? 1 : 0;
  }
  if (running == want && !has_condition(job.status, "Running")) {
    set_condition(job.status,
                  Condition{"Running", "True", "PyTorchJobRunning", who + " is running.", now});
    cluster_.object_changed("PyTorchJobStatus", key);
  }
  if (auto g = cluster_.pod_groups.find(key); g != cluster_.pod_groups.end()) {
    std::int32_t scheduled = 0;
    for (PodId id : cluster_.pods_of(job.meta.uid))
      scheduled += cluster_.pod(id).bound() ? 1 : 0;
    g->second.status.scheduled = scheduled;
    g->second.status.phase = running >= g->second.min_member ? "Running"
                             : scheduled > 0                 ? "Scheduling"
                                                             : "Pending";
  }
}

}  // namespace gpusim::ctrl
