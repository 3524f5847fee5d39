#include "scheduler/plugins/topology_graph.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>
#include <boost/property_map/property_map.hpp>
#include <utility>

#include "scheduler/plugins/node_changes.hpp"

namespace gpusim::sched {

struct TopologyGraph::Graph {
  using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  G g;
  // Breadth-first hop counts from `source` to every vertex.
  std::vector<std::int32_t> distances(std::size_t source) const {
    std::vector<std::int32_t> d(boost::num_vertices(g), -1);
    d[source] = 0;
    auto dist = boost::make_iterator_property_map(d.begin(), boost::get(boost::vertex_index, g));
    boost::breadth_first_search(g, boost::vertex(source, g),
                                boost::visitor(boost::make_bfs_visitor(
                                    boost::record_distances(dist, boost::on_tree_edge()))));
    return d;
  }
};

TopologyGraph::TopologyGraph(std::string zone_key, std::string rack_key)
    : zone_key_(std::move(zone_key)), rack_key_(std::move(rack_key)) {}

TopologyGraph::~TopologyGraph() = default;

HostPlacement TopologyGraph::placement_of(const NodeTable& table, NodeIndex n) const {
  HostPlacement h;
  if (!table.live(n)) return h;
  h.live = true;
  const Labels& labels = table.cluster().node(n).meta.labels;
  if (auto it = labels.find(zone_key_); it != labels.end()) h.zone = it->second;
  if (auto it = labels.find(rack_key_); it != labels.end()) h.rack = it->second;
  return h;
}

void TopologyGraph::sync(const NodeTable& table) {
  // Most logged changes are reservations and bindings, which leave the topology alone: compare
  // placements and rebuild only when one differs.
  bool dirty = !synced_ || hosts_.size() != table.size();
  auto check = [&](NodeIndex n) {
    if (dirty) return;
    if (n >= hosts_.size() || !(placement_of(table, n) == hosts_[n])) dirty = true;
  };
  replay_node_changes(table, seen_, check, [&] {
    for (NodeIndex n = 0; n < table.size() && !dirty; ++n)
      check(n);
  });
  synced_ = true;
  if (!dirty) return;
  std::vector<HostPlacement> hosts(table.size());
  for (NodeIndex n = 0; n < table.size(); ++n)
    hosts[n] = placement_of(table, n);
  build(hosts);
}

void TopologyGraph::build(const std::vector<HostPlacement>& hosts) {
  ++builds_;
  hosts_ = hosts;
  hops_cache_.clear();
  graph_ = std::make_unique<Graph>();
  auto& g = graph_->g;
  const auto root = boost::add_vertex(g);
  std::map<std::string, std::pair<std::size_t, std::int32_t>> zones;  // name -> vertex, id
  std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::int32_t>> racks;
  const std::size_t n_hosts = hosts.size();
  vertex_of_.assign(n_hosts, -1);
  rack_of_.assign(n_hosts, -1);
  zone_of_.assign(n_hosts, -1);
  std::vector<std::int32_t> rack_vertex(n_hosts, -1), zone_vertex(n_hosts, -1);
  for (std::size_t n = 0; n < n_hosts; ++n) {
    const HostPlacement& h = hosts[n];
    if (!h.live) continue;
    std::size_t parent = root;
    if (!h.zone.empty()) {
      auto [it, added] = zones.try_emplace(h.zone, 0, static_cast<std::int32_t>(zones.size()));
      if (added) {
        it->second.first = boost::add_vertex(g);
        boost::add_edge(root, it->second.first, g);
      }
      parent = it->second.first;
      zone_of_[n] = it->second.second;
      zone_vertex[n] = static_cast<std::int32_t>(parent);
    }
    if (!h.rack.empty()) {
      auto [it, added] =
          racks.try_emplace({h.zone, h.rack}, 0, static_cast<std::int32_t>(racks.size()));
      if (added) {
        it->second.first = boost::add_vertex(g);
        boost::add_edge(parent, it->second.first, g);
      }
      parent = it->second.first;
      rack_of_[n] = it->second.second;
      rack_vertex[n] = static_cast<std::int32_t>(parent);
    }
    const auto v = boost::add_vertex(g);
    boost::add_edge(parent, v, g);
    vertex_of_[n] = static_cast<std::int32_t>(v);
  }
  zone_count_ = zones.size();
  rack_count_ = racks.size();
  depth_ = graph_->distances(root);
  auto depth_at = [&](std::int32_t v) { return v < 0 ? -1 : depth_[static_cast<std::size_t>(v)]; };
  rack_depth_.assign(n_hosts, -1);
  zone_depth_.assign(n_hosts, -1);
  for (std::size_t n = 0; n < n_hosts; ++n) {
    rack_depth_[n] = depth_at(rack_vertex[n]);
    zone_depth_[n] = depth_at(zone_vertex[n]);
  }
}

const std::vector<std::int32_t>& TopologyGraph::hops_from(NodeIndex source) {
  auto it = hops_cache_.find(source);
  if (it != hops_cache_.end()) return it->second;
  std::vector<std::int32_t> out(vertex_of_.size(), -1);
  if (graph_ && source < vertex_of_.size() && vertex_of_[source] >= 0) {
    const std::vector<std::int32_t> d =
        graph_->distances(static_cast<std::size_t>(vertex_of_[source]));
    for (std::size_t n = 0; n < vertex_of_.size(); ++n) {
      if (vertex_of_[n] >= 0) out[n] = d[static_cast<std::size_t>(vertex_of_[n])];
    }
  }
  return hops_cache_.emplace(source, std::move(out)).first->second;
}

std::int32_t TopologyGraph::span(NodeIndex n, const std::vector<std::int32_t>& domain_depth) const {
  if (n >= vertex_of_.size() || vertex_of_[n] < 0 || domain_depth[n] < 0) return -1;
  return 2 * (depth_[static_cast<std::size_t>(vertex_of_[n])] - domain_depth[n]);
}

std::int32_t TopologyGraph::root_span(NodeIndex n) const {
  if (n >= vertex_of_.size() || vertex_of_[n] < 0) return -1;
  return 2 * depth_[static_cast<std::size_t>(vertex_of_[n])];
}

}  // namespace gpusim::sched
