#pragma once
// Node -> topology domain for one label key (kubernetes.io/hostname, topology.kubernetes.io/zone,
// ...), as small integers so per-domain counts are plain vectors. sync() follows the node
// table's change log, so keeping it current costs per changed node, and domain() is an array
// read.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/node_table.hpp"

namespace gpusim::sched {

class TopologyDomains {
 public:
  explicit TopologyDomains(std::string key) : key_(std::move(key)) {}
  const std::string& key() const { return key_; }
  // Brings every node's domain up to date with the table; call once per cycle before domain().
  void sync(const NodeTable& table);
  // The node's domain, or -1 when the node has no such label (or is gone).
  std::int32_t domain(NodeIndex n) const { return n < domain_.size() ? domain_[n] : -1; }
  // Every domain seen so far (ids are never reused), live nodes per domain, and live nodes
  // without the label.
  std::size_t domain_count() const { return values_.size(); }
  std::int64_t nodes_in(std::int32_t d) const { return nodes_in_[static_cast<std::size_t>(d)]; }
  std::int64_t missing() const { return missing_; }
  const std::string& value(std::int32_t d) const { return values_[static_cast<std::size_t>(d)]; }

 private:
  void update(const NodeTable& table, NodeIndex n);

  std::string key_;
  std::uint64_t seen_ = 0;
  std::vector<std::int32_t> domain_;
  std::vector<char> counted_;             // the node is counted in nodes_in_ / missing_
  std::vector<std::uint64_t> meta_seen_;  // NodeTable::meta_version at the last update
  std::vector<std::int64_t> nodes_in_;
  std::int64_t missing_ = 0;
  std::unordered_map<std::string, std::int32_t> ids_;
  std::vector<std::string> values_;
};

// The domain tables of one plugin, one per key it has met.
class TopologyKeys {
 public:
  std::size_t index(const std::string& key) {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i].key() == key) return i;
    }
    keys_.emplace_back(key);
    return keys_.size() - 1;
  }
  TopologyDomains& operator[](std::size_t i) { return keys_[i]; }
  const TopologyDomains& operator[](std::size_t i) const { return keys_[i]; }
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<TopologyDomains> keys_;
};

}  // namespace gpusim::sched
