#include "engine/recorder.hpp"

#include <nlohmann/json.hpp>

namespace gpusim::engine {

Recorder::Recorder(Cluster& cluster, EventLoop& loop, TimeMs sample_interval_ms)
    : cluster_(cluster), loop_(loop), interval_ms_(sample_interval_ms > 0 ? sample_interval_ms : 60'000) {}

ResourceTotals Recorder::totals_of(const Pod& p) {
  const auto& r = p.resources();
  return ResourceTotals{r.requests.get("cpu"), r.requests.get("memory"), r.gpu.total_milli()};
}

ResourceTotals Recorder::capacity_of(const Node& n) {
  return ResourceTotals{n.allocatable_units.get("cpu"), n.allocatable_units.get("memory"),
                        static_cast<std::int64_t>(n.gpus.size()) * 1000};
}

void Recorder::integrate() {
  const TimeMs dt = loop_.now() - last_change_ms_;
  cpu_area_ += static_cast<__int128>(allocated_.cpu_milli) * dt;
  memory_area_ += static_cast<__int128>(allocated_.memory_bytes) * dt;
  gpu_area_ += static_cast<__int128>(allocated_.gpu_milli) * dt;
  last_change_ms_ = loop_.now();
}

ResourceTotals Recorder::allocated_mean() const {
  const TimeMs t = last_change_ms_;
  if (t <= 0) return allocated_;
  return ResourceTotals{static_cast<std::int64_t>(cpu_area_ / t), static_cast<std::int64_t>(memory_area_ / t),
                        static_cast<std::int64_t>(gpu_area_ / t)};
}

void Recorder::on_pod_added(PodId id) {
  ++pods_.created;
  if (phase_.size() <= id) phase_.resize(id + 1, PodPhase::kPending);
  phase_[id] = cluster_.pod(id).status.phase;
}

void Recorder::on_pod_bound(PodId id) {
  ++pods_.scheduled;
  integrate();
  const ResourceTotals t = totals_of(cluster_.pod(id));
  allocated_.cpu_milli += t.cpu_milli;
  allocated_.memory_bytes += t.memory_bytes;
  allocated_.gpu_milli += t.gpu_milli;
}

void Recorder::on_pod_updated(PodId id) {
  const PodPhase now = cluster_.pod(id).status.phase;
  if (phase_[id] == now) return;
  if (now == PodPhase::kSucceeded) ++pods_.succeeded;
  if (now == PodPhase::kFailed) ++pods_.failed;
  phase_[id] = now;
}

void Recorder::on_pod_released(PodId id, NodeId) {
  integrate();
  const ResourceTotals t = totals_of(cluster_.pod(id));
  allocated_.cpu_milli -= t.cpu_milli;
  allocated_.memory_bytes -= t.memory_bytes;
  allocated_.gpu_milli -= t.gpu_milli;
}

void Recorder::on_node_added(NodeId id) {
  const ResourceTotals c = capacity_of(cluster_.node(id));
  capacity_.cpu_milli += c.cpu_milli;
  capacity_.memory_bytes += c.memory_bytes;
  capacity_.gpu_milli += c.gpu_milli;
}

void Recorder::on_node_removed(NodeId id) {
  const ResourceTotals c = capacity_of(cluster_.node(id));
  capacity_.cpu_milli -= c.cpu_milli;
  capacity_.memory_bytes -= c.memory_bytes;
  capacity_.gpu_milli -= c.gpu_milli;
}

void Recorder::on_event(const ClusterEvent& e) {
  if (e.kind == "Pod" && e.type == "Preempted") ++pods_.preempted;
  if (e.kind == "Pod" && e.type == "Evicted") ++pods_.evicted;
  if (e.type == "FailedCreate") ++pods_.rejected;
  nlohmann::ordered_json j;
  j["t_ms"] = e.t_ms;
  j["type"] = e.type;
  j["kind"] = e.kind;
  j[e.kind == "Pod" ? "pod" : "object"] = e.object;
  if (!e.node.empty()) j["node"] = e.node;
  j["message"] = e.message;
  if (e.warning) j["warning"] = true;
  events_ += j.dump();
  events_ += '\n';
  ++event_count_;
}

void Recorder::start() {
  last_change_ms_ = loop_.now();
  sample();
}

void Recorder::sample() {
  take_sample();
  loop_.at_background(loop_.now() + interval_ms_, EventPriority::kRecorder, [this] { sample(); });
}

void Recorder::take_sample() {
  Sample s{};
  s.t_ms = loop_.now();
  for (NodeId n = 0; n < cluster_.node_slots(); ++n) {
    if (!cluster_.node_exists(n)) continue;
    ++s.nodes;
    if (cluster_.node(n).ready) ++s.nodes_ready;
  }
  cluster_.for_each_pod([&](PodId, const Pod& p) {
    switch (p.status.phase) {
      case PodPhase::kPending: ++s.pods_pending; break;
      case PodPhase::kRunning: ++s.pods_running; break;
      case PodPhase::kSucceeded: ++s.pods_succeeded; break;
      case PodPhase::kFailed: ++s.pods_failed; break;
      default: break;
    }
  });
  s.allocated = allocated_;
  s.capacity = capacity_;
  if (!samples_.empty() && samples_.back().t_ms == s.t_ms) {
    samples_.back() = s;
  } else {
    samples_.push_back(s);
  }
}

void Recorder::finish() {
  integrate();
  take_sample();  // the closing sample replaces one taken at this same instant
}

std::string Recorder::timeseries_csv() const {
  std::string out =
      "t_ms,nodes,nodes_ready,pods_pending,pods_running,pods_succeeded,pods_failed,"
      "cpu_allocated_milli,cpu_capacity_milli,memory_allocated_bytes,memory_capacity_bytes,"
      "gpu_allocated_milli,gpu_capacity_milli\n";
  for (const auto& s : samples_) {
    out += std::to_string(s.t_ms) + "," + std::to_string(s.nodes) + "," + std::to_string(s.nodes_ready) +
           "," + std::to_string(s.pods_pending) + "," + std::to_string(s.pods_running) + "," +
           std::to_string(s.pods_succeeded) + "," + std::to_string(s.pods_failed) + "," +
           std::to_string(s.allocated.cpu_milli) + "," + std::to_string(s.capacity.cpu_milli) + "," +
           std::to_string(s.allocated.memory_bytes) + "," + std::to_string(s.capacity.memory_bytes) +
           "," + std::to_string(s.allocated.gpu_milli) + "," + std::to_string(s.capacity.gpu_milli) + "\n";
  }
  return out;
}

}  // namespace gpusim::engine
