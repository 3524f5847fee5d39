#include "controllers/adoption.hpp"

#include <charconv>

namespace gpusim::ctrl {
namespace {

std::optional<std::int32_t> completion_index(const Pod& pod, std::int32_t completions) {
  auto it = pod.annotations().find(kJobCompletionIndexAnnotation);
  if (it == pod.annotations().end()) return std::nullopt;
  const std::string& v = it->second;
  std::int32_t index = -1;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), index);
  if (ec != std::errc() || p != v.data() + v.size() || index < 0 || index >= completions) {
    return std::nullopt;
  }
  return index;
}

}  // namespace

bool claim_pod(const Cluster& cluster, Pod& pod) {
  if (!pod.owner || pod.owner->uid != 0) return pod.owner.has_value();
  const std::string key = pod.namespace_ + "/" + pod.owner->name;
  std::uint64_t uid = 0;
  std::int32_t index = -1;
  if (pod.owner->kind == "ReplicaSet") {
    auto it = cluster.replica_sets.find(key);
    if (it != cluster.replica_sets.end() && !it->second.meta.deletion_ms &&
        it->second.selector.matches(pod.labels())) {
      uid = it->second.meta.uid;
    }
  } else if (pod.owner->kind == "Job") {
    auto it = cluster.jobs.find(key);
    if (it != cluster.jobs.end() && !it->second.meta.deletion_ms) {
      const JobSpec& spec = it->second.spec;
      const bool matches = !spec.selector || spec.selector->matches(pod.labels());
      std::optional<std::int32_t> i;
      if (spec.completion_mode == CompletionMode::kIndexed) {
        i = completion_index(pod, spec.completions.value_or(0));
      }
      if (matches && (spec.completion_mode != CompletionMode::kIndexed || i)) {
        uid = it->second.meta.uid;
        index = i.value_or(-1);
      }
    }
  }
  if (uid == 0) {
    pod.owner.reset();
    return false;
  }
  pod.owner->uid = uid;
  pod.index = index;
  return true;
}

bool claim_replica_set(Cluster& cluster, const std::string& key, const OwnerReference& ref) {
  auto rs = cluster.replica_sets.find(key);
  if (rs == cluster.replica_sets.end() || ref.kind != "Deployment") return false;
  auto d = cluster.deployments.find(rs->second.meta.namespace_ + "/" + ref.name);
  if (d == cluster.deployments.end() || d->second.meta.deletion_ms ||
      !d->second.selector.matches(rs->second.meta.labels)) {
    return false;
  }
  rs->second.meta.owner = OwnerReference{"Deployment", ref.name, d->second.meta.uid, true};
  cluster.object_changed("ReplicaSet", key);
  return true;
}

}  // namespace gpusim::ctrl
