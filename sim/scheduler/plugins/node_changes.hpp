#pragma once
// Replaying the node table's change log: plugin caches derived from node rows (topology
// domains, matching-pod counts, pods with affinity) update only the nodes that changed since
// they last looked, instead of walking every node each cycle.
#include <cstdint>

#include "scheduler/node_table.hpp"

namespace gpusim::sched {

// Calls `changed(n)` for every node logged since `seen` (a node may come more than once), or
// `rescan()` when the log no longer reaches back that far; then marks everything as seen.
template <typename Changed, typename Rescan>
void replay_node_changes(const NodeTable& table, std::uint64_t& seen, Changed&& changed,
                         Rescan&& rescan) {
  if (seen < table.log_base()) {
    rescan();
  } else {
    const auto& log = table.change_log();
    for (std::size_t i = static_cast<std::size_t>(seen - table.log_base()); i < log.size(); ++i) {
      changed(log[i]);
    }
  }
  seen = table.change_seq();
}

}  // namespace gpusim::sched
