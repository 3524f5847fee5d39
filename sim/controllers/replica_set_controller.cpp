#include "controllers/replica_set_controller.hpp"

#include <algorithm>
#include <tuple>

namespace gpusim::ctrl {
namespace {
constexpr int kBurstReplicas = 500;
}

std::vector<PodId> active_pods_of(const Cluster& cluster, std::uint64_t owner_uid) {
  std::vector<PodId> out;
  for (PodId id : cluster.pods_of(owner_uid)) {
    const Pod& p = cluster.pod(id);
    if (is_active(p)) out.push_back(id);
  }
  return out;
}

ReplicaSetController::ReplicaSetController(Cluster& cluster, EventLoop& loop)
    : cluster_(cluster),
      loop_(loop),
      reconciler_(loop, [this](const std::string& k) { sync(k); }) {}

void ReplicaSetController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "ReplicaSet") reconciler_.enqueue(key);
}

void ReplicaSetController::pod_event(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (p.owner && p.owner->kind == "ReplicaSet")
    reconciler_.enqueue(p.namespace_ + "/" + p.owner->name);
}

void ReplicaSetController::rank_for_deletion(const Cluster& cluster, std::vector<PodId>& pods) {
  auto phase_rank = [](const Pod& p) {
    switch (p.status.phase) {
      case PodPhase::kPending:
        return 0;
      case PodPhase::kUnknown:
        return 1;
      default:
        return 2;
    }
  };
  std::stable_sort(pods.begin(), pods.end(), [&](PodId a, PodId b) {
    const Pod& x = cluster.pod(a);
    const Pod& y = cluster.pod(b);
    // Each tuple sorts "delete first" to the front.
    const auto kx = std::make_tuple(x.bound(), phase_rank(x), x.status.ready,
                                    -x.status.ready_transition_ms.value_or(0), -x.status.restarts,
                                    -x.creation_ms, -static_cast<std::int64_t>(x.uid));
    const auto ky = std::make_tuple(y.bound(), phase_rank(y), y.status.ready,
                                    -y.status.ready_transition_ms.value_or(0), -y.status.restarts,
                                    -y.creation_ms, -static_cast<std::int64_t>(y.uid));
    return kx < ky;
  });
}

void ReplicaSetController::sync(const std::string& key) {
  auto it = cluster_.replica_sets.find(key);
  if (it == cluster_.replica_sets.end()) return;
  ReplicaSet& rs = it->second;
  // Counted in place: a sync runs on every change of one of the set's pods, and most create or
  // delete none.
  const std::vector<PodId>& owned = cluster_.pods_of(rs.meta.uid);
  const auto have = static_cast<std::int32_t>(std::count_if(
      owned.begin(), owned.end(), [&](PodId id) { return is_active(cluster_.pod(id)); }));
  const std::int32_t diff = rs.replicas - have;

  if (diff > 0) {
    std::int32_t to_create = std::min(diff, kBurstReplicas);
    std::int32_t batch = 1;
    bool failed = false;
    while (to_create > 0 && !failed) {
      const std::int32_t n = std::min(batch, to_create);
      for (std::int32_t i = 0; i < n; ++i) {
        Pod pod;
        pod.namespace_ = rs.meta.namespace_;
        pod.name = cluster_.generate_name(pod.namespace_, rs.meta.name + "-");
        pod.owner = OwnerReference{"ReplicaSet", rs.meta.name, rs.meta.uid, true};
        pod.tmpl = rs.tmpl;
        const std::string name = pod.name;
        CreateResult r = cluster_.create_pod(std::move(pod));
        if (!r.ok()) {
          failed = true;
          cluster_.emit(ClusterEvent{
              0, "FailedCreate", "ReplicaSet", key, {}, "Error creating: " + r.error, true});
        } else {
          cluster_.emit(ClusterEvent{
              0, "SuccessfulCreate", "ReplicaSet", key, {}, "Created pod: " + name, false});
        }
      }
      to_create -= n;
      batch *= 2;
    }
    if (failed) {
      // Upstream's controller rate limiter: 5 ms doubling per failure, at most 1000 s.
      const int f = create_failures_[key]++;
      const TimeMs delay = std::min<TimeMs>(1'000'000, TimeMs{5} << std::min(f, 20));
      reconciler_.enqueue_after(key, delay);
    } else {
      create_failures_.erase(key);
      if (diff > kBurstReplicas) reconciler_.enqueue(key);
    }
  } else if (diff < 0) {
    std::vector<PodId> pods = active_pods_of(cluster_, rs.meta.uid);
    rank_for_deletion(cluster_, pods);
    for (std::int32_t i = 0; i < -diff && i < static_cast<std::int32_t>(pods.size()); ++i) {
      const std::string name = cluster_.pod(pods[static_cast<std::size_t>(i)]).name;
      if (cluster_.request_deletion(pods[static_cast<std::size_t>(i)])) {
        cluster_.emit(ClusterEvent{
            0, "SuccessfulDelete", "ReplicaSet", key, {}, "Deleted pod: " + name, false});
      }
    }
  }

  // Status.
  ReplicaSetStatus st;
  TimeMs next_available = kForever;
  for (PodId id : cluster_.pods_of(rs.meta.uid)) {
    const Pod& p = cluster_.pod(id);
    if (!is_active(p)) continue;
    ++st.replicas;
    if (!p.status.ready) continue;
    ++st.ready_replicas;
    const TimeMs since = p.status.ready_transition_ms.value_or(0);
    if (loop_.now() - since >= rs.min_ready_s * 1000LL) {
      ++st.available_replicas;
    } else {
      next_available = std::min<TimeMs>(next_available, since + rs.min_ready_s * 1000LL);
    }
  }
  st.conditions = rs.status.conditions;
  const bool changed = st.replicas != rs.status.replicas ||
                       st.ready_replicas != rs.status.ready_replicas ||
                       st.available_replicas != rs.status.available_replicas;
  rs.status = std::move(st);
  if (next_available != kForever) reconciler_.enqueue_after(key, next_available - loop_.now());
  if (changed) cluster_.object_changed("ReplicaSetStatus", key);
}

}  // namespace gpusim::ctrl
