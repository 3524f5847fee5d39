#pragma once
// Per-node scores of a plugin whose score depends only on the node's row in the NodeTable and on
// a key derived from the pod (its requests, as the plugin reads them). Between two pods with the
// same key only the nodes that changed (a bind, a release, a reservation: their version bumped)
// need scoring again, which is most of the work when replicas of one template queue together.
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "scheduler/node_table.hpp"

namespace gpusim::sched {

class NodeScoreCache {
 public:
  // Starts a pod's Score: entries computed for a different key are dropped.
  void begin(std::span<const std::int64_t> key, std::size_t nodes);
  // The score stored for node n at this version, if any.
  bool find(NodeIndex n, std::uint64_t version, std::int64_t& score) const {
    if (version_[n] != version) return false;
    score = score_[n];
    return true;
  }
  void store(NodeIndex n, std::uint64_t version, std::int64_t score) {
    version_[n] = version;
    score_[n] = score;
  }

 private:
  static constexpr std::uint64_t kEmpty = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::int64_t> key_;
  std::vector<std::uint64_t> version_;  // per node: the version its score was computed at
  std::vector<std::int64_t> score_;
};

}  // namespace gpusim::sched
