#include "model/cluster.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "model/quota_evaluator.hpp"

namespace gpusim {

std::string object_refusal_message(std::string_view kind, const std::string& error) {
  std::string lower(kind);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return "Error creating " + lower + ": " + error;
}

bool refused_pod(const ClusterEvent& e) {
  return e.type == "FailedCreate" && e.message.starts_with("Error creating: ");
}

Cluster::Cluster(const EventLoop& clock, std::uint64_t seed)
    : clock_(clock), names_(Rng::stream(seed, "object-names")) {}

void Cluster::emit(ClusterEvent e) {
  e.t_ms = now();
  for (auto* o : observers_)
    o->on_event(e);
}

// ---- nodes ----------------------------------------------------------------------------------

NodeId Cluster::add_node(Node node) {
  if (node_by_name_.count(node.meta.name)) {
    throw std::invalid_argument("node \"" + node.meta.name + "\" already exists");
  }
  node.meta.uid = next_uid();
  node.meta.creation_ms = now();
  if (node.allocatable.empty()) node.allocatable = node.capacity;
  node.allocatable_units = ResourceAmounts::from_quantities(node.allocatable);
  const auto gpus = node.allocatable_units.get(kNvidiaGpu);
  node.gpus.assign(static_cast<std::size_t>(std::max<std::int64_t>(0, gpus)), GpuDevice{});
  node.requested = ResourceAmounts{};
  node.nonzero_cpu_milli = 0;
  node.nonzero_memory_bytes = 0;
  node.pods.clear();
  const auto id = static_cast<NodeId>(nodes_.size());
  node_by_name_.emplace(node.meta.name, id);
  nodes_.push_back(std::move(node));
  node_live_.push_back(1);
  ++live_nodes_;
  ++images_version_;
  for (auto* o : observers_)
    o->on_node_added(id);
  return id;
}

void Cluster::remove_node(NodeId id) {
  if (!node_exists(id)) return;
  for (auto* o : observers_)
    o->on_node_removed(id);
  node_by_name_.erase(nodes_[id].meta.name);
  node_live_[id] = 0;
  --live_nodes_;
  ++images_version_;
}

void Cluster::node_changed(NodeId id) {
  ++images_version_;
  for (auto* o : observers_)
    o->on_node_updated(id);
}

bool Cluster::add_pulled_image(NodeId id, const std::string& image, std::int64_t size_bytes) {
  Node& node = nodes_[id];
  auto& images = node.images;
  if (std::find(images.begin(), images.end(), image) != images.end()) return false;
  image_pulls_.push_back(ImagePull{id, static_cast<std::uint32_t>(images.size())});
  images.push_back(image);
  if (size_bytes > 0) node.image_size_bytes.emplace(image, size_bytes);
  return true;
}

NodeId Cluster::find_node(std::string_view name) const {
  auto it = node_by_name_.find(std::string(name));
  return it == node_by_name_.end() ? kNoNode : it->second;
}

// ---- pods -----------------------------------------------------------------------------------

std::string Cluster::generate_name(const std::string& ns, const std::string& prefix) {
  // The alphabet apimachinery's rand.String uses (no vowels, no ambiguous characters).
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  for (;;) {
    std::string name = prefix;
    for (int i = 0; i < 5; ++i)
      name += kAlphabet[names_.uniform(sizeof(kAlphabet) - 1)];
    if (find_pod(ns, name) == kNoPod) return name;
  }
}

CreateResult Cluster::create_pod(Pod pod) {
  if (!pod.tmpl) throw std::invalid_argument("pod without a template");
  if (pod.name.empty()) pod.name = generate_name(pod.namespace_, "pod-");
  std::string key = pod.namespace_ + "/" + pod.name;
  if (pod_by_key_.count(key)) {
    return CreateResult{kNoPod, "pods \"" + pod.name + "\" already exists"};
  }
  for (auto* a : admission_) {
    if (auto err = a->admit(pod, pod.status)) {
      return CreateResult{kNoPod, "pods \"" + pod.name + "\" is forbidden: " + *err};
    }
  }
  pod.uid = next_uid();
  pod.creation_ms = now();
  PodId id = kNoPod;
  if (free_pod_slots_.empty()) {
    id = static_cast<PodId>(pods_.size());
    pods_.push_back(std::move(pod));
    pod_live_.push_back(1);
    pod_holds_node_.push_back(0);
  } else {
    id = free_pod_slots_.back();
    free_pod_slots_.pop_back();
    pods_[id] = std::move(pod);
    pod_live_[id] = 1;
    pod_holds_node_[id] = 0;
  }
  pod_by_key_.emplace(std::move(key), id);
  if (pods_[id].owner) pods_by_owner_[pods_[id].owner->uid].push_back(id);
  ++live_pods_;
  for (auto* a : admission_)
    a->admitted(id);
  for (auto* o : observers_)
    o->on_pod_added(id);
  return CreateResult{id, {}};
}

void Cluster::account(Node& n, const Pod& p, int sign) {
  const auto& r = p.resources();
  for (const auto& [name, units] : r.requests.entries())
    n.requested.add(name, sign * units);
  n.requested.add(kResourcePods, sign);
  n.nonzero_cpu_milli += sign * r.nonzero_cpu_milli;
  n.nonzero_memory_bytes += sign * r.nonzero_memory_bytes;
}

void Cluster::bind(PodId id, NodeId node_id, std::vector<std::int32_t> gpu_devices) {
  Pod& p = pods_[id];
  if (p.bound()) throw std::logic_error("pod " + p.key() + " is already bound");
  Node& n = nodes_[node_id];
  const auto& gpu = p.resources().gpu;
  if (gpu.count > 0 && static_cast<std::int32_t>(gpu_devices.size()) != gpu.count) {
    throw std::logic_error("pod " + p.key() + " needs " + std::to_string(gpu.count) +
                           " GPU device(s), got " + std::to_string(gpu_devices.size()));
  }
  for (auto d : gpu_devices) {
    auto& dev = n.gpus.at(static_cast<std::size_t>(d));
    if (dev.used_milli + gpu.milli_per_gpu > 1000) {
      throw std::logic_error("GPU " + std::to_string(d) + " of node " + n.name() +
                             " is over-committed by pod " + p.key());
    }
    dev.used_milli += gpu.milli_per_gpu;
    dev.holders.push_back(id);
  }
  p.status.node = node_id;
  p.status.gpu_devices = std::move(gpu_devices);
  p.status.scheduled_ms = now();
  p.status.nominated_node.clear();
  if (p.status.stage == PodStage::kPending) p.status.stage = PodStage::kBound;
  account(n, p, +1);
  n.pods.push_back(id);
  pod_holds_node_[id] = 1;
  for (auto* o : observers_)
    o->on_pod_bound(id);
}

void Cluster::release(PodId id) {
  if (!pod_holds_node_[id]) return;
  Pod& p = pods_[id];
  const NodeId node_id = p.status.node;
  Node& n = nodes_[node_id];
  const auto& gpu = p.resources().gpu;
  for (auto d : p.status.gpu_devices) {
    auto& dev = n.gpus[static_cast<std::size_t>(d)];
    dev.used_milli -= gpu.milli_per_gpu;
    dev.holders.erase(std::remove(dev.holders.begin(), dev.holders.end(), id), dev.holders.end());
  }
  account(n, p, -1);
  n.pods.erase(std::remove(n.pods.begin(), n.pods.end(), id), n.pods.end());
  pod_holds_node_[id] = 0;
  for (auto* o : observers_)
    o->on_pod_released(id, node_id);
}

void Cluster::delete_pod(PodId id) {
  if (!pod_exists(id)) return;
  release(id);
  for (auto* o : observers_)
    o->on_pod_deleted(id);
  pod_by_key_.erase(pods_[id].key());
  if (pods_[id].owner) {
    auto it = pods_by_owner_.find(pods_[id].owner->uid);
    if (it != pods_by_owner_.end()) {
      auto& v = it->second;
      v.erase(std::remove(v.begin(), v.end(), id), v.end());
      if (v.empty()) pods_by_owner_.erase(it);
    }
  }
  pods_[id] = Pod{};
  pod_live_[id] = 0;
  free_pod_slots_.push_back(id);
  --live_pods_;
}

bool Cluster::request_deletion(PodId id, std::optional<std::int64_t> grace_s) {
  if (!pod_exists(id)) return false;
  Pod& p = pods_[id];
  if (p.deletion_ms) return false;
  if (!p.bound() || p.terminal()) {
    delete_pod(id);
    return true;
  }
  p.deletion_ms = now();
  p.status.deletion_grace_s = grace_s.value_or(p.spec().termination_grace_period_s);
  pod_changed(id);
  return true;
}

void Cluster::pod_changed(PodId id) {
  for (auto* o : observers_)
    o->on_pod_updated(id);
}

const std::vector<PodId>& Cluster::pods_of(std::uint64_t owner_uid) const {
  static const std::vector<PodId> kNone;
  auto it = pods_by_owner_.find(owner_uid);
  return it == pods_by_owner_.end() ? kNone : it->second;
}

void Cluster::object_changed(std::string_view kind, const std::string& key) {
  for (auto* o : observers_)
    o->on_object_changed(kind, key);
}

std::optional<std::string> Cluster::admit_object(std::string_view kind, const ObjectMeta& meta) {
  for (auto* a : admission_) {
    if (auto err = a->admit_object(kind, meta)) {
      return std::string(counted_resource(kind).value_or(kind)) + " \"" + meta.name +
             "\" is forbidden: " + *err;
    }
  }
  return std::nullopt;
}

bool Cluster::admit_or_report(std::string_view kind, const ObjectMeta& meta) {
  auto err = admit_object(kind, meta);
  if (err) {
    emit(ClusterEvent{0,
                      "FailedCreate",
                      std::string(kind),
                      meta.key(),
                      {},
                      object_refusal_message(kind, *err),
                      true});
  }
  return !err;
}

Pod* Cluster::pod_if(PodRef ref) {
  if (!pod_exists(ref.id) || pods_[ref.id].uid != ref.uid) return nullptr;
  return &pods_[ref.id];
}

PodId Cluster::find_pod(std::string_view ns, std::string_view name) const {
  std::string key;
  key.reserve(ns.size() + name.size() + 1);
  key.append(ns).append("/").append(name);
  auto it = pod_by_key_.find(key);
  return it == pod_by_key_.end() ? kNoPod : it->second;
}

}  // namespace gpusim
