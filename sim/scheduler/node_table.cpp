#include "scheduler/node_table.hpp"

#include <algorithm>
#include <stdexcept>

namespace gpusim::sched {

NodeTable::NodeTable(Cluster& cluster) : cluster_(cluster) {
  // The fixed dimensions, in Dim order.
  for (std::string_view name : {gpusim::kCpu, gpusim::kMemory, gpusim::kEphemeralStorage,
                                gpusim::kResourcePods, gpusim::kNvidiaGpu}) {
    intern(name);
  }
  for (NodeId id = 0; id < cluster_.node_slots(); ++id) {
    if (cluster_.node_exists(id)) on_node_added(id);
  }
}

int NodeTable::dim(std::string_view resource) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == resource) return static_cast<int>(i);
  }
  return -1;
}

int NodeTable::intern(std::string_view resource) {
  const int d = dim(resource);
  if (d >= 0) return d;
  names_.emplace_back(resource);
  alloc_.emplace_back(live_.size(), 0);
  requested_.emplace_back(live_.size(), 0);
  return static_cast<int>(names_.size() - 1);
}

std::uint32_t NodeTable::gpu_model_id(std::string_view model) const {
  for (std::size_t i = 1; i < gpu_models_.size(); ++i) {
    if (gpu_models_[i] == model) return static_cast<std::uint32_t>(i);
  }
  return 0;
}

std::uint32_t NodeTable::intern_taints(const std::vector<Taint>& taints) {
  for (std::size_t i = 0; i < taint_sets_.size(); ++i) {
    if (taint_sets_[i] == taints) return static_cast<std::uint32_t>(i);
  }
  taint_sets_.push_back(taints);
  return static_cast<std::uint32_t>(taint_sets_.size() - 1);
}

void NodeTable::on_node_added(NodeId id) {
  if (id >= live_.size()) {
    const std::size_t n = id + 1;
    for (auto& c : alloc_)
      c.resize(n, 0);
    for (auto& c : requested_)
      c.resize(n, 0);
    nonzero_cpu_.resize(n, 0);
    nonzero_mem_.resize(n, 0);
    live_.resize(n, 0);
    unschedulable_.resize(n, 0);
    taint_set_.resize(n, 0);
    gpu_count_.resize(n, 0);
    gpu_offset_.resize(n, 0);
    gpu_model_.resize(n, 0);
    version_.resize(n, 0);
    meta_version_.resize(n, 0);
    reserved_on_.resize(n);
  }
  const Node& node = cluster_.node(id);
  for (const auto& [name, units] : node.allocatable_units.entries())
    intern(name);
  gpu_count_[id] = static_cast<std::int32_t>(node.gpus.size());
  gpu_offset_[id] = static_cast<std::uint32_t>(gpu_free_.size());
  gpu_free_.resize(gpu_free_.size() + node.gpus.size(), 1000);
  if (!node.gpu_model.empty()) {
    std::uint32_t m = gpu_model_id(node.gpu_model);
    if (m == 0) {
      gpu_models_.push_back(node.gpu_model);
      m = static_cast<std::uint32_t>(gpu_models_.size() - 1);
    }
    gpu_model_[id] = m;
  }
  if (!live_[id]) ++live_count_;
  live_[id] = 1;
  refresh(id);
}

void NodeTable::on_node_updated(NodeId id) {
  refresh(id);
}

void NodeTable::on_node_removed(NodeId id) {
  if (live_[id]) --live_count_;
  live_[id] = 0;
  ++meta_version_[id];
  changed(id);
}

void NodeTable::on_pod_bound(PodId id) {
  refresh_usage(cluster_.pod(id).status.node);
}

void NodeTable::on_pod_released(PodId, NodeId node) {
  refresh_usage(node);
}

void NodeTable::refresh(NodeIndex n) {
  const Node& node = cluster_.node(n);
  for (std::size_t d = 0; d < names_.size(); ++d)
    alloc_[d][n] = node.allocatable_units.get(names_[d]);
  unschedulable_[n] = node.unschedulable ? 1 : 0;
  taint_set_[n] = intern_taints(node.taints);
  ++meta_version_[n];
  refresh_usage(n);
}

void NodeTable::refresh_usage(NodeIndex n) {
  const Node& node = cluster_.node(n);
  for (std::size_t d = 0; d < names_.size(); ++d)
    requested_[d][n] = node.requested.get(names_[d]);
  // The pods column counts bound pods (upstream's len(nodeInfo.Pods)).
  requested_[kPods][n] = static_cast<std::int64_t>(node.pods.size());
  requested_[kGpu][n] = node.requested.get(kNvidiaGpu);
  nonzero_cpu_[n] = node.nonzero_cpu_milli;
  nonzero_mem_[n] = node.nonzero_memory_bytes;
  for (std::size_t g = 0; g < node.gpus.size(); ++g) {
    gpu_free_[gpu_offset_[n] + g] = node.gpus[g].free_milli();
  }
  for (PodId p : reserved_on_[n])
    apply_reservation(p, n, +1);
  changed(n);
}

void NodeTable::changed(NodeIndex n) {
  ++version_[n];
  ++generation_;
  compact_change_log(log_, log_base_, live_.size());
  log_.push_back(n);
}

void NodeTable::apply_reservation(PodId pod, NodeIndex n, int sign) {
  const Reservation& r = reservations_.at(pod);
  for (const auto& [d, units] : r.requests)
    requested_[static_cast<std::size_t>(d)][n] += sign * units;
  requested_[kPods][n] += sign;
  nonzero_cpu_[n] += sign * r.nonzero_cpu;
  nonzero_mem_[n] += sign * r.nonzero_mem;
  for (auto d : r.gpu_devices) {
    if (d >= 0 && d < gpu_count_[n]) {
      gpu_free_[gpu_offset_[n] + static_cast<std::uint32_t>(d)] -= sign * r.gpu_milli;
    }
  }
}

void NodeTable::reserve(PodId pod, NodeIndex node, const std::vector<std::int32_t>& gpu_devices) {
  unreserve(pod);
  const PodResources& res = cluster_.pod(pod).resources();
  Reservation r{node,
                {},
                res.nonzero_cpu_milli,
                res.nonzero_memory_bytes,
                gpu_devices,
                res.gpu.milli_per_gpu};
  for (const auto& [name, units] : res.requests.entries()) {
    const int d = dim(name);
    if (d >= 0 && d != kPods && units != 0) r.requests.emplace_back(d, units);
  }
  reservations_[pod] = std::move(r);
  reserved_on_[node].push_back(pod);
  apply_reservation(pod, node, +1);
  changed(node);
}

void NodeTable::unreserve(PodId pod) {
  auto it = reservations_.find(pod);
  if (it == reservations_.end()) return;
  const NodeIndex n = it->second.node;
  if (live_[n]) apply_reservation(pod, n, -1);
  auto& on = reserved_on_[n];
  on.erase(std::remove(on.begin(), on.end(), pod), on.end());
  reservations_.erase(it);
  changed(n);
}

void NodeTable::what_if_begin(NodeIndex n) {
  if (what_if_node_ != kNoWhatIf) throw std::logic_error("node table: what-if already begun");
  what_if_node_ = n;
  what_if_pods_ = cluster_.node(n).pods;
  what_if_removed_.clear();
  saved_requested_.resize(names_.size());
  for (std::size_t d = 0; d < names_.size(); ++d)
    saved_requested_[d] = requested_[d][n];
  saved_nonzero_cpu_ = nonzero_cpu_[n];
  saved_nonzero_mem_ = nonzero_mem_[n];
  saved_gpu_free_.assign(gpu_free(n), gpu_free(n) + gpu_count_[n]);
}

void NodeTable::what_if_apply(const WhatIfPod& w, int sign) {
  const NodeIndex n = what_if_node_;
  const Pod& p = cluster_.pod(w.pod);
  const PodResources& res = p.resources();
  for (const auto& [d, units] : w.requests)
    requested_[static_cast<std::size_t>(d)][n] += sign * units;
  requested_[kPods][n] += sign;
  nonzero_cpu_[n] += sign * res.nonzero_cpu_milli;
  nonzero_mem_[n] += sign * res.nonzero_memory_bytes;
  for (auto d : p.status.gpu_devices) {
    if (d >= 0 && d < gpu_count_[n]) {
      gpu_free_[gpu_offset_[n] + static_cast<std::uint32_t>(d)] -= sign * res.gpu.milli_per_gpu;
    }
  }
}

void NodeTable::what_if_remove(PodId pod) {
  auto it = std::find(what_if_pods_.begin(), what_if_pods_.end(), pod);
  if (it == what_if_pods_.end())
    throw std::logic_error("node table: what-if removes a pod not there");
  what_if_pods_.erase(it);
  // As Cluster::account adds a bound pod to its node, which refresh_usage copies. Dimensions are
  // looked up once: a reprieve puts the pod back and may take it off again.
  WhatIfPod w{pod, {}};
  for (const auto& [name, units] : cluster_.pod(pod).resources().requests.entries()) {
    const int d = dim(name);
    if (d >= 0 && d != kPods && units != 0) w.requests.emplace_back(d, units);
  }
  what_if_apply(w, -1);
  what_if_removed_.push_back(std::move(w));
}

void NodeTable::what_if_add(PodId pod) {
  auto it = std::find_if(what_if_removed_.begin(), what_if_removed_.end(),
                         [&](const WhatIfPod& w) { return w.pod == pod; });
  if (it == what_if_removed_.end())
    throw std::logic_error("node table: what-if adds a pod not removed");
  what_if_apply(*it, +1);
  what_if_removed_.erase(it);
  // Filter reads the list as a set (NodePorts): the binding order need not come back.
  what_if_pods_.push_back(pod);
}

void NodeTable::what_if_end() {
  const NodeIndex n = what_if_node_;
  if (n == kNoWhatIf) return;
  for (std::size_t d = 0; d < saved_requested_.size(); ++d)
    requested_[d][n] = saved_requested_[d];
  nonzero_cpu_[n] = saved_nonzero_cpu_;
  nonzero_mem_[n] = saved_nonzero_mem_;
  std::copy(saved_gpu_free_.begin(), saved_gpu_free_.end(),
            gpu_free_.begin() + static_cast<std::ptrdiff_t>(gpu_offset_[n]));
  what_if_node_ = kNoWhatIf;
  what_if_pods_.clear();
  what_if_removed_.clear();
}

std::optional<NodeIndex> NodeTable::reservation(PodId pod) const {
  auto it = reservations_.find(pod);
  if (it == reservations_.end()) return std::nullopt;
  return it->second.node;
}

}  // namespace gpusim::sched
