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
  // out[i] = the score of nodes[i]: the stored one while the node's version (versions[node]) is
  // unchanged, otherwise compute(node), then stored. The stored scores are copied in a first
  // tight pass; the nodes that changed (few, while pods repeat) are computed after.
  template <typename Compute>
  void score(std::span<const NodeIndex> nodes, const std::uint64_t* versions,
             std::span<std::int64_t> out, Compute&& compute) {
    const std::uint64_t* const stored_version = version_.data();
    const std::int64_t* const stored = score_.data();
    misses_.clear();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const NodeIndex n = nodes[i];
      if (stored_version[n] == versions[n]) {
        out[i] = stored[n];
      } else {
        misses_.push_back(static_cast<std::uint32_t>(i));
      }
    }
    for (const std::uint32_t i : misses_) {
      const NodeIndex n = nodes[i];
      out[i] = compute(n);
      score_[n] = out[i];
      version_[n] = versions[n];
    }
  }

 private:
  static constexpr std::uint64_t kEmpty = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::int64_t> key_;
  std::vector<std::uint64_t> version_;  // per node: the version its score was computed at
  std::vector<std::int64_t> score_;
  std::vector<std::uint32_t> misses_;  // scratch: positions in `nodes` whose node changed
};

}  // namespace gpusim::sched
