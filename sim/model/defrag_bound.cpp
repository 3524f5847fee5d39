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

}  // namespace

DefragBound compute_defrag_bound(const std::vector<std::int64_t>& node_gpu_milli,
                                 const std::vector<DefragPod>& pods) {
  DefragBound b;
  for (std::int64_t c : node_gpu_milli)
    b.gpu_capacity_milli += c;
  // Groups of pods with the same eligible nodes: one source edge each.
  std::map<std::vector<std::uint32_t>, std::int64_t> groups;
  std::vector<std::int64_t> pending_demands;
  for (const auto& p : pods) {
    if (p.gpu_milli <= 0) continue;
    if (p.running) {
      b.running_gpu_milli += p.gpu_milli;
    } else {
      ++b.pending_gpu_pods;
      if (p.nodes.empty()) continue;  // no node could ever take it
      ++b.eligible_pending;
      b.pending_gpu_milli += p.gpu_milli;
      pending_demands.push_back(p.gpu_milli);
    }
    if (!p.nodes.empty()) groups[p.nodes] += p.gpu_milli;
  }
  const std::size_t n_nodes = node_gpu_milli.size();
  FlowGraph g(2 + n_nodes + groups.size());
  const Vertex source = 0, sink = 1;
  for (std::size_t i = 0; i < n_nodes; ++i) {
    if (node_gpu_milli[i] > 0) add_edge_pair(g, 2 + i, sink, node_gpu_milli[i]);
  }
  // Pod -> node edges need only exceed what the pod can send; the group's demand does.
  Vertex v = 2 + n_nodes;
  for (const auto& [nodes, demand] : groups) {
    add_edge_pair(g, source, v, demand);
    for (std::uint32_t n : nodes) {
      if (n < n_nodes) add_edge_pair(g, v, 2 + n, demand);
    }
    ++v;
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
  std::vector<DefragPod> pods;
  cluster.for_each_pod([&](PodId, const Pod& p) {
    if (p.terminal() || p.resources().gpu.total_milli() <= 0) return;
    DefragPod d;
    d.gpu_milli = p.resources().gpu.total_milli();
    if (p.bound()) {
      auto own = index_of.find(p.status.node);
      if (own == index_of.end()) return;  // on a cordoned or not-ready node: stays there
      d.running = true;
      for (std::uint32_t i = 0; i < node_ids.size(); ++i) {
        if (i == own->second || eligible(cluster.node(node_ids[i]), p)) d.nodes.push_back(i);
      }
    } else {
      if (p.deletion_ms || !p.spec().scheduling_gates.empty()) return;
      for (std::uint32_t i = 0; i < node_ids.size(); ++i) {
        if (eligible(cluster.node(node_ids[i]), p)) d.nodes.push_back(i);
      }
    }
    pods.push_back(std::move(d));
  });
  return compute_defrag_bound(capacity, pods);
}

}  // namespace gpusim
