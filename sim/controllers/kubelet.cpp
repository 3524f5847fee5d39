#include "controllers/kubelet.hpp"

#include <algorithm>

namespace gpusim::ctrl {

Kubelet::Kubelet(Cluster& cluster, EventLoop& loop, TimingDefaults defaults)
    : cluster_(cluster),
      loop_(loop),
      defaults_(defaults),
      durations_(Rng::stream(defaults.seed, "pod-durations")) {}

const PodTimings& Kubelet::timings(const Pod& pod) {
  auto it = timing_cache_.find(pod.tmpl.get());
  if (it != timing_cache_.end()) return it->second;
  const bool job_owned = pod.owner && (pod.owner->kind == "Job" || pod.owner->kind == "PyTorchJob");
  return timing_cache_.emplace(pod.tmpl.get(), pod_timings(*pod.tmpl, job_owned, defaults_))
      .first->second;
}

void Kubelet::on_pod_bound(PodId id) {
  Pod& pod = cluster_.pod(id);
  Node& node = cluster_.node(pod.status.node);
  // Image pulls: serial, once per image and node.
  TimeMs delay = 0;
  auto pull = [&](const Container& c) {
    if (c.image.empty()) return;
    if (std::find(node.images.begin(), node.images.end(), c.image) != node.images.end()) return;
    node.images.push_back(c.image);
    delay += defaults_.image_pull_ms;
  };
  for (const auto& c : pod.spec().init_containers)
    pull(c);
  for (const auto& c : pod.spec().containers)
    pull(c);
  // Init containers run one after another before the app containers.
  delay += defaults_.init_container_ms * static_cast<TimeMs>(pod.spec().init_containers.size());
  delay += timings(pod).startup_ms;
  if (!pod.spec().init_containers.empty()) pod.status.stage = PodStage::kInitializing;
  const PodRef ref = cluster_.ref(id);
  loop_.after(delay, EventPriority::kApi, [this, ref] { start_containers(ref); });
}

void Kubelet::start_containers(PodRef ref) {
  Pod* pod = cluster_.pod_if(ref);
  if (pod == nullptr || pod->deletion_ms || pod->terminal()) return;
  pod->status.phase = PodPhase::kRunning;
  pod->status.stage = PodStage::kRunning;
  pod->status.started_ms = loop_.now();
  const Node& node = cluster_.node(pod->status.node);
  std::string names;
  for (const auto& c : pod->spec().containers)
    names += (names.empty() ? "" : ",") + c.name;
  cluster_.emit(ClusterEvent{0, "Started", "Pod", pod->key(), node.name(),
                             "Started container(s) " + names, false});
  // Ready after the readiness probe's first success (at initialDelaySeconds), at once without one.
  TimeMs ready_delay = 0;
  for (const auto& c : pod->spec().containers) {
    if (c.readiness_probe) {
      ready_delay = std::max<TimeMs>(ready_delay, c.readiness_probe->initial_delay_s * 1000LL);
    }
  }
  cluster_.pod_changed(ref.id);
  if (ready_delay == 0) {
    become_ready(ref);
  } else {
    loop_.after(ready_delay, EventPriority::kApi, [this, ref] { become_ready(ref); });
  }
  const PodTimings& t = timings(*pod);
  if (t.run && pod->spec().restart_policy != RestartPolicy::kAlways) {
    loop_.after(t.run->sample(durations_), EventPriority::kApi,
                [this, ref] { exit_containers(ref, true); });
  }
}

void Kubelet::become_ready(PodRef ref) {
  Pod* pod = cluster_.pod_if(ref);
  if (pod == nullptr || pod->deletion_ms || pod->status.stage != PodStage::kRunning) return;
  if (pod->status.ready) return;
  pod->status.ready = true;
  pod->status.ever_ready = true;
  pod->status.ready_transition_ms = loop_.now();
  cluster_.pod_changed(ref.id);
}

void Kubelet::exit_containers(PodRef ref, bool succeeded) {
  Pod* pod = cluster_.pod_if(ref);
  if (pod == nullptr || pod->terminal() || pod->status.stage != PodStage::kRunning) return;
  pod->status.phase = succeeded ? PodPhase::kSucceeded : PodPhase::kFailed;
  pod->status.stage = PodStage::kTerminated;
  pod->status.ready = false;
  pod->status.finished_ms = loop_.now();
  pod->status.reason = succeeded ? "Completed" : "Error";
  const std::string node = cluster_.node(pod->status.node).name();
  cluster_.release(ref.id);
  cluster_.emit(ClusterEvent{0, succeeded ? "Completed" : "Failed", "Pod", pod->key(), node,
                             succeeded ? "Containers exited with code 0" : "Containers failed",
                             !succeeded});
  cluster_.pod_changed(ref.id);
}

void Kubelet::on_pod_updated(PodId id) {
  Pod& pod = cluster_.pod(id);
  if (pod.deletion_ms && pod.bound() && pod.status.stage != PodStage::kTerminating &&
      !pod.terminal()) {
    terminate(id);
  }
}

void Kubelet::terminate(PodId id) {
  Pod& pod = cluster_.pod(id);
  pod.status.stage = PodStage::kTerminating;
  pod.status.ready = false;
  const std::string node = cluster_.node(pod.status.node).name();
  std::string names;
  for (const auto& c : pod.spec().containers)
    names += (names.empty() ? "" : ",") + c.name;
  cluster_.emit(
      ClusterEvent{0, "Killing", "Pod", pod.key(), node, "Stopping container(s) " + names, false});
  const TimeMs grace =
      pod.status.deletion_grace_s.value_or(pod.spec().termination_grace_period_s) * 1000;
  const PodRef ref = cluster_.ref(id);
  cluster_.pod_changed(id);
  loop_.after(grace, EventPriority::kApi, [this, ref] { finish_termination(ref); });
}

void Kubelet::finish_termination(PodRef ref) {
  if (cluster_.pod_if(ref) == nullptr) return;
  cluster_.delete_pod(ref.id);
}

}  // namespace gpusim::ctrl
