#include "scheduler/scheduler.hpp"

#include <stdexcept>

namespace gpusim::sched {

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
  // A pod whose scheduling gates were lifted (gang release) enters the queue now.
  if (!queue_.contains(id)) enqueue(id);
}

void Scheduler::on_pod_deleted(PodId id) { queue_.remove(id); }

void Scheduler::on_pod_released(PodId, NodeId) { cluster_event(); }
void Scheduler::on_node_added(NodeId) { cluster_event(); }
void Scheduler::on_node_updated(NodeId) { cluster_event(); }

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
  while (auto id = queue_.pop()) schedule_one(*id);
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
  ScheduleResult r = fw->schedule(info, rec);
  if (rec) {
    rec->t_ms = loop_.now();
    rec->pod = pod.key();
    rec->profile = fw->scheduler_name();
    rec->attempt = pod.status.scheduling_attempts;
  }

  if (r.status.success()) {
    queue_.done(id);
    cluster_.bind(id, r.node, r.gpu_devices);
    ++stats_.scheduled;
    const std::string& node_name = cluster_.node(r.node).name();
    cluster_.emit(ClusterEvent{0, "Scheduled", "Pod", pod.key(), node_name,
                               "Successfully assigned " + pod.key() + " to " + node_name, false});
    if (rec) {
      rec->result = "Scheduled";
      rec->node = node_name;
      rec->gpu_devices = r.gpu_devices;
      explain_->record(std::move(record));
    }
    return;
  }

  ++stats_.unschedulable;
  std::string message = r.message;
  if (r.status.code == Code::kUnschedulable && r.preemption.nominated) {
    ++stats_.preemptions;
    const std::string& node_name = cluster_.node(*r.preemption.nominated).name();
    pod.status.nominated_node = node_name;
    message += " preemption: nominated node " + node_name + ", " +
               std::to_string(r.preemption.victims.size()) + " victim(s).";
    if (rec) {
      for (PodId v : r.preemption.victims) rec->victims.push_back(cluster_.pod(v).key());
    }
    for (PodId v : r.preemption.victims) {
      cluster_.emit(ClusterEvent{0, "Preempted", "Pod", cluster_.pod(v).key(), node_name,
                                 "Preempted by pod " + pod.key() + " on node " + node_name, false});
      if (evictor_) evictor_(v, id);
    }
  } else if (r.status.code == Code::kUnschedulable && !r.preemption.status.message.empty()) {
    message += " preemption: " + r.preemption.status.message;
  }
  if (r.status.code != Code::kWait) {
    cluster_.emit(ClusterEvent{0, "FailedScheduling", "Pod", pod.key(), {}, message, true});
  }
  if (rec) {
    rec->result = r.status.code == Code::kWait ? "Wait" : "Unschedulable";
    rec->message = message;
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
  if (gpu.count > 0 && !default_select_gpus(gpu, table_.gpu_free(n), table_.gpu_count(n), devices)) {
    pod.status.phase = PodPhase::kFailed;
    pod.status.stage = PodStage::kTerminated;
    pod.status.reason = "UnexpectedAdmissionError";
    pod.status.message = "Allocate failed due to requested number of devices unavailable for nvidia.com/gpu";
    cluster_.pod_changed(id);
    return;
  }
  cluster_.bind(id, n, std::move(devices));
}

}  // namespace gpusim::sched
