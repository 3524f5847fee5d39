#include "controllers/kubelet.hpp"

#include <algorithm>
#include <cmath>

#include "core/duration.hpp"

namespace gpusim::ctrl {

RestartDecision next_restart(const BackOff& backoff, TimeMs finished_ms) {
  RestartDecision d;
  const bool expired =
      backoff.duration_ms == 0 || finished_ms - backoff.last_update_ms > 2 * kBackOffMaxMs;
  if (expired) {
    // Not in back-off: restart now, and start the back-off.
    d.delay_ms = 0;
    d.next = BackOff{kBackOffInitialMs, finished_ms};
    return d;
  }
  d.delay_ms = backoff.duration_ms;
  d.next = BackOff{std::min(backoff.duration_ms * 2, kBackOffMaxMs), finished_ms + d.delay_ms};
  return d;
}

TimeMs first_probe_success_ms(const Probe& probe, TimeMs start_ms, TimeMs up_ms) {
  const TimeMs first = start_ms + probe.initial_delay_s * 1000LL;
  const TimeMs period = std::max<TimeMs>(1, probe.period_s) * 1000LL;
  TimeMs t = first;
  if (up_ms > first) t = first + (up_ms - first + period - 1) / period * period;
  return t + std::max(0, probe.success_threshold - 1) * period;
}

namespace {

// The first probe at or after `t` of a probe started with the container at `start_ms`.
TimeMs next_probe_ms(const Probe& probe, TimeMs start_ms, TimeMs t) {
  return first_probe_success_ms(Probe{probe.initial_delay_s, probe.period_s, probe.timeout_s, 1, 1},
                                start_ms, t);
}

std::string seconds_text(TimeMs ms) {
  return format_duration(ms);
}

}  // namespace

Kubelet::Kubelet(Cluster& cluster, EventLoop& loop, TimingDefaults defaults)
    : cluster_(cluster),
      loop_(loop),
      defaults_(defaults),
      rng_(Rng::stream(defaults.seed, "kubelet")),
      durations_(Rng::stream(defaults.seed, "pod-durations")) {}

const PodTimings& Kubelet::timings(const Pod& pod) {
  auto it = timing_cache_.find(pod.tmpl.get());
  if (it != timing_cache_.end()) return it->second;
  const bool job_owned = pod.owner && (pod.owner->kind == "Job" || pod.owner->kind == "PyTorchJob");
  const PodTimings& t =
      timing_cache_.emplace(pod.tmpl.get(), pod_timings(*pod.tmpl, job_owned, defaults_))
          .first->second;
  for (const std::string& error : t.errors) {
    cluster_.emit(ClusterEvent{0, "InvalidAnnotation", "Pod", pod.key(), {}, error, true});
  }
  return t;
}

Kubelet::Run* Kubelet::run_of(PodRef ref, std::uint32_t epoch) {
  if (cluster_.pod_if(ref) == nullptr || ref.id >= runs_.size()) return nullptr;
  Run& r = runs_[ref.id];
  if (r.uid != ref.uid || r.epoch != epoch) return nullptr;
  return &r;
}

void Kubelet::schedule(PodId id, TimeMs at, Step step, std::int32_t index) {
  const PodRef ref = cluster_.ref(id);
  const std::uint32_t epoch = runs_[id].epoch;
  loop_.at(std::max(at, loop_.now()), EventPriority::kApi,
           [this, ref, epoch, step, index] { fire(ref, epoch, step, index); });
}

void Kubelet::on_pod_bound(PodId id) {
  if (runs_.size() <= id) runs_.resize(id + 1);
  Run& r = runs_[id];
  const std::uint32_t epoch = r.epoch + 1;
  r = Run{};
  r.uid = cluster_.pod(id).uid;
  r.epoch = epoch;
  // Counted from here (status.startTime, set when the kubelet first takes the pod), across
  // restarts: not an epoch-guarded step.
  if (const std::optional<std::int64_t>& d = cluster_.pod(id).spec().active_deadline_s) {
    const PodRef ref = cluster_.ref(id);
    loop_.after(*d * 1000, EventPriority::kApi, [this, ref] { deadline_exceeded(ref); });
  }
  if (node_down(cluster_.pod(id).status.node)) return;  // runs when the kubelet comes back
  begin(id);
}

void Kubelet::deadline_exceeded(PodRef ref) {
  Pod* pod = cluster_.pod_if(ref);
  if (pod == nullptr || pod->terminal() || pod->deletion_ms || node_down(pod->status.node)) return;
  const PodId id = ref.id;
  ++runs_[id].epoch;  // drops the run's pending steps
  runs_[id].hung = false;
  const std::string message = "Pod was active on the node longer than the specified deadline";
  set_ready(id, false, message);
  pod->status.phase = PodPhase::kFailed;
  pod->status.stage = PodStage::kTerminated;
  pod->status.finished_ms = loop_.now();
  pod->status.reason = "DeadlineExceeded";
  pod->status.message = message;
  cluster_.release(id);
  cluster_.emit(
      ClusterEvent{0, "DeadlineExceeded", "Pod", pod->key(), node_of(*pod).name(), message, true});
  cluster_.pod_changed(id);
}

void Kubelet::on_pod_deleted(PodId id) {
  if (id < runs_.size()) {
    runs_[id].uid = 0;
    ++runs_[id].epoch;
  }
}

void Kubelet::begin(PodId id) {
  Pod& pod = cluster_.pod(id);
  timings(pod);
  if (!pod.spec().init_containers.empty()) {
    pod.status.stage = PodStage::kInitializing;
    cluster_.pod_changed(id);
    const Container& c = pod.spec().init_containers.front();
    pull(id, c, timings(pod).init.front().pull_ms, Step::kPulledInit, 0);
  } else {
    pull_app(id, 0);
  }
}

void Kubelet::pull(PodId id, const Container& c, TimeMs pull_ms, Step then, std::int32_t index) {
  const Pod& pod = cluster_.pod(id);
  const NodeId n = pod.status.node;
  const TimeMs now = loop_.now();
  if (c.image.empty()) {
    fire(cluster_.ref(id), runs_[id].epoch, then, index);
    return;
  }
  if (pulls_.size() <= n) pulls_.resize(n + 1);
  PullQueue& q = pulls_[n];
  Node& node = cluster_.node(n);
  auto known = q.ready_at_ms.find(c.image);
  // The node's image list is read only for images this kubelet never pulled: it grows to every
  // image that ran there, and most pulls are of images pulled before.
  const bool present =
      known != q.ready_at_ms.end()
          ? known->second <= now
          : std::find(node.images.begin(), node.images.end(), c.image) != node.images.end();
  if (present) {
    cluster_.emit(ClusterEvent{0, "Pulled", "Pod", pod.key(), node.name(),
                               "Container image \"" + c.image + "\" already present on machine",
                               false});
    fire(cluster_.ref(id), runs_[id].epoch, then, index);
    return;
  }
  TimeMs ready = 0;
  if (known != q.ready_at_ms.end()) {
    ready = known->second;  // another pod is pulling it: wait for that pull
  } else {
    // Serialised image pulls (the kubelet's default): queue behind the node's current pull.
    ready = std::max(now, q.busy_until_ms) + pull_ms;
    q.busy_until_ms = ready;
    q.ready_at_ms.emplace(c.image, ready);
  }
  cluster_.emit(ClusterEvent{0, "Pulling", "Pod", pod.key(), node.name(),
                             "Pulling image \"" + c.image + "\"", false});
  schedule(id, ready, then, index);
}

void Kubelet::run_init(PodId id, std::int32_t index) {
  Pod& pod = cluster_.pod(id);
  const Container& c = pod.spec().init_containers[static_cast<std::size_t>(index)];
  const ContainerTimings& ct = timings(pod).init[static_cast<std::size_t>(index)];
  const std::string& node = node_of(pod).name();
  cluster_.emit(
      ClusterEvent{0, "Created", "Pod", pod.key(), node, "Created container " + c.name, false});
  cluster_.emit(
      ClusterEvent{0, "Started", "Pod", pod.key(), node, "Started container " + c.name, false});
  if (ct.failure_probability > 0 && rng_.bernoulli(ct.failure_probability)) {
    const auto at = static_cast<TimeMs>(rng_.uniform01() * static_cast<double>(ct.run_ms));
    schedule(id, loop_.now() + at, Step::kInitFailed, index);
    return;
  }
  schedule(id, loop_.now() + ct.run_ms, Step::kInitDone, index);
}

void Kubelet::pull_app(PodId id, std::int32_t index) {
  Pod& pod = cluster_.pod(id);
  const auto& containers = pod.spec().containers;
  if (index >= static_cast<std::int32_t>(containers.size())) {
    schedule(id, loop_.now() + timings(pod).startup_ms, Step::kStart, 0);
    return;
  }
  pull(id, containers[static_cast<std::size_t>(index)],
       timings(pod).app[static_cast<std::size_t>(index)].pull_ms, Step::kPulledApp, index);
}

void Kubelet::start_app(PodId id) {
  Pod& pod = cluster_.pod(id);
  Run& r = runs_[id];
  const TimeMs now = loop_.now();
  const PodTimings& t = timings(pod);
  if (r.app_started) ++pod.status.restarts;
  r.app_started = true;
  r.app_running = true;
  r.hung = false;
  r.container_start_ms = now;
  pod.status.phase = PodPhase::kRunning;
  pod.status.stage = PodStage::kRunning;
  if (pod.status.reason == "CrashLoopBackOff") pod.status.reason.clear();
  if (!pod.status.started_ms) pod.status.started_ms = now;
  const std::string& node = node_of(pod).name();
  for (const Container& c : pod.spec().containers) {
    cluster_.emit(
        ClusterEvent{0, "Created", "Pod", pod.key(), node, "Created container " + c.name, false});
    cluster_.emit(
        ClusterEvent{0, "Started", "Pod", pod.key(), node, "Started container " + c.name, false});
  }
  cluster_.pod_changed(id);

  // Ready at the first readiness probe that finds the application up (after the startup probe).
  const TimeMs up = now + t.warmup_ms;
  TimeMs ready_at = now;
  for (const Container& c : pod.spec().containers) {
    TimeMs answers = up;
    if (c.startup_probe)
      answers = std::max(answers, first_probe_success_ms(*c.startup_probe, now, up));
    if (c.readiness_probe) {
      ready_at = std::max(ready_at, first_probe_success_ms(*c.readiness_probe, now, answers));
    } else {
      ready_at = std::max(ready_at, answers == up ? now : answers);
    }
  }

  // What ends this run first: the planned exit, or a crash or hang drawn for this start.
  TimeMs end_at = kForever;
  Step end_step = Step::kExit;
  std::int32_t end_index = 0;
  std::optional<TimeMs> run_ms;
  if (t.run) run_ms = t.run->sample(durations_);
  if (run_ms) end_at = now + *run_ms;
  // A crash or hang happens uniformly within a finite run, or after an exponential time with
  // mean gpusim.io/failure-after for containers that run until deleted.
  auto draw_time = [&]() {
    if (run_ms) return static_cast<TimeMs>(rng_.uniform01() * static_cast<double>(*run_ms));
    return static_cast<TimeMs>(rng_.exponential(static_cast<double>(t.failure_after_ms)));
  };
  for (std::size_t i = 0; i < t.app.size(); ++i) {
    const ContainerTimings& ct = t.app[i];
    if (ct.failure_probability > 0 && rng_.bernoulli(ct.failure_probability)) {
      const TimeMs at = now + draw_time();
      if (at < end_at) {
        end_at = at;
        end_step = Step::kCrash;
        end_index = static_cast<std::int32_t>(i);
      }
    }
    if (ct.hang_probability > 0 && rng_.bernoulli(ct.hang_probability)) {
      const TimeMs at = now + draw_time();
      if (at < end_at) {
        end_at = at;
        end_step = Step::kHang;
        end_index = static_cast<std::int32_t>(i);
      }
    }
  }
  if (ready_at < end_at) schedule(id, ready_at, Step::kReady, 0);
  if (end_at != kForever) schedule(id, end_at, end_step, end_index);
}

void Kubelet::set_ready(PodId id, bool ready, const std::string& why) {
  Pod& pod = cluster_.pod(id);
  if (pod.status.ready == ready) return;
  pod.status.ready = ready;
  pod.status.ready_transition_ms = loop_.now();
  if (ready) pod.status.ever_ready = true;
  cluster_.emit(ClusterEvent{0, ready ? "Ready" : "NotReady", "Pod", pod.key(),
                             pod.bound() ? node_of(pod).name() : std::string(), why, false});
  cluster_.pod_changed(id);
}

void Kubelet::container_exited(PodId id, std::int32_t exit_code, std::int32_t container,
                               bool init) {
  const bool success = exit_code == 0;
  Pod& pod = cluster_.pod(id);
  if (!init) pod.status.exit_code = exit_code;
  Run& r = runs_[id];
  ++r.epoch;  // drops this run's pending probe and exit events
  r.hung = false;
  if (!init) r.app_running = false;
  const TimeMs now = loop_.now();
  const auto& list = init ? pod.spec().init_containers : pod.spec().containers;
  const std::string name = container >= 0 && container < static_cast<std::int32_t>(list.size())
                               ? list[static_cast<std::size_t>(container)].name
                               : std::string();
  const std::string node = node_of(pod).name();
  set_ready(id, false,
            success ? "Containers exited" : "Container " + name + " exited with an error");
  const RestartPolicy policy = pod.spec().restart_policy;
  const bool restart =
      success ? policy == RestartPolicy::kAlways && !init : policy != RestartPolicy::kNever;
  if (!restart) {
    if (success && init) return;  // not reached: successful init containers move on
    pod.status.phase = success ? PodPhase::kSucceeded : PodPhase::kFailed;
    pod.status.stage = PodStage::kTerminated;
    pod.status.finished_ms = now;
    pod.status.reason = success ? "Completed" : (init ? "Init:Error" : "Error");
    const std::string code = std::to_string(exit_code);
    pod.status.message =
        success ? std::string() : "container " + name + " exited with code " + code;
    cluster_.release(id);
    cluster_.emit(ClusterEvent{0, success ? "Completed" : "Failed", "Pod", pod.key(), node,
                               success ? "Containers exited with code 0"
                                       : "Container " + name + " failed (exit code " + code + ")",
                               !success});
    cluster_.pod_changed(id);
    return;
  }
  const RestartDecision d = next_restart(r.backoff, now);
  r.backoff = d.next;
  if (d.delay_ms > 0) {
    pod.status.reason = "CrashLoopBackOff";
    cluster_.emit(ClusterEvent{0, "BackOff", "Pod", pod.key(), node,
                               "Back-off " + seconds_text(d.delay_ms) +
                                   " restarting failed container " + name + " in pod " + pod.name,
                               true});
    cluster_.pod_changed(id);
  }
  schedule(id, now + d.delay_ms, Step::kRestart, init ? container : -1);
}

void Kubelet::fire(PodRef ref, std::uint32_t epoch, Step step, std::int32_t index) {
  Run* r = run_of(ref, epoch);
  if (r == nullptr) return;
  Pod& pod = cluster_.pod(ref.id);
  if (pod.deletion_ms || pod.terminal() || node_down(pod.status.node)) return;
  const PodId id = ref.id;
  const TimeMs now = loop_.now();
  const PodTimings& t = timings(pod);
  switch (step) {
    case Step::kPulledInit:
    case Step::kPulledApp: {
      const auto& list =
          step == Step::kPulledInit ? pod.spec().init_containers : pod.spec().containers;
      const Container& c = list[static_cast<std::size_t>(index)];
      if (!c.image.empty()) {
        const auto& sizes = step == Step::kPulledInit ? t.init : t.app;
        const std::int64_t bytes = sizes[static_cast<std::size_t>(index)].image_bytes;
        if (cluster_.add_pulled_image(pod.status.node, c.image, bytes)) {
          cluster_.emit(ClusterEvent{0, "Pulled", "Pod", pod.key(),
                                     cluster_.node(pod.status.node).name(),
                                     "Successfully pulled image \"" + c.image + "\"", false});
        }
      }
      if (step == Step::kPulledInit) {
        run_init(id, index);
      } else {
        pull_app(id, index + 1);
      }
      break;
    }
    case Step::kInitDone: {
      const std::int32_t next = index + 1;
      if (next < static_cast<std::int32_t>(pod.spec().init_containers.size())) {
        pull(id, pod.spec().init_containers[static_cast<std::size_t>(next)],
             t.init[static_cast<std::size_t>(next)].pull_ms, Step::kPulledInit, next);
      } else {
        pull_app(id, 0);
      }
      break;
    }
    case Step::kInitFailed:
      container_exited(id, kCrashExitCode, index, true);
      break;
    case Step::kStart:
      start_app(id);
      break;
    case Step::kReady:
      if (!r->hung) set_ready(id, true, "Readiness probe succeeded");
      break;
    case Step::kExit:
      container_exited(id, 0, 0, false);
      break;
    case Step::kCrash:
      container_exited(id, kCrashExitCode, index, false);
      break;
    case Step::kHang: {
      r->hung = true;
      const Container& c = pod.spec().containers[static_cast<std::size_t>(index)];
      // Probes time out from now on: readiness drops after failureThreshold failures, and a
      // liveness probe kills the container after its failureThreshold failures.
      if (pod.status.ready && c.readiness_probe) {
        const Probe& p = *c.readiness_probe;
        const TimeMs at = next_probe_ms(p, r->container_start_ms, now) + p.timeout_s * 1000LL +
                          std::max(0, p.failure_threshold - 1) * std::max(1, p.period_s) * 1000LL;
        schedule(id, at, Step::kReadinessFail, index);
      }
      if (c.liveness_probe) {
        const Probe& p = *c.liveness_probe;
        const TimeMs at = next_probe_ms(p, r->container_start_ms, now) + p.timeout_s * 1000LL +
                          std::max(0, p.failure_threshold - 1) * std::max(1, p.period_s) * 1000LL;
        schedule(id, at, Step::kLivenessKill, index);
      }
      break;
    }
    case Step::kReadinessFail: {
      const Container& c = pod.spec().containers[static_cast<std::size_t>(index)];
      cluster_.emit(ClusterEvent{0, "Unhealthy", "Pod", pod.key(), node_of(pod).name(),
                                 "Readiness probe failed: container " + c.name + " timed out",
                                 true});
      set_ready(id, false, "Readiness probe failed");
      break;
    }
    case Step::kLivenessKill: {
      const Container& c = pod.spec().containers[static_cast<std::size_t>(index)];
      const std::string& node = node_of(pod).name();
      cluster_.emit(ClusterEvent{0, "Unhealthy", "Pod", pod.key(), node,
                                 "Liveness probe failed: container " + c.name + " timed out",
                                 true});
      cluster_.emit(
          ClusterEvent{0, "Killing", "Pod", pod.key(), node,
                       "Container " + c.name + " failed liveness probe, will be restarted", false});
      container_exited(id, kSigkillExitCode, index, false);
      break;
    }
    case Step::kRestart:
      if (index >= 0) {
        run_init(id, index);
      } else {
        start_app(id);
      }
      break;
    case Step::kTerminated:
      break;
  }
}

void Kubelet::on_pod_updated(PodId id) {
  Pod& pod = cluster_.pod(id);
  if (pod.deletion_ms && pod.bound() && pod.status.stage != PodStage::kTerminating &&
      !pod.terminal()) {
    terminate(id);
    return;
  }
  if (id >= runs_.size() || runs_[id].uid != pod.uid) return;
  Run& r = runs_[id];
  if (pod.status.peer_failures == r.peer_failures_seen) return;
  r.peer_failures_seen = pod.status.peer_failures;
  // A peer of its training collective went: the running process exits with an error (one
  // already waiting to restart just restarts).
  if (r.app_running && !pod.deletion_ms && !pod.terminal() && !node_down(pod.status.node))
    container_exited(id, kCrashExitCode, 0, false);
}

void Kubelet::terminate(PodId id) {
  Pod& pod = cluster_.pod(id);
  if (runs_.size() <= id) runs_.resize(id + 1);
  Run& r = runs_[id];
  if (r.uid != pod.uid) {
    r = Run{};
    r.uid = pod.uid;
  }
  ++r.epoch;
  pod.status.stage = PodStage::kTerminating;
  const bool was_ready = pod.status.ready;
  pod.status.ready = false;
  if (was_ready) pod.status.ready_transition_ms = loop_.now();
  const std::string node = node_of(pod).name();
  std::string names;
  for (const auto& c : pod.spec().containers)
    names += (names.empty() ? "" : ",") + c.name;
  cluster_.emit(
      ClusterEvent{0, "Killing", "Pod", pod.key(), node, "Stopping container(s) " + names, false});
  cluster_.pod_changed(id);
  if (node_down(pod.status.node)) return;  // the kubelet finishes it when it comes back
  const TimeMs grace =
      pod.status.deletion_grace_s.value_or(pod.spec().termination_grace_period_s) * 1000;
  const std::optional<TimeMs> shutdown = timings(pod).shutdown_ms;
  const TimeMs stop = shutdown ? std::min(grace, *shutdown) : grace;
  const PodRef ref = cluster_.ref(id);
  const std::uint32_t epoch = r.epoch;
  loop_.after(stop, EventPriority::kApi, [this, ref, epoch] {
    if (run_of(ref, epoch) == nullptr) return;
    if (node_down(cluster_.pod(ref.id).status.node)) return;
    cluster_.delete_pod(ref.id);
  });
}

void Kubelet::on_node_updated(NodeId id) {
  if (node_down_.size() <= id) node_down_.resize(id + 1, 0);
  const bool down = cluster_.node(id).meta.annotation(kAnnotationKubeletDown) != nullptr;
  if (down == static_cast<bool>(node_down_[id])) return;
  node_down_[id] = down;
  if (down) {
    node_went_down(id);
  } else {
    node_came_back(id);
  }
}

void Kubelet::node_went_down(NodeId id) {
  // Everything the kubelet was doing stops; pulls in flight are lost.
  for (PodId p : cluster_.node(id).pods) {
    if (p < runs_.size()) ++runs_[p].epoch;
  }
  if (id < pulls_.size()) {
    PullQueue& q = pulls_[id];
    const TimeMs now = loop_.now();
    for (auto it = q.ready_at_ms.begin(); it != q.ready_at_ms.end();) {
      it = it->second > now ? q.ready_at_ms.erase(it) : std::next(it);
    }
    q.busy_until_ms = now;
  }
}

void Kubelet::node_came_back(NodeId id) {
  // The machine restarted: deletions requested meanwhile complete, every other pod is started
  // again from its init containers (images are still on disk).
  const std::vector<PodId> pods = cluster_.node(id).pods;
  for (PodId p : pods) {
    if (!cluster_.pod_exists(p)) continue;
    Pod& pod = cluster_.pod(p);
    if (pod.deletion_ms) {
      cluster_.delete_pod(p);
      continue;
    }
    if (pod.terminal()) continue;
    if (runs_.size() <= p) runs_.resize(p + 1);
    Run& r = runs_[p];
    if (r.uid != pod.uid) {
      r = Run{};
      r.uid = pod.uid;
    }
    ++r.epoch;
    r.hung = false;
    if (pod.status.ready) set_ready(p, false, "Node restarted");
    cluster_.emit(ClusterEvent{0, "SandboxChanged", "Pod", pod.key(), cluster_.node(id).name(),
                               "Pod sandbox changed, it will be killed and re-created.", false});
    if (r.app_started) {
      pod.status.phase =
          pod.spec().init_containers.empty() ? PodPhase::kRunning : PodPhase::kPending;
    }
    begin(p);
  }
}

void Kubelet::on_node_removed(NodeId id) {
  if (id < pulls_.size()) pulls_[id] = PullQueue{};
}

}  // namespace gpusim::ctrl
