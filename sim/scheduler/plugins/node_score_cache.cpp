#include "scheduler/plugins/node_score_cache.hpp"

#include <algorithm>

namespace gpusim::sched {

void NodeScoreCache::begin(std::span<const std::int64_t> key, std::size_t nodes) {
  if (!std::equal(key.begin(), key.end(), key_.begin(), key_.end())) {
    key_.assign(key.begin(), key.end());
    std::fill(version_.begin(), version_.end(), kEmpty);
  }
  if (version_.size() < nodes) {
    version_.resize(nodes, kEmpty);
    score_.resize(nodes, 0);
  }
}

}  // namespace gpusim::sched
