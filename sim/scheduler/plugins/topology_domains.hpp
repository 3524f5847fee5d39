#pragma once
// Node -> topology domain for one label key (kubernetes.io/hostname, topology.kubernetes.io/zone,
// ...), as small integers so per-domain counts are plain vectors. Kept per node and recomputed
// only for nodes whose node-table version changed, so asking for every node each cycle costs a
// comparison per node, not a label lookup.
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/node_table.hpp"

namespace gpusim::sched {

class TopologyDomains {
 public:
  explicit TopologyDomains(std::string key) : key_(std::move(key)) {}
  const std::string& key() const { return key_; }
  // The node's domain, or -1 when the node has no such label.
  std::int32_t domain(const NodeTable& table, NodeIndex n) {
    if (n >= version_.size()) {
      version_.resize(table.size(), kStale);
      domain_.resize(table.size(), -1);
    }
    if (version_[n] != table.version(n)) {
      domain_[n] = lookup(table.cluster().node(n).meta.labels);
      version_[n] = table.version(n);
    }
    return domain_[n];
  }
  // Every domain seen so far (ids are never reused).
  std::size_t domain_count() const { return values_.size(); }
  const std::string& value(std::int32_t d) const { return values_[static_cast<std::size_t>(d)]; }

 private:
  static constexpr std::uint64_t kStale = std::numeric_limits<std::uint64_t>::max();
  std::int32_t lookup(const Labels& labels) {
    auto it = labels.find(key_);
    if (it == labels.end()) return -1;
    auto [pos, inserted] = ids_.try_emplace(it->second, static_cast<std::int32_t>(values_.size()));
    if (inserted) values_.push_back(it->second);
    return pos->second;
  }

  std::string key_;
  std::vector<std::uint64_t> version_;
  std::vector<std::int32_t> domain_;
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
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<TopologyDomains> keys_;
};

}  // namespace gpusim::sched
