#include "model/defrag_bound.hpp"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>
#include <limits>
#include <map>

#include "model/cluster.hpp"

namespace gpusim {
namespace {

using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<
        boost::edge_capacity_t, std::int64_t,
        boost::property<boost::edge_residual_capacity_t, std::int64_t,
                        boost::property<boost::edge_reverse_t, Traits::edge_descriptor>>>>;
using Vertex = boost::graph_traits<FlowGraph>::vertex_descriptor;

void add_edge_pair(FlowGraph& g, Vertex from, Vertex to, std::int64_t capacity) {
  auto cap = boost::get(boost::edge_capacity, g);
  auto rev = boost::get(boost::edge_reverse, g);
  const auto e = boost::add_edge(from, to, g).first;
  const auto r = boost::add_edge(to, from, g).first;
  cap[e] = capacity;
  cap[r] = 0;
  rev[e] = r;
  rev[r] = e;
}

// Node taints a pod must tolerate to be placed (PreferNoSchedule only scores).
bool tolerated(const Node& n, const PodSpec& spec) {
  for (const auto& t : n.taints) {
    if (t.effect == TaintEffect::kPreferNoSchedule || t.effect == TaintEffect::kNone) continue;
    if (!tolerates_any(spec.tolerations, t)) return false;
  }
  return true;
}

// The pod's static constraints against a node: selector, required node affinity, taints, GPU
// model and enough devices on an empty node. Pod (anti-)affinity and spread are left out: they
// depend on where the other pods go, which the relaxation does not model.
bool eligible(const Node& n, const Pod& p) {
  const PodSpec& spec = p.spec();
  const GpuRequest& gpu = p.resources().gpu;
  if (static_cast<std::int64_t>(n.gpus.size()) < (gpu.shared() ? 1 : gpu.count)) return false;
  if (!gpu.models.empty() &&
      std::find(gpu.models.begin(), gpu.models.end(), n.gpu_model) == gpu.models.end()) {
    return false;
  }
  if (!spec.node_name.empty() && spec.node_name != n.name()) return false;
  for (const auto& [k, v] : spec.node_selector) {
    auto it = n.meta.labels.find(k);
    if (it == n.meta.labels.end() || it->second != v) return false;
  }
  if (spec.affinity.node_affinity && spec.affinity.node_affinity->required &&
      !node_selector_terms_match(*spec.affinity.node_affinity->required, n.meta.labels, n.name())) {
    return false;
  }
  return tolerated(n, spec);
}

// Groups of pods with the same whole-GPU count (0: shared devices) and eligible nodes: one
// source edge each (sorted, so the network and its flow do not depend on how the groups were
// found).
using GroupKey = std::pair<std::int32_t, std::vector<std::uint32_t>>;
using Groups = std::map<GroupKey, std::int64_t>;

// Whole-GPU pods take devices in units of k: on a node of d devices, pods of k GPUs each hold at
// most floor(d / k) x k of them, whatever else runs there.
std::int64_t whole_gpu_slots_milli(std::int64_t node_milli, std::int32_t k) {
  const std::int64_t devices = node_milli / 1000;
  return devices / k * k * 1000;
}

DefragBound solve(const std::vector<std::int64_t>& node_gpu_milli, const Groups& groups,
                  DefragBound b, std::vector<std::int64_t> pending_demands) {
  for (std::int64_t c : node_gpu_milli)
    b.gpu_capacity_milli += c;
  const std::size_t n_nodes = node_gpu_milli.size();
  FlowGraph g(2 + n_nodes);
  const Vertex source = 0, sink = 1;
  for (std::size_t i = 0; i < n_nodes; ++i) {
    if (node_gpu_milli[i] > 0) add_edge_pair(g, 2 + i, sink, node_gpu_milli[i]);
  }
  // Where a group of k-GPU pods enters node n: the node itself, or (when k does not divide its
  // devices, so the slots hold less than the node) a slot vertex capped at the slots' milli,
  // shared by every group of k-GPU pods.
  std::map<std::pair<std::uint32_t, std::int32_t>, Vertex> slots;
  auto entry = [&](std::uint32_t n, std::int32_t k) -> Vertex {
    if (k <= 1) return 2 + n;
    const std::int64_t cap = whole_gpu_slots_milli(node_gpu_milli[n], k);
    if (cap >= node_gpu_milli[n]) return 2 + n;
    auto [it, fresh] = slots.try_emplace({n, k}, Vertex{});
    if (fresh) {
      it->second = boost::add_vertex(g);
      add_edge_pair(g, it->second, 2 + n, cap);
    }
    return it->second;
  };
  // Pod -> node edges need only exceed what the pod can send; the group's demand does.
  for (const auto& [key, demand] : groups) {
    const auto& [whole_gpus, nodes] = key;
    const Vertex v = boost::add_vertex(g);
    add_edge_pair(g, source, v, demand);
    for (std::uint32_t n : nodes) {
      if (n < n_nodes) add_edge_pair(g, v, entry(n, whole_gpus), demand);
    }
  }
  b.max_flow_milli = boost::push_relabel_max_flow(g, source, sink);
  // The running pods hold their GPUs now, so they fit: max_flow >= their demand unless a running
  // pod sits outside the network's eligibility (then the difference is clamped at 0).
  b.pending_flow_milli = std::max<std::int64_t>(0, b.max_flow_milli - b.running_gpu_milli);
  std::sort(pending_demands.begin(), pending_demands.end());
  std::int64_t used = 0;
  for (std::int64_t d : pending_demands) {
    if (used + d > b.pending_flow_milli) break;
    used += d;
    ++b.bound;
  }
  return b;
}

// Adds one pod to the totals; true when it joins the flow network (with its eligible nodes).
bool count_pod(DefragBound& b, std::vector<std::int64_t>& pending_demands, std::int64_t gpu_milli,
               bool running, const std::vector<std::uint32_t>& nodes) {
  if (gpu_milli <= 0) return false;
  if (running) {
    b.running_gpu_milli += gpu_milli;
  } else {
    ++b.pending_gpu_pods;
    if (nodes.empty()) return false;  // no node could ever take it
    ++b.eligible_pending;
    b.pending_gpu_milli += gpu_milli;
    pending_demands.push_back(gpu_milli);
  }
  return !nodes.empty();
}

// The fields eligible() reads, as text: pods with equal keys have the same eligible nodes. Empty
// for pods with required node affinity (compared term by term, so not memoised).
std::string eligibility_key(const Pod& p) {
  const PodSpec& spec = p.spec();
  if (spec.affinity.node_affinity && spec.affinity.node_affinity->required) return {};
  const GpuRequest& gpu = p.resources().gpu;
  std::string k = std::to_string(gpu.shared() ? 1 : gpu.count);
  for (const auto& m : gpu.models)
    k += '\x1f' + m;
  k += '\x1e' + spec.node_name + '\x1e';
  for (const auto& [key, value] : spec.node_selector)
    k += key + '\x1f' + value + '\x1f';
  k += '\x1e';
  for (const auto& t : spec.tolerations) {
    k += t.key + '\x1f' + std::to_string(static_cast<int>(t.op)) + '\x1f' + t.value + '\x1f' +
         std::to_string(static_cast<int>(t.effect)) + '\x1f';
  }
  return k;
}

}  // namespace

DefragBound compute_defrag_bound(const std::vector<std::int64_t>& node_gpu_milli,
                                 const std::vector<DefragPod>& pods) {
  DefragBound b;
  Groups groups;
  std::vector<std::int64_t> pending_demands;
  for (const auto& p : pods) {
    if (count_pod(b, pending_demands, p.gpu_milli, p.running, p.nodes))
      groups[{p.whole_gpus, p.nodes}] += p.gpu_milli;
  }
  return solve(node_gpu_milli, groups, b, std::move(pending_demands));
}

DefragBound compute_defrag_bound(const Cluster& cluster) {
  std::vector<NodeId> node_ids;
  std::vector<std::int64_t> capacity;
  std::map<NodeId, std::uint32_t> index_of;
  for (NodeId id = 0; id < cluster.node_slots(); ++id) {
    if (!cluster.node_exists(id)) continue;
    const Node& n = cluster.node(id);
    if (n.gpus.empty() || !n.ready || n.unschedulable) continue;
    index_of[id] = static_cast<std::uint32_t>(node_ids.size());
    node_ids.push_back(id);
    capacity.push_back(static_cast<std::int64_t>(n.gpus.size()) * 1000);
  }
  // Eligible nodes per eligibility key: a trace's pods share a handful of keys, so the
  // pods x nodes checks shrink to keys x nodes (openb: 13k pods, 1,213 nodes).
  std::map<std::string, std::vector<std::uint32_t>> memo;
  std::vector<std::uint32_t> scratch;
  auto eligible_nodes = [&](const Pod& p) -> const std::vector<std::uint32_t>& {
    std::string key = eligibility_key(p);
    auto it = key.empty() ? memo.end() : memo.find(key);
    if (it != memo.end()) return it->second;
    scratch.clear();
    for (std::uint32_t i = 0; i < node_ids.size(); ++i) {
      if (eligible(cluster.node(node_ids[i]), p)) scratch.push_back(i);
    }
    if (key.empty()) return scratch;
    return memo.emplace(std::move(key), scratch).first->second;
  };
  DefragBound b;
  Groups groups;
  // Memo lists' groups, by whole-GPU count and list.
  std::map<std::pair<std::int32_t, const std::vector<std::uint32_t>*>, std::int64_t> memo_demand;
  std::vector<std::int64_t> pending_demands;
  std::vector<std::uint32_t> with_own;
  auto add = [&](const GpuRequest& gpu, bool running, const std::vector<std::uint32_t>& nodes) {
    const std::int64_t milli = gpu.total_milli();
    if (!count_pod(b, pending_demands, milli, running, nodes)) return;
    const std::int32_t whole_gpus = gpu.milli_per_gpu == 1000 ? gpu.count : 0;
    if (&nodes == &scratch || &nodes == &with_own) {
      groups[{whole_gpus, nodes}] += milli;
    } else {
      memo_demand[{whole_gpus, &nodes}] += milli;
    }
  };
  cluster.for_each_pod([&](PodId, const Pod& p) {
    if (p.terminal() || p.resources().gpu.total_milli() <= 0) return;
    const GpuRequest& gpu = p.resources().gpu;
    if (p.bound()) {
      auto own = index_of.find(p.status.node);
      if (own == index_of.end()) return;  // on a cordoned or not-ready node: stays there
      const std::vector<std::uint32_t>& nodes = eligible_nodes(p);
      if (std::binary_search(nodes.begin(), nodes.end(), own->second)) {
        add(gpu, true, nodes);
      } else {
        with_own = nodes;  // it may always stay where it runs
        with_own.insert(std::lower_bound(with_own.begin(), with_own.end(), own->second),
                        own->second);
        add(gpu, true, with_own);
      }
    } else {
      if (p.deletion_ms || !p.spec().scheduling_gates.empty()) return;
      add(gpu, false, eligible_nodes(p));
    }
  });
  for (const auto& [key, demand] : memo_demand)
    groups[{key.first, *key.second}] += demand;
  return solve(capacity, groups, b, std::move(pending_demands));
}

}  // namespace gpusim
