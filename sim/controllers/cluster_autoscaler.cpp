#include "controllers/cluster_autoscaler.hpp"

#include <algorithm>
#include <memory>
#include <sstream>

#include "controllers/node_group_expander.hpp"
#include "controllers/node_group_set.hpp"
#include "core/duration.hpp"
#include "core/split.hpp"
#include "scheduler/framework.hpp"

namespace gpusim::ctrl {
namespace {

// A what-if copy of (part of) the cluster on which the scheduler's Filter plugins run, as the
// cluster-autoscaler runs the scheduler framework on a snapshot.
class WhatIf : public sched::FrameworkHandle {
 public:
  WhatIf(const Cluster& real, const sched::Scheduler& scheduler)
      : real_(real),
        config_(scheduler.config()),
        cluster_(loop_, scheduler.seed()),
        table_(cluster_),
        rng_(Rng::stream(scheduler.seed(), "autoscaler-whatif")) {
    cluster_.add_observer(&table_);
    cluster_.priority_classes = real.priority_classes;
    cluster_.pod_groups = real.pod_groups;
    cluster_.namespaces = real.namespaces;
  }

  const sched::NodeTable& nodes() const override { return table_; }
  const Cluster& cluster() const override { return cluster_; }
  sched::ReasonTable& reasons() override { return reasons_; }
  Rng& rng() override { return rng_; }
  std::uint64_t seed() const override { return 0; }
  sched::NodeTable& what_if_nodes() override { return table_; }

  NodeId add_node(Node n) { return cluster_.add_node(std::move(n)); }
  void remove_node(NodeId n) { cluster_.remove_node(n); }

  // A copy of a real pod (same name, owner, template, priority), not bound.
  PodId copy_pod(const Pod& p) {
    Pod c;
    c.name = p.name;
    c.namespace_ = p.namespace_;
    c.owner = p.owner;
    c.index = p.index;
    c.tmpl = p.tmpl;
    c.status.priority = p.status.priority;
    CreateResult r = cluster_.create_pod(std::move(c));
    if (!r.ok()) throw std::logic_error("what-if copy of " + p.key() + ": " + r.error);
    return r.id;
  }

  // Places a copied pod on the first of `candidates` its Filter plugins accept; `reasons`, when
  // given, gets what the filters turned the candidates down for.
  bool place(PodId id, const std::vector<NodeId>& candidates,
             std::vector<std::string>* reasons = nullptr) {
    const Pod& p = cluster_.pod(id);
    sched::Framework* fw = framework(p.spec().scheduler_name);
    if (fw == nullptr) return false;
    std::vector<sched::NodeIndex> cand;
    for (NodeId n : candidates) {
      if (cluster_.node_exists(n)) cand.push_back(n);
    }
    if (cand.empty()) return false;
    // The search starts after the node the last pod went to, as upstream's predicate checker
    // does (lastIndex): pods spread over the nodes rather than filling the first.
    const std::size_t start = next_ % cand.size();
    std::rotate(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(start), cand.end());
    const std::vector<sched::NodeIndex> feasible =
        fw->feasible_nodes(fw->pod_info(id), cand, reasons);
    for (sched::NodeIndex n : feasible) {
      std::vector<std::int32_t> devices;
      const auto& gpu = p.resources().gpu;
      if (gpu.count > 0 &&
          !sched::default_select_gpus(gpu, table_.gpu_free(n), table_.gpu_count(n), devices)) {
        continue;
      }
      cluster_.bind(id, n, std::move(devices));
      const auto at =
          static_cast<std::size_t>(std::find(cand.begin(), cand.end(), n) - cand.begin());
      next_ = start + at + 1;
      return true;
    }
    return false;
  }

  Cluster& mutable_cluster() { return cluster_; }

 private:
  sched::Framework* framework(const std::string& scheduler_name) {
    auto it = frameworks_.find(scheduler_name);
    if (it != frameworks_.end()) return it->second.get();
    for (const auto& profile : config_.profiles) {
      if (profile.scheduler_name == scheduler_name) {
        auto fw = std::make_unique<sched::Framework>(profile, config_, *this);
        return frameworks_.emplace(scheduler_name, std::move(fw)).first->second.get();
      }
    }
    return nullptr;
  }

  const Cluster& real_;
  const sched::SchedulerConfig& config_;
  EventLoop loop_;
  Cluster cluster_;
  sched::NodeTable table_;
  sched::ReasonTable reasons_;
  Rng rng_;
  std::map<std::string, std::unique_ptr<sched::Framework>> frameworks_;
  std::size_t next_ = 0;  // where the next search starts
};

Node hypothetical(const NodeGroup& g, const std::string& name) {
  Node n = g.node_template;
  n.meta.name = name;
  n.meta.labels["kubernetes.io/hostname"] = name;
  n.pool = g.name;
  n.taints.erase(std::remove_if(n.taints.begin(), n.taints.end(),
                                [](const Taint& t) {
                                  return t.key == kToBeDeletedTaint ||
                                         t.key == kDeletionCandidateTaint;
                                }),
                 n.taints.end());
  return n;
}

// Upstream's MaxNodeStartupTime: a NotReady node younger than this is still starting, not
// unready.
constexpr TimeMs kMaxNodeStartupMs = 15 * 60'000;

bool is_being_deleted(const Node& n) {
  return std::any_of(n.taints.begin(), n.taints.end(),
                     [](const Taint& t) { return t.key == kToBeDeletedTaint; });
}

// The pod's app containers' requests of one resource (what upstream's least-waste adds up).
std::int64_t container_requests(const Pod& p, std::string_view resource, bool milli) {
  std::int64_t sum = 0;
  for (const auto& c : p.spec().containers) {
    auto it = c.resources.requests.find(resource);
    if (it != c.resources.requests.end())
      sum += milli ? it->second.milli_value() : it->second.value();
  }
  return sum;
}

ResourceAmounts template_allocatable(const NodeGroup& g) {
  const Node& t = g.node_template;
  return ResourceAmounts::from_quantities(t.allocatable.empty() ? t.capacity : t.allocatable);
}

std::string percent(double v) {
  std::ostringstream s;
  s.precision(2);
  s << std::fixed << v;
  return s.str();
}

}  // namespace

ClusterAutoscaler::ClusterAutoscaler(Cluster& cluster, EventLoop& loop,
                                     const sched::Scheduler& scheduler,
                                     std::vector<NodeGroup> groups, NodeFactory add_node,
                                     AutoscalerOptions options)
    : cluster_(cluster),
      loop_(loop),
      scheduler_(scheduler),
      groups_(std::move(groups)),
      add_node_(std::move(add_node)),
      options_(std::move(options)),
      expander_rng_(Rng::stream(scheduler.seed(), "cluster-autoscaler-expander")),
      provisioning_rng_(Rng::stream(scheduler.seed(), "cluster-autoscaler-provisioning")),
      backoff_(options_.initial_node_group_backoff_ms, options_.max_node_group_backoff_ms,
               options_.node_group_backoff_reset_ms) {
  for (const auto& g : groups_)
    stats_[g.name];
}

ClusterAutoscaler::~ClusterAutoscaler() = default;

const NodeGroupStats& ClusterAutoscaler::stats(const std::string& group) const {
  static const NodeGroupStats kNone;
  auto it = stats_.find(group);
  return it == stats_.end() ? kNone : it->second;
}

std::int32_t ClusterAutoscaler::size(const std::string& group) const {
  std::int32_t n = 0;
  for (NodeId id = 0; id < cluster_.node_slots(); ++id) {
    if (cluster_.node_exists(id) && cluster_.node(id).pool == group) ++n;
  }
  return n;
}

const NodeGroup* ClusterAutoscaler::group_of(const Node& n) const {
  return find_group(n.pool);
}

const NodeGroup* ClusterAutoscaler::find_group(const std::string& name) const {
  for (const auto& g : groups_) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

bool ClusterAutoscaler::backed_off(const std::string& group) const {
  return backoff_.backed_off(group, loop_.now());
}

void ClusterAutoscaler::start() {
  schedule_scan(false);
}

void ClusterAutoscaler::schedule_scan(bool prompted) {
  TimeMs at = loop_.now() + options_.scan_interval_ms;
  if (loop_.pending(scan_event_)) {
    if (!prompted || scan_foreground_) return;
    // A background scan becomes a foreground one at the same time: scans keep their period.
    loop_.cancel(scan_event_);
    at = scan_at_ms_;
  }
  scan_foreground_ = prompted;
  scan_at_ms_ = at;
  auto fn = [this] { scan(); };
  scan_event_ = prompted ? loop_.at(at, EventPriority::kController, fn)
                         : loop_.at_background(at, EventPriority::kController, fn);
}

void ClusterAutoscaler::on_event(const ClusterEvent& e) {
  if (e.type == "FailedScheduling" && e.kind == "Pod") schedule_scan(true);
  if (e.kind == "NodePool" && e.type == "StockOut") stocked_out_.insert(e.object);
  if (e.kind == "NodePool" && e.type == "Restock" && stocked_out_.erase(e.object) > 0) {
    // Pods may be waiting for this capacity: the next scan keeps the run alive.
    schedule_scan(true);
  }
}

void ClusterAutoscaler::on_pod_released(PodId, NodeId node) {
  if (draining_.count(node)) finish_drains();
}

void ClusterAutoscaler::on_pod_deleted(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (p.bound() && draining_.count(p.status.node)) {
    // The deleted pod is still listed on the node; finish once the store has dropped it.
    loop_.at(loop_.now(), EventPriority::kController, [this] { finish_drains(); });
  }
}

std::vector<PodId> ClusterAutoscaler::unschedulable_pods() const {
  std::vector<PodId> out;
  cluster_.for_each_pod([&](PodId id, const Pod& p) {
    if (p.bound() || p.terminal() || p.deletion_ms) return;
    if (p.status.scheduling_attempts == 0 || !p.status.nominated_node.empty()) return;
    if (scheduler_.waiting_node(id)) return;
    // Expendable pods never cause a scale-up (upstream's expendable-pods-priority-cutoff).
    if (p.status.priority < options_.expendable_pods_priority_cutoff) return;
    out.push_back(id);
  });
  std::stable_sort(out.begin(), out.end(), [&](PodId a, PodId b) {
    return cluster_.pod(a).status.priority > cluster_.pod(b).status.priority;
  });
  return out;
}

std::vector<PodId> ClusterAutoscaler::filter_out_schedulable(
    const std::vector<PodId>& pending) const {
  if (pending.empty()) return {};
  WhatIf w(cluster_, scheduler_);
  std::vector<NodeId> targets;
  for (NodeId id = 0; id < cluster_.node_slots(); ++id) {
    if (!cluster_.node_exists(id)) continue;
    const Node& n = cluster_.node(id);
    if (draining_.count(id) || is_being_deleted(n) || !n.ready) continue;
    Node copy = n;
    const NodeId c = w.add_node(std::move(copy));
    targets.push_back(c);
    for (PodId pid : n.pods) {
      const Pod& p = cluster_.pod(pid);
      const PodId cp = w.copy_pod(p);
      w.mutable_cluster().bind(cp, c, p.status.gpu_devices);
    }
  }
  // Nodes still being provisioned, in every group, take pods too (upstream adds the upcoming
  // nodes to its snapshot first): a pod waiting for one needs no new node elsewhere.
  for (const auto& g : groups_) {
    for (std::int32_t i = 0; i < stats(g.name).upcoming; ++i)
      targets.push_back(w.add_node(hypothetical(g, g.name + "-upcoming-" + std::to_string(i))));
  }
  // Every pending pod exists in the copy before any is tried: a gang's PreFilter counts them.
  std::vector<std::pair<PodId, PodId>> copies;
  for (PodId p : pending)
    copies.emplace_back(p, w.copy_pod(cluster_.pod(p)));
  std::vector<PodId> out;
  for (const auto& [real, copy] : copies) {
    if (!w.place(copy, targets)) out.push_back(real);
  }
  return out;
}

ClusterAutoscaler::Estimate ClusterAutoscaler::estimate(const NodeGroup& group,
                                                        const std::vector<PodId>& pending,
                                                        std::int32_t limit) const {
  Estimate e;
  WhatIf w(cluster_, scheduler_);
  // Every pending pod exists in the copy before any is tried: a gang's PreFilter counts them.
  std::vector<std::pair<PodId, PodId>> copies;
  for (PodId p : pending)
    copies.emplace_back(p, w.copy_pod(cluster_.pod(p)));
  // Largest first, as upstream's binpacking estimator orders them (decreasing_pod_orderer: cpu
  // plus memory requested over the template's allocatable), so that the count of new nodes does
  // not depend on the pods' names.
  const ResourceAmounts alloc = template_allocatable(group);
  const auto size_of = [&](PodId p) {
    const ResourceAmounts& r = cluster_.pod(p).resources().requests;
    double score = 0;
    for (std::string_view name : {kCpu, kMemory}) {
      if (alloc.get(name) > 0)
        score += static_cast<double>(r.get(name)) / static_cast<double>(alloc.get(name));
    }
    return score;
  };
  std::stable_sort(copies.begin(), copies.end(), [&](const auto& a, const auto& b) {
    return size_of(a.first) > size_of(b.first);
  });
  std::vector<NodeId> nodes;
  const std::int32_t room =
      limit >= 0 ? limit : group.max_size - size(group.name) - stats(group.name).upcoming;
  std::set<const PodTemplate*> never_fits;
  for (const auto& [real, copy] : copies) {
    const PodTemplate* t = cluster_.pod(real).tmpl.get();
    if (never_fits.count(t)) continue;
    if (w.place(copy, nodes)) {
      e.helped.push_back(real);
      continue;
    }
    if (e.new_nodes >= room) continue;
    const NodeId n =
        w.add_node(hypothetical(group, group.name + "-new-" + std::to_string(e.new_nodes)));
    if (w.place(copy, {n})) {
      nodes.push_back(n);
      ++e.new_nodes;
      e.helped.push_back(real);
    } else {
      // Not even an empty node of this group takes it (taints, selectors, size).
      w.remove_node(n);
      never_fits.insert(t);
    }
  }
  return e;
}

void ClusterAutoscaler::scale_up(const std::vector<PodId>& pending) {
  std::vector<ExpansionOption> options;
  std::set<PodId> placeable;
  const auto room = [&](const NodeGroup& g) {
    return g.max_size - size(g.name) - stats(g.name).upcoming;
  };
  // Upstream's skipped node groups, each with its reason (SkippedReasons).
  std::vector<std::string> skipped;
  std::vector<const NodeGroup*> valid;
  for (const auto& g : groups_) {
    // Upstream's IsNodeGroupSafeToScaleUp, before the size check: an unhealthy group, or one
    // backed off after a failed scale-up, is no option at all.
    if (!group_healthy(g)) {
      skipped.emplace_back("not ready for scale-up");
      continue;
    }
    if (backed_off(g.name)) {
      skipped.emplace_back("in backoff after failed scale-up");
      continue;
    }
    if (room(g) <= 0) {
      skipped.emplace_back("max node group size reached");
      continue;
    }
    valid.push_back(&g);
  }
  // Balancing: a group's similar groups are the valid ones with a similar template that take
  // every pod it takes (upstream's ComputeSimilarNodeGroups); their room adds to the group's in
  // the estimate (upstream's SngCapacityThreshold).
  std::map<std::string, std::vector<const NodeGroup*>> similar;
  if (options_.balance_similar_node_groups) {
    std::map<std::string, std::set<const PodTemplate*>> fits;
    for (const NodeGroup* g : valid)
      fits[g->name] = fitting_templates(*g, pending);
    for (const NodeGroup* g : valid) {
      const auto& mine = fits[g->name];
      if (mine.empty()) continue;
      for (const NodeGroup* h : valid) {
        if (h == g || !similar_node_templates(g->node_template, h->node_template, options_))
          continue;
        const auto& theirs = fits[h->name];
        if (std::includes(theirs.begin(), theirs.end(), mine.begin(), mine.end()))
          similar[g->name].push_back(h);
      }
    }
  }
  for (const NodeGroup* gp : valid) {
    const NodeGroup& g = *gp;
    std::int32_t limit = room(g);
    for (const NodeGroup* h : similar[g.name])
      limit += room(*h);
    Estimate e = estimate(g, pending, limit);
    if (e.new_nodes == 0) continue;
    ExpansionOption o;
    o.group = g.name;
    o.node_count = e.new_nodes;
    o.pods = std::move(e.helped);
    for (PodId p : o.pods) {
      placeable.insert(p);
      o.pods_cpu_milli += container_requests(cluster_.pod(p), kCpu, true);
      o.pods_memory_bytes += container_requests(cluster_.pod(p), kMemory, false);
    }
    const Node& t = g.node_template;
    const auto cap = [&](std::string_view r, bool milli) -> std::int64_t {
      auto it = t.capacity.find(r);
      if (it == t.capacity.end()) return 0;
      return milli ? it->second.milli_value() : it->second.value();
    };
    o.node_cpu_milli = cap(kCpu, true);
    o.node_memory_bytes = cap(kMemory, false);
    o.node_cost_per_hour_micros = g.cost_per_hour_micros;
    options.push_back(std::move(o));
  }
  ExpanderContext ctx;
  ctx.priorities = &options_.priorities;
  ctx.rng = &expander_rng_;
  const std::int64_t chosen =
      options.empty() ? -1 : choose_expansion(options, options_.expander, ctx);
  // Upstream's EventingScaleUpStatusProcessor: only a loop that scales nothing up tells the pods
  // left over why.
  const auto no_scale_up = [&] { report_not_triggered(pending, placeable, valid, skipped); };
  if (chosen < 0) return no_scale_up();
  const ExpansionOption& option = options[static_cast<std::size_t>(chosen)];
  const NodeGroup* best = find_group(option.group);
  if (best == nullptr) return no_scale_up();
  const auto target_size = [&](const NodeGroup& g) {
    return size(g.name) + stats(g.name).upcoming;
  };
  std::vector<ScaleUpInfo> infos;
  if (options_.balance_similar_node_groups) {
    std::vector<ScaleUpInfo> set{{best->name, target_size(*best), 0, best->max_size}};
    for (const NodeGroup* g : similar[best->name])
      set.push_back(ScaleUpInfo{g->name, target_size(*g), 0, g->max_size});
    infos = balance_scale_up(std::move(set), option.node_count);
  } else {
    const std::int32_t current = target_size(*best);
    infos.push_back(ScaleUpInfo{best->name, current, current + option.node_count, best->max_size});
  }
  if (infos.empty()) return no_scale_up();
  last_scale_up_ms_ = loop_.now();
  std::string changes;
  for (const ScaleUpInfo& info : infos) {
    const std::string change = info.group + " " + std::to_string(info.current_size) + "->" +
                               std::to_string(info.new_size) +
                               " (max: " + std::to_string(info.max_size) + ")";
    changes += (changes.empty() ? "{" : " {") + change + "}";
    // The request first: the pool's cost counts the new nodes from this event on.
    ++stats_[info.group].scale_ups;
    increase_size(*find_group(info.group), info.new_size - info.current_size);
    cluster_.emit(ClusterEvent{0,
                               "ScaledUpGroup",
                               "NodePool",
                               info.group,
                               {},
                               "Scale-up: setting group " + change + ", " +
                                   std::to_string(option.pods.size()) + " pod(s) to schedule",
                               false});
  }
  for (PodId p : option.pods) {
    cluster_.emit(ClusterEvent{0,
                               "TriggeredScaleUp",
                               "Pod",
                               cluster_.pod(p).key(),
                               {},
                               "pod triggered scale-up: [" + changes + "]",
                               false});
  }
}

void ClusterAutoscaler::report_not_triggered(const std::vector<PodId>& pending,
                                             const std::set<PodId>& placeable,
                                             const std::vector<const NodeGroup*>& valid,
                                             const std::vector<std::string>& skipped) {
  std::vector<PodId> left;
  for (PodId p : pending) {
    if (!placeable.count(p)) left.push_back(p);
  }
  if (left.empty()) return;
  // Upstream's ReasonsMessage: each reason counted once per node group that gave it, the groups
  // that rejected the pod (their template node failed the scheduler's filters) and the groups
  // skipped. Upstream joins them in Go's map order; here they are sorted.
  std::map<std::string, std::int32_t> common;
  for (const std::string& r : skipped)
    ++common[r];
  std::map<const PodTemplate*, std::map<std::string, std::int32_t>> by_template;
  for (const NodeGroup* g : valid) {
    for (const auto& [t, reasons] : rejection_reasons(*g, pending, left)) {
      auto& counts = by_template[t];
      for (const std::string& r : reasons)
        ++counts[r];
    }
  }
  for (PodId p : left) {
    const Pod& pod = cluster_.pod(p);
    std::map<std::string, std::int32_t> counts = common;
    if (auto it = by_template.find(pod.tmpl.get()); it != by_template.end()) {
      for (const auto& [r, n] : it->second)
        counts[r] += n;
    }
    std::vector<std::string> parts;
    for (const auto& [r, n] : counts)
      parts.push_back(std::to_string(n) + " " + r);
    std::sort(parts.begin(), parts.end());
    std::string message = "pod didn't trigger scale-up: ";
    for (std::size_t i = 0; i < parts.size(); ++i)
      message += (i ? ", " : "") + parts[i];
    // Upstream emits this every loop; the API server's event correlator folds repeats of one
    // message into one Event, so a pod's event is recorded again only when its message changes.
    auto [it, added] = not_triggered_.try_emplace(pod.uid, message);
    if (!added) {
      if (it->second == message) continue;
      it->second = message;
    }
    cluster_.emit(ClusterEvent{0, "NotTriggerScaleUp", "Pod", pod.key(), {}, message, false});
  }
}

std::map<const PodTemplate*, std::vector<std::string>> ClusterAutoscaler::rejection_reasons(
    const NodeGroup& g, const std::vector<PodId>& pending, const std::vector<PodId>& pods) const {
  // Upstream's SchedulablePodGroups again: each pod (by template) tried on an empty template
  // node; the filters' reasons for those that do not fit. Every pending pod exists in the copy
  // (a gang's PreFilter counts them).
  WhatIf w(cluster_, scheduler_);
  std::map<PodId, PodId> copy_of;
  for (PodId p : pending)
    copy_of[p] = w.copy_pod(cluster_.pod(p));
  std::map<const PodTemplate*, std::vector<std::string>> out;
  for (PodId p : pods) {
    const PodTemplate* t = cluster_.pod(p).tmpl.get();
    if (out.count(t)) continue;
    const NodeId n = w.add_node(hypothetical(g, g.name + "-template-" + std::to_string(p)));
    std::vector<std::string> reasons;
    if (w.place(copy_of.at(p), {n}, &reasons)) reasons.clear();
    out[t] = std::move(reasons);
  }
  return out;
}

std::set<const PodTemplate*> ClusterAutoscaler::fitting_templates(
    const NodeGroup& g, const std::vector<PodId>& pending) const {
  // Upstream's SchedulablePodGroups: the pods (by equivalence group; here, by template) that fit
  // an empty node of the group.
  WhatIf w(cluster_, scheduler_);
  std::vector<std::pair<PodId, PodId>> copies;
  for (PodId p : pending)
    copies.emplace_back(p, w.copy_pod(cluster_.pod(p)));
  std::set<const PodTemplate*> tried;
  std::set<const PodTemplate*> out;
  for (const auto& [real, copy] : copies) {
    const PodTemplate* t = cluster_.pod(real).tmpl.get();
    if (!tried.insert(t).second) continue;
    const NodeId n = w.add_node(hypothetical(g, g.name + "-template-" + std::to_string(copy)));
    if (w.place(copy, {n})) out.insert(t);
  }
  return out;
}

std::int32_t ClusterAutoscaler::instances(const NodeGroup& g) const {
  std::int32_t n = size(g.name);
  if (auto it = upcoming_.find(g.name); it != upcoming_.end()) {
    for (const Upcoming& u : it->second)
      n += u.fate == Upcoming::Fate::kRefused ? 0 : 1;
  }
  return n;
}

bool ClusterAutoscaler::cloud_refuses(const NodeGroup& g) const {
  return stocked_out_.count(g.name) > 0 || (g.capacity && instances(g) >= *g.capacity);
}

void ClusterAutoscaler::increase_size(const NodeGroup& g, std::int32_t count) {
  std::vector<Upcoming>& list = upcoming_[g.name];
  std::int32_t instances = this->instances(g);
  const std::string name = g.name;
  for (std::int32_t i = 0; i < count; ++i) {
    Upcoming u;
    u.requested_ms = loop_.now();
    u.seq = next_upcoming_seq_++;
    if (stocked_out_.count(name) > 0) {
      u.fate = Upcoming::Fate::kRefused;
      u.error = "RESOURCE_POOL_EXHAUSTED";
    } else if (g.capacity && instances >= *g.capacity) {
      u.fate = Upcoming::Fate::kRefused;
      u.error = "QUOTA_EXCEEDED";
    } else {
      ++instances;
      if (g.provisioning_failure_probability > 0 &&
          provisioning_rng_.bernoulli(g.provisioning_failure_probability)) {
        u.fate = Upcoming::Fate::kNeverJoins;
      } else {
        const std::uint64_t seq = u.seq;
        u.join = loop_.after(g.provisioning_delay_ms, EventPriority::kApi,
                             [this, name, seq] { join(name, seq); });
      }
    }
    list.push_back(u);
  }
  sync_upcoming(name);
  // Upstream's RegisterOrUpdateScaleUp: more nodes restart the request's clock.
  ScaleUpRequest& r = requests_[name];
  r.increase += count;
  r.time_ms = loop_.now();
  r.expected_add_ms = loop_.now() + g.max_node_provision_ms;
}

void ClusterAutoscaler::join(const std::string& group, std::uint64_t seq) {
  std::vector<Upcoming>& list = upcoming_[group];
  auto it = std::find_if(list.begin(), list.end(), [&](const Upcoming& u) { return u.seq == seq; });
  if (it == list.end()) return;
  list.erase(it);
  sync_upcoming(group);
  ++stats_[group].nodes_added;
  add_node_(group);
}

void ClusterAutoscaler::sync_upcoming(const std::string& group) {
  NodeGroupStats& st = stats_[group];
  const std::vector<Upcoming>& list = upcoming_[group];
  st.upcoming = static_cast<std::int32_t>(list.size());
  st.upcoming_refused =
      static_cast<std::int32_t>(std::count_if(list.begin(), list.end(), [](const Upcoming& u) {
        return u.fate == Upcoming::Fate::kRefused;
      }));
}

void ClusterAutoscaler::register_failed_scale_up(const NodeGroup& g) {
  ++stats_[g.name].failed_scale_ups;
  const TimeMs now = loop_.now();
  const TimeMs until = backoff_.backoff(g.name, now);
  cluster_.emit(ClusterEvent{0,
                             "BackOff",
                             "NodePool",
                             g.name,
                             {},
                             "Disabling scale-up for node group " + g.name + " until " +
                                 format_duration(until) + " (back-off " +
                                 format_duration(until - now) + ")",
                             true});
}

void ClusterAutoscaler::update_scale_requests() {
  const TimeMs now = loop_.now();
  backoff_.remove_stale(now);
  for (auto it = requests_.begin(); it != requests_.end();) {
    const std::string name = it->first;
    const NodeGroup* g = find_group(name);
    if (upcoming_[name].empty()) {
      // Every node registered: the scale-up succeeded and the group starts afresh.
      backoff_.remove(name);
      it = requests_.erase(it);
      continue;
    }
    if (it->second.expected_add_ms < now) {
      cluster_.emit(ClusterEvent{0,
                                 "ScaleUpTimedOut",
                                 "NodePool",
                                 name,
                                 {},
                                 "Nodes added to group " + name + " failed to register within " +
                                     format_duration(now - it->second.time_ms),
                                 true});
      if (g != nullptr) register_failed_scale_up(*g);
      it = requests_.erase(it);
      continue;
    }
    ++it;
  }
}

void ClusterAutoscaler::handle_instance_errors() {
  for (const auto& g : groups_) {
    std::vector<Upcoming>& list = upcoming_[g.name];
    std::map<std::string, std::int32_t> failed;  // per error code
    for (const Upcoming& u : list) {
      if (u.fate == Upcoming::Fate::kRefused) ++failed[u.error];
    }
    if (failed.empty()) continue;
    for (const auto& [code, n] : failed) {
      auto r = requests_.find(g.name);
      // Upstream acts on errors of a group that is scaling up (a request is open).
      if (r == requests_.end()) continue;
      const std::string source = code == "QUOTA_EXCEEDED"
                                     ? "the cloud provides at most " +
                                           std::to_string(g.capacity.value_or(0)) +
                                           " instances of " + g.name
                                     : "the cloud is out of capacity for " + g.name;
      cluster_.emit(ClusterEvent{0,
                                 "ScaleUpFailed",
                                 "NodePool",
                                 g.name,
                                 {},
                                 "Failed adding " + std::to_string(n) + " nodes to group " +
                                     g.name + " due to OutOfResource." + code +
                                     "; source errors: " + source,
                                 true});
      r->second.increase -= n;
      if (r->second.increase <= 0) requests_.erase(r);
      register_failed_scale_up(g);
    }
    // Upstream's deleteCreatedNodesWithErrors: the failed instances go, the target shrinks.
    const auto refused = std::remove_if(list.begin(), list.end(), [](const Upcoming& u) {
      return u.fate == Upcoming::Fate::kRefused;
    });
    stats_[g.name].nodes_failed += list.end() - refused;
    list.erase(refused, list.end());
    sync_upcoming(g.name);
  }
}

void ClusterAutoscaler::remove_old_unregistered() {
  const TimeMs now = loop_.now();
  for (const auto& g : groups_) {
    std::vector<Upcoming>& list = upcoming_[g.name];
    for (auto it = list.begin(); it != list.end();) {
      if (it->fate == Upcoming::Fate::kRefused ||
          it->requested_ms + g.max_node_provision_ms >= now) {
        ++it;
        continue;
      }
      // Upstream leaves a group at its minimum size alone.
      if (size(g.name) + static_cast<std::int32_t>(list.size()) <= g.min_size) break;
      if (loop_.pending(it->join)) loop_.cancel(it->join);
      const std::string node = g.name + "-unregistered-" + std::to_string(it->seq);
      it = list.erase(it);
      ++stats_[g.name].nodes_failed;
      sync_upcoming(g.name);
      cluster_.emit(ClusterEvent{0, "DeleteUnregistered", "NodePool", g.name, node,
                                 "Removed unregistered node " + node, false});
    }
  }
}

double ClusterAutoscaler::utilization(const Node& n) const {
  // Pods terminating for longer than their grace period plus 30 s do not count (upstream's
  // drain.IsPodLongTerminating): the evicted pods of a NotReady node, which never finish.
  std::int64_t gone_gpu_milli = 0;
  ResourceAmounts gone;
  for (PodId id : n.pods) {
    const Pod& p = cluster_.pod(id);
    if (!p.deletion_ms) continue;
    const std::int64_t grace_s =
        p.status.deletion_grace_s.value_or(p.spec().termination_grace_period_s);
    if (loop_.now() <= *p.deletion_ms + grace_s * 1000 + 30'000) continue;
    gone_gpu_milli += p.resources().gpu.total_milli();
    for (std::string_view r : {kCpu, kMemory})
      gone.add(r, p.resources().requests.get(r));
  }
  if (!n.gpus.empty()) {
    std::int64_t used = -gone_gpu_milli;
    for (const auto& d : n.gpus)
      used += d.used_milli;
    return static_cast<double>(used) / (1000.0 * static_cast<double>(n.gpus.size()));
  }
  double u = 0;
  for (std::string_view r : {kCpu, kMemory}) {
    const std::int64_t alloc = n.allocatable_units.get(r);
    if (alloc > 0) {
      u = std::max(
          u, static_cast<double>(n.requested.get(r) - gone.get(r)) / static_cast<double>(alloc));
    }
  }
  return u;
}

double ClusterAutoscaler::threshold(const Node& n, const NodeGroup& g) const {
  return n.gpus.empty() ? g.scale_down_utilization_threshold
                        : g.scale_down_gpu_utilization_threshold;
}

bool ClusterAutoscaler::expendable(const Pod& p) const {
  return p.status.priority < options_.expendable_pods_priority_cutoff;
}

std::string ClusterAutoscaler::blocking_reason(const Pod& p) const {
  const auto annotation = [&](const char* key) -> const std::string* {
    auto it = p.annotations().find(key);
    return it == p.annotations().end() ? nullptr : &it->second;
  };
  const std::string* safe = annotation(kSafeToEvictAnnotation);
  if (safe && *safe == "false") return "pod " + p.key() + " is annotated safe-to-evict: false";
  // safe-to-evict "true" lifts the rules below (upstream's drainability rules).
  if (safe && *safe == "true") return {};
  if (!p.owner) return "pod " + p.key() + " is not replicated";
  if (options_.skip_nodes_with_system_pods && p.namespace_ == "kube-system") {
    const bool budgeted =
        std::any_of(cluster_.pdbs.begin(), cluster_.pdbs.end(), [&](const auto& kv) {
          return kv.second.meta.namespace_ == p.namespace_ &&
                 kv.second.selector.matches(p.labels());
        });
    if (!budgeted)
      return "non-daemonset, non-mirrored, kube-system pod " + p.key() +
             " without a PodDisruptionBudget";
  }
  if (options_.skip_nodes_with_local_storage && !p.spec().local_volumes.empty()) {
    std::set<std::string> allowed;
    if (const std::string* list = annotation(kSafeToEvictLocalVolumesAnnotation)) {
      for (auto& name : split(*list, ','))
        allowed.insert(std::move(name));
    }
    for (const auto& v : p.spec().local_volumes) {
      if (!allowed.count(v)) return "pod " + p.key() + " has local storage (volume " + v + ")";
    }
  }
  return {};
}

bool ClusterAutoscaler::pods_can_move(NodeId node, std::string* why) const {
  const Node& n = cluster_.node(node);
  std::map<std::string, std::int64_t> budget;
  for (const auto& [key, pdb] : cluster_.pdbs)
    budget[key] = pdb.disruptions_allowed;
  std::vector<PodId> moving;
  for (PodId id : n.pods) {
    const Pod& p = cluster_.pod(id);
    if (p.terminal() || p.deletion_ms) continue;
    if (const std::string reason = blocking_reason(p); !reason.empty()) {
      if (why) *why = reason;
      return false;
    }
    // Killed without a thought: it needs no room elsewhere and no budget.
    if (expendable(p)) continue;
    // An empty selector selects every pod of the namespace (policy/v1), as eviction counts it.
    for (const auto& [key, pdb] : cluster_.pdbs) {
      if (pdb.meta.namespace_ != p.namespace_ || !pdb.selector.matches(p.labels())) continue;
      if (--budget[key] < 0) {
        if (why) *why = "not enough pod disruption budget to move " + p.key() + " (" + key + ")";
        return false;
      }
    }
    moving.push_back(id);
  }
  if (moving.empty()) return true;
  // The pods must fit on the other nodes, as they are now.
  WhatIf w(cluster_, scheduler_);
  std::vector<NodeId> targets;
  for (NodeId id = 0; id < cluster_.node_slots(); ++id) {
    if (!cluster_.node_exists(id) || id == node) continue;
    const Node& other = cluster_.node(id);
    if (draining_.count(id) || is_being_deleted(other) || !other.ready) continue;
    Node copy = other;
    const NodeId c = w.add_node(std::move(copy));
    targets.push_back(c);
    for (PodId pid : other.pods) {
      const Pod& p = cluster_.pod(pid);
      const PodId cp = w.copy_pod(p);
      w.mutable_cluster().bind(cp, c, p.status.gpu_devices);
    }
  }
  std::vector<PodId> copies;
  for (PodId id : moving)
    copies.push_back(w.copy_pod(cluster_.pod(id)));
  for (std::size_t i = 0; i < copies.size(); ++i) {
    if (!w.place(copies[i], targets)) {
      if (why) *why = "pod " + cluster_.pod(moving[i]).key() + " cannot be scheduled elsewhere";
      return false;
    }
  }
  return true;
}

void ClusterAutoscaler::start_drain(NodeId id, bool empty) {
  Node& n = cluster_.node(id);
  draining_.insert(id);
  if (!empty) draining_pods_.insert(id);
  unneeded_since_.erase(id);
  n.taints.push_back(Taint{kToBeDeletedTaint, std::to_string(loop_.now() / 1000),
                           TaintEffect::kNoSchedule, loop_.now()});
  cluster_.node_changed(id);
  std::string pods;
  const std::vector<PodId> on_node = n.pods;
  for (PodId p : on_node) {
    const Pod& pod = cluster_.pod(p);
    if (pod.terminal() || pod.deletion_ms) continue;
    pods += (pods.empty() ? "" : ",") + pod.name;
  }
  cluster_.emit(ClusterEvent{0, "ScaleDown", "Node", n.name(), n.name(),
                             std::string("Scale-down: removing ") + (empty ? "empty " : "") +
                                 "node " + n.name() + ", utilization " + percent(utilization(n)) +
                                 (pods.empty() ? "" : ", pods to reschedule: " + pods),
                             false});
  for (PodId p : on_node) {
    if (!cluster_.pod_exists(p)) continue;
    Pod& pod = cluster_.pod(p);
    if (pod.terminal() || pod.deletion_ms) continue;
    cluster_.emit(ClusterEvent{0, "ScaleDown", "Pod", pod.key(), n.name(),
                               "deleting pod for node scale down", false});
    cluster_.request_deletion(
        p, std::min(pod.spec().termination_grace_period_s, options_.max_graceful_termination_s));
  }
  finish_drains();
}

void ClusterAutoscaler::finish_drains() {
  std::vector<NodeId> done;
  for (NodeId id : draining_) {
    if (!cluster_.node_exists(id)) {
      done.push_back(id);
      continue;
    }
    // A NotReady node's pods never finish terminating: its machine goes, and the pod garbage
    // collector deletes them.
    if (cluster_.node(id).pods.empty() || !cluster_.node(id).ready) done.push_back(id);
  }
  for (NodeId id : done) {
    draining_.erase(id);
    draining_pods_.erase(id);
    if (!cluster_.node_exists(id)) continue;
    const std::string name = cluster_.node(id).name();
    const std::string pool = cluster_.node(id).pool;
    const std::vector<PodId> left = cluster_.node(id).pods;
    for (PodId p : left) {
      if (!cluster_.pod_exists(p)) continue;
      cluster_.emit(ClusterEvent{0, "PodGC", "Pod", cluster_.pod(p).key(), name,
                                 "Deleted pod of removed node " + name, false});
      cluster_.delete_pod(p);
    }
    cluster_.remove_node(id);
    ++stats_[pool].nodes_removed;
    cluster_.emit(ClusterEvent{0, "ScaleDownDone", "NodePool", pool, name,
                               "Scale-down: node " + name + " removed", false});
  }
}

void ClusterAutoscaler::scale_down() {
  const TimeMs now = loop_.now();
  std::map<std::string, std::int32_t> removable;  // per group: how many may still go
  std::map<std::string, bool> at_min;
  for (const auto& g : groups_) {
    std::int32_t live = 0;
    for (NodeId id = 0; id < cluster_.node_slots(); ++id) {
      if (cluster_.node_exists(id) && cluster_.node(id).pool == g.name && !draining_.count(id))
        ++live;
    }
    removable[g.name] = std::max(0, live - g.min_size);
    // A group at its minimum has no scale-down candidates at all (upstream's
    // PreFilteringScaleDownNodeProcessor, on the target size): none is unneeded or soft-tainted.
    at_min[g.name] = live + stats(g.name).upcoming <= g.min_size;
  }
  struct Candidate {
    NodeId id;
    double util;
    bool empty;
  };
  std::vector<Candidate> candidates;
  for (NodeId id = 0; id < cluster_.node_slots(); ++id) {
    if (!cluster_.node_exists(id) || draining_.count(id)) {
      unneeded_since_.erase(id);
      unremovable_until_.erase(id);
      continue;
    }
    const Node& n = cluster_.node(id);
    const NodeGroup* g = group_of(n);
    const std::string* disabled = n.meta.annotation(kScaleDownDisabledAnnotation);
    if (g == nullptr || at_min[g->name] || (disabled && *disabled == "true") ||
        (!n.ready && !options_.scale_down_unready_enabled)) {
      unneeded_since_.erase(id);
      continue;
    }
    const double u = utilization(n);
    if (u >= threshold(n, *g)) {
      unneeded_since_.erase(id);
      continue;
    }
    bool empty = true;
    for (PodId p : n.pods)
      empty = empty && (cluster_.pod(p).terminal() || cluster_.pod(p).deletion_ms);
    // Unneeded only while it could go now (upstream simulates each candidate's removal every
    // scan, and leaves one it found unremovable alone for the recheck timeout).
    if (!empty) {
      auto it = unremovable_until_.find(id);
      if (it != unremovable_until_.end() && now < it->second) {
        unneeded_since_.erase(id);
        continue;
      }
      if (!pods_can_move(id, nullptr)) {
        unremovable_until_[id] = now + options_.unremovable_recheck_ms;
        unneeded_since_.erase(id);
        continue;
      }
    }
    const TimeMs since = unneeded_since_.emplace(id, now).first->second;
    const TimeMs wait = n.ready ? g->scale_down_unneeded_ms : options_.scale_down_unready_ms;
    if (now - since < wait) continue;
    candidates.push_back(Candidate{id, u, empty});
  }
  if (last_scale_up_ms_ >= 0 && now - last_scale_up_ms_ < options_.scale_down_delay_after_add_ms)
    return;
  const std::size_t draining_before = draining_.size();
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) {
                     if (a.empty != b.empty) return a.empty;
                     return a.util < b.util;
                   });
  // Removals still in progress count against both budgets, as upstream's scale-down budgets.
  auto in_progress = static_cast<std::int32_t>(draining_.size());
  auto drains = static_cast<std::int32_t>(draining_pods_.size());
  for (const Candidate& c : candidates) {
    if (in_progress >= options_.max_scale_down_parallelism) break;
    const std::string pool = cluster_.node(c.id).pool;
    if (removable[pool] <= 0) continue;
    if (!c.empty) {
      if (drains >= options_.max_drain_parallelism) continue;
      // Again: the removals started in this scan may have taken the room.
      if (!pods_can_move(c.id, nullptr)) continue;
      ++drains;
    }
    ++in_progress;
    --removable[pool];
    start_drain(c.id, c.empty);
  }
  // Only in a scan that removed nothing, as upstream (ScaleDownNoNodeDeleted/NoUnneeded).
  if (draining_.size() == draining_before) update_soft_taints();
}

void ClusterAutoscaler::update_soft_taints() {
  // upstream's UpdateSoftDeletionTaints: a PreferNoSchedule taint on unneeded nodes steers new
  // pods elsewhere; removed first from nodes needed again; max-bulk-soft-taint-count per scan.
  const auto has = [](const Node& n, const char* key) {
    return std::any_of(n.taints.begin(), n.taints.end(),
                       [&](const Taint& t) { return t.key == key; });
  };
  std::int32_t budget = options_.max_bulk_soft_taint_count;
  for (int pass = 0; pass < 2; ++pass) {
    const bool untaint = pass == 0;
    for (NodeId id = 0; id < cluster_.node_slots() && budget > 0; ++id) {
      if (!cluster_.node_exists(id)) continue;
      Node& n = cluster_.node(id);
      if (group_of(n) == nullptr || has(n, kToBeDeletedTaint)) continue;
      const bool unneeded = unneeded_since_.count(id) > 0;
      const bool tainted = has(n, kDeletionCandidateTaint);
      if (untaint ? (unneeded || !tainted) : (!unneeded || tainted)) continue;
      if (untaint) {
        n.taints.erase(
            std::remove_if(n.taints.begin(), n.taints.end(),
                           [](const Taint& t) { return t.key == kDeletionCandidateTaint; }),
            n.taints.end());
      } else {
        n.taints.push_back(Taint{kDeletionCandidateTaint, std::to_string(loop_.now() / 1000),
                                 TaintEffect::kPreferNoSchedule, loop_.now()});
      }
      --budget;
      cluster_.node_changed(id);
    }
  }
}

void ClusterAutoscaler::scan() {
  finish_drains();
  // Upstream's order: the cluster state first (finished, timed-out and failed scale-ups, old
  // unregistered nodes), so that this scan's scale-up already avoids a group that failed.
  update_scale_requests();
  handle_instance_errors();
  remove_old_unregistered();
  update_readiness();
  if (!cluster_healthy()) {
    // Upstream's RunOnce returns here after CleanUpUnneededNodes: a node's unneeded time starts
    // again once the cluster is healthy. Nodes recovering, or pods failing to schedule, prompt
    // the scans that see it.
    unneeded_since_.clear();
    if (!unhealthy_) {
      cluster_.emit(ClusterEvent{0,
                                 "ClusterUnhealthy",
                                 "ClusterAutoscaler",
                                 "cluster-autoscaler",
                                 {},
                                 "Cluster is unhealthy",
                                 true});
    }
    unhealthy_ = true;
    schedule_scan(busy({}));
    return;
  }
  unhealthy_ = false;
  const std::vector<PodId> pending = filter_out_schedulable(unschedulable_pods());
  if (!pending.empty()) scale_up(pending);
  scale_down();
  schedule_scan(busy(pending));
}

void ClusterAutoscaler::update_readiness() {
  const TimeMs now = loop_.now();
  readiness_ = Readiness{};
  group_readiness_.clear();
  for (NodeId id = 0; id < cluster_.node_slots(); ++id) {
    if (!cluster_.node_exists(id)) continue;
    const Node& n = cluster_.node(id);
    // Nodes the autoscaler is deleting are out of the target size already.
    std::int64_t Readiness::*state = &Readiness::deleted;
    if (!is_being_deleted(n)) {
      state = n.ready                                        ? &Readiness::ready
              : n.meta.creation_ms + kMaxNodeStartupMs > now ? &Readiness::not_started
                                                             : &Readiness::unready;
    }
    ++(readiness_.*state);
    if (find_group(n.pool) != nullptr) ++(group_readiness_[n.pool].*state);
  }
}

bool ClusterAutoscaler::too_many_unready(std::int64_t unready, std::int64_t total) const {
  return unready > options_.ok_total_unready_count &&
         static_cast<double>(unready) >
             options_.max_total_unready_percentage / 100.0 * static_cast<double>(total);
}

bool ClusterAutoscaler::cluster_healthy() const {
  return !too_many_unready(readiness_.unready, readiness_.registered());
}

bool ClusterAutoscaler::group_healthy(const NodeGroup& g) const {
  const TimeMs now = loop_.now();
  auto found = group_readiness_.find(g.name);
  const Readiness r = found == group_readiness_.end() ? Readiness{} : found->second;
  // Upstream's acceptable range: the target size (nodes and instances on their way), less the
  // instances that never registered and are kept (a group at its minimum) and less what the open
  // scale-up adds.
  std::int64_t long_unregistered = 0;
  auto up = upcoming_.find(g.name);
  if (up != upcoming_.end()) {
    for (const Upcoming& u : up->second) {
      if (u.fate != Upcoming::Fate::kRefused && u.requested_ms + g.max_node_provision_ms < now)
        ++long_unregistered;
    }
  }
  const std::int64_t target = r.ready + r.unready + r.not_started + stats(g.name).upcoming;
  auto request = requests_.find(g.name);
  const std::int64_t min_nodes =
      target - long_unregistered - (request == requests_.end() ? 0 : request->second.increase);
  if (r.registered() == 0) return target == 0 || min_nodes <= 0;
  const std::int64_t unjustified = std::max<std::int64_t>(0, min_nodes - r.ready);
  return !too_many_unready(unjustified, r.ready + r.unready + r.not_started);
}

bool ClusterAutoscaler::busy(const std::vector<PodId>& pending) const {
  // Keep the run alive while nodes are coming or going, or while pods wait for a scale-up that
  // may still happen: a back-off running out on a group the cloud would give an instance now.
  // Otherwise scan in the background. A group stocked out until a restock that may never come,
  // or at its capacity, would only fail again when its back-off ends, and again, for as long as
  // the run lasts (upstream retries every --max-node-group-backoff-duration at most): those
  // retries go on while anything else keeps the run going, but do not by themselves keep a run
  // without a duration alive until spec.maxTime. A Restock prompts a scan of its own.
  bool out = !draining_.empty();
  for (const auto& g : groups_) {
    out = out || stats(g.name).upcoming > 0 ||
          (!pending.empty() && backed_off(g.name) && !cloud_refuses(g));
  }
  return out;
}

}  // namespace gpusim::ctrl
