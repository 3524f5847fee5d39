#include "controllers/deployment_controller.hpp"

#include <algorithm>
#include <charconv>
#include <climits>

#include "controllers/conditions.hpp"
#include "core/rng.hpp"

namespace gpusim::ctrl {
namespace {

std::optional<std::int32_t> int_annotation(const ObjectMeta& m, const char* key) {
  const std::string* v = m.annotation(key);
  if (v == nullptr) return std::nullopt;
  std::int32_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size()) return std::nullopt;
  return out;
}

std::int64_t revision_of(const ReplicaSet& rs) {
  const std::string* v = rs.meta.annotation(kRevisionAnnotation);
  if (v == nullptr) return 0;
  std::int64_t out = 0;
  std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}

bool equal_resources(const ResourceQuantities& a, const ResourceQuantities& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || !(ia->second == ib->second)) return false;
  }
  return true;
}

bool equal_probe(const std::optional<Probe>& a, const std::optional<Probe>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->initial_delay_s == b->initial_delay_s && a->period_s == b->period_s &&
         a->timeout_s == b->timeout_s && a->success_threshold == b->success_threshold &&
         a->failure_threshold == b->failure_threshold;
}

bool equal_containers(const std::vector<Container>& a, const std::vector<Container>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Container& x = a[i];
    const Container& y = b[i];
    if (x.name != y.name || x.image != y.image || x.restartable != y.restartable ||
        x.host_ports != y.host_ports ||
        !equal_resources(x.resources.requests, y.resources.requests) ||
        !equal_resources(x.resources.limits, y.resources.limits) ||
        !equal_probe(x.readiness_probe, y.readiness_probe) ||
        !equal_probe(x.liveness_probe, y.liveness_probe) ||
        !equal_probe(x.startup_probe, y.startup_probe)) {
      return false;
    }
  }
  return true;
}

bool equal_tolerations(const std::vector<Toleration>& a, const std::vector<Toleration>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].op != b[i].op || a[i].value != b[i].value ||
        a[i].effect != b[i].effect || a[i].toleration_seconds != b[i].toleration_seconds) {
      return false;
    }
  }
  return true;
}

bool same_status(const DeploymentStatus& a, const DeploymentStatus& b) {
  if (a.replicas != b.replicas || a.updated_replicas != b.updated_replicas ||
      a.ready_replicas != b.ready_replicas || a.available_replicas != b.available_replicas ||
      a.unavailable_replicas != b.unavailable_replicas ||
      a.observed_generation != b.observed_generation ||
      a.conditions.size() != b.conditions.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.conditions.size(); ++i) {
    if (a.conditions[i].type != b.conditions[i].type ||
        a.conditions[i].status != b.conditions[i].status ||
        a.conditions[i].reason != b.conditions[i].reason) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool equal_templates(const PodTemplate& a, const PodTemplate& b) {
  if (&a == &b) return true;
  Labels la = a.labels;
  Labels lb = b.labels;
  la.erase(kPodTemplateHashLabel);
  lb.erase(kPodTemplateHashLabel);
  const PodSpec& x = a.spec;
  const PodSpec& y = b.spec;
  return la == lb && a.annotations == b.annotations &&
         equal_containers(x.containers, y.containers) &&
         equal_containers(x.init_containers, y.init_containers) &&
         equal_resources(x.overhead, y.overhead) && x.node_name == y.node_name &&
         x.scheduler_name == y.scheduler_name && x.priority_class_name == y.priority_class_name &&
         x.priority == y.priority && x.node_selector == y.node_selector &&
         equal_tolerations(x.tolerations, y.tolerations) &&
         x.termination_grace_period_s == y.termination_grace_period_s &&
         x.active_deadline_s == y.active_deadline_s && x.restart_policy == y.restart_policy &&
         x.scheduling_gates == y.scheduling_gates &&
         x.topology_spread_constraints.size() == y.topology_spread_constraints.size();
}

DeploymentController::DeploymentController(Cluster& cluster, EventLoop& loop)
    : cluster_(cluster),
      loop_(loop),
      reconciler_(loop, [this](const std::string& k) { sync(k); }) {}

void DeploymentController::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "Deployment") {
    reconciler_.enqueue(key);
    return;
  }
  if (kind != "ReplicaSetStatus" && kind != "ReplicaSet") return;
  auto it = cluster_.replica_sets.find(key);
  if (kind == "ReplicaSet") {
    auto known = owner_of_.find(key);
    if (it == cluster_.replica_sets.end()) {
      // Removed: forget it.
      if (known != owner_of_.end()) {
        auto& v = by_owner_[known->second];
        v.erase(std::remove_if(v.begin(), v.end(),
                               [&](ReplicaSet* rs) { return rs->meta.key() == key; }),
                v.end());
        owner_of_.erase(known);
      }
      return;
    }
    if (known == owner_of_.end() && it->second.meta.owner &&
        it->second.meta.owner->kind == "Deployment") {
      owner_of_.emplace(key, it->second.meta.owner->uid);
      by_owner_[it->second.meta.owner->uid].push_back(&it->second);
    }
  }
  if (it != cluster_.replica_sets.end() && it->second.meta.owner &&
      it->second.meta.owner->kind == "Deployment") {
    reconciler_.enqueue(it->second.meta.namespace_ + "/" + it->second.meta.owner->name);
  }
}

std::vector<ReplicaSet*> DeploymentController::owned(const Deployment& d) {
  auto it = by_owner_.find(d.meta.uid);
  if (it == by_owner_.end()) return {};
  return it->second;
}

RsView DeploymentController::view(const ReplicaSet& rs) const {
  RsView v;
  v.name = rs.meta.name;
  v.created_ms = rs.meta.creation_ms;
  v.replicas = rs.replicas;
  v.status_replicas = rs.status.replicas;
  v.available = rs.status.available_replicas;
  v.desired_annotation = int_annotation(rs.meta, kDesiredReplicasAnnotation);
  v.max_annotation = int_annotation(rs.meta, kMaxReplicasAnnotation);
  return v;
}

ReplicaSet* DeploymentController::find_new(Deployment& d, Tracking& t,
                                           const std::vector<ReplicaSet*>& sets) {
  if (t.matched_template == d.tmpl.get() && t.matched != nullptr &&
      std::find(sets.begin(), sets.end(), t.matched) != sets.end()) {
    return t.matched;
  }
  // FindNewReplicaSet: the oldest set whose template equals the Deployment's.
  ReplicaSet* found = nullptr;
  for (ReplicaSet* rs : sets) {
    const bool same = rs->source_template == d.tmpl ||
                      (rs->source_template && equal_templates(*rs->source_template, *d.tmpl)) ||
                      (!rs->source_template && equal_templates(*rs->tmpl, *d.tmpl));
    if (!same) continue;
    if (found == nullptr || rs->meta.creation_ms < found->meta.creation_ms) found = rs;
  }
  t.matched_template = d.tmpl.get();
  t.matched = found;
  return found;
}

bool DeploymentController::scale_rs(ReplicaSet& rs, std::int32_t replicas, Deployment& d) {
  const RolloutSpec spec = RolloutSpec::of(d);
  const std::int32_t want_desired = spec.replicas;
  const std::int32_t want_max = spec.replicas + max_surge(spec);
  const bool size_changes = rs.replicas != replicas;
  const bool annotations_change =
      int_annotation(rs.meta, kDesiredReplicasAnnotation) != want_desired ||
      int_annotation(rs.meta, kMaxReplicasAnnotation) != want_max;
  if (!size_changes && !annotations_change) return false;
  const std::int32_t from = rs.replicas;
  rs.replicas = replicas;
  rs.meta.annotations[kDesiredReplicasAnnotation] = std::to_string(want_desired);
  rs.meta.annotations[kMaxReplicasAnnotation] = std::to_string(want_max);
  if (size_changes) {
    ++rs.meta.generation;
    cluster_.emit(ClusterEvent{0,
                               "ScalingReplicaSet",
                               "Deployment",
                               d.meta.key(),
                               {},
                               std::string(replicas > from ? "Scaled up" : "Scaled down") +
                                   " replica set " + rs.meta.name + " from " +
                                   std::to_string(from) + " to " + std::to_string(replicas),
                               false});
  }
  cluster_.object_changed("ReplicaSet", rs.meta.key());
  return size_changes;
}

ReplicaSet* DeploymentController::create_new(Deployment& d, Tracking& t,
                                             const std::vector<ReplicaSet*>& old_sets) {
  std::int64_t max_revision = 0;
  std::int32_t all = 0;
  for (ReplicaSet* rs : old_sets) {
    max_revision = std::max(max_revision, revision_of(*rs));
    all += rs->replicas;
  }
  const std::int64_t revision = max_revision + 1;
  const RolloutSpec spec = RolloutSpec::of(d);
  const std::int32_t replicas = new_rs_new_replicas(spec, all, 0);

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
  rs.meta.annotations[kDesiredReplicasAnnotation] = std::to_string(spec.replicas);
  rs.meta.annotations[kMaxReplicasAnnotation] = std::to_string(spec.replicas + max_surge(spec));
  rs.replicas = replicas;
  rs.selector = d.selector;
  rs.selector.match_labels[kPodTemplateHashLabel] = hash;
  rs.min_ready_s = d.min_ready_s;
  PodTemplate tmpl = *d.tmpl;
  tmpl.labels[kPodTemplateHashLabel] = hash;
  rs.tmpl = make_template(std::move(tmpl));
  rs.source_template = d.tmpl;
  if (auto refused = cluster_.admit_object("ReplicaSet", rs.meta)) {
    // getNewReplicaSet's error path: Progressing=False (with a progress deadline), a warning,
    // and the sync fails (retried with back-off) without scaling anything.
    const std::string msg =
        "Failed to create new replica set \"" + rs.meta.name + "\": " + *refused;
    if (d.progress_deadline_s != INT32_MAX) {
      set_condition(d.status.conditions, "Progressing", "False", "ReplicaSetCreateError", msg,
                    loop_.now());
      cluster_.object_changed("DeploymentStatus", d.meta.key());
    }
    cluster_.emit(
        ClusterEvent{0, "ReplicaSetCreateError", "Deployment", d.meta.key(), {}, msg, true});
    reconciler_.enqueue_rate_limited(d.meta.key());
    return nullptr;
  }
  reconciler_.forget(d.meta.key());
  const std::string key = rs.meta.key();
  ReplicaSet& stored = cluster_.replica_sets[key] = std::move(rs);
  d.meta.annotations[kRevisionAnnotation] = std::to_string(revision);
  set_condition(d.status.conditions, "Progressing", "True", "NewReplicaSetCreated",
                "Created new replica set \"" + stored.meta.name + "\"", loop_.now());
  t.progress_update_ms = loop_.now();
  t.matched_template = d.tmpl.get();
  t.matched = &stored;
  cluster_.emit(ClusterEvent{
      0,
      "ScalingReplicaSet",
      "Deployment",
      d.meta.key(),
      {},
      "Scaled up replica set " + stored.meta.name + " from 0 to " + std::to_string(replicas),
      false});
  cluster_.object_changed("ReplicaSet", key);
  return &stored;
}

void DeploymentController::sync_revision(Deployment& d, Tracking& t, ReplicaSet* new_rs,
                                         const std::vector<ReplicaSet*>& old_sets) {
  if (new_rs == nullptr) return;
  std::int64_t max_old = 0;
  for (ReplicaSet* rs : old_sets)
    max_old = std::max(max_old, revision_of(*rs));
  const std::int64_t revision = max_old + 1;
  bool changed = false;
  // A template seen before (a rollback) takes the next revision.
  if (revision_of(*new_rs) < revision) {
    new_rs->meta.annotations[kRevisionAnnotation] = std::to_string(revision);
    changed = true;
  }
  if (new_rs->min_ready_s != d.min_ready_s) {
    new_rs->min_ready_s = d.min_ready_s;
    changed = true;
  }
  if (changed) cluster_.object_changed("ReplicaSet", new_rs->meta.key());
  d.meta.annotations[kRevisionAnnotation] = new_rs->meta.annotations[kRevisionAnnotation];
  const bool has_progressing =
      std::any_of(d.status.conditions.begin(), d.status.conditions.end(),
                  [](const Condition& c) { return c.type == "Progressing"; });
  if (d.progress_deadline_s != INT32_MAX && !has_progressing) {
    set_condition(d.status.conditions, "Progressing", "True", "FoundNewReplicaSet",
                  "Found new replica set \"" + new_rs->meta.name + "\"", loop_.now());
    t.progress_update_ms = loop_.now();
  }
}

void DeploymentController::scale(Deployment& d, ReplicaSet* new_rs,
                                 const std::vector<ReplicaSet*>& old_sets) {
  std::vector<ReplicaSet*> sets;
  std::vector<RsView> views;
  int new_index = -1;
  if (new_rs != nullptr) {
    new_index = 0;
    sets.push_back(new_rs);
  }
  for (ReplicaSet* rs : old_sets)
    sets.push_back(rs);
  for (ReplicaSet* rs : sets)
    views.push_back(view(*rs));
  const std::vector<std::int32_t> sizes =
      proportional_scale(RolloutSpec::of(d), d.status.replicas, views, new_index);
  for (std::size_t i = 0; i < sets.size(); ++i) {
    // Sets that keep their size still get fresh desired/max annotations when active.
    if (sizes[i] != sets[i]->replicas || sets[i]->replicas > 0) scale_rs(*sets[i], sizes[i], d);
  }
}

void DeploymentController::cleanup(Deployment& d, const std::vector<ReplicaSet*>& old_sets) {
  std::vector<ReplicaSet*> cleanable;
  for (ReplicaSet* rs : old_sets) {
    if (!rs->meta.deletion_ms) cleanable.push_back(rs);
  }
  const auto diff = static_cast<std::int32_t>(cleanable.size()) - d.revision_history_limit;
  if (diff <= 0) return;
  std::stable_sort(cleanable.begin(), cleanable.end(), [](ReplicaSet* a, ReplicaSet* b) {
    const auto ra = revision_of(*a);
    const auto rb = revision_of(*b);
    if (ra != rb) return ra < rb;
    return a->meta.creation_ms < b->meta.creation_ms;
  });
  for (std::int32_t i = 0; i < diff; ++i) {
    ReplicaSet* rs = cleanable[static_cast<std::size_t>(i)];
    // Never delete a set that still has (or wants) pods.
    if (rs->status.replicas != 0 || rs->replicas != 0 || !cluster_.pods_of(rs->meta.uid).empty()) {
      continue;
    }
    const std::string key = rs->meta.key();
    cluster_.emit(ClusterEvent{0,
                               "DeletingReplicaSet",
                               "Deployment",
                               d.meta.key(),
                               {},
                               "Deleted old replica set " + rs->meta.name +
                                   " (revisionHistoryLimit " +
                                   std::to_string(d.revision_history_limit) + ")",
                               false});
    cluster_.replica_sets.erase(key);
    cluster_.object_changed("ReplicaSet", key);
  }
}

void DeploymentController::rollout_rolling(Deployment& d, Tracking& t, ReplicaSet* new_rs,
                                           std::vector<ReplicaSet*> old_sets) {
  if (new_rs == nullptr) new_rs = create_new(d, t, old_sets);
  if (new_rs == nullptr) return;
  const RolloutSpec spec = RolloutSpec::of(d);
  std::int32_t all = new_rs->replicas;
  for (ReplicaSet* rs : old_sets)
    all += rs->replicas;

  if (auto next = reconcile_new_replica_set(spec, all, new_rs->replicas)) {
    if (scale_rs(*new_rs, *next, d)) {
      sync_status(d, t, new_rs, old_sets, true);
      return;
    }
  }
  std::vector<ReplicaSet*> active_old;
  std::vector<RsView> views;
  for (ReplicaSet* rs : old_sets) {
    if (rs->replicas > 0) {
      active_old.push_back(rs);
      views.push_back(view(*rs));
    }
  }
  const RsView new_view = view(*new_rs);
  const OldScaleDown down = reconcile_old_replica_sets(spec, views, &new_view);
  if (down.scaled()) {
    for (std::size_t i = 0; i < active_old.size(); ++i) {
      if (down.replicas[i] != active_old[i]->replicas)
        scale_rs(*active_old[i], down.replicas[i], d);
    }
    sync_status(d, t, new_rs, old_sets, true);
    return;
  }
  sync_status(d, t, new_rs, old_sets, true);
  // Old sets beyond revisionHistoryLimit go once the rollout is complete.
  const RolloutStatus rs{d.status.replicas, d.status.updated_replicas, d.status.ready_replicas,
                         d.status.available_replicas, d.status.observed_generation};
  if (deployment_complete(spec.replicas, d.meta.generation, rs)) cleanup(d, old_sets);
}

void DeploymentController::rollout_recreate(Deployment& d, Tracking& t, ReplicaSet* new_rs,
                                            std::vector<ReplicaSet*> old_sets) {
  // Scale every old set to zero first.
  bool scaled_down = false;
  for (ReplicaSet* rs : old_sets) {
    if (rs->replicas > 0) scaled_down |= scale_rs(*rs, 0, d);
  }
  if (scaled_down) {
    sync_status(d, t, new_rs, old_sets, true);
    return;
  }
  // Wait until no old pod runs (terminating ones included).
  for (ReplicaSet* rs : old_sets) {
    if (rs->status.replicas > 0) {
      sync_status(d, t, new_rs, old_sets, true);
      return;
    }
    for (PodId id : cluster_.pods_of(rs->meta.uid)) {
      if (!cluster_.pod(id).terminal()) {
        sync_status(d, t, new_rs, old_sets, true);
        return;
      }
    }
  }
  if (new_rs == nullptr) new_rs = create_new(d, t, old_sets);
  if (new_rs == nullptr) return;
  scale_rs(*new_rs, d.spec_replicas(), d);
  sync_status(d, t, new_rs, old_sets, true);
  const RolloutStatus rs{d.status.replicas, d.status.updated_replicas, d.status.ready_replicas,
                         d.status.available_replicas, d.status.observed_generation};
  if (deployment_complete(d.spec_replicas(), d.meta.generation, rs)) cleanup(d, old_sets);
}

DeploymentStatus DeploymentController::calculate_status(
    const Deployment& d, ReplicaSet* new_rs, const std::vector<ReplicaSet*>& old_sets) const {
  DeploymentStatus st;
  st.observed_generation = d.meta.generation;
  std::int32_t spec_total = 0;
  auto add = [&](const ReplicaSet& rs) {
    spec_total += rs.replicas;
    st.replicas += rs.status.replicas;
    st.ready_replicas += rs.status.ready_replicas;
    st.available_replicas += rs.status.available_replicas;
  };
  if (new_rs != nullptr) {
    add(*new_rs);
    st.updated_replicas = new_rs->status.replicas;
  }
  for (const ReplicaSet* rs : old_sets)
    add(*rs);
  st.unavailable_replicas = std::max(0, spec_total - st.available_replicas);
  st.conditions = d.status.conditions;
  return st;
}

void DeploymentController::sync_status(Deployment& d, Tracking& t, ReplicaSet* new_rs,
                                       const std::vector<ReplicaSet*>& old_sets, bool rollout) {
  const TimeMs now = loop_.now();
  DeploymentStatus st = calculate_status(d, new_rs, old_sets);
  const RolloutSpec spec = RolloutSpec::of(d);
  if (st.available_replicas >= spec.replicas - max_unavailable(spec)) {
    set_condition(st.conditions, "Available", "True", "MinimumReplicasAvailable",
                  "Deployment has minimum availability.", now);
  } else {
    set_condition(st.conditions, "Available", "False", "MinimumReplicasUnavailable",
                  "Deployment does not have minimum availability.", now);
  }
  const bool has_deadline = d.progress_deadline_s != INT32_MAX;
  const Condition* current = nullptr;
  for (const Condition& c : d.status.conditions) {
    if (c.type == "Progressing") current = &c;
  }
  const RolloutStatus old_rs{d.status.replicas, d.status.updated_replicas, d.status.ready_replicas,
                             d.status.available_replicas, d.status.observed_generation};
  const RolloutStatus new_rs_status{st.replicas, st.updated_replicas, st.ready_replicas,
                                    st.available_replicas, st.observed_generation};
  const bool complete = deployment_complete(spec.replicas, d.meta.generation, new_rs_status);
  const bool complete_before =
      st.replicas == st.updated_replicas && current && current->reason == "NewReplicaSetAvailable";
  const std::string rs_name =
      new_rs ? "ReplicaSet \"" + new_rs->meta.name + "\"" : "Deployment \"" + d.meta.name + "\"";
  if (rollout && has_deadline && !complete_before) {
    if (complete) {
      bool already = false;
      for (const Condition& c : st.conditions) {
        already |=
            c.type == "Progressing" && c.status == "True" && c.reason == "NewReplicaSetAvailable";
      }
      if (!already) {
        set_condition(st.conditions, "Progressing", "True", "NewReplicaSetAvailable",
                      rs_name + " has successfully progressed.", now);
        t.progress_update_ms = now;
        cluster_.emit(ClusterEvent{0,
                                   "RolloutComplete",
                                   "Deployment",
                                   d.meta.key(),
                                   {},
                                   rs_name + " has successfully progressed.",
                                   false});
      }
    } else if (deployment_progressing(old_rs, new_rs_status)) {
      set_condition(st.conditions, "Progressing", "True", "ReplicaSetUpdated",
                    rs_name + " is progressing.", now);
      t.progress_update_ms = now;
    } else if (current != nullptr && current->reason != "NewReplicaSetAvailable") {
      const bool timed_out = current->reason == "ProgressDeadlineExceeded" ||
                             t.progress_update_ms + d.progress_deadline_s * 1000LL < now;
      if (timed_out && current->reason != "ProgressDeadlineExceeded") {
        set_condition(st.conditions, "Progressing", "False", "ProgressDeadlineExceeded",
                      rs_name + " has timed out progressing.", now);
        t.progress_update_ms = now;
        cluster_.emit(ClusterEvent{0,
                                   "ProgressDeadlineExceeded",
                                   "Deployment",
                                   d.meta.key(),
                                   {},
                                   rs_name + " has timed out progressing.",
                                   true});
      }
    }
  }
  const bool changed = !same_status(d.status, st);
  d.status = std::move(st);
  if (changed) cluster_.object_changed("DeploymentStatus", d.meta.key());

  // requeueStuckDeployment: look again just after the deadline would pass.
  const Condition* progressing = nullptr;
  for (const Condition& c : d.status.conditions) {
    if (c.type == "Progressing") progressing = &c;
  }
  if (has_deadline && progressing != nullptr && !complete &&
      progressing->reason != "ProgressDeadlineExceeded") {
    const TimeMs at = t.progress_update_ms + d.progress_deadline_s * 1000LL + 1000;
    if (at > now && at != t.requeue_at_ms) {
      t.requeue_at_ms = at;
      const std::string key = d.meta.key();
      loop_.at_background(at, EventPriority::kController,
                          [this, key] { reconciler_.enqueue(key); });
    }
  }
}

void DeploymentController::sync(const std::string& key) {
  auto it = cluster_.deployments.find(key);
  if (it == cluster_.deployments.end()) {
    tracking_.erase(key);
    return;
  }
  Deployment& d = it->second;
  Tracking& t = tracking_[key];
  std::vector<ReplicaSet*> sets = owned(d);
  ReplicaSet* new_rs = find_new(d, t, sets);
  std::vector<ReplicaSet*> old_sets;
  for (ReplicaSet* rs : sets) {
    if (rs != new_rs) old_sets.push_back(rs);
  }
  sync_revision(d, t, new_rs, old_sets);

  std::vector<RsView> views;
  for (ReplicaSet* rs : sets)
    views.push_back(view(*rs));
  if (d.paused) {
    scale(d, new_rs, old_sets);
    sync_status(d, t, new_rs, old_sets, false);
    return;
  }
  // A replicas change (HPA, kubectl scale) is applied proportionally before rolling on.
  if (new_rs != nullptr || !old_sets.empty()) {
    if (is_scaling_event(RolloutSpec::of(d), views)) {
      scale(d, new_rs, old_sets);
      sync_status(d, t, new_rs, old_sets, false);
      return;
    }
  }
  if (d.strategy.type == DeploymentStrategyType::kRecreate) {
    rollout_recreate(d, t, new_rs, std::move(old_sets));
  } else {
    rollout_rolling(d, t, new_rs, std::move(old_sets));
  }
}

}  // namespace gpusim::ctrl
