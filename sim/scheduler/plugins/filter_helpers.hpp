#pragma once
// The shape every column-wise Filter shares: walk the candidates once, keep the ones that pass
// (stable order, in place), report the others.
#include <cstdint>
#include <vector>

#include "scheduler/plugin.hpp"

namespace gpusim::sched {

// `verdict(n)` returns kFits or the reason the node is rejected for.
template <typename Verdict>
void filter_nodes(std::vector<NodeIndex>& nodes, Rejections& out, Verdict&& verdict) {
  std::size_t kept = 0;
  for (const NodeIndex n : nodes) {
    const ReasonId r = verdict(n);
    if (r == kFits) {
      nodes[kept++] = n;
    } else {
      out.add(n, r);
    }
  }
  nodes.resize(kept);
}

// The plugin's state slot, created on first use in the cycle.
template <typename State>
State& cycle_slot(CycleState& cycle, const Plugin& plugin) {
  State* s = cycle.get<State>(plugin.slot());
  if (s == nullptr) {
    auto fresh = std::make_unique<State>();
    s = fresh.get();
    cycle.put(plugin.slot(), std::move(fresh));
  }
  return *s;
}

}  // namespace gpusim::sched
