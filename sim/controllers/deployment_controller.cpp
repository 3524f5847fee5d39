#include "controllers/deployment_controller.hpp"

#include <algorithm>

#include "core/rng.hpp"

namespace gpusim::ctrl {

DeploymentController::DeploymentController(Cluster& cluster, EventLoop& loop)
    : cluster_(cluster), loop_(loop), reconciler_(loop, [this](const std::string& k) { sync(k); }) {}

void DeploymentController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "Deployment") {
    reconciler_.enqueue(key);
  } else if (kind == "ReplicaSetStatus" || kind == "ReplicaSet") {
    auto it = cluster_.replica_sets.find(key);
    if (it != cluster_.replica_sets.end() && it->second.meta.owner &&
        it->second.meta.owner->kind == "Deployment") {
      reconciler_.enqueue(it->second.meta.namespace_ + "/" + it->second.meta.owner->name);
    }
  }
}

std::vector<ReplicaSet*> DeploymentController::owned_replica_sets(const Deployment& d) {
  std::vector<ReplicaSet*> out;
  for (auto& [key, rs] : cluster_.replica_sets) {
    if (rs.meta.owner && rs.meta.owner->uid == d.meta.uid) out.push_back(&rs);
  }
  return out;
}

ReplicaSet& DeploymentController::create_replica_set(Deployment& d, std::int32_t replicas,
                                                     std::int64_t revision) {
  // pod-template-hash: stable per (deployment, revision), in the alphabet upstream uses.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::uint64_t h = hash_name(d.meta.key() + "#" + std::to_string(revision));
  std::string hash;
  for (int i = 0; i < 10; ++i) {
    hash += kAlphabet[h % (sizeof(kAlphabet) - 1)];
    h /= (sizeof(kAlphabet) - 1);
  }
  ReplicaSet rs;
  rs.meta.name = d.meta.name + "-" + hash;
  rs.meta.namespace_ = d.meta.namespace_;
  rs.meta.uid = cluster_.next_uid();
  rs.meta.creation_ms = loop_.now();
  rs.meta.labels = d.tmpl->labels;
  rs.meta.labels[kPodTemplateHashLabel] = hash;
  rs.meta.owner = OwnerReference{"Deployment", d.meta.name, d.meta.uid, true};
  rs.meta.annotations[kRevisionAnnotation] = std::to_string(revision);
  rs.replicas = replicas;
  rs.selector = d.selector;
  rs.selector.match_labels[kPodTemplateHashLabel] = hash;
  rs.min_ready_s = d.min_ready_s;
  PodTemplate t = *d.tmpl;
  t.labels[kPodTemplateHashLabel] = hash;
  rs.tmpl = make_template(std::move(t));
  rs.source_template = d.tmpl;
  const std::string key = rs.meta.key();
  auto& stored = cluster_.replica_sets[key] = std::move(rs);
  cluster_.emit(ClusterEvent{0, "ScalingReplicaSet", "Deployment", d.meta.key(), {},
                             "Scaled up replica set " + stored.meta.name + " to " + std::to_string(replicas),
                             false});
  cluster_.object_changed("ReplicaSet", key);
  return stored;
}

void DeploymentController::scale(ReplicaSet& rs, std::int32_t replicas, const std::string& deployment_key) {
  if (rs.replicas == replicas) return;
  const bool up = replicas > rs.replicas;
  rs.replicas = replicas;
  cluster_.emit(ClusterEvent{0, "ScalingReplicaSet", "Deployment", deployment_key, {},
                             std::string(up ? "Scaled up" : "Scaled down") + " replica set " +
                                 rs.meta.name + " to " + std::to_string(replicas),
                             false});
  cluster_.object_changed("ReplicaSet", rs.meta.key());
}

void DeploymentController::sync(const std::string& key) {
  auto it = cluster_.deployments.find(key);
  if (it == cluster_.deployments.end()) return;
  Deployment& d = it->second;
  const std::int32_t want = d.spec_replicas();
  std::vector<ReplicaSet*> sets = owned_replica_sets(d);
  ReplicaSet* current = nullptr;
  std::int64_t max_revision = 0;
  for (ReplicaSet* rs : sets) {
    if (rs->source_template == d.tmpl) current = rs;
    if (const auto* rev = rs->meta.annotation(kRevisionAnnotation)) {
      max_revision = std::max<std::int64_t>(max_revision, std::stoll(*rev));
    }
  }
  if (!d.paused) {
    if (current == nullptr) {
      current = &create_replica_set(d, want, max_revision + 1);
    } else {
      scale(*current, want, key);
    }
    for (ReplicaSet* rs : sets) {
      if (rs != current) scale(*rs, 0, key);
    }
  }
  // Status from the ReplicaSets.
  DeploymentStatus st;
  st.observed_generation = d.meta.generation;
  st.conditions = d.status.conditions;
  for (ReplicaSet* rs : owned_replica_sets(d)) {
    st.replicas += rs->status.replicas;
    st.ready_replicas += rs->status.ready_replicas;
    st.available_replicas += rs->status.available_replicas;
    if (rs == current) st.updated_replicas = rs->status.replicas;
  }
  st.unavailable_replicas = std::max(0, want - st.available_replicas);
  d.status = std::move(st);
}

}  // namespace gpusim::ctrl
