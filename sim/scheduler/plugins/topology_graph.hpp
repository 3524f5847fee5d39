#pragma once
// The cluster's network topology as a graph (Boost.Graph adjacency_list): one vertex per host
// (a live node), per rack, per zone, and one root joining the zones. Edges run host - rack -
// zone - root; a level a node has no label for is skipped (a host without a rack label hangs
// from its zone, one without either from the root). Hop distances are breadth-first searches
// over that graph, so with every level labelled two nodes are 0 hops apart when they are the
// same host, 2 in one rack, 4 in one zone and 6 across zones.
//
// The graph is rebuilt only when a node appears, disappears, or its zone or rack label changes
// (sync() follows the node table's change log); distances from a node are computed once per
// build and cached, so scoring a gang member costs one array read per already-placed member.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scheduler/node_table.hpp"

namespace gpusim::sched {

// Where one node sits; `live` false for slots of removed nodes.
struct HostPlacement {
  bool live = false;
  std::string zone;  // empty: no zone label
  std::string rack;  // empty: no rack label
  bool operator==(const HostPlacement&) const = default;
};

class TopologyGraph {
 public:
  TopologyGraph(std::string zone_key, std::string rack_key);
  ~TopologyGraph();
  TopologyGraph(const TopologyGraph&) = delete;
  TopologyGraph& operator=(const TopologyGraph&) = delete;

  const std::string& zone_key() const { return zone_key_; }
  const std::string& rack_key() const { return rack_key_; }

  // Brings the graph up to date with the node table (rebuilding only when a placement changed).
  void sync(const NodeTable& table);
  // Builds the graph from placements indexed by NodeIndex (tests, and sync()).
  void build(const std::vector<HostPlacement>& hosts);

  // Hops from `source` to every node (indexed by NodeIndex; -1 for nodes not in the graph).
  // The reference stays valid until the next build.
  const std::vector<std::int32_t>& hops_from(NodeIndex source);
  std::int32_t hops(NodeIndex a, NodeIndex b) { return hops_from(a)[b]; }

  // The node's rack and zone as small ids (-1: no such label or not in the graph), and how many
  // of each there are. Rack ids are per (zone, rack) pair: rack names may repeat across zones.
  std::int32_t rack(NodeIndex n) const { return n < rack_of_.size() ? rack_of_[n] : -1; }
  std::int32_t zone(NodeIndex n) const { return n < zone_of_.size() ? zone_of_[n] : -1; }
  std::size_t rack_count() const { return rack_count_; }
  std::size_t zone_count() const { return zone_count_; }
  // The largest hop distance between two hosts that share the node's rack / zone / the whole
  // graph, i.e. twice the hops from the host up to that domain's vertex (-1: no such domain).
  std::int32_t rack_span(NodeIndex n) const { return span(n, rack_depth_); }
  std::int32_t zone_span(NodeIndex n) const { return span(n, zone_depth_); }
  std::int32_t root_span(NodeIndex n) const;
  std::uint64_t builds() const { return builds_; }

 private:
  struct Graph;
  HostPlacement placement_of(const NodeTable& table, NodeIndex n) const;
  std::int32_t span(NodeIndex n, const std::vector<std::int32_t>& domain_depth) const;

  std::string zone_key_, rack_key_;
  std::vector<HostPlacement> hosts_;  // as last built
  std::uint64_t seen_ = 0;
  bool synced_ = false;
  std::unique_ptr<Graph> graph_;
  std::vector<std::int32_t> vertex_of_;  // NodeIndex -> host vertex, -1 when not live
  std::vector<std::int32_t> rack_of_, zone_of_;
  std::vector<std::int32_t> depth_;                    // hops from the root, per vertex
  std::vector<std::int32_t> rack_depth_, zone_depth_;  // per NodeIndex: depth of its rack/zone
  std::size_t rack_count_ = 0, zone_count_ = 0;
  std::map<NodeIndex, std::vector<std::int32_t>> hops_cache_;
  std::uint64_t builds_ = 0;
};

}  // namespace gpusim::sched
