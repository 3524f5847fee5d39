#include "scheduler/plugins/topology_domains.hpp"

#include "scheduler/plugins/node_changes.hpp"

namespace gpusim::sched {

void TopologyDomains::update(const NodeTable& table, NodeIndex n) {
  if (domain_.size() < table.size()) {
    domain_.resize(table.size(), -1);
    counted_.resize(table.size(), 0);
    meta_seen_.resize(table.size(), 0);
  }
  // Most logged changes are binds and releases: the node's labels and liveness stay.
  if (meta_seen_[n] == table.meta_version(n)) return;
  meta_seen_[n] = table.meta_version(n);
  if (counted_[n]) {
    if (domain_[n] >= 0) {
      --nodes_in_[static_cast<std::size_t>(domain_[n])];
    } else {
      --missing_;
    }
  }
  domain_[n] = -1;
  counted_[n] = table.live(n) ? 1 : 0;
  if (!counted_[n]) return;
  const Labels& labels = table.cluster().node(n).meta.labels;
  auto it = labels.find(key_);
  if (it == labels.end()) {
    ++missing_;
    return;
  }
  auto [pos, inserted] = ids_.try_emplace(it->second, static_cast<std::int32_t>(values_.size()));
  if (inserted) {
    values_.push_back(it->second);
    nodes_in_.push_back(0);
  }
  domain_[n] = pos->second;
  ++nodes_in_[static_cast<std::size_t>(pos->second)];
}

void TopologyDomains::sync(const NodeTable& table) {
  replay_node_changes(
      table, seen_, [&](NodeIndex n) { update(table, n); },
      [&] {
        for (NodeIndex n = 0; n < table.size(); ++n)
          update(table, n);
      });
}

}  // namespace gpusim::sched
