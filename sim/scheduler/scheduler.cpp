#include "scheduler/scheduler.hpp"

#include <algorithm>
#include <stdexcept>

namespace gpusim::sched {
namespace {

// Go's time.Duration.String() for the messages upstream prints: "1m0s", "1h0m0s", "1.5s".
std::string go_duration(TimeMs ms) {
  if (ms == 0) return "0s";
  std::string out;
  const TimeMs h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (f.back() == '0')
      f.pop_back();
    out += "." + f;
  }
  return out + "s";
}

}  // namespace

Scheduler::Scheduler(Cluster& cluster, EventLoop& loop, SchedulerConfig config, std::uint64_t seed,
                     const PluginRegistry& registry)
    : cluster_(cluster),
      loop_(loop),
      config_(std::move(config)),
      seed_(seed),
      rng_(Rng::stream(seed, "scheduler")),
      table_(cluster),
      queue_(config_.pod_initial_backoff_s * 1000, config_.pod_max_backoff_s * 1000,
             config_.pod_max_in_unschedulable_s * 1000) {
  // The node table observes first so plugins see the cluster as it is when pods are requeued.
  cluster_.add_observer(&table_);
  cluster_.add_observer(this);
  for (const auto& spec : config_.profiles) {
    if (profiles_.count(spec.scheduler_name)) {
      throw std::invalid_argument("two scheduler profiles named \"" + spec.scheduler_name + "\"");
    }
    profiles_[spec.scheduler_name] = std::make_unique<Framework>(spec, config_, *this, registry);
  }
  for (PodId id = 0; id < cluster_.pod_slots(); ++id) {
    if (cluster_.pod_exists(id)) on_pod_added(id);
  }
}

Scheduler::~Scheduler() = default;

Framework* Scheduler::profile(const std::string& scheduler_name) {
  auto it = profiles_.find(scheduler_name);
  return it == profiles_.end() ? nullptr : it->second.get();
}

void Scheduler::enqueue(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (p.bound() || p.terminal() || p.deletion_ms || !p.spec().scheduling_gates.empty()) return;
  if (!profiles_.count(p.spec().scheduler_name)) return;  // another scheduler's pod
  queue_.add(id, p.status.priority, p.uid, loop_.now());
  wake(loop_.now());
}

void Scheduler::on_pod_added(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (!p.spec().node_name.empty() && !p.bound()) {
    bind_directly(id);
    return;
  }
  enqueue(id);
}

void Scheduler::on_pod_updated(PodId id) {
  const Pod& p = cluster_.pod(id);
  if (p.deletion_ms && waiting_.count(id)) {
    drop_waiting(id, "", "pod is being deleted", /*requeue=*/false);
    queue_.remove(id);
    return;
  }
  // A pod whose scheduling gates were lifted (gang release) enters the queue now.
  if (!queue_.contains(id)) enqueue(id);
}

void Scheduler::on_pod_deleted(PodId id) {
  if (waiting_.count(id)) drop_waiting(id, "", "pod deleted", /*requeue=*/false);
  clear_nomination(id);
  queue_.remove(id);
}

void Scheduler::on_node_removed(NodeId id) {
  std::vector<PodId> on_node;
  for (const auto& [pod, w] : waiting_) {
    if (w.node == id) on_node.push_back(pod);
  }
  for (PodId pod : on_node)
    drop_waiting(pod, "", "node " + cluster_.node(id).name() + " was removed", true);
  std::vector<PodId> nominated;
  for (const auto& [pod, node] : nominated_) {
    if (node == id) nominated.push_back(pod);
  }
  for (PodId pod : nominated)
    clear_nomination(pod);
  cluster_event();
}

std::vector<PodId> Scheduler::waiting_pods() const {
  std::vector<std::pair<std::uint64_t, PodId>> order;
  for (const auto& [pod, w] : waiting_)
    order.emplace_back(w.seq, pod);
  std::sort(order.begin(), order.end());
  std::vector<PodId> out;
  for (const auto& [seq, pod] : order)
    out.push_back(pod);
  return out;
}

std::optional<NodeId> Scheduler::waiting_node(PodId pod) const {
  auto it = waiting_.find(pod);
  if (it == waiting_.end()) return std::nullopt;
  return it->second.node;
}

void Scheduler::allow_waiting_pod(PodId pod) {
  if (waiting_.count(pod) && std::find(allowed_.begin(), allowed_.end(), pod) == allowed_.end()) {
    allowed_.push_back(pod);
  }
}

void Scheduler::reject_waiting_pod(PodId pod, const std::string& plugin,
                                   const std::string& message) {
  drop_waiting(pod, plugin, message, /*requeue=*/true);
}

void Scheduler::drop_waiting(PodId id, const std::string& plugin, const std::string& message,
                             bool requeue) {
  auto it = waiting_.find(id);
  if (it == waiting_.end()) return;
  const Waiting w = it->second;
  waiting_.erase(it);
  loop_.cancel(w.timeout);
  table_.unreserve(id);
  allowed_.erase(std::remove(allowed_.begin(), allowed_.end(), id), allowed_.end());
  ++stats_.permit_rejections;
  Pod* pod = cluster_.pod_if(PodRef{id, w.uid});
  if (pod == nullptr) return;
  // Rejections cascade (Unreserve rejects the rest of a gang); the outermost call finishes up.
  ++rejecting_depth_;
  if (requeue) {
    cluster_.emit(ClusterEvent{0, "FailedScheduling", "Pod", pod->key(), {}, message, true});
    rejected_.push_back(id);
  }
  if (Framework* fw = profile(pod->spec().scheduler_name)) fw->unreserve(id);
  if (--rejecting_depth_ > 0) return;
  // The freed reservations may let other pods fit, but the rejected pods themselves wait for a
  // real cluster change: retrying a gang because it let go of its own reservation would loop.
  cluster_event();
  for (PodId r : rejected_)
    queue_.add_unschedulable(r, loop_.now());
  rejected_.clear();
}

void Scheduler::set_nomination(PodId id, NodeIndex node) {
  nominated_[id] = node;
  table_.reserve(id, node, {});
}

void Scheduler::clear_nomination(PodId id) {
  if (nominated_.erase(id)) table_.unreserve(id);
}

void Scheduler::bind_scheduled(PodId id, NodeIndex node, std::vector<std::int32_t> devices) {
  Pod& pod = cluster_.pod(id);
  queue_.done(id);
  clear_nomination(id);
  ++stats_.scheduled;
  // Before the binding: its observers (the kubelet's Pulling, for one) act on it at once, and
  // events.jsonl must show the assignment before what follows from it.
  const std::string& node_name = cluster_.node(node).name();
  cluster_.emit(ClusterEvent{0, "Scheduled", "Pod", pod.key(), node_name,
                             "Successfully assigned " + pod.key() + " to " + node_name, false});
  cluster_.bind(id, node, std::move(devices));
}

void Scheduler::on_pod_released(PodId, NodeId) {
  cluster_event();
}
void Scheduler::on_node_added(NodeId) {
  cluster_event();
}
void Scheduler::on_node_updated(NodeId) {
  cluster_event();
}

void Scheduler::cluster_event() {
  if (queue_.pending_size() == 0) return;
  queue_.move_all_to_active_or_backoff(loop_.now());
  wake_for_queue();
}

void Scheduler::wake_for_queue() {
  if (queue_.active_size() > 0) {
    wake(loop_.now());
    return;
  }
  // A backoff expiry was prompted by a cluster event and keeps the run alive; the periodic flush
  // of long-unschedulable pods alone does not (nothing changed that could help them).
  const TimeMs backoff = queue_.next_backoff();
  const TimeMs flush = queue_.next_flush();
  if (backoff <= flush) {
    wake(backoff);
  } else {
    wake(flush, /*background=*/true);
  }
}

void Scheduler::wake(TimeMs at, bool background) {
  if (at == kForever || in_cycle_) return;
  if (at < loop_.now()) at = loop_.now();
  if (loop_.pending(run_event_)) {
    if (run_at_ < at || (run_at_ == at && (background || !run_background_))) return;
    loop_.cancel(run_event_);
  }
  run_at_ = at;
  run_background_ = background;
  auto fn = [this] { run(); };
  run_event_ = background ? loop_.at_background(at, EventPriority::kScheduler, fn)
                          : loop_.at(at, EventPriority::kScheduler, fn);
}

void Scheduler::run() {
  run_at_ = kForever;
  in_cycle_ = true;
  queue_.flush(loop_.now());
  while (auto id = queue_.pop())
    schedule_one(*id);
  in_cycle_ = false;
  wake_for_queue();
}

void Scheduler::schedule_one(PodId id) {
  Pod& pod = cluster_.pod(id);
  Framework* fw = profile(pod.spec().scheduler_name);
  if (fw == nullptr || pod.bound() || pod.deletion_ms) {
    queue_.done(id);
    return;
  }
  ++stats_.attempts;
  ++pod.status.scheduling_attempts;
  const PodInfo info = fw->pod_info(id);
  AttemptRecord record;
  AttemptRecord* rec = explain_ ? &record : nullptr;
  // Nominated pods' reservations count against this pod unless it is the nominee itself or it
  // outranks them (upstream adds nominated pods of equal or higher priority in Filter).
  std::vector<std::pair<PodId, NodeIndex>> lifted;
  for (const auto& [nid, node] : nominated_) {
    if (nid == id || cluster_.pod(nid).status.priority < pod.status.priority) {
      lifted.emplace_back(nid, node);
    }
  }
  for (const auto& [nid, node] : lifted)
    table_.unreserve(nid);
  allowed_.clear();
  ScheduleResult r = fw->schedule(info, rec);
  // The pod's own nomination stands too when its attempt fails (until a new nomination, a
  // PostFilter that clears it, or its binding): lower-priority pods must not take that room.
  for (const auto& [nid, node] : lifted) {
    if (nominated_.count(nid)) table_.reserve(nid, node, {});
  }
  if (rec) {
    rec->t_ms = loop_.now();
    rec->pod = pod.key();
    rec->uid = pod.uid;
    rec->profile = fw->scheduler_name();
    rec->attempt = pod.status.scheduling_attempts;
  }

  if (r.status.success()) {
    bind_scheduled(id, r.node, r.gpu_devices);
    if (rec) {
      rec->result = "Scheduled";
      rec->node = cluster_.node(r.node).name();
      rec->gpu_devices = r.gpu_devices;
      explain_->record(std::move(record));
    }
    // Waiting pods a Permit plugin allowed during this attempt (the rest of a gang) bind now,
    // on the nodes and devices they hold.
    const std::vector<PodId> allowed = std::move(allowed_);
    allowed_.clear();
    for (PodId w : allowed) {
      auto it = waiting_.find(w);
      if (it == waiting_.end() || cluster_.pod_if(PodRef{w, it->second.uid}) == nullptr) continue;
      Waiting wp = it->second;
      waiting_.erase(it);
      loop_.cancel(wp.timeout);
      table_.unreserve(w);
      bind_scheduled(w, wp.node, std::move(wp.devices));
    }
    return;
  }
  if (r.status.code == Code::kWait) {
    // Permit said wait: hold the node's resources (not bound) until allowed or rejected. The
    // pod stays in flight in the queue, keeping its attempt count for the back-off.
    ++stats_.permit_waits;
    clear_nomination(id);
    table_.reserve(id, r.node, r.gpu_devices);
    Waiting w;
    w.uid = pod.uid;
    w.node = r.node;
    w.devices = r.gpu_devices;
    w.seq = ++waiting_seq_;
    const std::string plugin = r.status.message;
    const TimeMs timeout = r.wait_timeout_ms;
    const std::uint64_t uid = pod.uid;
    w.timeout = loop_.after(timeout, EventPriority::kScheduler, [this, id, uid, plugin, timeout] {
      auto it = waiting_.find(id);
      if (it == waiting_.end() || it->second.uid != uid) return;
      reject_waiting_pod(
          id, plugin,
          "rejected due to timeout after waiting " + go_duration(timeout) + " at plugin " + plugin);
    });
    waiting_[id] = std::move(w);
    if (rec) {
      rec->result = "Wait";
      rec->node = cluster_.node(r.node).name();
      rec->gpu_devices = r.gpu_devices;
      rec->message = "waiting at permit plugin " + plugin;
      explain_->record(std::move(record));
    }
    return;
  }

  ++stats_.unschedulable;
  std::string message = r.message;
  if (r.status.code == Code::kUnschedulable && r.preemption.nominated) {
    ++stats_.preemptions;
    const std::string& node_name = cluster_.node(*r.preemption.nominated).name();
    // prepareCandidate: lower-priority pods nominated to that node lose their nomination and
    // are retried (the room they counted on goes to this pod).
    std::vector<PodId> displaced;
    for (const auto& [nid, node] : nominated_) {
      if (nid != id && node == *r.preemption.nominated &&
          cluster_.pod(nid).status.priority < pod.status.priority) {
        displaced.push_back(nid);
      }
    }
    for (PodId nid : displaced) {
      clear_nomination(nid);
      cluster_.pod(nid).status.nominated_node.clear();
      queue_.move_to_active_or_backoff(nid, loop_.now());
    }
    pod.status.nominated_node = node_name;
    set_nomination(id, *r.preemption.nominated);
    // A successful PostFilter adds nothing to upstream's event (its status message is empty);
    // only the explanation names the nomination.
    if (rec) {
      rec->message = message + " preemption: nominated node " + node_name + ", " +
                     std::to_string(r.preemption.victims.size()) + " victim(s).";
      for (PodId v : r.preemption.victims)
        rec->victims.push_back(cluster_.pod(v).key());
    }
    for (PodId v : r.preemption.victims) {
      cluster_.emit(ClusterEvent{0, "Preempted", "Pod", cluster_.pod(v).key(), node_name,
                                 "Preempted by pod " + pod.key() + " on node " + node_name, false});
      if (evictor_) evictor_(v, id);
    }
  } else if (r.status.code == Code::kUnschedulable && !r.preemption.status.message.empty()) {
    message += " preemption: " + r.preemption.status.message;
    if (r.preemption.clear_nomination) {
      clear_nomination(id);
      pod.status.nominated_node.clear();
    }
  }
  cluster_.emit(ClusterEvent{0, "FailedScheduling", "Pod", pod.key(), {}, message, true});
  if (rec) {
    rec->result = "Unschedulable";
    if (rec->message.empty()) rec->message = message;
    explain_->record(std::move(record));
  }
  queue_.add_unschedulable(id, loop_.now());
}

void Scheduler::bind_directly(PodId id) {
  Pod& pod = cluster_.pod(id);
  const NodeId n = cluster_.find_node(pod.spec().node_name);
  if (n == kNoNode) return;  // stays Pending until such a node appears, as upstream
  std::vector<std::int32_t> devices;
  const auto& gpu = pod.resources().gpu;
  if (gpu.count > 0 &&
      !default_select_gpus(gpu, table_.gpu_free(n), table_.gpu_count(n), devices)) {
    pod.status.phase = PodPhase::kFailed;
    pod.status.stage = PodStage::kTerminated;
    pod.status.reason = "UnexpectedAdmissionError";
    pod.status.message =
        "Allocate failed due to requested number of devices unavailable for nvidia.com/gpu";
    cluster_.pod_changed(id);
    return;
  }
  cluster_.bind(id, n, std::move(devices));
}

}  // namespace gpusim::sched
