#include "engine/invariants.hpp"

#include <algorithm>

#include "model/quota_evaluator.hpp"

namespace gpusim::engine {
namespace {

constexpr std::size_t kMaxKept = 100;
constexpr TimeMs kDefaultPermitTimeoutMs = 60'000;

const std::string* group_label(const Pod& p) {
  auto it = p.labels().find(kPodGroupLabel);
  return it == p.labels().end() ? nullptr : &it->second;
}

}  // namespace

InvariantChecker::InvariantChecker(const Cluster& cluster, EventLoop& loop,
                                   const sched::Scheduler* scheduler)
    : cluster_(cluster), loop_(loop), scheduler_(scheduler) {}

void InvariantChecker::attach() {
  loop_.set_after_event([this] { check(); });
}

void InvariantChecker::add_check(std::string name, std::function<void(InvariantChecker&)> check) {
  checks_.emplace_back(std::move(name), std::move(check));
}

void InvariantChecker::report(std::string invariant, std::string detail) {
  ++violation_count_;
  if (violations_.size() < kMaxKept) {
    violations_.push_back(InvariantViolation{loop_.now(), std::move(invariant), std::move(detail)});
  }
}

// ---- what changed ----------------------------------------------------------------------------

void InvariantChecker::pod_changed(const Pod& p) {
  dirty_namespaces_.insert(p.namespace_);
  if (const std::string* g = group_label(p)) dirty_groups_.insert(p.namespace_ + "/" + *g);
  reservations_dirty_ = true;
}

void InvariantChecker::on_pod_added(PodId id) {
  pod_changed(cluster_.pod(id));
}
void InvariantChecker::on_pod_updated(PodId id) {
  pod_changed(cluster_.pod(id));
}
void InvariantChecker::on_pod_deleted(PodId id) {
  pod_changed(cluster_.pod(id));
}

void InvariantChecker::on_pod_bound(PodId id) {
  const Pod& p = cluster_.pod(id);
  dirty_nodes_.insert(p.status.node);
  pod_changed(p);
}

void InvariantChecker::on_pod_released(PodId id, NodeId node) {
  dirty_nodes_.insert(node);
  pod_changed(cluster_.pod(id));
}

void InvariantChecker::on_node_added(NodeId id) {
  dirty_nodes_.insert(id);
}
void InvariantChecker::on_node_updated(NodeId id) {
  dirty_nodes_.insert(id);
}

void InvariantChecker::on_object_changed(std::string_view kind, const std::string& key) {
  if (kind == "ResourceQuota") {
    dirty_namespaces_.insert(key.substr(0, key.find('/')));
    last_used_.erase(key);  // a changed quota starts over (hard may have been lowered)
  } else if (kind == "PodGroup") {
    dirty_groups_.insert(key);
  } else if (counted_resource(kind)) {
    dirty_namespaces_.insert(key.substr(0, key.find('/')));  // object counts
  }
}

// ---- checks ----------------------------------------------------------------------------------

void InvariantChecker::check_node(NodeId n) {
  if (!cluster_.node_exists(n)) return;
  const Node& node = cluster_.node(n);
  // The node's accounting is the sum of its bound pods' requests.
  ResourceAmounts sum;
  for (PodId id : node.pods) {
    const Pod& p = cluster_.pod(id);
    if (!cluster_.pod_exists(id) || p.status.node != n) {
      report("node-capacity", "node " + node.name() + " lists pod slot " + std::to_string(id) +
                                  " that is not bound to it");
      continue;
    }
    sum += p.resources().requests;
  }
  sum.set(kResourcePods, static_cast<std::int64_t>(node.pods.size()));
  for (const auto& [name, units] : sum.entries()) {
    if (node.requested.get(name) != units) {
      report("node-capacity", "node " + node.name() + " accounts " +
                                  std::to_string(node.requested.get(name)) + " " + name +
                                  " but its pods request " + std::to_string(units));
    }
  }
  for (const auto& [name, units] : node.requested.entries()) {
    if (units <= 0) continue;
    const std::int64_t alloc = node.allocatable_units.get(name);
    if (units > alloc) {
      report("node-capacity", "node " + node.name() + ": pods request " + std::to_string(units) +
                                  " " + name + ", allocatable " + std::to_string(alloc));
    }
  }
  // GPU devices.
  for (std::size_t d = 0; d < node.gpus.size(); ++d) {
    const GpuDevice& dev = node.gpus[d];
    std::int64_t milli = 0;
    bool all_shared = true;
    for (PodId h : dev.holders) {
      if (!cluster_.pod_exists(h)) {
        report("gpu-devices",
               "node " + node.name() + " GPU " + std::to_string(d) + " is held by a deleted pod");
        continue;
      }
      const Pod& p = cluster_.pod(h);
      milli += p.resources().gpu.milli_per_gpu;
      all_shared = all_shared && p.resources().gpu.shared();
      const auto& devs = p.status.gpu_devices;
      if (p.status.node != n ||
          std::find(devs.begin(), devs.end(), static_cast<std::int32_t>(d)) == devs.end()) {
        report("gpu-devices", "pod " + p.key() + " holds GPU " + std::to_string(d) + " of node " +
                                  node.name() + " without being assigned it");
      }
    }
    if (dev.holders.size() > 1 && !all_shared) {
      report("gpu-devices", "node " + node.name() + " GPU " + std::to_string(d) + " is held by " +
                                std::to_string(dev.holders.size()) + " pods, not all sharing it");
    }
    if (milli != dev.used_milli || dev.used_milli < 0 || dev.used_milli > 1000) {
      report("gpu-devices", "node " + node.name() + " GPU " + std::to_string(d) + " uses " +
                                std::to_string(dev.used_milli) + " milli-GPU, its holders " +
                                std::to_string(milli));
    }
  }
}

void InvariantChecker::check_quota(const std::string& key, const ResourceQuota& q) {
  auto& last = last_used_[key];
  for (const auto& [name, used] : q.status_used) {
    auto hard = q.status_hard.find(name);
    if (hard == q.status_hard.end() || !(used > hard->second)) continue;
    auto before = last.find(name);
    if (before != last.end() && !(used > before->second)) continue;  // over since hard was lowered
    report("quota", "quota " + key + ": used " + name + "=" + used.str() + " exceeds hard " +
                        hard->second.str());
  }
  last = q.status_used;
  if (recalc_ && !q.status_hard.empty()) {
    const ResourceQuantities want = recalc_(q);
    for (const auto& [name, v] : want) {
      auto got = q.status_used.find(name);
      if (got == q.status_used.end() || !(got->second == v)) {
        report("quota",
               "quota " + key + ": status.used " + name + "=" +
                   (got == q.status_used.end() ? std::string("<unset>") : got->second.str()) +
                   " but a recalculation gives " + v.str());
      }
    }
  }
}

void InvariantChecker::check_group(const std::string& key, const PodGroup& g) {
  std::int32_t running = 0;
  bool finished_member = false;
  std::int64_t grace_s = 30;
  auto consider = [&](PodId, const Pod& p) {
    const std::string* name = group_label(p);
    if (name == nullptr || *name != g.meta.name || p.namespace_ != g.meta.namespace_) return;
    if (p.terminal()) {
      finished_member = true;
      return;
    }
    grace_s = std::max(grace_s, p.spec().termination_grace_period_s);
    if (p.bound()) ++running;
  };
  if (g.meta.owner) {
    for (PodId id : cluster_.pods_of(g.meta.owner->uid))
      consider(id, cluster_.pod(id));
  } else {
    cluster_.for_each_pod(consider);
  }
  // A gang the scheduler placed whole may lose members later (preempted, evicted): the training
  // operator recreates them alone and the others keep running, so only a gang never complete
  // is held to the limit.
  if (running >= g.min_member) complete_once_.insert(key);
  const bool partial =
      running > 0 && running < g.min_member && !finished_member && !complete_once_.count(key);
  if (!partial) {
    partial_since_.erase(key);
    return;
  }
  auto [it, fresh] = partial_since_.emplace(key, loop_.now());
  const TimeMs timeout = g.schedule_timeout_s && *g.schedule_timeout_s > 0
                             ? *g.schedule_timeout_s * 1000
                             : kDefaultPermitTimeoutMs;
  const TimeMs limit = timeout + 2 * grace_s * 1000;
  if (!fresh && loop_.now() - it->second > limit) {
    report("gang", "PodGroup " + key + " has " + std::to_string(running) + " of minMember " +
                       std::to_string(g.min_member) +
                       " members bound since t=" + std::to_string(it->second) + " ms");
    it->second = loop_.now();  // report again only after another full limit
  }
}

void InvariantChecker::check() {
  ++events_checked_;
  for (NodeId n : dirty_nodes_)
    check_node(n);
  dirty_nodes_.clear();
  if (scheduler_ && reservations_dirty_) {
    // Bound pods plus reservations, as the scheduler sees every node.
    const sched::NodeTable& t = scheduler_->nodes();
    for (sched::NodeIndex n = 0; n < t.size(); ++n) {
      if (!t.live(n)) continue;
      for (int d = 0; d < t.dims(); ++d) {
        if (t.requested(d)[n] <= t.alloc(d)[n] || t.requested(d)[n] <= 0 ||
            cluster_.node(n).requested.get(t.dim_name(d)) > t.alloc(d)[n]) {
          continue;
        }
        // A nominated preemptor reserves what its victims will free: while they terminate
        // (grace period) both are counted, as upstream's scheduler counts them.
        std::int64_t leaving = 0;
        for (PodId id : cluster_.node(n).pods) {
          const Pod& p = cluster_.pod(id);
          if (p.deletion_ms || p.terminal()) leaving += p.resources().requests.get(t.dim_name(d));
        }
        if (t.requested(d)[n] - leaving > t.alloc(d)[n]) {
          report("node-capacity", "node " + cluster_.node(n).name() +
                                      ": scheduler reservations take " + t.dim_name(d) + " to " +
                                      std::to_string(t.requested(d)[n]) + " of " +
                                      std::to_string(t.alloc(d)[n]));
        }
      }
      for (std::int32_t i = 0; i < t.gpu_count(n); ++i) {
        if (t.gpu_free(n)[i] < 0) {
          report("gpu-devices", "node " + cluster_.node(n).name() + " GPU " + std::to_string(i) +
                                    " is over-reserved in the scheduler (" +
                                    std::to_string(t.gpu_free(n)[i]) + " milli free)");
        }
      }
    }
  }
  reservations_dirty_ = false;
  for (const auto& ns : dirty_namespaces_) {
    const std::string prefix = ns + "/";
    for (auto it = cluster_.quotas.lower_bound(prefix);
         it != cluster_.quotas.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      check_quota(it->first, it->second);
    }
  }
  dirty_namespaces_.clear();
  for (const auto& key : dirty_groups_) {
    auto it = cluster_.pod_groups.find(key);
    if (it == cluster_.pod_groups.end()) {
      partial_since_.erase(key);
    } else {
      check_group(key, it->second);
    }
  }
  dirty_groups_.clear();
  // Gangs found partial are re-checked as time passes, changed or not.
  for (auto it = partial_since_.begin(); it != partial_since_.end();) {
    const std::string key = it->first;
    ++it;
    auto g = cluster_.pod_groups.find(key);
    if (g == cluster_.pod_groups.end()) {
      partial_since_.erase(key);
    } else {
      check_group(key, g->second);
    }
  }
  for (auto& [name, fn] : checks_)
    fn(*this);
}

void InvariantChecker::check_all() {
  for (NodeId n = 0; n < cluster_.node_slots(); ++n)
    dirty_nodes_.insert(n);
  for (const auto& [key, q] : cluster_.quotas)
    dirty_namespaces_.insert(q.meta.namespace_);
  for (const auto& [key, g] : cluster_.pod_groups)
    dirty_groups_.insert(key);
  reservations_dirty_ = true;
  check();
}

void InvariantChecker::add_summary(nlohmann::ordered_json& summary) const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& v : violations_) {
    list.push_back({{"t_ms", v.t_ms}, {"invariant", v.invariant}, {"detail", v.detail}});
  }
  summary["invariants"] = {{"events_checked", events_checked_},
                           {"violations", violation_count_},
                           {"first_violations", std::move(list)}};
}

}  // namespace gpusim::engine
